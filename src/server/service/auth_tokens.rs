//! Auth tokens: how an app's users will log in to the realtime gateway. Per
//! user and per device; the value is shown once and stored as its hash.

use std::{collections::HashMap, sync::Arc};

use serde_json::json;
use sqlx::FromRow;

use super::{
    apps::App,
    audit::{Change, record, record_all},
    events::{self, Event},
    last_used::Claims,
    now, stored, user_rows,
};
use crate::args;
use crate::domain::{AuthTokenView, NewAuthToken, Uid};
use crate::server::{
    Error, Result,
    access::{
        Caller, Permission,
        secret::{self, Secret},
    },
    db::{Arg, Db, Tx},
    group_commit::GroupCommit,
};

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
    app_info: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "t.id, u.uid, t.prefix, t.platform, t.user_agent, t.app_info, t.created_at, t.last_used_at";

impl TryFrom<TokenRow> for AuthTokenView {
    type Error = Error;
    fn try_from(r: TokenRow) -> Result<AuthTokenView> {
        Ok(AuthTokenView {
            id: r.id,
            uid: stored(Uid::parse(&r.uid))?,
            prefix: r.prefix,
            platform: r.platform,
            user_agent: r.user_agent,
            app_info: r.app_info,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
    }
}

/// A token about to be written, its secret drawn.
pub(super) struct NewToken {
    pub(super) app: i64,
    pub(super) user_id: i64,
    pub(super) secret: Secret,
    pub(super) device: Device,
    pub(super) created_at: i64,
}

impl NewToken {
    pub(super) fn new(app: i64, user_id: i64, device: Device) -> Self {
        NewToken { app, user_id, secret: secret::generate(), device, created_at: now() }
    }

    /// The audit entry for the token, once written with `id`. It names the
    /// token by id and prefix, never by its value.
    pub(super) fn change(&self, uid: &Uid, id: i64) -> Change {
        Change {
            app: Some(self.app),
            action: "authtoken.create",
            object: format!("user:{uid}"),
            details: json!({"id": id, "prefix": self.secret.prefix, "platform": self.device.platform}),
        }
    }

    /// The token as its requester sees it, the one time its value is shown.
    pub(super) fn shown(self, uid: Uid, id: i64) -> NewAuthToken {
        NewAuthToken {
            token: AuthTokenView {
                id,
                uid,
                prefix: self.secret.prefix,
                platform: self.device.platform,
                user_agent: self.device.user_agent,
                app_info: None,
                created_at: self.created_at,
                last_used_at: None,
            },
            auth_token: self.secret.value,
        }
    }
}

/// Inserts `tokens` in `tx`, in multi-row statements; answers their ids
/// in the same order.
pub(super) async fn insert_tokens<'t>(tx: &mut Tx, tokens: impl IntoIterator<Item = &'t NewToken>) -> Result<Vec<i64>> {
    let tokens: Vec<&NewToken> = tokens.into_iter().collect();
    let rows: Vec<Arg> = tokens
        .iter()
        .flat_map(|token| {
            [
                token.app.into(),
                token.user_id.into(),
                token.secret.hash.as_str().into(),
                token.secret.prefix.as_str().into(),
                token.device.platform.as_deref().into(),
                token.device.user_agent.as_deref().into(),
                token.created_at.into(),
            ]
        })
        .collect();
    let sql = "INSERT INTO auth_tokens (app, user_id, token_hash, prefix, platform, user_agent, created_at) \
               VALUES {} RETURNING token_hash, id";
    let ids: HashMap<String, i64> = tx.all_rows::<(String, i64)>(sql, 7, &rows).await?.into_iter().collect();
    Ok(tokens.iter().map(|token| ids[&token.secret.hash]).collect())
}

/// A token asked for a user, waiting for its group to be written.
#[derive(Clone)]
struct Issue {
    caller: Caller,
    app: i64,
    uid: Uid,
    device: Device,
}

/// Token issues queue to be written together (see `group_commit`).
fn issues(db: &Db) -> Arc<GroupCommit<Issue, NewAuthToken>> {
    db.kept(|| GroupCommit::new(|db, issues| Box::pin(write_issues(db, issues))))
}

/// Which tokens' "last used" times this process is writing (see `last_used`).
#[derive(Default)]
struct TokensUsed(Claims);

/// Writes a group of tokens. The users are looked up here, for the whole
/// group in one statement, rather than one read per request; a user who
/// does not exist fails the group, and then, tried alone, their request.
async fn write_issues(db: Db, issues: Arc<[Issue]>) -> Result<Vec<NewAuthToken>> {
    let mut tx = db.begin_write().await?;
    let users = user_rows::ids_of(&mut tx, issues.iter().map(|issue| (issue.app, &issue.uid))).await?;
    let tokens = issues
        .iter()
        .map(|issue| match users.get(&(issue.app, issue.uid.to_string())) {
            Some(user_id) => Ok(NewToken::new(issue.app, *user_id, issue.device.clone())),
            None => Err(user_rows::uid_not_found(&issue.uid)),
        })
        .collect::<Result<Vec<NewToken>>>()?;
    let ids = insert_tokens(&mut tx, &tokens).await?;
    let changes =
        issues.iter().zip(&tokens).zip(&ids).map(|((issue, token), id)| (&issue.caller, token.change(&issue.uid, *id)));
    record_all(&mut tx, changes).await?;
    tx.commit().await?;
    Ok(issues.iter().zip(tokens).zip(ids).map(|((issue, token), id)| token.shown(issue.uid.clone(), id)).collect())
}

/// Issues a new token for a user's device. Tokens are stored hashed, so an
/// existing one can never be handed out again: every call mints a new one.
pub async fn issue(db: &Db, caller: &Caller, app: &App, uid: &Uid, device: Device) -> Result<NewAuthToken> {
    caller.require_app(app.id)?;
    caller.require(Permission::IssueTokens)?;
    let issue = Issue { caller: caller.clone(), app: app.id, uid: uid.clone(), device };
    issues(db).write(db, issue).await
}

pub async fn list(db: &Db, caller: &Caller, app: &App, uid: &Uid) -> Result<Vec<AuthTokenView>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let user = user_rows::find(db, app, uid).await?;
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 ORDER BY t.id"
    );
    let rows: Vec<TokenRow> = db.all(&sql, args![user.id]).await?;
    rows.into_iter().map(AuthTokenView::try_from).collect()
}

