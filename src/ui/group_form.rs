use leptos::prelude::*;

use super::{checked_input::CheckedInput, error_notice::ActionError};
use crate::domain::{ApiError, FieldCheck, GroupType, GroupView};
#[cfg(feature = "ssr")]
use crate::domain::{GroupPassword, Guid, parse_description, parse_group_name, parse_tag_list};

/// Creates a group and opens its page, or with `update` saves an existing
/// one's fields. A blank password keeps a password group's password.
#[server]
pub async fn save_group(
    app_id: String,
    guid: String,
    name: String,
    group_type: GroupType,
    #[server(default)] password: String,
    #[server(default)] description: String,
    #[server(default)] tags: String,
    #[server(default)] update: bool,
) -> Result<(), ApiError> {
    use crate::server::{
        auth::session::dashboard_app,
        service::groups::{self, Acting, GroupFields, NewGroup},
    };
    let guid = Guid::parse(&guid)?;
    let description = parse_description(&description)?;
    let fields = GroupFields {
        name: Some(parse_group_name(&name)?),
        group_type: Some(group_type),
        password: Some(password).filter(|p| !p.is_empty()).as_deref().map(GroupPassword::parse).transpose()?,
        icon: None,
        description: Some(Some(description).filter(|d| !d.is_empty())),
        metadata: None,
        tags: Some(parse_tag_list(&tags)?),
        owner: None,
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    if update {
        groups::update(&state.db, &state.passwords, &caller, &app, &Acting::App, &guid, fields).await?;
    } else {
        let new = NewGroup { guid: guid.clone(), fields, owner: None, members: Default::default() };
        groups::create(&state.db, &state.passwords, &caller, &app, &Acting::App, new).await?;
        leptos_axum::redirect(&format!("/apps/{app_id}/groups/{guid}"));
    }
    Ok(())
}

/// Creates a group, or edits `group`. The password field is there only
/// while the type chosen is "password".
#[component]
pub fn GroupForm(
    app_id: String,
    group: Option<GroupView>,
    #[prop(optional)] save: Option<ServerAction<SaveGroup>>,
) -> impl IntoView {
    let save = save.unwrap_or_default();
    let editing = group.is_some();
    let (guid, name, group_type, description, tags) = match &group {
        Some(g) => (
            g.guid.to_string(),
            g.name.clone(),
            g.group_type,
            g.description.clone().unwrap_or_default(),
            g.tags.join(", "),
        ),
        None => (String::new(), String::new(), GroupType::Public, String::new(), String::new()),
    };
    let scope = if editing { format!("group-{guid}") } else { "new-group".to_owned() };
    let had_password = group_type == GroupType::Password;
    view! {
        <ActionForm action=save attr:class="form group-form">
            <input type="hidden" name="app_id" value=app_id />
            {if editing {
                view! {
                    <input type="hidden" name="guid" value=guid />
                    <input type="hidden" name="update" value="true" />
                }
                    .into_any()
            } else {
                view! { <CheckedInput label="GUID" name="guid" scope="new-group" check=FieldCheck::Guid /> }.into_any()
            }}
            <CheckedInput label="Name" name="name" scope=scope.clone() value=name check=FieldCheck::GroupName />
            <GroupTypeField scope=scope.clone() group_type had_password />
            <CheckedInput
                label="Description"
                name="description"
                scope=scope.clone()
                value=description
                optional=true
                check=FieldCheck::Description
            />
            <CheckedInput
                label="Tags (separated by commas)"
                name="tags"
                scope=scope.clone()
                value=tags
                optional=true
                check=FieldCheck::Tags
            />
            <ActionError value=save.value() />
            <button type="submit">{if editing { "Save group" } else { "Create group" }}</button>
        </ActionForm>
    }
}

/// The group's type, and its password field while the type chosen is
/// "password".
#[island(lazy)]
fn GroupTypeField(scope: String, group_type: GroupType, had_password: bool) -> impl IntoView {
    let chosen = RwSignal::new(group_type);
    view! {
        <label for=format!("{scope}-type")>"Type"</label>
        <select
            id=format!("{scope}-type")
            name="group_type"
            on:change=move |ev| {
                if let Ok(picked) = GroupType::parse(&event_target_value(&ev)) {
                    chosen.set(picked);
                }
            }
        >
            {GroupType::ALL
                .iter()
                .map(|t| view! { <option value=t.as_str() selected=*t == group_type>{t.label()}</option> })
                .collect_view()}
        </select>
        {move || (chosen.get() == GroupType::Password).then(|| {
            view! {
                <CheckedInput
                    label=if had_password { "New password (blank keeps the current one)" } else { "Password" }
                    name="password"
                    kind="password"
                    scope=scope.clone()
                    autocomplete="new-password"
                    optional=had_password
                    check=FieldCheck::GroupPassword
                />
            }
        })}
    }
}
