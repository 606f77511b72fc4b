use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{app_layout::use_app_id, error_notice::ErrorNotice, timestamp::Timestamp};
use crate::domain::{ApiError, AuditEntryView, AuditPage};

/// A page of an app's audit log, or of the team's when `app_id` is empty.
#[server]
pub async fn load_audit_page(#[server(default)] app_id: String, before: Option<i64>) -> Result<AuditPage, ApiError> {
    use crate::server::{
        auth::session::{dashboard_app, dashboard_caller},
        service::audit::{self, AuditScope},
        state::AppState,
    };
    if app_id.is_empty() {
        let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
        return Ok(audit::list(&state.db, &caller, AuditScope::Team, before).await?);
    }
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(audit::list(&state.db, &caller, AuditScope::App(app.id), before).await?)
}

/// Every change to an app (under `/apps/:app_id`) or to the team (under
/// `/team`), newest first, a page at a time.
#[component]
pub fn ActivityPage() -> impl IntoView {
    let app_id = use_app_id();
    let query = use_query_map();
    let before = Memo::new(move |_| query.read().get("before").and_then(|b| b.parse::<i64>().ok()));
    let page = Resource::new(move || (app_id.get(), before.get()), |(app_id, before)| load_audit_page(app_id, before));
    view! {
        <section class="activity-page">
        <Transition fallback=|| view! { <p class="muted">"Loading activity…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let here = match app_id.get_untracked() {
                            app_id if app_id.is_empty() => "/team/activity".to_owned(),
                            app_id => format!("/apps/{app_id}/activity"),
                        };
                        view! { <AuditTable page here /> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        </section>
    }
}

#[component]
fn AuditTable(page: AuditPage, here: String) -> impl IntoView {
    view! {
        <table class="activity">
            <thead>
                <tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Object"</th><th>"Details"</th><th>"From"</th></tr>
            </thead>
            <tbody>
                {page.entries.into_iter().map(|entry| view! { <AuditRow entry /> }).collect_view()}
            </tbody>
        </table>
        {page.next.map(|next| view! {
            <a href=format!("{here}?before={next}") class="older">"Older"</a>
        })}
    }
}

#[component]
fn AuditRow(entry: AuditEntryView) -> impl IntoView {
    view! {
        <tr>
            <td><Timestamp at=Some(entry.created_at) /></td>
            <td>{entry.actor}</td>
            <td><code>{entry.action}</code></td>
            <td>{entry.object}</td>
            <td><code class="details">{entry.details}</code></td>
            <td>{entry.ip.unwrap_or_default()}</td>
        </tr>
    }
}
