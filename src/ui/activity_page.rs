use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{app_layout::use_app_id, error_notice::ErrorNotice, timestamp::Timestamp};
use crate::domain::{ApiError, AuditEntryView, AuditFilter, AuditPage, format_date};

/// A page of an app's audit log, or of the team's when `app_id` is empty,
/// of the entries `filter` lets through.
#[server]
pub async fn load_audit_page(
    #[server(default)] app_id: String,
    #[server(default)] filter: AuditFilter,
    before: Option<i64>,
) -> Result<AuditPage, ApiError> {
    use crate::server::{
        auth::session::{dashboard_app, dashboard_caller},
        service::audit::{self, AuditScope},
        state::AppState,
    };
    if app_id.is_empty() {
        let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
        return Ok(audit::list(&state.db, &caller, AuditScope::Team, &filter, before).await?);
    }
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(audit::list(&state.db, &caller, AuditScope::App(app.id), &filter, before).await?)
}

/// Every change to an app (under `/apps/:app_id`) or to the team (under
/// `/team`), newest first, a page at a time, filtered by who, what, on
/// what and when.
#[component]
pub fn ActivityPage() -> impl IntoView {
    let app_id = use_app_id();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let query = query.read();
        AuditFilter::from_params(|key| query.get(key)).map_err(ApiError::from)
    });
    let before = Memo::new(move |_| query.read().get("before").and_then(|b| b.parse::<i64>().ok()));
    let page = Resource::new(
        move || (app_id.get(), filter.get(), before.get()),
        |(app_id, filter, before)| async move { load_audit_page(app_id, filter?, before).await },
    );
    let here = move || match app_id.get() {
        app_id if app_id.is_empty() => "/team/activity".to_owned(),
        app_id => format!("/apps/{app_id}/activity"),
    };
    view! {
        <section class="activity-page">
            <AuditFilters filter=filter.get_untracked().unwrap_or_default() here=here() />
            <Transition fallback=|| view! { <p class="muted">"Loading activity…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let filter = filter.get_untracked().unwrap_or_default();
                            view! { <AuditTable page here=here() app_id=app_id.get_untracked() filter /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A plain GET form: the filter lives in the address.
#[component]
fn AuditFilters(filter: AuditFilter, here: String) -> impl IntoView {
    let day = |at: Option<i64>| at.map(format_date).unwrap_or_default();
    let clear = here.clone();
    view! {
        <form class="filters audit-filters" method="get" action=here>
            <label>"Who" <input name="actor" value=filter.actor.clone().unwrap_or_default() placeholder="ana@example.com" /></label>
            <label>"Action" <input name="action" value=filter.action.clone().unwrap_or_default() placeholder="user or user.create" /></label>
            <label>"Object" <input name="object" value=filter.object.clone().unwrap_or_default() placeholder="user:ana" /></label>
            <label>"From" <input name="from" type="date" value=day(filter.from) /></label>
            <label>"Until" <input name="until" type="date" value=day(filter.until) /></label>
            <button type="submit">"Filter"</button>
            {(!filter.is_empty()).then(|| view! { <a href=clear class="button secondary">"Clear"</a> })}
        </form>
    }
}

#[component]
fn AuditTable(page: AuditPage, here: String, app_id: String, filter: AuditFilter) -> impl IntoView {
    if page.entries.is_empty() {
        return view! { <p class="muted">"Nothing matches."</p> }.into_any();
    }
    let query = filter.to_query();
    let older = page.next.map(|next| {
        let joiner = if query.is_empty() { "" } else { "&" };
        format!("{here}?{query}{joiner}before={next}")
    });
    view! {
        <div class="table-scroll">
            <table class="activity">
                <thead>
                    <tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Object"</th><th>"Details"</th><th>"From"</th></tr>
                </thead>
                <tbody>
                    {page
                        .entries
                        .into_iter()
                        .map(|entry| view! { <AuditRow entry here=here.clone() app_id=app_id.clone() /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {older.map(|href| view! { <a href=href class="older">"Older"</a> })}
    }
    .into_any()
}

#[component]
fn AuditRow(entry: AuditEntryView, here: String, app_id: String) -> impl IntoView {
    let filtered = |key: &str, value: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new()).append_pair(key, value).finish();
        format!("{here}?{query}")
    };
    let (by_actor, by_action) = (filtered("actor", &entry.actor), filtered("action", &entry.action));
    let object = match object_page(&app_id, &entry.object) {
        Some(href) => view! { <a href=href>{entry.object.clone()}</a> }.into_any(),
        None => view! { <span>{entry.object.clone()}</span> }.into_any(),
    };
    view! {
        <tr>
            <td><Timestamp at=Some(entry.created_at) /></td>
            <td><a href=by_actor title="Only this actor's changes">{entry.actor}</a></td>
            <td><a href=by_action title="Only these changes"><code>{entry.action}</code></a></td>
            <td>{object}</td>
            <td><Details json=entry.details /></td>
            <td>{entry.ip.unwrap_or_default()}</td>
        </tr>
    }
}

/// The dashboard page of an object the log names (`user:ana`, `group:club`,
/// `operator:3`), where there is one.
fn object_page(app_id: &str, object: &str) -> Option<String> {
    let (kind, id) = object.split_once(':').unwrap_or((object, ""));
    let app = format!("/apps/{app_id}");
    let encoded = |id: &str| url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
    match (kind, app_id.is_empty()) {
        ("operator", _) | ("team", _) => Some("/team".to_owned()),
        (_, true) => None,
        ("user", false) => Some(format!("{app}/users/{}", encoded(id))),
        ("group", false) => Some(format!("{app}/groups/{}", encoded(id))),
        ("role", false) => Some(format!("{app}/roles")),
        ("apikey", false) => Some(app),
        ("users", false) => Some(format!("{app}/users")),
        ("groups", false) => Some(format!("{app}/groups")),
        _ if object == app_id => Some(format!("{app}/settings")),
        _ => None,
    }
}

/// An entry's details as names and values, not raw JSON.
#[component]
fn Details(json: String) -> impl IntoView {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(&json) else {
        return view! { <code class="details">{json}</code> }.into_any();
    };
    let shown: Vec<(String, String)> = fields
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, value)| {
            let value = match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            (name, value)
        })
        .collect();
    view! {
        <dl class="details">
            {shown.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
    }
    .into_any()
}
