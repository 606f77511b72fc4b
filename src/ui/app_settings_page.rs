use leptos::prelude::*;

use super::{
    app_layout::{get_app, use_app_id},
    checked_input::CheckedInput,
    error_notice::ActionError,
};
use crate::domain::{ApiError, AppName, AppView};

#[server]
pub async fn rename_app(app_id: String, name: String) -> Result<(), ApiError> {
    use crate::domain::AppId;
    use crate::server::{auth::session::dashboard_caller, service::apps, state::AppState};
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    apps::rename(&state.db, &caller, &AppId::parse(&app_id)?, AppName::parse(&name)?).await?;
    Ok(())
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
    view! {
        <section class="settings-page">
            <Suspense>
                {move || Suspend::new(async move {
                    app.await.ok().map(|app| view! {
                        <RenameForm app=app.clone() />
                        <DeleteForm app />
                    })
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RenameForm(app: AppView) -> impl IntoView {
    let rename = ServerAction::<RenameApp>::new();
    view! {
        <section class="card">
            <h2>"Rename"</h2>
            <ActionForm action=rename attr:class="form">
                <input type="hidden" name="app_id" value=app.app_id.to_string() />
                <CheckedInput label="Name" name="name" value=app.name.to_string() check=|v| AppName::parse(v).map(|_| ()) />
                <ActionError value=rename.value() />
                {move || matches!(rename.value().get(), Some(Ok(()))).then(|| view! { <p class="notice">"Renamed."</p> })}
                <button type="submit">"Rename"</button>
            </ActionForm>
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