/// One page of the user's tokens, oldest first, and how many they hold.
pub async fn page(
    db: &Db,
    caller: &Caller,
    app: &App,
    uid: &Uid,
    per_page: i64,
    page: i64,
) -> Result<(Vec<AuthTokenView>, i64)> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let user = user_rows::find(db, app, uid).await?;
    let total: i64 = db.scalar("SELECT COUNT(*) FROM auth_tokens WHERE user_id = $1", args![user.id]).await?;
    let offset = (page - 1).saturating_mul(per_page);
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 \
         ORDER BY t.id LIMIT {per_page} OFFSET {offset}"
    );
    let rows: Vec<TokenRow> = db.all(&sql, args![user.id]).await?;
    Ok((rows.into_iter().map(AuthTokenView::try_from).collect::<Result<_>>()?, total))
}

/// A token of the user, named by its id or by its value.
pub async fn get(db: &Db, caller: &Caller, app: &App, uid: &Uid, token: &str) -> Result<AuthTokenView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let user = user_rows::find(db, app, uid).await?;
    let (column, key) = match token.parse::<i64>() {
        Ok(id) if token.len() < 20 => ("t.id = $2", Arg::from(id)),
        _ => ("t.token_hash = $2", Arg::from(secret::hash(token))),
    };
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 AND {column}"
    );
    let row: Option<TokenRow> = db.optional(&sql, &[user.id.into(), key]).await?;
    row.ok_or_else(|| Error::not_found("ERR_AUTH_TOKEN_NOT_FOUND", format!("The user {uid} has no such auth token.")))?
        .try_into()
}

/// What an update says of a token's device; what it leaves out stays.
#[derive(Debug, Clone, Default)]
pub struct DeviceUpdate {
    pub platform: Option<String>,
    pub user_agent: Option<String>,
    /// The JSON text of an object, checked as metadata is.
    pub app_info: Option<String>,
}

