use leptos::prelude::*;

use super::{
    app_layout::use_app_id,
    checked_input::CheckedInput,
    confirmed_submit::ConfirmedSubmit,
    error_notice::{ActionError, ErrorNotice},
    metadata_editor::MetadataEditor,
    permitted::{Needs, Permitted, load_user_powers},
    timestamp::Timestamp,
};
use crate::domain::{ApiError, FieldCheck, Reach, RoleView};
#[cfg(feature = "ssr")]
use crate::domain::{RoleId, parse_description, parse_role_name};

#[server]
pub async fn list_roles(app_id: String) -> Result<Vec<RoleView>, ApiError> {
    use crate::server::{auth::session::dashboard_app, service::roles};
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(roles::list(&state.db, &caller, &app).await?)
}

/// Creates a role, or with `update` saves an existing one's fields.
#[server]
pub async fn save_role(
    app_id: String,
    role: String,
    name: String,
    #[server(default)] description: String,
    #[server(default)] metadata: String,
    list_users: String,
    send_messages_to: String,
    #[server(default)] update: bool,
) -> Result<(), ApiError> {
    use crate::domain::parse_metadata;
    use crate::server::{
        auth::session::dashboard_app,
        service::roles::{self, RoleFields},
    };
    let role = RoleId::parse(&role)?;
    let fields = RoleFields {
        name: Some(parse_role_name(&name)?),
        description: Some(parse_description(&description)?),
        metadata: Some(parse_metadata(&metadata)?),
        list_users: Some(Reach::parse(&list_users)?),
        send_messages_to: Some(Reach::parse(&send_messages_to)?),
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    if update {
        roles::update(&state.db, &caller, &app, &role, fields).await?;
    } else {
        roles::create(&state.db, &caller, &app, role, fields).await?;
    }
    Ok(())
}

#[server]
pub async fn delete_role(
    app_id: String,
    role: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_app, service::roles};
    crate::ui::confirmed_submit::require_confirmation(&confirm, "delete the role")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    roles::delete(&state.db, &caller, &app, &RoleId::parse(&role)?).await?;
    Ok(())
}

/// The roles an app gives its users: `default`, which every user starts
/// with and which cannot go, and up to 24 more.
#[component]
pub fn RolesPage() -> impl IntoView {
    let app_id = use_app_id();
    let save = ServerAction::<SaveRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let roles = Resource::new(move || app_id.get(), list_roles);
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    view! {
        <section class="roles-page">
            <ActionError value=delete.value() />
            <Transition fallback=|| view! { <p class="muted">"Loading roles…"</p> }>
                {move || Suspend::new(async move {
                    let may_change = powers.await.is_ok_and(|p| p.manage);
                    match roles.await {
                        Ok(roles) => {
                            view! { <RoleTable roles app_id=app_id.get_untracked() may_change save delete /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <Permitted powers needs=Needs::Manage>
                <section class="card">
                    <h2>"New role"</h2>
                    <RoleForm app_id=app_id.get_untracked() role=None save />
                </section>
            </Permitted>
        </section>
    }
}

#[component]
fn RoleTable(
    roles: Vec<RoleView>,
    app_id: String,
    may_change: bool,
    save: ServerAction<SaveRole>,
    delete: ServerAction<DeleteRole>,
) -> impl IntoView {
    view! {
        <table class="roles">
            <thead>
                <tr>
                    <th>"Role"</th><th>"Name"</th><th>"Description"</th><th>"Lists"</th><th>"Writes to"</th>
                    <th>"Updated"</th><th></th>
                </tr>
            </thead>
            <tbody>
                {roles
                    .into_iter()
                    .map(|role| view! { <RoleRow role app_id=app_id.clone() may_change save delete /> })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn RoleRow(
    role: RoleView,
    app_id: String,
    may_change: bool,
    save: ServerAction<SaveRole>,
    delete: ServerAction<DeleteRole>,
) -> impl IntoView {
    let id = role.role.to_string();
    let deletable = may_change && !role.role.is_default();
    let (row_id, shown_id) = (id.clone(), id.clone());
    view! {
        <tr data-role=row_id>
            <td><code>{shown_id}</code></td>
            <td>{role.name.clone()}</td>
            <td>{role.description.clone()}</td>
            <td>{reach_label(role.settings.list_users)}</td>
            <td>{reach_label(role.settings.send_messages_to)}</td>
            <td><Timestamp at=Some(role.updated_at) /></td>
            <td class="row-actions">
                {may_change.then(|| view! {
                    <details class="edit">
                        <summary>"Edit"</summary>
                        <RoleForm app_id=app_id.clone() role=Some(role) save />
                    </details>
                })}
                {deletable.then(|| view! {
                    <details class="confirmed-action">
                        <summary>"Delete"</summary>
                        <ActionForm action=delete attr:class="form">
                            <input type="hidden" name="app_id" value=app_id />
                            <input type="hidden" name="role" value=id />
                            <ConfirmedSubmit consequence="The role goes for good" button="Delete role" />
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}

/// Creates a role, or edits `role`.
#[component]
fn RoleForm(app_id: String, role: Option<RoleView>, save: ServerAction<SaveRole>) -> impl IntoView {
    let editing = role.is_some();
    let (id, name, description, metadata) = match &role {
        Some(r) => (r.role.to_string(), r.name.clone(), r.description.clone(), r.metadata.clone()),
        None => Default::default(),
    };
    let settings = role.as_ref().map(|r| r.settings).unwrap_or_default();
    let scope = if editing { format!("role-{id}") } else { "new-role".to_owned() };
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="app_id" value=app_id />
            {if editing {
                view! {
                    <input type="hidden" name="role" value=id />
                    <input type="hidden" name="update" value="true" />
                }
                    .into_any()
            } else {
                view! { <CheckedInput label="Role id" name="role" scope="new-role" check=FieldCheck::RoleId /> }.into_any()
            }}
            <CheckedInput label="Name" name="name" scope=scope.clone() value=name check=FieldCheck::RoleName />
            <CheckedInput
                label="Description"
                name="description"
                scope=scope.clone()
                value=description
                optional=true
                check=FieldCheck::Description
            />
            <ReachSelect label="Lists" name="list_users" chosen=settings.list_users />
            <ReachSelect label="Writes to" name="send_messages_to" chosen=settings.send_messages_to />
            <MetadataEditor id=format!("{scope}-metadata") value=metadata />
            <ActionError value=save.value() />
            <button type="submit">{if editing { "Save role" } else { "Create role" }}</button>
        </ActionForm>
    }
}

fn reach_label(reach: Reach) -> &'static str {
    match reach {
        Reach::All => "Everyone",
        Reach::FriendsOnly => "Friends only",
    }
}

/// One of a role's settings: everyone, or friends only.
#[component]
fn ReachSelect(label: &'static str, name: &'static str, chosen: Reach) -> impl IntoView {
    view! {
        <label>
            {label}
            <select name=name>
                {Reach::ALL
                    .iter()
                    .map(|&reach| view! { <option value=reach.as_str() selected=reach == chosen>{reach_label(reach)}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}
