use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use serde_json::{Value, json};
use sqlx::FromRow;

use super::{
    apps::App,
    audit::{Change, record},
    now, stored,
};
use crate::args;
use crate::domain::{Reach, RoleId, RoleSettings, RoleView};
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::{Constraint, Db, Tx},
    error::OnConstraint,
};

/// Roles an app may define, `default` included.
pub const MAX_ROLES: i64 = 25;

#[derive(FromRow)]
struct RoleRow {
    role: String,
    name: String,
    description: String,
    metadata: Option<String>,
    list_users: String,
    send_messages_to: String,
    created_at: i64,
    updated_at: i64,
}

const ROLE_COLUMNS: &str = "role, name, description, metadata, list_users, send_messages_to, created_at, updated_at";

impl TryFrom<RoleRow> for RoleView {
    type Error = Error;
    fn try_from(r: RoleRow) -> Result<RoleView> {
        Ok(RoleView {
            role: stored(RoleId::parse(&r.role))?,
            name: r.name,
            description: r.description,
            metadata: r
                .metadata
                .map(|m| serde_json::from_str(&m))
                .transpose()
                .map_err(|e| Error::Internal(e.to_string()))?,
            settings: RoleSettings {
                list_users: stored(Reach::parse(&r.list_users))?,
                send_messages_to: stored(Reach::parse(&r.send_messages_to))?,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A role's fields as checked by the caller; `None` leaves one as it is.
#[derive(Default)]
pub struct RoleFields {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` removes the metadata.
    pub metadata: Option<Option<Value>>,
    pub list_users: Option<Reach>,
    pub send_messages_to: Option<Reach>,
}

fn role_in_use(role: &RoleId) -> Error {
    Error::conflict(
        "ERR_ROLE_IN_USE",
        format!("Users hold the role {role}; give them another role before deleting it."),
    )
}

pub(super) fn not_found(role: &RoleId) -> Error {
    Error::not_found("ERR_ROLE_NOT_FOUND", format!("This app has no role {role}."))
}

pub async fn create(db: &Db, caller: &Caller, app: &App, role: RoleId, fields: RoleFields) -> Result<RoleView> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    let at = now();
    let name = fields.name.unwrap_or_else(|| role.to_string());
    let metadata = fields.metadata.flatten().map(|m| m.to_string());
    let settings = RoleSettings {
        list_users: fields.list_users.unwrap_or(Reach::All),
        send_messages_to: fields.send_messages_to.unwrap_or(Reach::All),
    };
    let mut tx = db.begin_write().await?;
    // Also serialises role creation per app, so the limit holds under races.
    roles_changed(&mut tx, app.id).await?;
    let count: i64 = tx.scalar("SELECT COUNT(*) FROM roles WHERE app = $1", args![app.id]).await?;
    if count >= MAX_ROLES {
        return Err(Error::LimitExceeded {
            code: "ERR_ROLE_LIMIT_EXCEEDED",
            message: format!("An app has at most {MAX_ROLES} roles."),
        });
    }
    let sql = format!(
        "INSERT INTO roles (app, role, name, description, metadata, list_users, send_messages_to, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {ROLE_COLUMNS}"
    );
    let description = fields.description.unwrap_or_default();
    let args = args![
        app.id,
        role.as_str(),
        &name,
        description,
        metadata,
        settings.list_users.as_str(),
        settings.send_messages_to.as_str(),
        at
    ];
    let row: RoleRow = tx.one(&sql, args).await.on_constraint(Constraint::RoleId, || {
        Error::conflict("ERR_ROLE_ALREADY_EXISTS", format!("The role {role} exists already."))
    })?;
    let change = Change {
        app: Some(app.id),
        action: "role.create",
        object: format!("role:{role}"),
        details: json!({"name": name}),
    };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    row.try_into()
}

/// Every write to an app's roles runs this in its transaction (see [`list`]).
/// The new version is drawn at random rather than counted, so that even a
/// database restored under a running process cannot bring back a version
/// that the process kept other roles under.
pub(super) async fn roles_changed(tx: &mut Tx, app: i64) -> Result<()> {
    tx.execute("UPDATE apps SET roles_version = $2 WHERE id = $1", args![app, rand::random::<i64>()]).await?;
    Ok(())
}

/// An app's roles as read, under the app's `roles_version` then.
type KeptRoles = (i64, Arc<[RoleView]>);

/// The roles of each app of a database as this process last read them: a
/// page that lists them needs no query of its own while they stay unchanged.
#[derive(Default)]
struct RolesRead(Mutex<HashMap<i64, KeptRoles>>);

/// The app's roles. `app` was read for this request, and with it the
/// version of its roles: roles kept under that version were read after it
/// was written, so they are what a query would have found then, or newer.
pub async fn list(db: &Db, caller: &Caller, app: &App) -> Result<Vec<RoleView>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let read = db.kept(RolesRead::default);
    let kept = read.0.lock().unwrap_or_else(PoisonError::into_inner).get(&app.id).cloned();
    if let Some((_, roles)) = kept.filter(|(version, _)| *version == app.roles_version) {
        return Ok(roles.to_vec());
    }
    let rows: Vec<RoleRow> =
        db.all(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE app = $1 ORDER BY role"), args![app.id]).await?;
    let roles = rows.into_iter().map(RoleView::try_from).collect::<Result<Vec<_>>>()?;
    read.0.lock().unwrap_or_else(PoisonError::into_inner).insert(app.id, (app.roles_version, roles.as_slice().into()));
    Ok(roles)
}

pub async fn get(db: &Db, caller: &Caller, app: &App, role: &RoleId) -> Result<RoleView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let sql = format!("SELECT {ROLE_COLUMNS} FROM roles WHERE app = $1 AND role = $2");
    let row: Option<RoleRow> = db.optional(&sql, args![app.id, role.as_str()]).await?;
    row.ok_or_else(|| not_found(role))?.try_into()
}

pub async fn update(db: &Db, caller: &Caller, app: &App, role: &RoleId, fields: RoleFields) -> Result<RoleView> {
    let current = get(db, caller, app, role).await?;
    caller.require(Permission::ManageUsers)?;
    let updated = RoleView {
        name: fields.name.unwrap_or(current.name),
        description: fields.description.unwrap_or(current.description),
        metadata: fields.metadata.unwrap_or(current.metadata),
        settings: RoleSettings {
            list_users: fields.list_users.unwrap_or(current.settings.list_users),
            send_messages_to: fields.send_messages_to.unwrap_or(current.settings.send_messages_to),
        },
        updated_at: now(),
        ..current
    };
    let mut tx = db.begin_write().await?;
    let sql = "UPDATE roles SET name = $1, description = $2, metadata = $3, list_users = $4, send_messages_to = $5, \
               updated_at = $6 WHERE app = $7 AND role = $8";
    let args = args![
        &updated.name,
        &updated.description,
        &updated.metadata,
        updated.settings.list_users.as_str(),
        updated.settings.send_messages_to.as_str(),
        updated.updated_at,
        app.id,
        role.as_str(),
    ];
    tx.execute(sql, args).await?;
    roles_changed(&mut tx, app.id).await?;
    let details = json!({"name": updated.name, "settings": updated.settings});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "role.update", object: format!("role:{role}"), details },
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a role no user holds. `default` always stays.
pub async fn delete(db: &Db, caller: &Caller, app: &App, role: &RoleId) -> Result<()> {
    get(db, caller, app, role).await?;
    caller.require(Permission::ManageUsers)?;
    if role.is_default() {
        return Err(Error::invalid("ERR_ROLE_DELETE_DENIED", "The default role cannot be deleted."));
    }
    let mut tx = db.begin_write().await?;
    let sql = "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE app = $1 AND role = $2 LIMIT 1) AS one";
    let holders: i64 = tx.scalar(sql, args![app.id, role.as_str()]).await?;
    if holders > 0 {
        return Err(role_in_use(role));
    }
    tx.execute("DELETE FROM roles WHERE app = $1 AND role = $2", args![app.id, role.as_str()])
        .await
        .on_constraint(Constraint::UserRole, || role_in_use(role))?;
    roles_changed(&mut tx, app.id).await?;
    let change =
        Change { app: Some(app.id), action: "role.delete", object: format!("role:{role}"), details: json!({}) };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(())
}

/// The settings of the role user `uid` holds.
pub(super) async fn settings_of(db: &Db, app: &App, uid: &crate::domain::Uid) -> Result<RoleSettings> {
    let sql = "SELECT r.list_users, r.send_messages_to FROM users u \
               JOIN roles r ON r.app = u.app AND r.role = u.role WHERE u.app = $1 AND u.uid = $2";
    let row: Option<(String, String)> = db.optional(sql, args![app.id, uid.as_str()]).await?;
    let (list_users, send_messages_to) = row.ok_or_else(|| super::user_rows::uid_not_found(uid))?;
    Ok(RoleSettings {
        list_users: stored(Reach::parse(&list_users))?,
        send_messages_to: stored(Reach::parse(&send_messages_to))?,
    })
}
