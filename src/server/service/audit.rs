//! One row for every change, whatever face made it.

use serde_json::Value;
use sqlx::FromRow;

use super::apps::App;
use crate::domain::{AuditEntryView, AuditPage};
use crate::server::{
    Result,
    auth::{Caller, Permission},
};
use crate::with_db;

/// What changed. Written by `record!` inside the change's own transaction,
/// so a change and its audit row land or fail together.
pub struct Change {
    pub app: Option<i64>,
    pub action: &'static str,
    pub object: String,
    pub details: Value,
}

/// Inserts the audit row for `$change` made by `$caller`, in write transaction `$tx`.
macro_rules! record {
    ($tx:ident, $caller:expr, $change:expr) => {
        $crate::server::service::audit::record_all!($tx, [($caller, $change)])
    };
}

/// Inserts an audit row for each `(caller, change)` of `$entries`, in
/// write transaction `$tx`, in multi-row statements; evaluates to a `sqlx`
/// result.
macro_rules! record_all {
    ($tx:ident, $entries:expr) => {
        'record: {
            let at = $crate::server::service::now();
            let entries: Vec<(&$crate::server::auth::Caller, $crate::server::service::audit::Change)> =
                $entries.into_iter().collect();
            for chunk in entries.chunks($crate::server::service::rows_per_statement(7)) {
                let sql = format!(
                    "INSERT INTO audit_log (app, actor, action, object, details, ip, created_at) VALUES {}",
                    $crate::server::db::MultiRowValues::values(&$tx, chunk.len(), 7)
                );
                let mut insert = sqlx::query(&sql);
                for (caller, change) in chunk {
                    insert = insert
                        .bind(change.app)
                        .bind(caller.label())
                        .bind(change.action)
                        .bind(change.object.as_str())
                        .bind(change.details.to_string())
                        .bind(caller.ip.as_deref())
                        .bind(at);
                }
                if let Err(error) = insert.execute(&mut *$tx).await {
                    break 'record Err::<(), sqlx::Error>(error);
                }
            }
            Ok(())
        }
    };
}
pub(crate) use {record, record_all};

#[derive(FromRow)]
struct EntryRow {
    id: i64,
    actor: String,
    action: String,
    object: String,
    details: String,
    ip: Option<String>,
    created_at: i64,
}

pub const PAGE_SIZE: i64 = 50;

/// Whose log: one app's, or the team's (changes to operators).
pub enum AuditScope<'a> {
    App(&'a App),
    Team,
}

/// A page of the log, newest first: `PAGE_SIZE` rows before the `before` cursor.
pub async fn list(
    db: &crate::server::db::Db,
    caller: &Caller,
    scope: AuditScope<'_>,
    before: Option<i64>,
) -> Result<AuditPage> {
    caller.require(Permission::Read)?;
    // Separate statements, not `app IS NOT DISTINCT FROM $1`, which Postgres
    // cannot answer from the (app, id) index.
    let (filter, app) = match scope {
        AuditScope::App(app) => {
            caller.require_app(app.id)?;
            ("app = $3", Some(app.id))
        }
        // The team is the dashboard's business, never an app key's.
        AuditScope::Team if caller.operator_role().is_none() => {
            return Err(crate::server::Error::NoAccess);
        }
        AuditScope::Team => ("app IS NULL", None),
    };
    let sql = format!(
        "SELECT id, actor, action, object, details, ip, created_at FROM audit_log \
         WHERE {filter} AND id < $1 ORDER BY id DESC LIMIT $2"
    );
    let rows: Vec<EntryRow> = with_db!(db, pool => {
        let mut query = sqlx::query_as(&sql).bind(before.unwrap_or(i64::MAX)).bind(PAGE_SIZE + 1);
        if let Some(app) = app {
            query = query.bind(app);
        }
        query.fetch_all(pool).await?
    });
    let more = rows.len() as i64 > PAGE_SIZE;
    let entries: Vec<AuditEntryView> = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|r| AuditEntryView {
            id: r.id,
            actor: r.actor,
            action: r.action,
            object: r.object,
            details: r.details,
            ip: r.ip,
            created_at: r.created_at,
        })
        .collect();
    let next = if more { entries.last().map(|e| e.id) } else { None };
    Ok(AuditPage { entries, next })
}
