use serde_json::json;
use sqlx::FromRow;

use super::{
    audit::{Change, record},
    now, stored,
};
use crate::args;
use crate::domain::{Email, OperatorName, OperatorRole, OperatorView, Password};
use crate::server::{
    Error, Result,
    access::{Actor, Caller, Permission, password::PasswordChecks},
    db::{Constraint, Db, Tx},
    error::OnConstraint,
};

#[derive(FromRow)]
pub(super) struct OperatorRow {
    #[sqlx(rename = "operator_id")]
    id: i64,
    email: String,
    #[sqlx(rename = "operator_name")]
    name: String,
    role: String,
    #[sqlx(rename = "operator_created_at")]
    created_at: i64,
    disabled_at: Option<i64>,
}

/// Named apart from an app's columns where the two share a name: a page
/// reads its operator and its app together (see `operator_sessions`).
pub(super) const OPERATOR_COLUMNS: &str =
    "id AS operator_id, email, name AS operator_name, role, created_at AS operator_created_at, disabled_at";

impl TryFrom<OperatorRow> for OperatorView {
    type Error = Error;
    fn try_from(r: OperatorRow) -> Result<OperatorView> {
        Ok(OperatorView {
            id: r.id,
            email: stored(Email::parse(&r.email))?,
            name: stored(OperatorName::parse(&r.name))?,
            role: stored(OperatorRole::parse(&r.role))?,
            created_at: r.created_at,
            disabled_at: r.disabled_at,
        })
    }
}

pub struct NewOperator {
    pub email: Email,
    pub name: OperatorName,
    pub role: OperatorRole,
    pub password: Password,
}

pub(super) fn email_not_found(email: &Email) -> Error {
    Error::not_found("ERR_OPERATOR_NOT_FOUND", format!("No operator has the email {email}."))
}

fn email_taken(email: &Email) -> Error {
    Error::conflict("ERR_EMAIL_TAKEN", format!("An operator with the email {email} exists already."))
}

/// True until the first operator exists; the dashboard then offers set-up.
pub async fn none_yet(db: &Db) -> Result<bool> {
    let any: Option<i64> = db.optional_scalar("SELECT id FROM operators LIMIT 1", &[]).await?;
    Ok(any.is_none())
}

/// Creates the first owner; refused once any operator exists, even when two
/// people submit the set-up form at the same moment.
pub async fn create_first_owner(
    db: &Db,
    passwords: &PasswordChecks,
    ip: Option<String>,
    email: Email,
    name: OperatorName,
    password: Password,
) -> Result<OperatorView> {
    let hash = passwords.hash(password.expose()).await?;
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "INSERT INTO operators (email, name, role, password_hash, created_at) \
         SELECT $1, $2, 'owner', $3, $4 WHERE NOT EXISTS (SELECT 1 FROM operators) \
         RETURNING {OPERATOR_COLUMNS}"
    );
    let row: Option<OperatorRow> = tx
        .optional(&sql, args![email.as_str(), name.as_str(), &hash, now()])
        .await
        .on_constraint(Constraint::OperatorEmail, || email_taken(&email))?;
    if let Some(row) = &row {
        let caller =
            Caller { actor: Actor::Operator { id: row.id, email: email.clone(), role: OperatorRole::Owner }, ip };
        let details = json!({"email": email, "role": "owner"});
        let change = Change { app: None, action: "operator.setup", object: format!("operator:{}", row.id), details };
        record(&mut tx, &caller, change).await?;
    }
    tx.commit().await?;
    row.ok_or_else(|| Error::conflict("ERR_ALREADY_SET_UP", "The owner account exists already. Sign in instead."))?
        .try_into()
}

pub async fn create(db: &Db, passwords: &PasswordChecks, caller: &Caller, new: NewOperator) -> Result<OperatorView> {
    caller.require(Permission::ManageTeam)?;
    require_may_assign(caller, new.role)?;
    let hash = passwords.hash(new.password.expose()).await?;
    let mut tx = db.begin_write().await?;
    let row = insert_operator(&mut tx, &new.email, &new.name, new.role, &hash).await?;
    let details = json!({"email": new.email, "role": new.role});
    record(
        &mut tx,
        caller,
        Change { app: None, action: "operator.create", object: format!("operator:{}", row.id), details },
    )
    .await?;
    tx.commit().await?;
    row.try_into()
}

