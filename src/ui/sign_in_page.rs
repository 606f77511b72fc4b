use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{
    error_notice::ActionError,
    session::{Visitor, current_visitor},
};
use crate::domain::ApiError;

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), ApiError> {
    use crate::server::{
        auth::{device, session},
        service::sign_in::{self, Attempt},
        state::AppState,
    };
    let state = expect_context::<AppState>();
    let attempt = Attempt { email, password, address: session::client_address(), device: device::token() };
    let signed_in = sign_in::sign_in(&state.db, &state.passwords, attempt).await?;
    session::begin(&session::current_session()?, signed_in.operator.id, signed_in.epoch).await?;
    device::remember(&signed_in.device, state.config.secure_cookies);
    leptos_axum::redirect("/apps");
    Ok(())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let visitor = Resource::new(|| (), |_| current_visitor());
    let sign_in = ServerAction::<SignIn>::new();
    view! {
        <main class="narrow">
            <h1>"Sign in to Switchboard"</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    match visitor.await {
                        Ok(Visitor::NeedsSetup) => view! { <Redirect path="/setup" /> }.into_any(),
                        Ok(Visitor::SignedIn(_)) => view! { <Redirect path="/apps" /> }.into_any(),
                        _ => {
                            view! {
                                <ActionForm action=sign_in attr:class="card form">
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
