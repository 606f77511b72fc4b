//! Auth tokens: how an app's users will log in to the realtime gateway. Per
//! user and per device; the value is shown once and stored as its hash.

use serde_json::json;
use sqlx::FromRow;

use super::{
    apps::App,
    audit::{Change, record},
    now, stored, users,
};
use crate::domain::{AuthTokenView, NewAuthToken, Uid};
use crate::server::{
    Error, Result,
    auth::{Caller, Permission, secret},
    db::{BeginWrite, Db},
};
use crate::with_db;

/// The device a token is for, as the client described it.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub platform: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    uid: String,
    prefix: String,
    platform: Option<String>,
    user_agent: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "t.id, u.uid, t.prefix, t.platform, t.user_agent, t.created_at, t.last_used_at";

impl TryFrom<TokenRow> for AuthTokenView {
    type Error = Error;
    fn try_from(r: TokenRow) -> Result<AuthTokenView> {
        Ok(AuthTokenView {
            id: r.id,
            uid: stored(Uid::parse(&r.uid))?,
            prefix: r.prefix,
            platform: r.platform,
            user_agent: r.user_agent,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
    }
}

/// Mints a token for the user with internal id `$user_id`, in transaction `$tx`, and
/// audits it; evaluates to the new token. A macro so that user creation can
/// issue the first token inside its own transaction, on either database.
macro_rules! insert {
    ($tx:ident, $caller:expr, $app:expr, $user_id:expr, $uid:expr, $device:expr) => {{
        let secret = $crate::server::auth::secret::generate();
        let device: $crate::server::service::auth_tokens::Device = $device;
        let at = $crate::server::service::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO auth_tokens (app, user_id, token_hash, prefix, platform, user_agent, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind($app.id)
        .bind($user_id)
        .bind(&secret.hash)
        .bind(&secret.prefix)
        .bind(&device.platform)
        .bind(&device.user_agent)
        .bind(at)
        .fetch_one(&mut *$tx)
        .await?;
        let uid: &$crate::domain::Uid = $uid;
        $crate::server::service::audit::record!(&mut *$tx, $caller, $crate::server::service::audit::Change {
            app: Some($app.id),
            action: "authtoken.create",
            object: format!("user:{uid}"),
            details: serde_json::json!({"id": id, "prefix": secret.prefix, "platform": device.platform}),
        })?;
        Ok::<_, $crate::server::Error>($crate::domain::NewAuthToken {
            token: $crate::domain::AuthTokenView {
                id,
                uid: uid.clone(),
                prefix: secret.prefix,
                platform: device.platform,
                user_agent: device.user_agent,
                created_at: at,
                last_used_at: None,
            },
            auth_token: secret.value,
        })
    }};
}
pub(crate) use insert;

/// Issues a new token for a user's device. Tokens are stored hashed, so an
/// existing one can never be handed out again: every call mints a new one.
pub async fn issue(db: &Db, caller: &Caller, app: &App, uid: &Uid, device: Device) -> Result<NewAuthToken> {
    caller.require_app(app.id)?;
    caller.require(Permission::IssueTokens)?;
    let user = users::find(db, app, uid).await?;
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let token = insert!(tx, caller, app, user.id, uid, device)?;
        tx.commit().await?;
        Ok(token)
    })
}

pub async fn list(db: &Db, caller: &Caller, app: &App, uid: &Uid) -> Result<Vec<AuthTokenView>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let user = users::find(db, app, uid).await?;
    let rows: Vec<TokenRow> = with_db!(db, pool => {
        sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 ORDER BY t.id"
        ))
        .bind(user.id)
        .fetch_all(pool)
        .await?
    });
    rows.into_iter().map(AuthTokenView::try_from).collect()
}

/// A token of the user, named by its id or by its value.
pub async fn get(db: &Db, caller: &Caller, app: &App, uid: &Uid, token: &str) -> Result<AuthTokenView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let user = users::find(db, app, uid).await?;
    let (column, key) = match token.parse::<i64>() {
        Ok(id) if token.len() < 20 => ("t.id = $2", KeyArg::Id(id)),
        _ => ("t.token_hash = $2", KeyArg::Hash(secret::hash(token))),
    };
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 AND {column}"
    );
    let row: Option<TokenRow> = with_db!(db, pool => {
        let query = sqlx::query_as(&sql).bind(user.id);
        match &key {
            KeyArg::Id(id) => query.bind(*id).fetch_optional(pool).await?,
            KeyArg::Hash(hash) => query.bind(hash.as_str()).fetch_optional(pool).await?,
        }
    });
    row.ok_or_else(|| Error::not_found("ERR_AUTH_TOKEN_NOT_FOUND", format!("The user {uid} has no such auth token.")))?
        .try_into()
}

enum KeyArg {
    Id(i64),
    Hash(String),
}

/// Revokes one token (by id or value); it fails on its next use.
pub async fn revoke(db: &Db, caller: &Caller, app: &App, uid: &Uid, token: &str) -> Result<AuthTokenView> {
    let found = get(db, caller, app, uid, token).await?;
    caller.require(Permission::ModerateUsers)?;
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM auth_tokens WHERE id = $1").bind(found.id).execute(&mut *tx).await?;
        record!(&mut *tx, caller, Change {
            app: Some(app.id),
            action: "authtoken.revoke",
            object: format!("user:{uid}"),
            details: json!({"id": found.id, "prefix": found.prefix}),
        })?;
        tx.commit().await?;
    });
    Ok(found)
}

/// Revokes every token of the user; answers how many there were.
pub async fn revoke_all(db: &Db, caller: &Caller, app: &App, uid: &Uid) -> Result<u64> {
    caller.require_app(app.id)?;
    caller.require(Permission::ModerateUsers)?;
    let user = users::find(db, app, uid).await?;
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let done = sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1").bind(user.id).execute(&mut *tx).await?;
        record!(&mut *tx, caller, Change {
            app: Some(app.id),
            action: "authtoken.revoke_all",
            object: format!("user:{uid}"),
            details: json!({"count": done.rows_affected()}),
        })?;
        tx.commit().await?;
        Ok(done.rows_affected())
    })
}

/// The user a token belongs to, if it is still valid. Notes the token's use
/// and the user's activity, at most once a minute so that a busy client
/// does not turn every read into a write. For the realtime gateway to come.
pub async fn authenticate(db: &Db, app: &App, token: &str) -> Result<Uid> {
    let row: Option<(i64, i64, String, Option<i64>, Option<i64>)> = with_db!(db, pool => {
        sqlx::query_as(
            "SELECT t.id, u.id, u.uid, t.last_used_at, u.deactivated_at FROM auth_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.app = $2",
        )
        .bind(secret::hash(token))
        .bind(app.id)
        .fetch_optional(pool)
        .await?
    });
    let (id, user_id, uid, last_used_at, deactivated_at) = row.ok_or_else(invalid_token)?;
    if deactivated_at.is_some() {
        return Err(invalid_token());
    }
    let at = now();
    if last_used_at.is_none_or(|used| at - used >= 60) {
        with_db!(db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE auth_tokens SET last_used_at = $1 WHERE id = $2").bind(at).bind(id).execute(&mut *tx).await?;
            sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2").bind(at).bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
    }
    stored(Uid::parse(&uid))
}

fn invalid_token() -> Error {
    Error::not_found("ERR_AUTH_TOKEN_NOT_FOUND", "This auth token is unknown, revoked, or its user is deactivated.")
}
