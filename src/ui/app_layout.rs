use leptos::prelude::*;
use leptos_router::{
    components::{A, Outlet},
    hooks::use_params_map,
};

use super::{environment_badge::EnvironmentBadge, error_notice::ErrorNotice};
use crate::domain::{ApiError, AppView, Environment};

#[server]
pub async fn get_app(app_id: String) -> Result<AppView, ApiError> {
    use crate::server::auth::session::dashboard_app;
    Ok(dashboard_app(&app_id).await?.2.view)
}

/// The `app_id` of the page's route.
pub fn use_app_id() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("app_id").unwrap_or_default())
}

/// The frame of one app's pages: its name, App ID and environment, and tabs.
/// A production app wears a red banner and header on every one of its pages.
/// Only the header waits for the app; the page below loads its own data.
/// An App ID that names no app the operator may see gets one message (and
/// a 404): the page below it is hidden (`main.app-missing + main`), as its
/// own requests fail alike.
#[component]
pub fn AppLayout() -> impl IntoView {
    let app_id = use_app_id();
    let app = Resource::new(move || app_id.get(), get_app);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match app.await {
                    Ok(app) => view! { <AppHeader app /> }.into_any(),
                    Err(error) => view! { <main class="app-missing"><ErrorNotice error /></main> }.into_any(),
                }
            })}
        </Suspense>
        <main class="app-page">
            <Outlet />
        </main>
    }
}

#[component]
fn AppHeader(app: AppView) -> impl IntoView {
    let base = format!("/apps/{}", app.app_id);
    let production = app.environment == Environment::Production;
    view! {
        <div class=format!("app-frame env-{}", app.environment.as_str())>
            {production.then(|| view! {
                <div class="production-banner" role="note">"Production app — changes here affect real users"</div>
            })}
            <header class="app-header">
                <h1>{app.name.to_string()}</h1>
                <EnvironmentBadge environment=app.environment />
                <span class="muted">"App ID " <code class="app-id">{app.app_id.to_string()}</code></span>
                <span class="muted">{app.region.label()}</span>
            </header>
            <nav class="tabs">
                <A href=format!("{base}/overview")>"Overview"</A>
                <A href=base.clone() exact=true>"API keys"</A>
                <A href=format!("{base}/users")>"Users"</A>
                <A href=format!("{base}/roles")>"Roles"</A>
                <A href=format!("{base}/groups")>"Groups"</A>
                <A href=format!("{base}/messages")>"Messages"</A>
                {(!production).then(|| view! { <A href=format!("{base}/playground")>"Playground"</A> })}
                <A href=format!("{base}/activity")>"Activity"</A>
                <A href=format!("{base}/settings")>"Settings"</A>
            </nav>
        </div>
    }
}
