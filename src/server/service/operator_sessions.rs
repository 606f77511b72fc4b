//! Operators' dashboard sessions, one row each: what signs a session in,
//! and what the sessions pages list and end. The browser's session holds a
//! random key; its row holds the key's SHA-256, so that the table read
//! alone signs no one in.

use serde_json::json;
use sqlx::FromRow;

use super::{
    apps::{APP_COLUMNS, App, AppRow},
    audit::{Change, record},
    now,
    operators::{OPERATOR_COLUMNS, OperatorRow},
    qualified, stored,
};
use crate::args;
use crate::domain::{AppId, Email, OperatorRole, OperatorView, SessionView};
use crate::server::{
    Error, Result,
    access::{Actor, Caller, Permission, secret},
    db::{Db, Tx},
};

/// A session unused for this long is over, as its cookie is.
pub const SESSION_IDLE_SECONDS: i64 = 7 * 24 * 3600;

/// How stale a session's "last seen" may grow before a request writes it
/// again: a write every few minutes, not one per page.
const SEEN_EVERY: i64 = 300;

/// Where a session is signed in from.
pub struct Origin {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// Records a new session of operator `operator`, signed in with a second
/// factor or not; answers the key the browser's session keeps.
pub async fn start(db: &Db, operator: i64, origin: Origin, two_factor: bool) -> Result<String> {
    let mut tx = db.begin_write().await?;
    let key = insert(&mut tx, operator, origin, two_factor).await?;
    tx.commit().await?;
    Ok(key)
}

pub(super) async fn insert(tx: &mut Tx, operator: i64, origin: Origin, two_factor: bool) -> Result<String> {
    let key = secret::generate().value;
    let at = now();
    let sql = "INSERT INTO operator_sessions \
               (key_hash, operator_id, created_at, last_seen_at, address, user_agent, two_factor) \
               VALUES ($1, $2, $3, $3, $4, $5, $6)";
    let user_agent = origin.user_agent.map(|ua| ua.chars().take(512).collect::<String>());
    tx.execute(sql, args![secret::hash(&key), operator, at, origin.address, user_agent, two_factor]).await?;
    Ok(key)
}

/// Ends operator `operator`'s sessions, all but the one with key `keep`.
pub(super) async fn end_all_of(tx: &mut Tx, operator: i64, keep: Option<&str>) -> Result<()> {
    let keep = keep.map(secret::hash).unwrap_or_default();
    tx.execute("DELETE FROM operator_sessions WHERE operator_id = $1 AND key_hash <> $2", args![operator, keep])
        .await?;
    Ok(())
}

/// The session with key `key` proved a second factor.
pub(super) async fn mark_two_factor(tx: &mut Tx, key: &str) -> Result<()> {
    tx.execute("UPDATE operator_sessions SET two_factor = TRUE WHERE key_hash = $1", args![secret::hash(key)]).await?;
    Ok(())
}

/// Signing out: the session with this key ends.
pub async fn end_by_key(db: &Db, key: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    tx.execute("DELETE FROM operator_sessions WHERE key_hash = $1", args![secret::hash(key)]).await?;
    Ok(tx.commit().await?)
}

/// The operator of a live session, as a page needs them.
pub struct SignedIn {
    pub operator: OperatorView,
    /// The app the page is about, when asked for and found.
    pub app: Option<App>,
    /// Their role must use a second factor and this session did not:
    /// it may only set one up.
    pub must_set_up_two_factor: bool,
}

#[derive(FromRow)]
struct SessionOperator {
    #[sqlx(flatten)]
    operator: OperatorRow,
    last_seen_at: i64,
    must_set_up_two_factor: bool,
}

#[derive(FromRow)]
struct SessionOperatorWithApp {
    #[sqlx(flatten)]
    session: SessionOperator,
    #[sqlx(flatten)]
    app: AppRow,
}

/// The operator signed in on the session with key `key` (tower-sessions'
/// id `session_id`), if the session is live and they may still act.
/// Signing out, a password change and a disabled account all end a session
/// on its very next request, on every process, since every request reads
/// these rows: a process keeps sessions in memory, and the saved session's
/// expiry is checked here too.
///
/// With `app`, the live app of that App ID comes too, when there is one: a
/// page about an app needs both, and one query brings them. Only when it
/// brings nothing does a second look for the operator alone.
pub async fn signed_in(db: &Db, key: &str, session_id: &str, app: Option<&AppId>) -> Result<Option<SignedIn>> {
    let (key_hash, at) = (secret::hash(key), now());
    let from = "FROM operator_sessions s JOIN operators o ON o.id = s.operator_id";
    let live = format!(
        "s.key_hash = $1 AND s.last_seen_at > $2 AND o.disabled_at IS NULL \
         AND EXISTS (SELECT 1 FROM {} WHERE id = $3 AND expiry_date > $4)",
        db.session_table()
    );
    let columns = format!(
        "{}, s.last_seen_at, (NOT s.two_factor AND EXISTS \
         (SELECT 1 FROM two_factor_roles r WHERE r.role = o.role)) AS must_set_up_two_factor",
        qualified(OPERATOR_COLUMNS, "o")
    );
    let (oldest, clock) = (at - SESSION_IDLE_SECONDS, time::OffsetDateTime::now_utc());
    let mut found = None;
    if let Some(app_id) = app {
        let sql = format!(
            "SELECT {columns}, {} {from} JOIN apps a ON a.app_id = $5 AND a.deleted_at IS NULL WHERE {live}",
            qualified(APP_COLUMNS, "a")
        );
        let args = args![&key_hash, oldest, session_id, clock, app_id.as_str()];
        let row: Option<SessionOperatorWithApp> = db.optional(&sql, args).await?;
        found = row.map(|row| Ok::<_, Error>((row.session, Some(App::try_from(row.app)?)))).transpose()?;
    }
    if found.is_none() {
        let sql = format!("SELECT {columns} {from} WHERE {live}");
        let row: Option<SessionOperator> = db.optional(&sql, args![&key_hash, oldest, session_id, clock]).await?;
        found = row.map(|row| (row, None));
    }
    let Some((row, app)) = found else { return Ok(None) };
    if row.last_seen_at <= at - SEEN_EVERY {
        let mut tx = db.begin_write().await?;
        tx.execute("UPDATE operator_sessions SET last_seen_at = $1 WHERE key_hash = $2", args![at, &key_hash]).await?;
        tx.commit().await?;
    }
    let operator = OperatorView::try_from(row.operator)?;
    Ok(Some(SignedIn { operator, app, must_set_up_two_factor: row.must_set_up_two_factor }))
}

#[derive(FromRow)]
struct SessionRow {
    id: i64,
    operator_id: i64,
    email: String,
    created_at: i64,
    last_seen_at: i64,
    address: Option<String>,
    user_agent: Option<String>,
    two_factor: bool,
    key_hash: String,
    role: String,
}

impl SessionRow {
    /// The row as `viewer` sees it, their own session's key hashing to
    /// `own_key_hash`.
    fn view(self, viewer: &Caller, own_key_hash: &str) -> Result<SessionView> {
        let this_one = self.key_hash == own_key_hash;
        let role = stored(OperatorRole::parse(&self.role))?;
        let own = matches!(viewer.actor, Actor::Operator { id, .. } if id == self.operator_id);
        let may_end = !this_one
            && (own
                || (viewer.may(Permission::ManageTeam)
                    && (role != OperatorRole::Owner || viewer.operator_role() == Some(OperatorRole::Owner))));
        Ok(SessionView {
            id: self.id,
            operator_id: self.operator_id,
            operator_email: stored(Email::parse(&self.email))?,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            address: self.address,
            device: device(self.user_agent.as_deref()),
            two_factor: self.two_factor,
            this_one,
            may_end,
        })
    }
}

/// "Chrome on Linux", as far as a user agent tells.
fn device(user_agent: Option<&str>) -> String {
    let Some(parsed) = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) else {
        return "Unknown browser".to_owned();
    };
    match (parsed.name, parsed.os) {
        ("UNKNOWN", _) => "Unknown browser".to_owned(),
        (name, "UNKNOWN") => name.to_owned(),
        (name, os) => format!("{name} on {os}"),
    }
}