/// Writes a new operator's row with the password hash `hash`.
pub(super) async fn insert_operator(
    tx: &mut Tx,
    email: &Email,
    name: &OperatorName,
    role: OperatorRole,
    hash: &str,
) -> Result<OperatorRow> {
    let sql = format!(
        "INSERT INTO operators (email, name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {OPERATOR_COLUMNS}"
    );
    tx.one(&sql, args![email.as_str(), name.as_str(), role.as_str(), hash, now()])
        .await
        .on_constraint(Constraint::OperatorEmail, || email_taken(email))
}

/// Only an owner may hand out, or take away, the owner role.
pub(super) fn require_may_assign(caller: &Caller, role: OperatorRole) -> Result<()> {
    if role == OperatorRole::Owner && caller.operator_role() != Some(OperatorRole::Owner) {
        return Err(Error::Forbidden {
            role: caller.operator_role().map_or("key", OperatorRole::as_str),
            action: "manage owners",
        });
    }
    Ok(())
}

pub async fn list(db: &Db, caller: &Caller) -> Result<Vec<OperatorView>> {
    caller.require(Permission::Read)?;
    let rows: Vec<OperatorRow> =
        db.all(&format!("SELECT {OPERATOR_COLUMNS} FROM operators ORDER BY created_at, id"), &[]).await?;
    rows.into_iter().map(OperatorView::try_from).collect()
}

/// The operator with this email, for the CLI, which names them so.
pub async fn by_email(db: &Db, caller: &Caller, email: &Email) -> Result<OperatorView> {
    caller.require(Permission::Read)?;
    let row: Option<OperatorRow> = db
        .optional(&format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE email = $1"), args![email.as_str()])
        .await?;
    row.ok_or_else(|| email_not_found(email))?.try_into()
}

async fn get(db: &Db, id: i64) -> Result<OperatorView> {
    let row: Option<OperatorRow> =
        db.optional(&format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = $1"), args![id]).await?;
    row.ok_or_else(|| Error::not_found("ERR_OPERATOR_NOT_FOUND", format!("No operator has the id {id}.")))?.try_into()
}

/// Team changes an operator may not make to their own account, so that
/// nobody locks themselves (or the team) out by accident.
fn refuse_self(caller: &Caller, id: i64) -> Result<()> {
    match caller.actor {
        Actor::Operator { id: own, .. } if own == id => Err(Error::invalid(
            "ERR_OPERATOR_NO_SELF_ACTION",
            "You cannot change your own role or disable yourself; ask another admin.",
        )),
        _ => Ok(()),
    }
}

pub async fn change_role(db: &Db, caller: &Caller, id: i64, role: OperatorRole) -> Result<OperatorView> {
    let target = team_change_target(db, caller, id).await?;
    require_may_assign(caller, role)?;
    let details = json!({"email": target.email, "from": target.role, "to": role});
    write_change(db, caller, id, "operator.role", details, Columns { role: Some(role), ..Columns::default() }).await?;
    Ok(OperatorView { role, ..target })
}

/// Disables or re-enables an operator. A disabled operator's sessions stop
/// working on their next request, since every request re-reads the row.
pub async fn set_disabled(db: &Db, caller: &Caller, id: i64, disabled: bool) -> Result<OperatorView> {
    let target = team_change_target(db, caller, id).await?;
    let disabled_at = disabled.then(now);
    let action = if disabled { "operator.disable" } else { "operator.enable" };
    write_change(
        db,
        caller,
        id,
        action,
        json!({"email": target.email}),
        Columns { disabled_at: Some(disabled_at), ..Columns::default() },
    )
    .await?;
    Ok(OperatorView { disabled_at, ..target })
}

/// The operator a team change is about, once the caller may make it.
pub(super) async fn team_change_target(db: &Db, caller: &Caller, id: i64) -> Result<OperatorView> {
    caller.require(Permission::ManageTeam)?;
    refuse_self(caller, id)?;
    let target = get(db, id).await?;
    require_may_assign(caller, target.role)?;
    Ok(target)
}

/// The columns a team change sets; `None` leaves one as it is.
#[derive(Default)]
struct Columns {
    role: Option<OperatorRole>,
    disabled_at: Option<Option<i64>>,
}

async fn write_change(
    db: &Db,
    caller: &Caller,
    id: i64,
    action: &'static str,
    details: serde_json::Value,
    columns: Columns,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let sql = "UPDATE operators SET role = COALESCE($1, role), \
               disabled_at = CASE WHEN $2 THEN $3 ELSE disabled_at END WHERE id = $4";
    let args =
        args![columns.role.map(OperatorRole::as_str), columns.disabled_at.is_some(), columns.disabled_at.flatten(), id];
    tx.execute(sql, args).await?;
    record(&mut tx, caller, Change { app: None, action, object: format!("operator:{id}"), details }).await?;
    tx.commit().await?;
    Ok(())
}
