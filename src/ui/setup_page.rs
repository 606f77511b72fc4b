use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{
    checked_input::CheckedInput,
    error_notice::ActionError,
    session::{Visitor, current_visitor},
};
use crate::domain::{ApiError, FieldCheck};
#[cfg(feature = "ssr")]
use crate::domain::{Email, OperatorName, Password};

/// Creates the owner account on a fresh installation and signs them in.
#[server]
pub async fn create_owner(email: String, name: String, password: String) -> Result<(), ApiError> {
    use crate::server::{auth::session, service::operators, state::AppState};
    let (email, name, password) = (Email::parse(&email)?, OperatorName::parse(&name)?, Password::parse(&password)?);
    let state = expect_context::<AppState>();
    let owner =
        operators::create_first_owner(&state.db, &state.passwords, session::client_ip(), email, name, password).await?;
    session::begin(&state.db, &session::current_session()?, owner.id, false).await?;
    leptos_axum::redirect("/apps");
    Ok(())
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let visitor = Resource::new(|| (), |_| current_visitor());
    let create = ServerAction::<CreateOwner>::new();
    view! {
        <main class="narrow">
            <h1>"Welcome to Switchboard"</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    match visitor.await {
                        Ok(Visitor::NeedsSetup) => {
                            view! {
                                <p>"Create the owner account. The owner can add the rest of the team later."</p>
                                <ActionForm action=create attr:class="card form">
                                    <CheckedInput label="Email" name="email" kind="email" autocomplete="email"
                                        check=FieldCheck::Email />
                                    <CheckedInput label="Name" name="name" autocomplete="name"
                                        check=FieldCheck::OperatorName />
                                    <CheckedInput label="Password (at least 12 characters)" name="password"
                                        kind="password" autocomplete="new-password"
                                        check=FieldCheck::Password />
                                    <ActionError value=create.value() />
                                    <button type="submit">"Create owner account"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        _ => view! { <Redirect path="/sign-in" /> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
