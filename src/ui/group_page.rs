use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{
    app_layout::use_app_id,
    confirmed_submit::ConfirmedSubmit,
    error_notice::{ActionError, ErrorNotice},
    group_badges::GroupTypeBadge,
    group_bans::GroupBans,
    group_form::{GroupForm, SaveGroup},
    group_members::{ChangeMembers, GroupMembers},
    outcome::use_outcome,
    permitted::load_user_powers,
    timestamp::Timestamp,
};
use crate::domain::{ApiError, GroupView, Powers};

#[server]
pub async fn load_group(app_id: String, guid: String) -> Result<GroupView, ApiError> {
    use crate::domain::Guid;
    use crate::server::{
        auth::session::dashboard_app,
        service::groups::{self, Acting},
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(groups::get(&state.db, &caller, &app, &Acting::App, &Guid::parse(&guid)?).await?)
}

/// Deletes the group with its members and bans, once the box is ticked.
#[server]
pub async fn delete_group(
    app_id: String,
    guid: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::Guid;
    use crate::server::{
        auth::session::dashboard_app,
        service::groups::{self, Acting},
    };
    use crate::ui::confirmed_submit::require_confirmation;
    require_confirmation(&confirm, "delete this group for good")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    groups::delete(&state.db, &caller, &app, &Acting::App, &Guid::parse(&guid)?).await?;
    leptos_axum::redirect(&format!("/apps/{app_id}/groups"));
    Ok(())
}

/// One group: what it is, its members with their scopes, and who is banned
/// from it. Developers edit, delete and add members; support staff kick,
/// ban and unban; viewers read.
#[component]
pub fn GroupPage() -> impl IntoView {
    let app_id = use_app_id();
    let params = use_params_map();
    let guid = Memo::new(move |_| params.read().get("guid").unwrap_or_default());
    let save = ServerAction::<SaveGroup>::new();
    let change = ServerAction::<ChangeMembers>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    let outcome = use_outcome();
    let group = Resource::new(move || (app_id.get(), guid.get()), |(app_id, guid)| load_group(app_id, guid));
    view! {
        <section class="group-page">
            <Transition fallback=|| view! { <p class="muted">"Loading the group…"</p> }>
                {move || Suspend::new(async move {
                    let powers = powers.await.unwrap_or_default();
                    match group.await {
                        Ok(group) => view! { <GroupSummary group app_id=app_id.get_untracked() powers save delete /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <GroupMembers app_id guid powers change outcome />
            <GroupBans app_id guid powers />
        </section>
    }
}

#[component]
fn GroupSummary(
    group: GroupView,
    app_id: String,
    powers: Powers,
    save: ServerAction<SaveGroup>,
    delete: ServerAction<DeleteGroup>,
) -> impl IntoView {
    let guid = group.guid.to_string();
    let (shown_guid, delete_guid) = (guid.clone(), guid.clone());
    let delete_app = app_id.clone();
    view! {
        <section class="card">
            <h2>{group.name.clone()} " " <code>{shown_guid}</code></h2>
            <dl class="profile">
                <dt>"Type"</dt><dd><GroupTypeBadge group_type=group.group_type /></dd>
                <dt>"Owner"</dt><dd>{group.owner.as_ref().map_or_else(|| "—".to_owned(), ToString::to_string)}</dd>
                <dt>"Members"</dt><dd class="members-count">{group.members_count}</dd>
                <dt>"Description"</dt><dd>{group.description.clone().unwrap_or_default()}</dd>
                <dt>"Tags"</dt><dd>{group.tags.join(", ")}</dd>
                <dt>"Created"</dt><dd><Timestamp at=Some(group.created_at) /></dd>
            </dl>
            {powers.manage.then(|| view! {
                <details class="edit">
                    <summary>"Edit group"</summary>
                    <GroupForm app_id group=Some(group) save />
                </details>
                <ActionForm action=delete attr:class="inline delete-group">
                    <input type="hidden" name="app_id" value=delete_app />
                    <input type="hidden" name="guid" value=delete_guid />
                    <ConfirmedSubmit consequence="Delete this group, its members and bans for good" button="Delete group" />
                </ActionForm>
            })}
            <ActionError value=delete.value() />
        </section>
    }
}
