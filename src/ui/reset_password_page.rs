use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{checked_input::CheckedInput, error_notice::ActionError};
#[cfg(feature = "ssr")]
use crate::domain::Password;
use crate::domain::{ApiError, FieldCheck};

/// Sets a new password with a one-time link an owner or admin made, and
/// signs its operator in (after their second factor, if they have one).
#[server]
pub async fn set_password_with_link(token: String, password: String) -> Result<(), ApiError> {
    use crate::server::{auth::session, service::password_links, state::AppState};
    let state = expect_context::<AppState>();
    let password = Password::parse(&password)?;
    let (operator, two_factor) =
        password_links::set_password(&state.db, &state.passwords, &token, password, session::client_ip()).await?;
    let waits = session::password_proved(&state.db, operator.id, two_factor).await?;
    leptos_axum::redirect(if waits { "/sign-in/code" } else { "/apps" });
    Ok(())
}

/// Where a password link leads: `/reset-password?token=…`.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = move || use_query_map().read().get("token").unwrap_or_default();
    let set = ServerAction::<SetPasswordWithLink>::new();
    view! {
        <main class="narrow">
            <h1>"Set your password"</h1>
            <p>"This link works once. Your other sessions are signed out."</p>
            <ActionForm action=set attr:class="card form">
                <input type="hidden" name="token" value=token />
                <CheckedInput label="New password (at least 12 characters)" name="password" kind="password"
                    autocomplete="new-password" check=FieldCheck::Password />
                <ActionError value=set.value() />
                <button type="submit">"Set password and sign in"</button>
            </ActionForm>
        </main>
    }
}
