use leptos::prelude::*;

use super::{
    app_layout::{get_app, use_app_id},
    checked_input::CheckedInput,
    error_notice::ActionError,
    outcome::use_outcome,
    permitted::load_user_powers,
};
#[cfg(feature = "ssr")]
use crate::domain::AppName;
use crate::domain::{ApiError, AppView, FieldCheck, Outcome};
use leptos::server_fn::ServerFn;

#[server]
pub async fn rename_app(app_id: String, name: String) -> Result<(), ApiError> {
    use crate::domain::AppId;
    use crate::server::{auth::session::dashboard_caller, service::apps, state::AppState};
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    apps::rename(&state.db, &caller, &AppId::parse(&app_id)?, AppName::parse(&name)?).await?;
    crate::ui::outcome::keep(Outcome::AppRenamed).await?;
    Ok(())
}

/// Turns Auth Key login to the realtime gateway on or off.
#[server]
pub async fn set_auth_key_login(app_id: String, #[server(default)] allowed: Option<String>) -> Result<bool, ApiError> {
    use crate::domain::AppId;
    use crate::server::{auth::session::dashboard_caller, service::apps, state::AppState};
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    let app = apps::set_auth_key_login(&state.db, &caller, &AppId::parse(&app_id)?, allowed.is_some()).await?;
    Ok(app.view.auth_key_login)
}

#[server]
pub async fn delete_app(app_id: String, typed_name: String) -> Result<(), ApiError> {
    use crate::domain::AppId;
    use crate::server::{auth::session::dashboard_caller, service::apps, state::AppState};
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    apps::delete(&state.db, &caller, &AppId::parse(&app_id)?, &typed_name).await?;
    leptos_axum::redirect("/apps");
    Ok(())
}

#[component]
pub fn AppSettingsPage() -> impl IntoView {
    let app_id = use_app_id();
    let app = Resource::new(move || app_id.get(), get_app);
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    let outcome = use_outcome();
    view! {
        <section class="settings-page">
            <Suspense>
                {move || Suspend::new(async move {
                    let powers = powers.await.unwrap_or_default();
                    let renamed = outcome.await == Some(Outcome::AppRenamed);
                    app.await.ok().map(|app| view! {
                        {(!powers.change_app && !powers.delete_app).then(|| view! { <ReadOnlySettings app=app.clone() /> })}
                        {powers.change_app.then(|| view! {
                            <RenameForm app=app.clone() renamed />
                            <AuthKeyLoginForm app=app.clone() />
                        })}
                        {powers.delete_app.then(|| view! { <DeleteForm app /> })}
                    })
                })}
            </Suspense>
        </section>
    }
}

/// The settings, for a role that may not change them.
#[component]
fn ReadOnlySettings(app: AppView) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Settings"</h2>
            <p>
                "Realtime login with an Auth Key and a UID is "
                <strong>{if app.auth_key_login { "on" } else { "off" }}</strong>"."
            </p>
            <p class="muted">"Your role may not change this app's settings."</p>
        </section>
    }
}

#[component]
fn RenameForm(app: AppView, renamed: bool) -> impl IntoView {
    let rename = ServerAction::<RenameApp>::new();
    view! {
        <section class="card">
            <h2>"Rename"</h2>
            <form method="post" action=RenameApp::url() class="form">
                <input type="hidden" name="app_id" value=app.app_id.to_string() />
                <CheckedInput label="Name" name="name" value=app.name.to_string() check=FieldCheck::AppName />
                <ActionError value=rename.value() />
                {renamed.then(|| view! { <p class="notice" role="status">"Renamed."</p> })}
                <button type="submit">"Rename"</button>
            </form>
        </section>
    }
}

/// Whether clients log in to the realtime gateway with an Auth Key and a
/// UID, or only with tokens the app's server issues.
#[component]
fn AuthKeyLoginForm(app: AppView) -> impl IntoView {
    let save = ServerAction::<SetAuthKeyLogin>::new();
    view! {
        <section class="card">
            <h2>"Realtime login"</h2>
            <p class="muted">
                "An auth token, issued by your server, always logs a client in. With this on, a client may also log in "
                "with an Auth Key and a UID, which is handy while building and risky in production: anyone holding the "
                "Auth Key can then connect as any user."
            </p>
            <form method="post" action=SetAuthKeyLogin::url() class="form">
                <input type="hidden" name="app_id" value=app.app_id.to_string() />
                <label>
                    <input type="checkbox" name="allowed" value="on" checked=app.auth_key_login />
                    " Let clients log in with an Auth Key and a UID"
                </label>
                <ActionError value=save.value() />
                <button type="submit">"Save"</button>
            </form>
        </section>
    }
}

#[component]
fn DeleteForm(app: AppView) -> impl IntoView {
    let delete = ServerAction::<DeleteApp>::new();
    view! {
        <section class="card danger-zone">
            <h2>"Delete this app"</h2>
            <p>"Its keys stop working at once and its App ID is never reused. Type the app's name to confirm."</p>
            <ActionForm action=delete attr:class="form">
                <input type="hidden" name="app_id" value=app.app_id.to_string() />
                <label for="typed_name">{format!("Type “{}”", app.name)}</label>
                <input id="typed_name" name="typed_name" autocomplete="off" required />
                <ActionError value=delete.value() />
                <button type="submit" class="danger">"Delete app"</button>
            </ActionForm>
        </section>
    }
}
