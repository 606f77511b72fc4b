use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use super::{app_layout::use_app_id, error_notice::ErrorNotice, timestamp::Timestamp};
use crate::domain::{ApiError, UserListPage, UserView};

/// A page of the app's users whose UID or name starts with `search`.
#[server]
pub async fn search_users(
    app_id: String,
    #[server(default)] search: String,
    cursor: Option<String>,
) -> Result<UserListPage, ApiError> {
    use crate::domain::AppId;
    use crate::server::{
        auth::session::dashboard_caller,
        service::{
            apps,
            users::{self, Deactivated, SearchIn, UserOrder, UserQuery},
        },
        state::AppState,
    };
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    let app = apps::get(&state.db, &caller, &AppId::parse(&app_id)?).await?;
    let query = UserQuery {
        search: Some(search),
        search_in: SearchIn::Either,
        roles: Vec::new(),
        tags: Vec::new(),
        friends_of: None,
        status: None,
        deactivated: Deactivated::Include,
        order: UserOrder::Match,
        descending: false,
        per_page: 25,
        page: None,
        cursor,
    };
    let page = users::list(&state.db, &caller, &app, query).await?;
    Ok(UserListPage {
        users: page.users,
        total: page.total,
        total_is_exact: page.total_is_exact,
        next_cursor: page.next_cursor,
    })
}

/// Finds a user among millions: search as you type on UID or name prefix,
/// then page on by cursor. The search is a plain GET form, so it works
/// without JavaScript too.
#[component]
pub fn UsersPage() -> impl IntoView {
    let app_id = use_app_id();
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let cursor = Memo::new(move |_| query.read().get("after"));
    let page = Resource::new(
        move || (app_id.get(), search.get(), cursor.get()),
        |(app_id, search, cursor)| search_users(app_id, search, cursor),
    );
    let navigate = use_navigate();
    let search_as_you_type = move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev);
        navigate(&format!("?q={}", encode(&typed)), NavigateOptions { replace: true, ..Default::default() });
    };
    view! {
        <section class="users-page">
            <form method="get" class="search" role="search" on:submit=|ev| ev.prevent_default()>
                <label for="user-search">"Find a user by UID or name"</label>
                <input
                    id="user-search"
                    type="search"
                    name="q"
                    value=search.get_untracked()
                    placeholder="Start typing a UID or a name"
                    autocomplete="off"
                    on:input=search_as_you_type
                />
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let base = format!("/apps/{}/users", app_id.get_untracked());
                            view! { <UserTable page base search=search.get_untracked() /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UserTable(page: UserListPage, base: String, search: String) -> impl IntoView {
    let count =
        if page.total_is_exact { format!("{} users", page.total) } else { format!("more than {} users", page.total) };
    view! {
        <p class="muted count">{count}</p>
        <table class="users">
            <thead>
                <tr><th>"UID"</th><th>"Name"</th><th>"Role"</th><th>"Created"</th><th>"Last active"</th><th>"Status"</th></tr>
            </thead>
            <tbody>
                {page.users.into_iter().map(|user| view! { <UserRow user base=base.clone() /> }).collect_view()}
            </tbody>
        </table>
        {page.next_cursor.map(|next| view! {
            <A href=format!("{base}?q={}&after={next}", encode(&search)) attr:class="older">"Next page"</A>
        })}
    }
}

#[component]
fn UserRow(user: UserView, base: String) -> impl IntoView {
    let deactivated = user.deactivated_at.is_some();
    let uid = user.uid.to_string();
    let href = format!("{base}/{uid}");
    let label = uid.clone();
    view! {
        <tr class:disabled=deactivated data-uid=uid>
            <td><A href=href>{label}</A></td>
            <td>{user.name}</td>
            <td><span class="badge">{user.role.to_string()}</span></td>
            <td><Timestamp at=Some(user.created_at) /></td>
            <td><Timestamp at=user.last_active_at /></td>
            <td>{if deactivated { "Deactivated".to_owned() } else { user.status }}</td>
        </tr>
    }
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
