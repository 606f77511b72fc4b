use leptos::prelude::*;
use leptos_router::{
    components::{A, Outlet, Redirect},
    hooks::use_location,
};

use super::{
    error_notice::ErrorNotice,
    session::{SignOut, Visitor, current_visitor},
};
use crate::domain::{OperatorView, sign_in_returning_to};

/// The frame of every page behind sign-in: the top bar, and the page. A
/// visitor who is not signed in is sent to sign in, and back here after. Only the bar waits for
/// the session; the page beside it loads its own data (and is refused it when
/// signed out), since an `Outlet` inside a suspending parent breaks hydration.
#[component]
pub fn SignedInLayout() -> impl IntoView {
    let visitor = Resource::new(|| (), |_| current_visitor());
    let location = use_location();
    // The router's `search` may come without its `?`.
    let here = move || {
        let search = location.search.get_untracked();
        let query = search.trim_start_matches('?');
        let separator = if query.is_empty() { "" } else { "?" };
        format!("{}{separator}{query}", location.pathname.get_untracked())
    };
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match visitor.await {
                    Ok(Visitor::SignedIn(session)) => view! { <TopBar operator=session.operator /> }.into_any(),
                    Ok(Visitor::NeedsSetup) => view! { <Redirect path="/setup" /> }.into_any(),
                    Ok(Visitor::SignedOut) => view! { <Redirect path=sign_in_returning_to(&here()) /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
        <Outlet />
    }
}

#[component]
fn TopBar(operator: OperatorView) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="top-bar">
            <A href="/apps" attr:class="brand">"Switchboard"</A>
            <nav>
                <A href="/apps">"Apps"</A>
                <A href="/team">"Team"</A>
            </nav>
            <A href="/account" attr:class="who">
                {operator.name.to_string()}
                <span class="badge role">{operator.role.label()}</span>
            </A>
            <ActionForm action=sign_out attr:class="inline">
                <button type="submit" class="link">"Sign out"</button>
            </ActionForm>
        </header>
    }
}
