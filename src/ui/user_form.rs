use leptos::prelude::*;

use super::{
    checked_input::CheckedInput, error_notice::ActionError, metadata_editor::MetadataEditor, role_select::RoleSelect,
};
use leptos::server_fn::ServerFn;

#[cfg(feature = "ssr")]
use crate::domain::Uid;
use crate::domain::{ApiError, FieldCheck, RoleId, RoleView, UserView};

/// Creates a user, or with `update` saves an existing user's profile. An
/// empty optional field clears it. A new user's page opens once created.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn save_user(
    app_id: String,
    uid: String,
    name: String,
    role: String,
    #[server(default)] avatar: String,
    #[server(default)] link: String,
    #[server(default)] tags: String,
    #[server(default)] status_message: String,
    #[server(default)] metadata: String,
    #[server(default)] update: bool,
) -> Result<(), ApiError> {
    use crate::server::{
        auth::session::dashboard_app,
        service::users::{self, TypedUser, UserFields},
    };
    let uid = Uid::parse(&uid)?;
    let fields = UserFields::typed(TypedUser {
        name: &name,
        role: &role,
        avatar: &avatar,
        link: &link,
        tags: &tags,
        status_message: &status_message,
        metadata: &metadata,
    })?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    if update {
        users::update(&state.db, &caller, &app, &uid, fields).await?;
        crate::ui::outcome::keep(crate::domain::Outcome::UserSaved).await?;
    } else {
        users::create(&state.db, &caller, &app, uid.clone(), fields, None).await?;
        leptos_axum::redirect(&format!("/apps/{app_id}/users/{uid}"));
    }
    Ok(())
}

/// The profile fields of a user: empty for a new one, else `user`'s;
/// `saved` when the page came back from saving them.
#[component]
pub fn UserForm(
    app_id: String,
    user: Option<UserView>,
    roles: Resource<Result<Vec<RoleView>, ApiError>>,
    #[prop(optional)] saved: bool,
) -> impl IntoView {
    let save = ServerAction::<SaveUser>::new();
    let editing = user.is_some();
    let scope = if editing { "edit-user" } else { "new-user" };
    let shown = |pick: fn(&UserView) -> String| user.as_ref().map(pick).unwrap_or_default();
    let (uid, name, role, tags) = (
        shown(|u| u.uid.to_string()),
        shown(|u| u.name.clone()),
        shown(|u| u.role.to_string()),
        shown(|u| u.tags.join(", ")),
    );
    let status_message = shown(|u| u.status_message.clone().unwrap_or_default());
    let avatar = shown(|u| u.avatar.clone().unwrap_or_default());
    let link = shown(|u| u.link.clone().unwrap_or_default());
    let metadata = user.and_then(|u| u.metadata);
    view! {
        <form method="post" action=SaveUser::url() class="form user-form">
            <input type="hidden" name="app_id" value=app_id />
            {if editing {
                view! {
                    <input type="hidden" name="uid" value=uid />
                    <input type="hidden" name="update" value="true" />
                }
                    .into_any()
            } else {
                view! { <CheckedInput label="UID" name="uid" scope check=FieldCheck::Uid /> }.into_any()
            }}
            <CheckedInput label="Name" name="name" scope value=name check=FieldCheck::UserName />
            <label for=format!("{scope}-role")>"Role"</label>
            <RoleSelect roles name="role" id=if editing { "edit-user-role" } else { "new-user-role" } selected=if role.is_empty() { RoleId::DEFAULT.to_owned() } else { role } />
            <CheckedInput
                label="Tags (separated by commas)"
                name="tags"
                scope
                optional=true
                value=tags
                check=FieldCheck::Tags
            />
            <CheckedInput
                label="Status message"
                name="status_message"
                scope
                optional=true
                value=status_message
                check=FieldCheck::StatusMessage
            />
            <CheckedInput
                label="Avatar URL"
                name="avatar"
                kind="url"
                scope
                optional=true
                value=avatar
                check=FieldCheck::Avatar
            />
            <CheckedInput
                label="Link URL"
                name="link"
                kind="url"
                scope
                optional=true
                value=link
                check=FieldCheck::Link
            />
            <MetadataEditor id=format!("{scope}-metadata") value=metadata />
            <ActionError value=save.value() />
            {saved.then(|| view! { <p class="notice" role="status">"Saved."</p> })}
            <button type="submit">{if editing { "Save changes" } else { "Create user" }}</button>
        </form>
    }
}
