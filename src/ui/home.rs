use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{
    error_notice::ErrorNotice,
    session::{Visitor, current_visitor},
};

/// `/` sends each visitor where they belong: set-up, sign-in or their apps.
#[component]
pub fn Home() -> impl IntoView {
    let visitor = Resource::new(|| (), |_| current_visitor());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match visitor.await {
                    Ok(Visitor::NeedsSetup) => view! { <Redirect path="/setup" /> }.into_any(),
                    Ok(Visitor::SignedOut) => view! { <Redirect path="/sign-in" /> }.into_any(),
                    Ok(Visitor::SignedIn(_)) => view! { <Redirect path="/apps" /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
