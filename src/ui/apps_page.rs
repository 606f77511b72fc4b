use leptos::prelude::*;

use super::{
    checked_input::CheckedInput,
    environment_badge::EnvironmentBadge,
    error_notice::{ActionError, ErrorNotice},
    outcome::use_outcome,
    session::{Visitor, current_visitor},
    timestamp::Timestamp,
};
use leptos::server_fn::ServerFn;

#[cfg(feature = "ssr")]
use crate::domain::AppName;
use crate::domain::{ApiError, AppView, Environment, FieldCheck, Outcome, Permission, Region};

#[server]
pub async fn list_apps() -> Result<Vec<AppView>, ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::apps, state::AppState};
    let state = expect_context::<AppState>();
    let apps = apps::list(&state.db, &dashboard_caller().await?).await?;
    Ok(apps.into_iter().map(|app| app.view).collect())
}

#[server]
pub async fn create_app(name: String, environment: String, region: String) -> Result<AppView, ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::apps, state::AppState};
    let new = apps::NewApp {
        name: AppName::parse(&name)?,
        environment: Environment::parse(&environment)?,
        region: Region::parse(&region)?,
    };
    let state = expect_context::<AppState>();
    let app = apps::create(&state.db, &dashboard_caller().await?, new).await?.view;
    crate::ui::outcome::keep(Outcome::AppCreated(app.clone())).await?;
    Ok(app)
}

#[component]
pub fn AppsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_apps());
    let visitor = Resource::new(|| (), |_| current_visitor());
    let outcome = use_outcome();
    view! {
        <main>
            <h1>"Apps"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading apps…"</p> }>
                {move || Suspend::new(async move {
                    match apps.await {
                        Ok(apps) => view! { <AppList apps /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition>
                {move || Suspend::new(async move {
                    let environments = creatable_environments(visitor.await);
                    let created = match outcome.await {
                        Some(Outcome::AppCreated(app)) => Some(app),
                        _ => None,
                    };
                    (!environments.is_empty()).then(|| view! { <NewAppSection created environments /> })
                })}
            </Transition>
        </main>
    }
}

#[component]
fn AppList(apps: Vec<AppView>) -> impl IntoView {
    if apps.is_empty() {
        return view! { <p class="muted">"No apps yet. Create a development app to start."</p> }.into_any();
    }
    view! {
        <ul class="app-list">
            {apps
                .into_iter()
                .map(|app| {
                    view! {
                        <li class=format!("app-card env-{}", app.environment.as_str())>
                            <a href=format!("/apps/{}", app.app_id)>
                                <strong class="app-name">{app.name.to_string()}</strong>
                            </a>
                            <EnvironmentBadge environment=app.environment />
                            <code class="app-id">{app.app_id.to_string()}</code>
                            <span class="muted">{app.region.label()}</span>
                            <span class="muted">"Created " <Timestamp at=Some(app.created_at) /></span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// The environments the signed-in operator may create apps in.
fn creatable_environments(visitor: Result<Visitor, ApiError>) -> Vec<Environment> {
    let Ok(Visitor::SignedIn(session)) = visitor else { return Vec::new() };
    let role = session.operator.role;
    Environment::ALL.iter().copied().filter(|env| role.may(Permission::ChangeApp(*env))).collect()
}

/// The create-app form, and what it made last. It posts and the page
/// comes back, empty again: a second click makes no duplicate.
#[component]
fn NewAppSection(created: Option<AppView>, environments: Vec<Environment>) -> impl IntoView {
    view! {
        {created.map(|app| view! {
            <p class="notice" role="status">
                "Created " <a href=format!("/apps/{}", app.app_id)>{app.name.to_string()}</a>
                ", App ID " <code>{app.app_id.to_string()}</code> "."
            </p>
        })}
        <NewAppForm environments />
    }
}

#[component]
fn NewAppForm(environments: Vec<Environment>) -> impl IntoView {
    let first = environments[0];
    let create = ServerAction::<CreateApp>::new();
    view! {
        <section class="card">
            <h2>"Create an app"</h2>
            <form method="post" action=CreateApp::url() class="form" id="create-app">
                <CheckedInput label="Name" name="name" check=FieldCheck::AppName />
                <fieldset>
                    <legend>"Environment"</legend>
                    {environments
                        .into_iter()
                        .map(|env| {
                            view! {
                                <label class="choice">
                                    <input type="radio" name="environment" value=env.as_str() checked=env == first />
                                    <EnvironmentBadge environment=env />
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <label for="region">"Region"</label>
                <select id="region" name="region">
                    {Region::ALL
                        .iter()
                        .map(|r| view! { <option value=r.as_str()>{r.label()}</option> })
                        .collect_view()}
                </select>
                <ActionError value=create.value() />
                <button type="submit">"Create app"</button>
            </form>
        </section>
    }
}
