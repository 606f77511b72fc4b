//! One row for every change, whatever face made it.

use serde_json::Value;
use sqlx::FromRow;

use super::{keyset::Conditions, now};
use crate::domain::{AuditEntryView, AuditFilter, AuditPage};
use crate::server::{
    Result,
    access::{Caller, Permission},
    db::{Arg, Db, Tx},
};

/// What changed. Written by `record` inside the change's own transaction,
/// so a change and its audit row land or fail together.
pub struct Change {
    pub app: Option<i64>,
    pub action: &'static str,
    pub object: String,
    pub details: Value,
}

/// Inserts the audit row for `change` made by `caller`, in `tx`.
pub(crate) async fn record(tx: &mut Tx, caller: &Caller, change: Change) -> Result<()> {
    record_all(tx, [(caller, change)]).await
}

/// Inserts an audit row for each `(caller, change)` of `entries`, in `tx`,
/// in multi-row statements.
pub(crate) async fn record_all<'c>(tx: &mut Tx, entries: impl IntoIterator<Item = (&'c Caller, Change)>) -> Result<()> {
    let at = now();
    let mut rows: Vec<Arg> = Vec::new();
    for (caller, change) in entries {
        let Change { app, action, object, details } = change;
        rows.extend([
            app.into(),
            caller.label().into(),
            action.into(),
            object.into(),
            details.into(),
            caller.ip.as_deref().into(),
            at.into(),
        ]);
    }
    let sql = "INSERT INTO audit_log (app, actor, action, object, details, ip, created_at) VALUES {}";
    tx.execute_rows(sql, 7, &rows).await?;
    Ok(())
}

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
pub enum AuditScope {
    /// The app with this internal id.
    App(i64),
    Team,
}

/// A page of the log, newest first: `PAGE_SIZE` rows matching `filter`
/// before the `before` cursor.
pub async fn list(
    db: &Db,
    caller: &Caller,
    scope: AuditScope,
    filter: &AuditFilter,
    before: Option<i64>,
) -> Result<AuditPage> {
    caller.require(Permission::Read)?;
    let mut conditions = Conditions::default();
    let before = conditions.placeholder(before.unwrap_or(i64::MAX));
    conditions.parts.push(format!("id < {before}"));
    // Separate conditions, not `app IS NOT DISTINCT FROM $1`, which Postgres
    // cannot answer from the (app, id) index.
    match scope {
        AuditScope::App(app) => {
            caller.require_app(app)?;
            let app = conditions.placeholder(app);
            conditions.parts.push(format!("app = {app}"));
        }
        // The team is the dashboard's business, never an app key's.
        AuditScope::Team if caller.operator_role().is_none() => {
            return Err(crate::server::Error::NoAccess);
        }
        AuditScope::Team => conditions.parts.push("app IS NULL".to_owned()),
    }
    narrowed(&mut conditions, filter);
    let sql = format!(
        "SELECT id, actor, action, object, details, ip, created_at FROM audit_log \
         WHERE {} ORDER BY id DESC LIMIT {}",
        conditions.sql(),
        PAGE_SIZE + 1
    );
    let args = conditions.args;
    let rows: Vec<EntryRow> = db.all(&sql, &args).await?;
    let (rows, next) = super::keyset::page_end(rows, PAGE_SIZE as usize, |r| r.id);
    let entries: Vec<AuditEntryView> = rows
        .into_iter()
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
    Ok(AuditPage { entries, next })
}

/// The filter's conditions: an action matches itself and the actions it
/// starts (`user` finds `user.create`); days run midnight to midnight, UTC.
fn narrowed(conditions: &mut Conditions, filter: &AuditFilter) {
    for (column, value) in [("actor", &filter.actor), ("object", &filter.object)] {
        if let Some(value) = value {
            let value = conditions.placeholder(value.clone());
            conditions.parts.push(format!("{column} = {value}"));
        }
    }
    if let Some(action) = &filter.action {
        let exact = conditions.placeholder(action.clone());
        let within = conditions.prefix_of("action", &format!("{action}."));
        conditions.parts.push(format!("(action = {exact} OR {within})"));
    }
    if let Some(from) = filter.from {
        let from = conditions.placeholder(from);
        conditions.parts.push(format!("created_at >= {from}"));
    }
    if let Some(until) = filter.until {
        let end = conditions.placeholder(until + 24 * 3600);
        conditions.parts.push(format!("created_at < {end}"));
    }
}
