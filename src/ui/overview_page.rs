use leptos::prelude::*;

use super::{app_layout::use_app_id, daily_chart::DailyChart, error_notice::ErrorNotice, live_counts::LiveCountsCard};
use crate::domain::{ApiError, KeyRequestsView, OverviewView};

#[server]
pub async fn load_overview(app_id: String) -> Result<OverviewView, ApiError> {
    use crate::server::{auth::session::dashboard_app, service::overview};
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(overview::overview(&state.db, &caller, &app).await?)
}

/// How the app is used: its totals, new users and messages per day over
/// the last 30 days, and each key's REST requests per day.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let app_id = use_app_id();
    let overview = Resource::new(move || app_id.get(), load_overview);
    view! {
        <section class="overview-page">
            <LiveCountsCard app_id=app_id.get_untracked() />
            <Suspense fallback=|| view! { <p class="muted">"Loading the overview…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <Overview overview /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Overview(overview: OverviewView) -> impl IntoView {
    let series = |value: fn(&crate::domain::DayFigures) -> i64| -> Vec<(i64, i64)> {
        overview.days.iter().map(|d| (d.day, value(d))).collect()
    };
    let (new_users, messages) = (series(|d| d.new_users), series(|d| d.messages));
    let days: Vec<i64> = overview.days.iter().map(|d| d.day).collect();
    view! {
        <div class="totals">
            <Total label="Users" value=overview.users />
            <Total label="Active in the last 24 hours" value=overview.active_last_day />
            <Total label="Groups" value=overview.groups />
            <Total label="Messages" value=overview.messages />
        </div>
        <DailyChart caption="New users per day".into() days=new_users />
        <DailyChart caption="Messages per day".into() days=messages />
        <section class="card">
            <h2>"REST API requests per day, per key"</h2>
            <table class="key-requests">
                <thead><tr><th>"Key"</th><th>"Requests"</th></tr></thead>
                <tbody>
                    {overview.keys.into_iter().map(|key| view! { <KeyRequests key days=days.clone() /> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Total(label: &'static str, value: i64) -> impl IntoView {
    view! {
        <div class="total card">
            <span class="total-value" data-total=label>{value}</span>
            <span class="muted">{label}</span>
        </div>
    }
}

#[component]
fn KeyRequests(key: KeyRequestsView, days: Vec<i64>) -> impl IntoView {
    let per_day: Vec<(i64, i64)> = days.into_iter().zip(key.requests).collect();
    let row = key.prefix.clone();
    view! {
        <tr data-key=row>
            <td>{key.name} <br /> <code class="muted">{key.prefix}"…"</code> " " <span class="muted">{key.scope.label()}</span></td>
            <td><DailyChart caption="Requests".into() days=per_day small=true /></td>
        </tr>
    }
}
