use leptos::prelude::*;

use super::{
    error_notice::ActionError,
    sessions_table::{EndOtherSessions, EndSession, SessionsTable, list_own_sessions},
};
use crate::domain::ApiError;

/// Changes the signed-in operator's password. This session carries on; the
/// operator's other sessions end.
#[server]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    use crate::domain::Password;
    use crate::server::{
        auth::session::{dashboard_caller, own_key},
        service::sign_in,
        state::AppState,
    };
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    let new = Password::parse(&new)?;
    Ok(sign_in::change_password(&state.db, &state.passwords, &caller, current, new, &own_key().await?).await?)
}

/// The signed-in operator's own account.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(
        move || (end.version().get(), end_others.version().get(), change.version().get()),
        |_| list_own_sessions(),
    );
    view! {
        <main class="narrow">
            <h1>"Your account"</h1>
            <p><a href="/account/two-factor">"Two-factor sign-in"</a></p>
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
            <h2>"Your sessions"</h2>
            <SessionsTable sessions end show_operator=false />
            <ActionForm action=end_others attr:class="inline">
                <button type="submit" class="secondary">"Sign out all other sessions"</button>
            </ActionForm>
            <ActionError value=end_others.value() />
        </main>
    }
}
