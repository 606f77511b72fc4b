//! Dashboard sessions, read the way tower-sessions' SQLx store saved them.
//!
//! The store writes and deletes sessions itself. Its `load` took a
//! connection from the plain sqlx pool, whose every release pinged the
//! database; read here instead, the session takes a connection the reads
//! keep (see `db::ReadPool`), like the rest of a page's reads. The table
//! and the encoding are the store's, version 0.15: a test saves through
//! the store and loads through here.

use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};

use crate::server::{Error, Result, db::Db};
use crate::with_db;

/// The store's table of sessions.
pub(super) fn table(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "tower_sessions",
        Db::Postgres(_) => r#""tower_sessions"."session""#,
    }
}

/// Session `id` as last saved, unless it has expired.
pub async fn saved(db: &Db, id: &Id) -> Result<Option<Record>> {
    let sql = format!("SELECT data FROM {} WHERE id = $1 AND expiry_date > $2", table(db));
    let (id, now) = (id.to_string(), OffsetDateTime::now_utc());
    let data: Option<Vec<u8>> =
        with_db!(db, pool => sqlx::query_scalar(&sql).bind(id).bind(now).fetch_optional(pool).await?);
    data.map(|data| rmp_serde::from_slice(&data).map_err(|e| Error::Internal(format!("session record: {e}"))))
        .transpose()
}