const SESSION_COLUMNS: &str = "s.id, s.operator_id, o.email, s.created_at, s.last_seen_at, s.address, \
                               s.user_agent, s.two_factor, s.key_hash, o.role";

/// The signed-in operator's own live sessions, newest first, the one with
/// key `own_key` marked.
pub async fn list_own(db: &Db, caller: &Caller, own_key: &str) -> Result<Vec<SessionView>> {
    let Actor::Operator { id, .. } = &caller.actor else { return Err(Error::NotSignedIn) };
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM operator_sessions s JOIN operators o ON o.id = s.operator_id \
         WHERE s.operator_id = $1 AND s.last_seen_at > $2 ORDER BY s.last_seen_at DESC, s.id DESC"
    );
    let rows: Vec<SessionRow> = db.all(&sql, args![*id, now() - SESSION_IDLE_SECONDS]).await?;
    let own = secret::hash(own_key);
    rows.into_iter().map(|row| row.view(caller, &own)).collect()
}

/// Every operator's live sessions, for those who manage the team.
pub async fn list_all(db: &Db, caller: &Caller, own_key: &str) -> Result<Vec<SessionView>> {
    caller.require(Permission::ManageTeam)?;
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM operator_sessions s JOIN operators o ON o.id = s.operator_id \
         WHERE s.last_seen_at > $1 ORDER BY o.email, s.last_seen_at DESC, s.id DESC"
    );
    let rows: Vec<SessionRow> = db.all(&sql, args![now() - SESSION_IDLE_SECONDS]).await?;
    let own = secret::hash(own_key);
    rows.into_iter().map(|row| row.view(caller, &own)).collect()
}

