//! Dashboard sessions: tower-sessions, stored in the app's own database so
//! they survive restarts and are shared by every server process.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;
use axum::{extract::FromRequestParts, http::request::Parts};
use tokio::sync::OnceCell;
use tower_sessions::{
    CachingSessionStore, Session, SessionStore,
    session::{Id, Record},
    session_store,
};
use tower_sessions_moka_store::MokaStore;

use super::{Actor, Caller};
use crate::domain::{AppId, OperatorView};
use crate::server::{
    Error, Result,
    db::{Db, SessionRows},
    service,
    service::{
        apps::App,
        operator_sessions::{self, Origin, SignedIn as SignedInRow},
    },
    state::AppState,
};

/// The session's key, whose row in `operator_sessions` says who is signed
/// in (see `service::operator_sessions`).
const SESSION_KEY: &str = "session_key";

/// The operator whose password was right and whose second factor is asked
/// for next, and until when.
const PENDING_SECOND_FACTOR: &str = "second_factor_pending";

/// How long the second factor may be asked for after the password.
const SECOND_FACTOR_WITHIN: i64 = 300;

/// Dashboard sessions last a week of inactivity.
pub const SESSION_IDLE: time::Duration = time::Duration::seconds(operator_sessions::SESSION_IDLE_SECONDS);

/// A session in use is saved again, for a fresh week and with its cookie
/// sent again, on its first request a day or more after it was last saved:
/// often enough that only a week without use ends it, and not a write for
/// every page. (The session layer saves a session only when it changes.)
const RENEW_AFTER: time::Duration = time::Duration::days(1);

/// Marks a session, as loaded, for renewal (see [`renew_if_due`]).
const RENEW: &str = "renew";

/// Sessions a process keeps in memory: one per browser signed in to it.
const SESSIONS_IN_MEMORY: u64 = 10_000;

/// The session store for whichever database is in use. Sessions are
/// saved in the database, and each process keeps those it has read or
/// written in memory, so that a page does not read its session row. The
/// row stays the truth: the read of the signed-in operator checks that it
/// is still saved and unexpired (see [`operator_on`]), so signing out on
/// one process ends the session on every one.
#[derive(Debug, Clone)]
pub struct SessionBackend {
    sessions: CachingSessionStore<MokaStore, SessionRows>,
    saved: SessionRows,
}

impl SessionBackend {
    pub async fn for_db(db: &Db) -> sqlx::Result<Self> {
        let saved = db.session_rows().await?;
        let sessions = CachingSessionStore::new(MokaStore::new(Some(SESSIONS_IN_MEMORY)), saved.clone());
        Ok(SessionBackend { sessions, saved })
    }

    pub async fn delete_expired(&self) -> session_store::Result<()> {
        self.saved.delete_expired().await
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.sessions.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.sessions.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.sessions.load(id).await?.map(marked_if_due_for_renewal))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.sessions.delete(id).await
    }
}

/// Only the store sees when a session was last saved: its expiry, less
/// [`SESSION_IDLE`].
fn marked_if_due_for_renewal(mut record: Record) -> Record {
    let saved_at = record.expiry_date - SESSION_IDLE;
    if time::OffsetDateTime::now_utc() - saved_at >= RENEW_AFTER {
        record.data.insert(RENEW.to_owned(), serde_json::Value::Bool(true));
    }
    record
}

/// Takes the renewal mark off a session that has it, which changes the
/// session: the session layer then saves it for a fresh week.
async fn renew_if_due(session: &Session) -> Result<()> {
    // Removing marks the session changed even when there was nothing to remove.
    if session.get::<bool>(RENEW).await.map_err(session_failed)?.is_some() {
        session.remove::<bool>(RENEW).await.map_err(session_failed)?;
    }
    Ok(())
}

/// Keeps `value` in the session for the next page to show once: what a
/// plain form post did, since its answer is a redirect back to a page.
pub async fn keep_for_next_page<T: serde::Serialize + Send + Sync>(
    session: &Session,
    key: &str,
    value: T,
) -> Result<()> {
    session.insert(key, value).await.map_err(session_failed)
}

/// What [`keep_for_next_page`] kept under `key`, taken out of the session.
pub async fn take_kept<T: serde::de::DeserializeOwned>(session: &Session, key: &str) -> Result<Option<T>> {
    let kept = session.get::<T>(key).await.map_err(session_failed)?;
    // Removing marks the session changed, and saves it, even with nothing to remove.
    if kept.is_some() {
        session.remove_value(key).await.map_err(session_failed)?;
    }
    Ok(kept)
}

fn session_failed(err: tower_sessions::session::Error) -> Error {
    Error::Internal(format!("session: {err}"))
}

