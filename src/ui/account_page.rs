use leptos::prelude::*;

use super::error_notice::ActionError;
use crate::domain::ApiError;

/// Changes the signed-in operator's password. This session carries on
/// under the new session epoch; the operator's other sessions end.
#[server]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    use crate::domain::Password;
    use crate::server::{
        auth::session::{self, dashboard_caller, signed_in_operator},
        service::sign_in,
        state::AppState,
    };
    let state = expect_context::<AppState>();
    let (caller, me) =
        (dashboard_caller().await?, signed_in_operator().await?.ok_or(crate::server::Error::NotSignedIn)?);
    let new = Password::parse(&new)?;
    let epoch = sign_in::change_password(&state.db, &state.passwords, &caller, current, new).await?;
    session::begin(&session::current_session()?, me.id, epoch).await?;
    Ok(())
}

/// The signed-in operator's own account.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <main class="narrow">
            <h1>"Your account"</h1>
            <h2>"Change your password"</h2>
            <p>"Your other sessions are signed out, and browsers you signed in on before are forgotten."</p>
            <ActionForm action=change attr:class="card form">
                <label for="current">"Current password"</label>
                <input id="current" name="current" type="password" autocomplete="current-password" required />
                <label for="new">"New password (at least 12 characters)"</label>
                <input id="new" name="new" type="password" autocomplete="new-password" minlength="12" required />
                <ActionError value=change.value() />
                <Show when=changed>
                    <p class="notice" role="status">"Your password is changed."</p>
                </Show>
                <button type="submit">"Change password"</button>
            </ActionForm>
        </main>
    }
}