/// Ends session `id`: the caller's own, or anyone's when they manage the
/// team (and may manage that operator's role).
pub async fn end(db: &Db, caller: &Caller, id: i64) -> Result<()> {
    let Actor::Operator { id: me, .. } = &caller.actor else { return Err(Error::NotSignedIn) };
    let not_found = || Error::not_found("ERR_SESSION_NOT_FOUND", format!("No session has the id {id}."));
    let sql = "SELECT operator_id FROM operator_sessions WHERE id = $1";
    let owner: i64 = db.optional_scalar(sql, args![id]).await?.ok_or_else(not_found)?;
    if owner != *me {
        super::operators::team_change_target(db, caller, owner).await?;
    }
    let mut tx = db.begin_write().await?;
    let ended = tx.execute("DELETE FROM operator_sessions WHERE id = $1", args![id]).await?;
    if ended == 0 {
        return Err(not_found());
    }
    let details = json!({"session": id});
    let change = Change { app: None, action: "operator.session_end", object: format!("operator:{owner}"), details };
    record(&mut tx, caller, change).await?;
    Ok(tx.commit().await?)
}

/// Ends the caller's sessions but the one with key `own_key`.
pub async fn end_others(db: &Db, caller: &Caller, own_key: &str) -> Result<()> {
    let Actor::Operator { id, .. } = &caller.actor else { return Err(Error::NotSignedIn) };
    let mut tx = db.begin_write().await?;
    end_all_of(&mut tx, *id, Some(own_key)).await?;
    let change =
        Change { app: None, action: "operator.sessions_end", object: format!("operator:{id}"), details: json!({}) };
    record(&mut tx, caller, change).await?;
    Ok(tx.commit().await?)
}

/// Forgets sessions unused for [`SESSION_IDLE_SECONDS`].
pub(super) async fn sweep(tx: &mut Tx) -> Result<()> {
    tx.execute("DELETE FROM operator_sessions WHERE last_seen_at <= $1", args![now() - SESSION_IDLE_SECONDS]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn a_session_names_its_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome on Linux");
        assert_eq!(device(Some("curl/8.0")), "HTTP Library");
        assert_eq!(device(Some("no browser at all")), "Unknown browser");
        assert_eq!(device(None), "Unknown browser");
    }
}
