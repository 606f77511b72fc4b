use std::time::Duration;

use leptos::prelude::*;

use crate::domain::{ApiError, LiveCounts};

/// How often the counts are read again while the page is open.
const REFRESH_EVERY: Duration = Duration::from_secs(3);

#[server]
pub async fn load_live_counts(app_id: String) -> Result<LiveCounts, ApiError> {
    use crate::server::{auth::session::dashboard_app, service::gateway};
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(gateway::live_counts(&state.db, &caller, &app).await?)
}

/// The app's realtime connections and online users, kept current without
/// a reload.
#[island(lazy)]
pub fn LiveCountsCard(app_id: String) -> impl IntoView {
    let (tick, set_tick) = signal(0_u64);
    // Effects run only in the browser: the server renders the first read.
    Effect::new(move |_| {
        let refresh = set_interval_with_handle(move || set_tick.update(|t| *t += 1), REFRESH_EVERY).ok();
        on_cleanup(move || {
            if let Some(refresh) = refresh {
                refresh.clear();
            }
        });
    });
    let counts = Resource::new(move || (app_id.clone(), tick.get()), |(app_id, _)| load_live_counts(app_id));
    let shown = move |counts: Option<Result<LiveCounts, ApiError>>| match counts {
        Some(Ok(LiveCounts { connections, online_users })) => (connections.to_string(), online_users.to_string()),
        _ => ("–".to_owned(), "–".to_owned()),
    };
    view! {
        <div class="totals live-counts" aria-live="polite">
            <Transition fallback=|| ()>
                {move || {
                    let (connections, online) = shown(counts.get());
                    view! {
                        <div class="total card">
                            <span class="total-value" data-total="Connections">{connections}</span>
                            <span class="muted">"Connections now"</span>
                        </div>
                        <div class="total card">
                            <span class="total-value" data-total="Online users">{online}</span>
                            <span class="muted">"Users online now"</span>
                        </div>
                    }
                }}
            </Transition>
        </div>
    }
}
