use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    app_layout::use_app_id,
    auto_submit::AutoSubmit,
    error_notice::ErrorNotice,
    group_badges::GroupTypeBadge,
    group_form::GroupForm,
    permitted::{Needs, Permitted, load_user_powers},
    timestamp::Timestamp,
};
use crate::domain::{ApiError, GroupType, GroupView, Page};

pub const PAGE_SIZE: i64 = 25;

/// A page of the app's groups: those whose name or GUID starts with
/// `search`, of one type or any (`group_type` empty).
#[server]
pub async fn list_groups(
    app_id: String,
    search: String,
    group_type: String,
    cursor: Option<String>,
) -> Result<Page<GroupView>, ApiError> {
    use crate::server::{
        auth::session::dashboard_app,
        service::{
            Paging,
            groups::{self, Acting, GroupQuery},
        },
    };
    let types = Some(group_type.trim()).filter(|t| !t.is_empty()).map(GroupType::parse).transpose()?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let query = GroupQuery {
        search: Some(search),
        types: types.into_iter().collect(),
        paging: Paging::after(PAGE_SIZE, cursor),
        ..GroupQuery::default()
    };
    Ok(groups::list(&state.db, &caller, &app, &Acting::App, query).await?)
}

/// The app's groups: search as you type on name or GUID, a type filter,
/// cursor paging, and a form for a new group.
#[component]
pub fn GroupsPage() -> impl IntoView {
    let app_id = use_app_id();
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let group_type = Memo::new(move |_| query.read().get("type").unwrap_or_default());
    let cursor = Memo::new(move |_| query.read().get("after"));
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    let page = Resource::new(
        move || (app_id.get(), search.get(), group_type.get(), cursor.get()),
        |(app_id, search, group_type, cursor)| list_groups(app_id, search, group_type, cursor),
    );
    view! {
        <section class="groups-page">
            <Permitted powers needs=Needs::Manage>
                <details class="card">
                    <summary>"New group"</summary>
                    <GroupForm app_id=app_id.get_untracked() group=None />
                </details>
            </Permitted>
            <GroupFilters search=search.get_untracked() group_type=group_type.get_untracked() />
            <Transition fallback=|| view! { <p class="muted">"Loading groups…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let base = format!("/apps/{}/groups", app_id.get_untracked());
                            let filter = filter_query(&search.get_untracked(), &group_type.get_untracked());
                            view! { <GroupTable page base filter /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn filter_query(search: &str, group_type: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in [("q", search), ("type", group_type)] {
        if !value.is_empty() {
            query.append_pair(key, value);
        }
    }
    query.finish()
}

/// The search and type filter: a GET form, so the list is in the address.
#[component]
fn GroupFilters(search: String, group_type: String) -> impl IntoView {
    let app_id = use_app_id();
    view! {
            <Form method="GET" action=move || format!("/apps/{}/groups", app_id.get()) replace=true noscroll=true>
                <AutoSubmit>
    <div class="filters" role="search">
                    <label class="search" for="group-search">
                        "Find a group by name or GUID"
                        <input
                            id="group-search"
                            type="search"
                            name="q"
                            value=search
                            placeholder="Start typing a name or a GUID"
                            autocomplete="off"
                        />
                    </label>
                    <label for="filter-type">
                        "Type"
                        <select id="filter-type" name="type">
                            <option value="" selected=group_type.is_empty()>"Any type"</option>
                            {GroupType::ALL
                                .iter()
                                .map(|t| view! { <option value=t.as_str() selected=t.as_str() == group_type>{t.label()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="secondary">"Apply"</button>
                </div>
                </AutoSubmit>
            </Form>
        }
}

#[component]
fn GroupTable(page: Page<GroupView>, base: String, filter: String) -> impl IntoView {
    let count = page.total_in_words("group", "groups");
    let first_page = if filter.is_empty() { base.clone() } else { format!("{base}?{filter}") };
    view! {
        <p class="muted count">{count}</p>
        <table class="groups">
            <thead>
                <tr><th>"GUID"</th><th>"Name"</th><th>"Type"</th><th>"Members"</th><th>"Created"</th></tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|group| view! { <GroupRow group base=base.clone() /> }).collect_view()}
            </tbody>
        </table>
        <nav class="paging">
            {page.next_cursor.map(|next| {
                let sep = if filter.is_empty() { "?" } else { "&" };
                view! { <a href=format!("{first_page}{sep}after={next}") class="older">"Next page"</a> }
            })}
            <a href=first_page class="newer">"First page"</a>
        </nav>
    }
}

#[component]
fn GroupRow(group: GroupView, base: String) -> impl IntoView {
    let guid = group.guid.to_string();
    let (href, row) = (format!("{base}/{guid}"), guid.clone());
    view! {
        <tr data-guid=row>
            <td><a href=href>{guid}</a></td>
            <td>{group.name}</td>
            <td><GroupTypeBadge group_type=group.group_type /></td>
            <td>{group.members_count}</td>
            <td><Timestamp at=Some(group.created_at) /></td>
        </tr>
    }
}
