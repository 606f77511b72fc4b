use std::sync::LazyLock;

use serde_json::json;
use sqlx::FromRow;

use super::{
    apps::{self, App},
    audit::{Change, record},
    daily::day_of,
    last_used::Claims,
    now, qualified, stored, usage,
};
use crate::args;
use crate::domain::{ApiKeyRef, ApiKeyView, AppId, Environment, KeyName, KeyScope, NewApiKey};
use crate::server::{
    Error, Result,
    access::{Actor, Caller, Permission, secret},
    db::{Arg, Db},
};

/// Keys an app may hold at once (revoked and expired ones do not count).
pub const MAX_ACTIVE_KEYS: i64 = 25;

#[derive(FromRow)]
struct KeyRow {
    id: i64,
    name: String,
    scope: String,
    prefix: String,
    created_by: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

const KEY_COLUMNS: &str = "id, name, scope, prefix, created_by, created_at, expires_at, last_used_at, revoked_at";

impl TryFrom<KeyRow> for ApiKeyView {
    type Error = Error;
    fn try_from(r: KeyRow) -> Result<ApiKeyView> {
        Ok(ApiKeyView {
            id: r.id,
            name: stored(KeyName::parse(&r.name))?,
            scope: stored(KeyScope::parse(&r.scope))?,
            prefix: r.prefix,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

pub struct NewKey {
    pub name: KeyName,
    pub scope: KeyScope,
    pub expires_at: Option<i64>,
    /// Auth Keys end up in client code; in production that needs a yes.
    pub confirm_auth_key_in_production: bool,
}

fn check_expiry(expires_at: Option<i64>) -> Result<()> {
    match expires_at {
        Some(at) if at <= now() => Err(Error::invalid("ERR_INVALID_EXPIRY", "An expiry date lies in the future.")),
        _ => Ok(()),
    }
}

pub async fn create(db: &Db, caller: &Caller, app: &App, new: NewKey) -> Result<NewApiKey> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageKeys(app.view.environment))?;
    check_expiry(new.expires_at)?;
    if new.scope == KeyScope::AuthOnly
        && app.view.environment == Environment::Production
        && !new.confirm_auth_key_in_production
    {
        return Err(Error::invalid(
            "ERR_CONFIRMATION_REQUIRED",
            "An Auth Key is meant to ship inside client apps. Confirm that you want one for a production app.",
        ));
    }
    let secret = secret::generate();
    let at = now();
    let mut tx = db.begin_write().await?;
    // Touching the app row first serialises key creation per app on both
    // engines, so two requests cannot both take the 25th place.
    tx.execute("UPDATE apps SET name = name WHERE id = $1", args![app.id]).await?;
    let sql =
        format!("SELECT COUNT(*) FROM api_keys WHERE app = $1 AND {}", active_at("revoked_at", "expires_at", "$2"));
    let active: i64 = tx.scalar(&sql, args![app.id, at]).await?;
    if active >= MAX_ACTIVE_KEYS {
        return Err(Error::LimitExceeded {
            code: "ERR_APIKEY_LIMIT_EXCEEDED",
            message: format!("An app holds at most {MAX_ACTIVE_KEYS} active keys. Revoke one first."),
        });
    }
    let sql = format!(
        "INSERT INTO api_keys (app, name, scope, key_hash, prefix, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {KEY_COLUMNS}"
    );
    let args = args![
        app.id,
        new.name.as_str(),
        new.scope.as_str(),
        &secret.hash,
        &secret.prefix,
        caller.label(),
        at,
        new.expires_at
    ];
    let row: KeyRow = tx.one(&sql, args).await?;
    let details = json!({"name": new.name, "scope": new.scope, "prefix": secret.prefix, "expiresAt": new.expires_at});
    let object = format!("apikey:{}", row.id);
    record(&mut tx, caller, Change { app: Some(app.id), action: "apikey.create", object, details }).await?;
    tx.commit().await?;
    Ok(NewApiKey { key: row.try_into()?, api_key: secret.value })
}

/// Every key of the app, oldest first, revoked ones included so that the
/// team can see what once had access.
pub async fn list(db: &Db, caller: &Caller, app: &App) -> Result<Vec<ApiKeyView>> {
    list_matching(db, caller, app, &KeyFilter::default()).await
}

/// Which keys a list shows: of one scope, and whose name holds a text.
#[derive(Debug, Default)]
pub struct KeyFilter {
    pub scope: Option<KeyScope>,
    /// Any case.
    pub search: Option<String>,
}

/// The app's keys that `filter` lets through. An app holds few keys, so
/// they are filtered as read.
pub async fn list_matching(db: &Db, caller: &Caller, app: &App, filter: &KeyFilter) -> Result<Vec<ApiKeyView>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let rows: Vec<KeyRow> =
        db.all(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE app = $1 ORDER BY id"), args![app.id]).await?;
    let search = filter.search.as_deref().map(str::to_lowercase);
    let keys = rows.into_iter().map(ApiKeyView::try_from).collect::<Result<Vec<_>>>()?;
    Ok(keys
        .into_iter()
        .filter(|k| filter.scope.is_none_or(|scope| k.scope == scope))
        .filter(|k| search.as_deref().is_none_or(|s| k.name.as_str().to_lowercase().contains(s)))
        .collect())
}

/// One key, named by its id or by the key itself (found by its hash).
pub async fn get(db: &Db, caller: &Caller, app: &App, key: &ApiKeyRef) -> Result<ApiKeyView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let (column, value, named) = match key {
        ApiKeyRef::Id(id) => ("id", Arg::from(*id), id.to_string()),
        ApiKeyRef::Key(key) => ("key_hash", Arg::from(secret::hash(key)), format!("{}…", &key[..8])),
    };
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE app = $1 AND {column} = $2");
    let row: Option<KeyRow> = db.optional(&sql, &[Arg::from(app.id), value]).await?;
    row.ok_or_else(|| Error::not_found("ERR_APIKEY_NOT_FOUND", format!("This app has no API key {named}.")))?.try_into()
}

/// A key may not change or revoke itself: a script holding one key must not
/// lock itself out by accident.
fn refuse_self(caller: &Caller, key: &ApiKeyView) -> Result<()> {
    match caller.actor {
        Actor::Key { id: own, .. } if own == key.id => Err(Error::invalid(
            "ERR_APIKEY_NO_SELF_ACTION",
            "A key cannot change or revoke itself; use another key or the dashboard.",
        )),
        _ => Ok(()),
    }
}

pub struct KeyUpdate {
    pub name: Option<KeyName>,
    pub scope: Option<KeyScope>,
    /// `Some(None)` removes the expiry.
    pub expires_at: Option<Option<i64>>,
}

pub async fn update(db: &Db, caller: &Caller, app: &App, key: &ApiKeyRef, update: KeyUpdate) -> Result<ApiKeyView> {
    let key = key_to_change(db, caller, app, key).await?;
    if let Some(expires_at) = update.expires_at {
        check_expiry(expires_at)?;
    }
    if let Some(scope) = update.scope {
        check_scope_change(app, key.scope, scope)?;
    }
    let updated = ApiKeyView {
        name: update.name.unwrap_or(key.name),
        scope: update.scope.unwrap_or(key.scope),
        expires_at: update.expires_at.unwrap_or(key.expires_at),
        ..key
    };
    let details = json!({"name": updated.name, "scope": updated.scope, "expiresAt": updated.expires_at});
    save(db, caller, app, &updated, "apikey.update", details).await?;
    Ok(updated)
}

/// Revokes a key; its next request fails. Revoking twice changes nothing.
pub async fn revoke(db: &Db, caller: &Caller, app: &App, key: &ApiKeyRef) -> Result<ApiKeyView> {
    let key = key_to_change(db, caller, app, key).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let revoked = ApiKeyView { revoked_at: Some(now()), ..key };
    let details = json!({"name": revoked.name, "prefix": revoked.prefix});
    save(db, caller, app, &revoked, "apikey.revoke", details).await?;
    Ok(revoked)
}

/// The key a change is about, once the caller may make it.
async fn key_to_change(db: &Db, caller: &Caller, app: &App, key: &ApiKeyRef) -> Result<ApiKeyView> {
    let key = get(db, caller, app, key).await?;
    refuse_self(caller, &key)?;
    caller.require(Permission::ManageKeys(app.view.environment))?;
    Ok(key)
}

/// An Auth Key of a production app may already ship inside client code:
/// raising it to full access would hand every client the server's powers.
fn check_scope_change(app: &App, from: KeyScope, to: KeyScope) -> Result<()> {
    if app.view.environment == Environment::Production && from == KeyScope::AuthOnly && to == KeyScope::FullAccess {
        return Err(Error::invalid(
            "ERR_APIKEY_SCOPE_RAISE",
            "An Auth Key of a production app may be in client code; create a new REST API Key instead.",
        ));
    }
    Ok(())
}

/// Writes a key's changeable columns and the change's audit row, together.
async fn save(
    db: &Db,
    caller: &Caller,
    app: &App,
    key: &ApiKeyView,
    action: &'static str,
    details: serde_json::Value,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let sql = "UPDATE api_keys SET name = $1, scope = $2, expires_at = $3, revoked_at = $4 WHERE app = $5 AND id = $6";
    let values = args![key.name.as_str(), key.scope.as_str(), key.expires_at, key.revoked_at, app.id, key.id];
    tx.execute(sql, values).await?;
    let object = format!("apikey:{}", key.id);
    record(&mut tx, caller, Change { app: Some(app.id), action, object, details }).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(FromRow)]
struct KeyAuthRow {
    #[sqlx(flatten)]
    app: apps::AppRow,
    key_id: i64,
    scope: String,
    prefix: String,
    last_used_at: Option<i64>,
}

/// The one rule of a key that works: not revoked, and not expired at the
/// time bound to `at`. Columns named as the query has them.
fn active_at(revoked_at: &str, expires_at: &str, at: &str) -> String {
    format!("{revoked_at} IS NULL AND ({expires_at} IS NULL OR {expires_at} > {at})")
}

/// Which keys' "last used" times this process is writing (see `last_used`).
#[derive(Default)]
struct KeysUsed(Claims);

/// The app and the acting key behind a REST request's headers, read in one
/// query on the way in; only a refusal looks further, to say which header
/// was wrong.
pub async fn authenticate(db: &Db, app_id: &AppId, key: &str) -> Result<(App, Actor)> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, k.id AS key_id, k.scope, k.prefix, k.last_used_at \
             FROM api_keys k JOIN apps a ON a.id = k.app \
             WHERE k.key_hash = $1 AND a.app_id = $2 AND a.deleted_at IS NULL AND {}",
            qualified(apps::APP_COLUMNS, "a"),
            active_at("k.revoked_at", "k.expires_at", "$3")
        )
    });
    let at = now();
    let row: Option<KeyAuthRow> = db.optional(&SQL, args![secret::hash(key), app_id.as_str(), at]).await?;
    let Some(row) = row else {
        return Err(match apps::find(db, app_id).await? {
            None => Error::InvalidAppId,
            Some(_) => Error::ApiKeyNotFound,
        });
    };
    usage::count(db, row.key_id, day_of(at));
    if db.kept(KeysUsed::default).0.claim(row.key_id, row.last_used_at, at) {
        let counts = usage::take(db, row.key_id);
        let mut tx = db.begin_write().await?;
        tx.execute("UPDATE api_keys SET last_used_at = $1 WHERE id = $2", args![at, row.key_id]).await?;
        usage::write_counts(&mut tx, row.key_id, &counts).await?;
        tx.commit().await?;
    }
    let app = App::try_from(row.app)?;
    let scope = stored(KeyScope::parse(&row.scope))?;
    let actor = Actor::Key { id: row.key_id, app: app.id, prefix: row.prefix, scope };
    Ok((app, actor))
}