/// Starts a fresh session for the operator, signed in with a second factor
/// or not; a new id, so a session id planted before sign-in is worthless
/// after it.
pub async fn begin(db: &Db, session: &Session, operator_id: i64, two_factor: bool) -> Result<()> {
    let user_agent = request_parts(|parts| {
        parts.headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)
    })
    .flatten();
    let origin = Origin { address: client_ip(), user_agent };
    let key = operator_sessions::start(db, operator_id, origin, two_factor).await?;
    session.cycle_id().await.map_err(session_failed)?;
    session.remove::<serde_json::Value>(PENDING_SECOND_FACTOR).await.map_err(session_failed)?;
    session.insert(SESSION_KEY, key).await.map_err(session_failed)
}

/// The operator's password (or a password link) was right: signs them in,
/// or, when they have a second factor, has the session wait for it.
/// Answers whether it waits.
pub async fn password_proved(db: &Db, operator_id: i64, has_second_factor: bool) -> Result<bool> {
    let session = current_session()?;
    if has_second_factor {
        await_second_factor(&session, operator_id).await?;
    } else {
        begin(db, &session, operator_id, false).await?;
    }
    Ok(has_second_factor)
}

/// The password was right: the session waits for operator `operator_id`'s
/// second factor, for a few minutes, signing no one in meanwhile.
pub async fn await_second_factor(session: &Session, operator_id: i64) -> Result<()> {
    session.cycle_id().await.map_err(session_failed)?;
    session.remove::<String>(SESSION_KEY).await.map_err(session_failed)?;
    let until = service::now() + SECOND_FACTOR_WITHIN;
    session.insert(PENDING_SECOND_FACTOR, (operator_id, until)).await.map_err(session_failed)
}

/// The operator whose second factor this session waits for, if it still does.
pub async fn pending_second_factor(session: &Session) -> Result<Option<i64>> {
    let pending = session.get::<(i64, i64)>(PENDING_SECOND_FACTOR).await.map_err(session_failed)?;
    Ok(pending.filter(|(_, until)| *until > service::now()).map(|(operator, _)| operator))
}

/// Signs out: the session's row goes, and the session with it.
pub async fn end(db: &Db, session: &Session) -> Result<()> {
    if let Some(key) = session.get::<String>(SESSION_KEY).await.map_err(session_failed)? {
        operator_sessions::end_by_key(db, &key).await?;
    }
    session.flush().await.map_err(session_failed)
}

/// This request's session key, which the sessions pages mark and keep.
pub async fn own_key() -> Result<String> {
    current_session()?.get::<String>(SESSION_KEY).await.map_err(session_failed)?.ok_or(Error::NotSignedIn)
}

/// The operator signed in on this request's session, if any. The row is
/// read once per request (see [`RequestMemo`]), so disabling someone,
/// changing their role or signing them out takes effect on their very next
/// request; a disabled operator's session ends.
pub async fn signed_in_operator() -> Result<Option<OperatorView>> {
    let state = leptos::prelude::expect_context::<AppState>();
    let (session, path) = (current_session()?, request_parts(|p| p.uri.path().to_owned()).unwrap_or_default());
    let memo = request_parts(|parts| parts.extensions.get::<RequestMemo>().cloned()).flatten().unwrap_or_default();
    Ok(memo.signed_in(&state.db, &session, &path).await?.map(|(operator, _)| operator))
}

/// The operator signed in on `session`, and the app `app` with them when
/// asked for and found (see `operator_sessions::signed_in`).
async fn operator_on(session: &Session, db: &Db, app: Option<&AppId>) -> Result<Option<SignedInRow>> {
    let Some(key) = session.get::<String>(SESSION_KEY).await.map_err(session_failed)? else {
        return Ok(None);
    };
    // A session that holds a key was loaded, so it has its id.
    let Some(session_id) = session.id() else { return Ok(None) };
    let signed_in = operator_sessions::signed_in(db, &key, &session_id.to_string(), app).await?;
    match signed_in {
        Some(_) => renew_if_due(session).await?,
        None => session.flush().await.map_err(session_failed)?,
    }
    Ok(signed_in)
}

fn operator_caller(op: OperatorView, ip: Option<String>) -> Caller {
    Caller { actor: Actor::Operator { id: op.id, email: op.email, role: op.role }, ip }
}

/// What one dashboard request has read of its operator and of the apps it
/// asked for. A page renders several resources at once, each through
/// server functions that would otherwise read the same rows again; the
/// first to ask reads, the others wait for its answer. The two-factor gate
/// puts one in each request (see `two_factor_gate`); it lives as long as
/// its request: the next one reads afresh, so a disabled operator is still
/// stopped on their very next request.
#[derive(Clone, Default)]
pub struct RequestMemo {
    signed_in: Arc<OnceCell<Option<(OperatorView, bool)>>>,
    apps: Arc<Mutex<HashMap<String, Arc<OnceCell<App>>>>>,
}

