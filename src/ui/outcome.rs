//! What a form post did, shown once by the page the browser comes back to.

use leptos::prelude::*;

use crate::domain::{ApiError, Outcome};

/// Keeps `outcome` for the page a plain form post is sent back to. A call
/// from an island, which reads the answer itself, keeps nothing.
#[cfg(feature = "ssr")]
pub async fn keep(outcome: Outcome) -> Result<(), crate::server::Error> {
    use crate::server::{auth::session, state::AppState};
    if session::is_plain_form_post() {
        expect_context::<AppState>().outcomes.keep(&session::current_session()?, outcome).await;
    }
    Ok(())
}

/// The outcome kept by the last form post, taken: a reload shows it no more.
#[server(prefix = "/api/session")]
pub async fn take_outcome() -> Result<Option<Outcome>, ApiError> {
    use crate::server::{auth::session, state::AppState};
    Ok(expect_context::<AppState>().outcomes.take(&session::current_session()?).await)
}

/// The page's kept outcome, read once as the page is drawn.
pub fn use_outcome() -> Resource<Option<Outcome>> {
    Resource::new(|| (), |_| async { take_outcome().await.ok().flatten() })
}

/// What a change to several refused, one line each, if the page came back
/// from one that refused some.
#[component]
pub fn KeptRefusals(outcome: Resource<Option<Outcome>>) -> impl IntoView {
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match outcome.await {
                    Some(Outcome::SomeRefused(refused)) => Some(view! {
                        <ul class="notice error refused">{refused.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                    }),
                    _ => None,
                }
            })}
        </Transition>
    }
}

/// A dashboard path made whole, to be sent to someone, with the address
/// the browser reached the dashboard by (a proxy's, say).
pub fn absolute_link(path: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        let secure = use_context::<crate::server::state::AppState>().is_some_and(|s| s.config.secure_cookies);
        if let Some(origin) = crate::server::auth::session::request_origin(secure) {
            return format!("{origin}{path}");
        }
    }
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|window| window.location().origin().ok()) {
        return format!("{origin}{path}");
    }
    path.to_owned()
}
