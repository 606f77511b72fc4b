use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_query_map};

use super::{
    error_notice::ActionError,
    session::{Visitor, current_visitor},
};
use crate::domain::{ApiError, return_path};

/// Signs in, and goes to `next` (the page the visitor asked for) when it
/// is a page of this site, else to the apps; by way of the second-factor
/// page when the operator has one.
#[server(prefix = "/api/session")]
pub async fn sign_in(email: String, password: String, #[server(default)] next: String) -> Result<(), ApiError> {
    use crate::domain::second_factor_returning_to;
    use crate::server::{
        auth::{device, session},
        service::sign_in::{self, Attempt},
        state::AppState,
    };
    let state = expect_context::<AppState>();
    let attempt = Attempt { email, password, address: session::client_address(), device: device::token() };
    let signed_in = sign_in::sign_in(&state.db, &state.passwords, attempt).await?;
    let waits = session::password_proved(&state.db, signed_in.operator.id, signed_in.two_factor).await?;
    device::remember(&signed_in.device, state.config.secure_cookies);
    let onward = return_path(&next).unwrap_or("/apps");
    leptos_axum::redirect(&if waits { second_factor_returning_to(onward) } else { onward.to_owned() });
    Ok(())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let visitor = Resource::new(|| (), |_| current_visitor());
    let sign_in = ServerAction::<SignIn>::new();
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    let onward = move || return_path(&next()).unwrap_or("/apps").to_owned();
    view! {
        <main class="narrow">
            <h1>"Sign in to Switchboard"</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    match visitor.await {
                        Ok(Visitor::NeedsSetup) => view! { <Redirect path="/setup" /> }.into_any(),
                        Ok(Visitor::SignedIn(_)) => view! { <Redirect path=onward() /> }.into_any(),
                        _ => {
                            view! {
                                <ActionForm action=sign_in attr:class="card form">
                                    <input type="hidden" name="next" value=next />
                                    <label for="email">"Email"</label>
                                    <input id="email" name="email" type="email" autocomplete="username" required />
                                    <label for="password">"Password"</label>
                                    <input id="password" name="password" type="password" autocomplete="current-password" required />
                                    <ActionError value=sign_in.value() />
                                    <button type="submit">"Sign in"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