impl RequestMemo {
    /// The operator signed in on `session`, and whether they must set up a
    /// second factor before anything else; read on the first call.
    pub async fn signed_in(&self, db: &Db, session: &Session, path: &str) -> Result<Option<(OperatorView, bool)>> {
        self.signed_in.get_or_try_init(|| self.read_operator(db, session, path)).await.cloned()
    }

    /// Reads the operator, and with them the app that the request's
    /// address names, if it names one: the app a page is about, which its
    /// resources will ask for next.
    async fn read_operator(&self, db: &Db, session: &Session, path: &str) -> Result<Option<(OperatorView, bool)>> {
        let page_app = app_in_path(path);
        let Some(signed_in) = operator_on(session, db, page_app.as_ref()).await? else {
            return Ok(None);
        };
        if let (Some(app_id), Some(app)) = (page_app, signed_in.app) {
            // Nothing asks for an app before its operator, so no one has
            // filled the cell meanwhile.
            let _ = self.app(app_id.as_str()).set(app);
        }
        Ok(Some((signed_in.operator, signed_in.must_set_up_two_factor)))
    }

    fn app(&self, app_id: &str) -> Arc<OnceCell<App>> {
        self.apps.lock().unwrap_or_else(PoisonError::into_inner).entry(app_id.to_owned()).or_default().clone()
    }
}

/// The App ID in a dashboard address, `/apps/{app_id}` and below.
fn app_in_path(path: &str) -> Option<AppId> {
    AppId::parse(path.strip_prefix("/apps/")?.split('/').next()?).ok()
}

/// The caller behind a server function: the signed-in operator.
pub async fn dashboard_caller() -> Result<Caller> {
    let op = signed_in_operator().await?.ok_or(Error::NotSignedIn)?;
    Ok(operator_caller(op, client_ip()))
}

/// What a server function about one app works with: the state, the
/// signed-in operator, and the app, which that operator may see.
pub async fn dashboard_app(app_id: &str) -> Result<(AppState, Caller, App)> {
    let (state, caller) = (leptos::prelude::expect_context::<AppState>(), dashboard_caller().await?);
    let read = || async { service::apps::get(&state.db, &caller, &AppId::parse(app_id)?).await };
    let memo = request_parts(|parts| parts.extensions.get::<RequestMemo>().cloned()).flatten();
    let app = match memo {
        Some(memo) => service::apps::shown_to(&caller, memo.app(app_id).get_or_try_init(read).await?.clone())?,
        None => read().await?,
    };
    Ok((state, caller, app))
}

/// The signed-in operator behind a plain dashboard route (not a server
/// function), such as a download.
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, e)| Error::Internal(e.into()))?;
        let signed_in = operator_on(&session, &state.db, None).await?.ok_or(Error::NotSignedIn)?;
        if signed_in.must_set_up_two_factor {
            return Err(Error::TwoFactorRequired);
        }
        let ip = super::peer_ip(parts);
        Ok(SignedIn(operator_caller(signed_in.operator, ip)))
    }
}

pub fn client_ip() -> Option<String> {
    request_parts(super::peer_ip).flatten()
}

pub fn client_address() -> Option<std::net::IpAddr> {
    request_parts(crate::server::client_address::of).flatten()
}

pub fn current_session() -> Result<Session> {
    request_parts(|parts| parts.extensions.get::<Session>().cloned())
        .flatten()
        .ok_or_else(|| Error::Internal("no session: the session layer is missing".into()))
}

/// Whether this request is a form the browser posted itself (it asks for
/// HTML back), rather than a call from an island, which reads the
/// answer itself.
pub fn is_plain_form_post() -> bool {
    request_parts(|parts| {
        parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
    .unwrap_or(false)
}

/// The address this request reached the dashboard by, as the browser wrote
/// it (a proxy's, say): links to send someone are made whole with it.
pub fn request_origin(secure: bool) -> Option<String> {
    let host = request_parts(|parts| {
        parts.headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).map(str::to_owned)
    })??;
    Some(format!("{}://{host}", if secure { "https" } else { "http" }))
}

/// Reads this request's head in place: `leptos_axum::extract` would copy
/// all of it, headers included, for each value taken from it.
fn request_parts<T>(read: impl FnOnce(&Parts) -> T) -> Option<T> {
    leptos::prelude::with_context::<Parts, _>(read)
}
