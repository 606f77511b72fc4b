//! Users as rows: the one read that finds a user by UID, the batch read
//! of internal ids, and the row's view. Below every concept that names users.

use std::collections::HashMap;

use sqlx::FromRow;

use super::{apps::App, stored};
use crate::args;
use crate::domain::{RoleId, Uid, UserView};
use crate::server::{
    Error, Result,
    db::{Arg, Db, Tx},
};

/// A user as `users` holds them. Public only as the row a public trait
/// names (`users::Listable`); its fields stay inside the service.
#[derive(FromRow)]
pub struct UserRow {
    pub(super) id: i64,
    pub(super) uid: String,
    pub(super) name: String,
    pub(super) avatar: Option<String>,
    pub(super) link: Option<String>,
    pub(super) role: String,
    pub(super) metadata: Option<String>,
    pub(super) status_message: Option<String>,
    pub(super) status: String,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
    pub(super) last_active_at: Option<i64>,
    pub(super) deactivated_at: Option<i64>,
}

pub(super) const USER_COLUMNS: &str = "id, uid, name, avatar, link, role, metadata, status_message, status, created_at, updated_at, \
                            last_active_at, deactivated_at";

impl UserRow {
    pub(super) fn into_view(self, tags: Vec<String>) -> Result<UserView> {
        Ok(UserView {
            uid: stored(Uid::parse(&self.uid))?,
            name: self.name,
            avatar: self.avatar,
            link: self.link,
            role: stored(RoleId::parse(&self.role))?,
            metadata: self
                .metadata
                .map(|m| serde_json::from_str(&m))
                .transpose()
                .map_err(|e| Error::Internal(e.to_string()))?,
            status_message: self.status_message,
            status: self.status,
            tags,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_active_at: self.last_active_at,
            deactivated_at: self.deactivated_at,
        })
    }
}

pub fn uid_not_found(uid: &Uid) -> Error {
    Error::not_found("ERR_UID_NOT_FOUND", format!("This app has no user {uid}."))
}

/// The user row and internal id behind a UID, or `ERR_UID_NOT_FOUND`.
pub(super) async fn find(db: &Db, app: &App, uid: &Uid) -> Result<UserRow> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.app = $1 AND u.uid = $2");
    let row: Option<UserRow> = db.optional(&sql, args![app.id, uid.as_str()]).await?;
    row.ok_or_else(|| uid_not_found(uid))
}

/// The internal ids of the users named by `keys` (`(app, &Uid)`), read in
/// `tx`: a map from `(app, uid)` that leaves out the users who do not exist.
pub(super) async fn ids_of<'u>(
    tx: &mut Tx,
    keys: impl IntoIterator<Item = (i64, &'u Uid)>,
) -> Result<HashMap<(i64, String), i64>> {
    let rows: Vec<Arg> = keys.into_iter().flat_map(|(app, uid)| [app.into(), uid.as_str().into()]).collect();
    // A join on a list of values, which both databases answer from the
    // (app, uid) index; `(app, uid) IN (VALUES ...)` scans on SQLite.
    let sql = "WITH wanted (app, uid) AS (VALUES {}) \
               SELECT u.app, u.uid, u.id FROM wanted JOIN users u ON u.app = wanted.app AND u.uid = wanted.uid";
    let found: Vec<(i64, String, i64)> = tx.all_rows(sql, 2, &rows).await?;
    Ok(found.into_iter().map(|(app, uid, id)| ((app, uid), id)).collect())
}