/// Changes what a token's device is known by (by id or value).
pub async fn update(
    db: &Db,
    caller: &Caller,
    app: &App,
    uid: &Uid,
    token: &str,
    update: DeviceUpdate,
) -> Result<AuthTokenView> {
    let found = get(db, caller, app, uid, token).await?;
    caller.require(Permission::ManageUsers)?;
    let updated = AuthTokenView {
        platform: update.platform.or(found.platform),
        user_agent: update.user_agent.or(found.user_agent),
        app_info: update.app_info.or(found.app_info),
        ..found
    };
    let mut tx = db.begin_write().await?;
    let sql = "UPDATE auth_tokens SET platform = $1, user_agent = $2, app_info = $3 WHERE id = $4";
    let values =
        args![updated.platform.as_deref(), updated.user_agent.as_deref(), updated.app_info.as_deref(), updated.id];
    tx.execute(sql, values).await?;
    let details = json!({"id": updated.id, "prefix": updated.prefix, "platform": updated.platform});
    let change = Change { app: Some(app.id), action: "authtoken.update", object: format!("user:{uid}"), details };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Revokes one token (by id or value); it fails on its next use.
pub async fn revoke(db: &Db, caller: &Caller, app: &App, uid: &Uid, token: &str) -> Result<AuthTokenView> {
    let found = get(db, caller, app, uid, token).await?;
    caller.require(Permission::ModerateUsers)?;
    let mut tx = db.begin_write().await?;
    tx.execute("DELETE FROM auth_tokens WHERE id = $1", args![found.id]).await?;
    let details = json!({"id": found.id, "prefix": found.prefix});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "authtoken.revoke", object: format!("user:{uid}"), details },
    )
    .await?;
    events::announce(&mut tx, &[Event::TokensRevoked { app: app.id, uid: uid.to_string(), token: Some(found.id) }])
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// Revokes every token of the user; answers how many there were.
pub async fn revoke_all(db: &Db, caller: &Caller, app: &App, uid: &Uid) -> Result<u64> {
    caller.require_app(app.id)?;
    caller.require(Permission::ModerateUsers)?;
    let user = user_rows::find(db, app, uid).await?;
    let mut tx = db.begin_write().await?;
    let done = tx.execute("DELETE FROM auth_tokens WHERE user_id = $1", args![user.id]).await?;
    let change = Change {
        app: Some(app.id),
        action: "authtoken.revoke_all",
        object: format!("user:{uid}"),
        details: json!({"count": done}),
    };
    record(&mut tx, caller, change).await?;
    events::announce(&mut tx, &[Event::TokensRevoked { app: app.id, uid: uid.to_string(), token: None }]).await?;
    tx.commit().await?;
    Ok(done)
}

/// A valid token and the user it belongs to.
#[derive(Debug, Clone)]
pub struct Holder {
    pub token_id: i64,
    pub user_id: i64,
    pub uid: Uid,
}

/// The user a token belongs to, if it is still valid. Notes the token's use
/// and the user's activity, at most once a minute so that a busy client
/// does not turn every read into a write.
pub async fn authenticate(db: &Db, app: &App, token: &str) -> Result<Holder> {
    let sql = "SELECT t.id, u.id, u.uid, t.last_used_at, u.deactivated_at FROM auth_tokens t JOIN users u ON u.id = t.user_id \
               WHERE t.token_hash = $1 AND t.app = $2";
    type Found = (i64, i64, String, Option<i64>, Option<i64>);
    let row: Option<Found> = db.optional(sql, args![secret::hash(token), app.id]).await?;
    let (id, user_id, uid, last_used_at, deactivated_at) = row.ok_or(Error::AuthTokenNotFound)?;
    if deactivated_at.is_some() {
        return Err(Error::AuthTokenNotFound);
    }
    let at = now();
    if db.kept(TokensUsed::default).0.claim(id, last_used_at, at) {
        let mut tx = db.begin_write().await?;
        tx.execute("UPDATE auth_tokens SET last_used_at = $1 WHERE id = $2", args![at, id]).await?;
        tx.execute("UPDATE users SET last_active_at = $1 WHERE id = $2", args![at, user_id]).await?;
        tx.commit().await?;
    }
    Ok(Holder { token_id: id, user_id, uid: stored(Uid::parse(&uid))? })
}
