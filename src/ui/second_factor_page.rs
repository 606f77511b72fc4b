use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::error_notice::ActionError;
use crate::domain::ApiError;

/// The second step of signing in: a code from the authenticator app, or a
/// recovery code, for the operator whose password was just right.
#[server(prefix = "/api/session")]
pub async fn prove_second_factor(code: String, #[server(default)] next: String) -> Result<(), ApiError> {
    use crate::domain::{SecondFactor, return_path};
    use crate::server::{Error, auth::session, service::two_factor, state::AppState};
    let state = expect_context::<AppState>();
    let factor = SecondFactor::parse(&code)?;
    let session = session::current_session()?;
    let operator = session::pending_second_factor(&session).await?.ok_or_else(|| {
        Error::invalid("ERR_SIGN_IN_AGAIN", "Too long since your password was checked. Sign in again.")
    })?;
    two_factor::prove(&state.db, operator, &factor).await?;
    session::begin(&state.db, &session, operator, true).await?;
    leptos_axum::redirect(return_path(&next).unwrap_or("/apps"));
    Ok(())
}

/// `/sign-in/code`: where sign-in asks for the second factor.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let prove = ServerAction::<ProveSecondFactor>::new();
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    view! {
        <main class="narrow">
            <h1>"Two-factor sign-in"</h1>
            <ActionForm action=prove attr:class="card form">
                <input type="hidden" name="next" value=next />
                <label for="code">"Code from your authenticator app, or a recovery code"</label>
                <input id="code" name="code" autocomplete="one-time-code" inputmode="text" required autofocus />
                <ActionError value=prove.value() />
                <button type="submit">"Sign in"</button>
            </ActionForm>
            <p><a href="/sign-in">"Start again"</a></p>
        </main>
    }
}
