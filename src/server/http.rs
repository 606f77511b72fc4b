//! Assembles the one router serving the dashboard, `/v3` and the probes,
//! and runs it until SIGTERM or Ctrl-C, finishing requests in flight.

use std::{
    net::SocketAddr,
    sync::{Arc, LazyLock},
    time::Duration,
};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{Method, StatusCode},
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::sync::Semaphore;
use tower_http::trace::TraceLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use super::{
    api, assets,
    auth::{
        password::PasswordChecks,
        session::{SESSION_IDLE, SessionBackend},
        two_factor_gate,
    },
    client_address,
    config::Config,
    csv,
    db::Db,
    gateway::Gateway,
    security,
    service::sign_in,
    state::AppState,
};
use crate::app::{App, shell};

/// The one router, and the realtime gateway behind it, which stops with it.
pub struct Switchboard {
    pub router: Router,
    pub gateway: Gateway,
}

/// The dashboard's routes, listed once per process. Listing them runs the
/// whole app with resource loading switched off for the process (a global
/// flag in leptos_server); a resource first polled meanwhile, by a page
/// being served from another app in the same process, waited forever. A
/// second app in one process (the integration tests run many) hung a page
/// that way now and then.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

pub async fn app(db: Db, config: Config, mut leptos_options: LeptosOptions) -> anyhow::Result<Switchboard> {
    assets::settle_names(&mut leptos_options);
    let sessions = SessionBackend::for_db(&db).await?;
    spawn_hourly_sweeper(sessions.clone(), db.clone());
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("switchboard_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    let gateway = Gateway::start(db.clone(), config.ping_timeout).await?;
    let passwords = PasswordChecks::new(config.password_checks);
    let proxies = Arc::new(config.trusted_proxies.clone());
    let config = Arc::new(config);
    let state = AppState {
        db,
        config: config.clone(),
        leptos_options,
        gateway: gateway.clone(),
        passwords,
        outcomes: Default::default(),
    };
    let options = state.leptos_options.clone();
    let router = Router::new()
        .leptos_routes_with_context(
            &state,
            ROUTES.clone(),
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            move || shell(options.clone()),
        )
        // The gate reads the session's operator inside the page's turn: the
        // turns also keep the database's connections from being crowded.
        .route_layer(middleware::from_fn_with_state(state.clone(), two_factor_gate::gate))
        .route_layer(middleware::from_fn_with_state(page_turns(), pages_in_turn))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .nest("/v3", api::router())
        .nest("/pkg", assets::bundle(&state.leptos_options))
        .route("/apps/{app_id}/users.csv", get(csv::export))
        .route(
            "/apps/{app_id}/users/import",
            post(csv::import_form).layer(DefaultBodyLimit::max(csv::MAX_IMPORT_BYTES + FORM_OVERHEAD)),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(session_layer)
        .layer(assets::compression())
        .layer(middleware::from_fn_with_state(config.clone(), security::same_origin_only))
        .layer(middleware::from_fn_with_state(config, security::headers))
        .layer(middleware::from_fn_with_state(proxies, client_address::client_address))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    Ok(Switchboard { router, gateway })
}

/// Room in an upload's body for the form around its file.
const FORM_OVERHEAD: usize = 64 * 1024;

/// Dashboard pages rendered at once, per core. Rendering is CPU work: pages
/// that all share the cores all finish late. Pages past these wait their
/// turn, first come first served, and then render at full speed; there are
/// still enough at once that while one waits for the database, another has
/// the core.
const PAGES_AT_ONCE_PER_CORE: usize = 2;

/// The turns that dashboard pages take: see [`pages_in_turn`].
fn page_turns() -> Arc<Semaphore> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Arc::new(Semaphore::new(PAGES_AT_ONCE_PER_CORE * cores))
}

/// Renders a page (a GET) once it has one of `turns`; server functions,
/// which the browser calls for data and changes, go straight through.
async fn pages_in_turn(State(turns): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    // The semaphore is never closed, so a turn always comes.
    let _turn = turns.acquire().await;
    next.run(request).await
}

/// How long readiness waits for the database: a probe must hear back
/// well before its own timeout, and a request's wait is much longer.
const READY_WITHIN: Duration = Duration::from_secs(2);

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(READY_WITHIN, state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

/// Deletes expired sessions, and sign-in counts and devices that have run
/// their course, every hour.
fn spawn_hourly_sweeper(sessions: SessionBackend, db: Db) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            if let Err(err) = sessions.delete_expired().await {
                tracing::warn!(%err, "could not delete expired sessions");
            }
            if let Err(err) = sign_in::sweep(&db).await {
                tracing::warn!(%err, "could not forget old sign-in counts");
            }
        }
    });
}

/// Serves until SIGTERM or Ctrl-C; then finishes the requests in flight and
/// closes the realtime connections, noting their users gone.
pub async fn serve(app: Switchboard, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app.router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    app.gateway.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Requests in progress, and the most there were at once.
    #[derive(Default)]
    struct InProgress {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    async fn take_a_while(State(progress): State<Arc<InProgress>>) {
        let now = progress.now.fetch_add(1, Ordering::SeqCst) + 1;
        progress.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        progress.now.fetch_sub(1, Ordering::SeqCst);
    }

    /// Sends twelve requests at once to a server whose pages take three
    /// turns; answers the most that were in progress together.
    async fn most_at_once(method: Method) -> usize {
        let progress = Arc::new(InProgress::default());
        let router = Router::new()
            .route("/page", get(take_a_while).post(take_a_while))
            .route_layer(middleware::from_fn_with_state(Arc::new(Semaphore::new(3)), pages_in_turn))
            .with_state(progress.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/page", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let client = reqwest::Client::new();
        let answers = futures::future::join_all((0..12).map(|_| client.request(method.clone(), &url).send())).await;
        for answer in answers {
            assert!(answer.unwrap().status().is_success());
        }
        progress.most.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn pages_render_a_few_at_once_and_the_rest_wait_their_turn() {
        assert_eq!(most_at_once(Method::GET).await, 3);
    }

    #[tokio::test]
    async fn server_functions_do_not_wait_for_a_turn() {
        assert!(most_at_once(Method::POST).await > 3);
    }
}
