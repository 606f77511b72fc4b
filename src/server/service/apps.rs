use serde_json::json;
use sqlx::FromRow;

use super::{
    audit::{Change, record},
    events::{self, Event},
    now, stored,
};
use crate::args;
use crate::domain::{AppId, AppName, AppView, Environment, Region};
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::{Constraint, Db},
    error::OnConstraint,
};

/// An app as the server knows it: the internal id every row below it
/// carries, and what may be shown.
#[derive(Debug, Clone)]
pub struct App {
    pub id: i64,
    pub view: AppView,
    /// The version of the app's roles when this read found the app: it
    /// tells whether the roles a process kept still hold (see `roles::list`).
    pub roles_version: i64,
}

#[derive(FromRow)]
pub(super) struct AppRow {
    id: i64,
    app_id: String,
    name: String,
    environment: String,
    region: String,
    created_at: i64,
    auth_key_login: bool,
    roles_version: i64,
}

pub(super) const APP_COLUMNS: &str = "id, app_id, name, environment, region, created_at, auth_key_login, roles_version";

impl TryFrom<AppRow> for App {
    type Error = Error;
    fn try_from(r: AppRow) -> Result<App> {
        Ok(App {
            id: r.id,
            view: AppView {
                app_id: stored(AppId::parse(&r.app_id))?,
                name: stored(AppName::parse(&r.name))?,
                environment: stored(Environment::parse(&r.environment))?,
                region: stored(Region::parse(&r.region))?,
                created_at: r.created_at,
                auth_key_login: r.auth_key_login,
            },
            roles_version: r.roles_version,
        })
    }
}

pub struct NewApp {
    pub name: AppName,
    pub environment: Environment,
    pub region: Region,
}

pub async fn create(db: &Db, caller: &Caller, new: NewApp) -> Result<App> {
    caller.require(Permission::ChangeApp(new.environment))?;
    // 64 random bits make a clash unlikely, not impossible: draw again.
    for _ in 0..3 {
        let app_id = AppId::generate();
        let mut tx = db.begin_write().await?;
        let sql = format!(
            "INSERT INTO apps (app_id, name, environment, region, created_by, created_at, auth_key_login) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {APP_COLUMNS}"
        );
        let args = args![
            app_id.as_str(),
            new.name.as_str(),
            new.environment.as_str(),
            new.region.as_str(),
            caller.label(),
            now(),
            new.environment == Environment::Development,
        ];
        let row = match tx
            .one::<AppRow>(&sql, args)
            .await
            .on_constraint(Constraint::AppId, || Error::conflict("ERR_APPID_TAKEN", ""))
        {
            Err(Error::Conflict { .. }) => continue,
            row => row?,
        };
        let app = App::try_from(row)?;
        let sql =
            "INSERT INTO roles (app, role, name, created_at, updated_at) VALUES ($1, 'default', 'Default', $2, $2)";
        tx.execute(sql, args![app.id, app.view.created_at]).await?;
        for counts in ["user_counts", "group_counts", "message_counts"] {
            tx.execute(&format!("INSERT INTO {counts} (app) VALUES ($1)"), args![app.id]).await?;
        }
        let details = json!({"name": app.view.name, "environment": app.view.environment, "region": app.view.region});
        let object = app.view.app_id.to_string();
        record(&mut tx, caller, Change { app: Some(app.id), action: "app.create", object, details }).await?;
        tx.commit().await?;
        return Ok(app);
    }
    Err(Error::Internal("three App ID clashes in a row".into()))
}

/// Live apps the caller may see, newest first. A key sees only its own app.
pub async fn list(db: &Db, caller: &Caller) -> Result<Vec<App>> {
    caller.require(Permission::Read)?;
    let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC");
    let rows: Vec<AppRow> = db.all(&sql, &[]).await?;
    rows.into_iter()
        .map(App::try_from)
        .filter(|app| app.as_ref().map_or(true, |app| caller.require_app(app.id).is_ok()))
        .collect()
}

/// A live app by its App ID, without asking who wants it: for authenticating
/// REST calls, which must find the app before they know the caller.
pub(super) async fn find(db: &Db, app_id: &AppId) -> Result<Option<App>> {
    let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE app_id = $1 AND deleted_at IS NULL");
    let row: Option<AppRow> = db.optional(&sql, args![app_id.as_str()]).await?;
    row.map(App::try_from).transpose()
}

pub async fn get(db: &Db, caller: &Caller, app_id: &AppId) -> Result<App> {
    caller.require(Permission::Read)?;
    let app = find(db, app_id)
        .await?
        .ok_or_else(|| Error::not_found("ERR_APP_NOT_FOUND", format!("No app has the App ID {app_id}.")))?;
    shown_to(caller, app)
}

/// An app read along with something else (see `operators::signed_in`),
/// given to `caller` on the terms [`get`] gives it.
pub fn shown_to(caller: &Caller, app: App) -> Result<App> {
    caller.require(Permission::Read)?;
    caller.require_app(app.id)?;
    Ok(app)
}

pub async fn rename(db: &Db, caller: &Caller, app_id: &AppId, name: AppName) -> Result<App> {
    let app = get(db, caller, app_id).await?;
    caller.require(Permission::ChangeApp(app.view.environment))?;
    let mut tx = db.begin_write().await?;
    tx.execute("UPDATE apps SET name = $1 WHERE id = $2", args![name.as_str(), app.id]).await?;
    let details = json!({"from": app.view.name, "to": name});
    record(&mut tx, caller, Change { app: Some(app.id), action: "app.rename", object: app_id.to_string(), details })
        .await?;
    tx.commit().await?;
    Ok(App { view: AppView { name, ..app.view }, ..app })
}

/// Lets clients log in to the realtime gateway with an Auth Key and a UID,
/// or stops them: an auth token, issued by the app's server, is then the
/// only way in.
pub async fn set_auth_key_login(db: &Db, caller: &Caller, app_id: &AppId, allowed: bool) -> Result<App> {
    let app = get(db, caller, app_id).await?;
    caller.require(Permission::ChangeApp(app.view.environment))?;
    let mut tx = db.begin_write().await?;
    tx.execute("UPDATE apps SET auth_key_login = $1 WHERE id = $2", args![allowed, app.id]).await?;
    let change = Change {
        app: Some(app.id),
        action: "app.auth_key_login",
        object: app_id.to_string(),
        details: json!({"allowed": allowed}),
    };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(App { view: AppView { auth_key_login: allowed, ..app.view }, ..app })
}

/// Deletes an app once its name is typed back. The row stays, marked
/// deleted, so its App ID is never handed out again and its audit log
/// keeps its subject; its keys stop working at once.
pub async fn delete(db: &Db, caller: &Caller, app_id: &AppId, typed_name: &str) -> Result<()> {
    let app = get(db, caller, app_id).await?;
    caller.require(Permission::DeleteApp)?;
    if typed_name.trim() != app.view.name.as_str() {
        return Err(Error::invalid(
            "ERR_CONFIRMATION_MISMATCH",
            format!("Type the app's name, {}, to delete it.", app.view.name),
        ));
    }
    let mut tx = db.begin_write().await?;
    tx.execute("UPDATE apps SET deleted_at = $1 WHERE id = $2", args![now(), app.id]).await?;
    let change = Change {
        app: Some(app.id),
        action: "app.delete",
        object: app_id.to_string(),
        details: json!({"name": app.view.name}),
    };
    record(&mut tx, caller, change).await?;
    events::announce(&mut tx, &[Event::AppGone { app: app.id }]).await?;
    tx.commit().await?;
    Ok(())
}
