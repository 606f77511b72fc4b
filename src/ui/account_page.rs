use leptos::prelude::*;

use super::{
    error_notice::ActionError,
    outcome::use_outcome,
    sessions_table::{EndOtherSessions, EndSession, SessionsTable, list_own_sessions},
};
use leptos::server_fn::ServerFn;

use crate::domain::{ApiError, Outcome};

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
    sign_in::change_password(&state.db, &state.passwords, &caller, current, new, &own_key().await?).await?;
    crate::ui::outcome::keep(Outcome::PasswordChanged).await?;
    Ok(())
}

/// The signed-in operator's own account.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let outcome = use_outcome();
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(|| (), |_| list_own_sessions());
    view! {
        <main class="narrow">
            <h1>"Your account"</h1>
            <p><a href="/account/two-factor">"Two-factor sign-in"</a></p>
            <h2>"Change your password"</h2>
            <p>"Your other sessions are signed out, and browsers you signed in on before are forgotten."</p>
            <form method="post" action=ChangePassword::url() class="card form">
                <label for="current">"Current password"</label>
                <input id="current" name="current" type="password" autocomplete="current-password" required />
                <label for="new">"New password (at least 12 characters)"</label>
                <input id="new" name="new" type="password" autocomplete="new-password" minlength="12" required />
                <ActionError value=change.value() />
                <Transition>
                    {move || Suspend::new(async move {
                        (outcome.await == Some(Outcome::PasswordChanged))
                            .then(|| view! { <p class="notice" role="status">"Your password is changed."</p> })
                    })}
                </Transition>
                <button type="submit">"Change password"</button>
            </form>
            <h2>"Your sessions"</h2>
            <SessionsTable sessions end show_operator=false />
            <ActionForm action=end_others attr:class="inline">
                <button type="submit" class="secondary">"Sign out all other sessions"</button>
            </ActionForm>
            <ActionError value=end_others.value() />
        </main>
    }
}
