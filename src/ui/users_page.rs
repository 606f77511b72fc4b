use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{
    app_layout::use_app_id,
    bulk_ticks::TickAll,
    error_notice::{ActionError, ErrorNotice},
    outcome::use_outcome,
    permitted::{Needs, Permitted, load_user_powers},
    roles_page::list_roles,
    timestamp::Timestamp,
    user_filters::UserFilters,
    user_form::UserForm,
    user_import::{UploadedImport, UserImport, take_uploaded_import},
    users_bulk_bar::{ChangeUsers, UsersBulkBar},
};
use crate::domain::{
    ApiError, ImportReport, Outcome, Powers, RoleView, SortOrder, UserFilter, UserSort, UserSummary, UserSummaryPage,
};

pub const PAGE_SIZE: i64 = 25;

/// A page of the app's users as `filter` picks and sorts them.
#[server]
pub async fn list_users(
    app_id: String,
    filter: UserFilter,
    cursor: Option<String>,
) -> Result<UserSummaryPage, ApiError> {
    use crate::server::{
        auth::session::dashboard_app,
        service::users::{self, UserQuery},
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(users::list(&state.db, &caller, &app, UserQuery::filtered(filter, PAGE_SIZE, cursor)).await?)
}

/// Finds a user among millions: search as you type on UID or name prefix,
/// filters and sorts that live in the address, cursor paging, bulk changes
/// to the ticked rows, and the same list as a CSV download.
#[component]
pub fn UsersPage() -> impl IntoView {
    let app_id = use_app_id();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let query = query.read();
        UserFilter::from_params(|key| query.get(key)).map_err(ApiError::from)
    });
    let cursor = Memo::new(move |_| query.read().get("after"));
    let change = ServerAction::<ChangeUsers>::new();
    let outcome = use_outcome();
    let roles = Resource::new(move || app_id.get(), list_roles);
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    // Back from an import: its report.
    let uploaded =
        query.read_untracked().get("imported").map(|_| Resource::new(move || app_id.get(), take_uploaded_import));
    let page = Resource::new(
        move || (app_id.get(), filter.get(), cursor.get()),
        |(app_id, filter, cursor, ..)| async move { list_users(app_id, filter?, cursor).await },
    );
    let shown = Signal::derive(move || filter.get().unwrap_or_default());
    view! {
        <section class="users-page">
            <UsersToolbar app_id filter=shown roles powers uploaded />
            <UserFilters filter=shown roles />
            <ActionError value=change.value() />
            <Transition>
                {move || Suspend::new(async move {
                    let powers = powers.await.unwrap_or_default();
                    let changed = match outcome.await {
                        Some(Outcome::UsersChanged(n)) => Some(n),
                        _ => None,
                    };
                    powers.moderate.then(|| view! {
                        <UsersBulkBar app_id=app_id.get_untracked() roles changed may_manage=powers.manage />
                    })
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    let may_tick = powers.await.is_ok_and(|p| p.moderate);
                    match page.await {
                        Ok(page) => {
                            let base = format!("/apps/{}/users", app_id.get_untracked());
                            view! { <UserTable page base filter=shown.get_untracked() may_tick /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// New user, import and export: what adds users or takes them out.
#[component]
fn UsersToolbar(
    app_id: Memo<String>,
    filter: Signal<UserFilter>,
    roles: Resource<Result<Vec<RoleView>, ApiError>>,
    powers: Resource<Result<Powers, ApiError>>,
    uploaded: Option<Resource<Result<Option<ImportReport>, ApiError>>>,
) -> impl IntoView {
    view! {
        <div class="toolbar">
            <Permitted powers needs=Needs::Manage>
                <details class="card">
                    <summary>"New user"</summary>
                    <UserForm app_id=app_id.get_untracked() user=None roles />
                </details>
                <UserImport app_id=app_id.get_untracked() />
            </Permitted>
            <a
                class="button secondary"
                download
                href=move || format!("/apps/{}/users.csv?{}", app_id.get(), filter.get().to_query())
            >
                "Export CSV"
            </a>
        </div>
        {uploaded.map(|uploaded| view! { <UploadedImport uploaded /> })}
    }
}

/// The users of one page, with boxes to tick them for a bulk change for
/// an operator who may change them.
#[component]
fn UserTable(page: UserSummaryPage, base: String, filter: UserFilter, may_tick: bool) -> impl IntoView {
    let count = page.total_in_words("user", "users");
    let query = filter.to_query();
    let first_page = if query.is_empty() { base.clone() } else { format!("{base}?{query}") };
    view! {
        <p class="muted count">{count}</p>
        <table class="users">
            <thead>
                <tr>
                {may_tick.then(|| view! { <th class="tick"><TickAll /></th> })}
                    {[UserSort::Uid, UserSort::Name]
                        .into_iter()
                        .map(|column| view! { <SortableHeader column filter=filter.clone() base=base.clone() /> })
                        .collect_view()}
                    <th>"Role"</th>
                    {[UserSort::CreatedAt, UserSort::LastActiveAt]
                        .into_iter()
                        .map(|column| view! { <SortableHeader column filter=filter.clone() base=base.clone() /> })
                        .collect_view()}
                    <th>"Status"</th>
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|user| view! { <UserRow user base=base.clone() may_tick /> }).collect_view()}
            </tbody>
        </table>
        <nav class="paging">
            {page.next_cursor.map(|next| {
                let sep = if query.is_empty() { "?" } else { "&" };
                view! { <a href=format!("{first_page}{sep}after={next}") class="older">"Next page"</a> }
            })}
            <a href=first_page class="newer">"First page"</a>
        </nav>
    }
}

/// A row's tick box. It belongs to the bulk bar's form, so the browser
/// sends the ticked UIDs with it.
#[component]
fn TickUser(uid: String) -> impl IntoView {
    let label = format!("Tick {uid}");
    view! {
        <td class="tick">
            <input type="checkbox" form="bulk-change" name="uids[]" value=uid aria-label=label />
        </td>
    }
}

/// A column heading that sorts the list on its column, and again the other way.
#[component]
fn SortableHeader(column: UserSort, filter: UserFilter, base: String) -> impl IntoView {
    let sorted = filter.sort == Some(column);
    let (arrow, aria) = match (sorted, filter.order) {
        (false, _) => ("", "none"),
        (true, SortOrder::Asc) => (" ▲", "ascending"),
        (true, SortOrder::Desc) => (" ▼", "descending"),
    };
    let href = format!("{base}?{}", filter.sorted_on(column).to_query());
    view! {
        <th aria-sort=aria>
            <a href=href class="sort">{column.label()}{arrow}</a>
        </th>
    }
}

#[component]
fn UserRow(user: UserSummary, base: String, may_tick: bool) -> impl IntoView {
    let deactivated = user.deactivated_at.is_some();
    let uid = user.uid.to_string();
    let href = format!("{base}/{uid}");
    let (label, tick_uid) = (uid.clone(), uid.clone());
    view! {
        <tr class:disabled=deactivated data-uid=uid>
            {may_tick.then(|| view! { <TickUser uid=tick_uid /> })}
            <td><a href=href>{label}</a></td>
            <td>{user.name}</td>
            <td><span class="badge">{user.role.to_string()}</span></td>
            <td><Timestamp at=Some(user.created_at) /></td>
            <td><Timestamp at=user.last_active_at /></td>
            <td>{if deactivated { "Deactivated".to_owned() } else { user.status }}</td>
        </tr>
    }
}
