//! One-time links to set an operator's password, which an owner or admin
//! makes for someone who forgot theirs, or invites: the link, not a
//! password typed by someone else, reaches them. A link works once, for a
//! day (an invitation for a week); using it ends the operator's sessions
//! as any new password does, and signs them in.

use serde_json::json;

use super::{
    audit::{Change, record},
    now,
    operators::{OPERATOR_COLUMNS, OperatorRow, insert_operator, require_may_assign, team_change_target},
    sign_in::replace_password,
};
use crate::args;
use crate::domain::{Email, OperatorName, OperatorRole, OperatorView, Password};
use crate::server::{
    Error, Result,
    access::{Actor, Caller, Permission, password::PasswordChecks, secret},
    db::Db,
};

/// How long a link works, in seconds.
pub const LINK_LIFETIME: i64 = 86_400;

/// How long an invitation works, in seconds.
pub const INVITATION_LIFETIME: i64 = 7 * 86_400;

/// Adds an operator who sets their own password with the link answered
/// (its token, shown this once); until then no password signs them in.
pub async fn invite(
    db: &Db,
    passwords: &PasswordChecks,
    caller: &Caller,
    email: &Email,
    name: &OperatorName,
    role: OperatorRole,
) -> Result<(OperatorView, String)> {
    caller.require(Permission::ManageTeam)?;
    require_may_assign(caller, role)?;
    // A password nobody knows, so that the row never signs in unset.
    let unknown = passwords.hash(&secret::generate().value).await?;
    let token = secret::generate();
    let at = now();
    let mut tx = db.begin_write().await?;
    let row = insert_operator(&mut tx, email, name, role, &unknown).await?;
    let operator = OperatorView::try_from(row)?;
    let sql = "INSERT INTO operator_links (token_hash, operator_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    tx.execute(sql, args![&token.hash, operator.id, at, at + INVITATION_LIFETIME]).await?;
    let details = json!({"email": email, "role": role, "prefix": token.prefix});
    let object = format!("operator:{}", operator.id);
    record(&mut tx, caller, Change { app: None, action: "operator.invite", object, details }).await?;
    tx.commit().await?;
    Ok((operator, token.value))
}

/// A new link for operator `id`; an earlier one stops working. Answers the
/// token the link carries, shown this once.
pub async fn reset_link(db: &Db, caller: &Caller, id: i64) -> Result<String> {
    let target = team_change_target(db, caller, id).await?;
    let token = secret::generate();
    let at = now();
    let mut tx = db.begin_write().await?;
    tx.execute("DELETE FROM operator_links WHERE operator_id = $1", args![id]).await?;
    let sql = "INSERT INTO operator_links (token_hash, operator_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    tx.execute(sql, args![&token.hash, id, at, at + LINK_LIFETIME]).await?;
    let details = json!({"email": target.email, "prefix": token.prefix});
    record(
        &mut tx,
        caller,
        Change { app: None, action: "operator.reset_link", object: format!("operator:{id}"), details },
    )
    .await?;
    tx.commit().await?;
    Ok(token.value)
}

/// Sets the password of the operator a link was made for, and uses the
/// link up; `ip` is where it was used from, for the audit log. Answers the
/// operator, to sign in, and whether they have a second factor to prove
/// first: the link stands in for the password only.
pub async fn set_password(
    db: &Db,
    passwords: &PasswordChecks,
    token: &str,
    password: Password,
    ip: Option<String>,
) -> Result<(OperatorView, bool)> {
    let (token_hash, at) = (secret::hash(token), now());
    // A link is looked at before argon2 runs for it: an unknown token
    // costs no turn at the password checks, which sign-ins share.
    let sql = "SELECT operator_id FROM operator_links WHERE token_hash = $1 AND expires_at > $2";
    db.optional_scalar::<i64>(sql, args![&token_hash, at]).await?.ok_or_else(link_invalid)?;
    let hash = passwords.hash(password.expose()).await?;
    let mut tx = db.begin_write().await?;
    let sql = "DELETE FROM operator_links WHERE token_hash = $1 AND expires_at > $2 RETURNING operator_id";
    let id: i64 = tx.optional_scalar(sql, args![&token_hash, at]).await?.ok_or_else(link_invalid)?;
    let sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = $1 AND disabled_at IS NULL");
    let row: OperatorRow = tx.optional(&sql, args![id]).await?.ok_or_else(link_invalid)?;
    let operator = OperatorView::try_from(row)?;
    let sql = format!("SELECT {} FROM operators WHERE id = $1", super::two_factor::ENABLED);
    let two_factor: bool = tx.scalar(&sql, args![id]).await?;
    replace_password(&mut tx, operator.id, &operator.email, &hash, None).await?;
    let caller = Caller { actor: Actor::Operator { id, email: operator.email.clone(), role: operator.role }, ip };
    let change =
        Change { app: None, action: "operator.password_set", object: format!("operator:{id}"), details: json!({}) };
    record(&mut tx, &caller, change).await?;
    tx.commit().await?;
    Ok((operator, two_factor))
}

fn link_invalid() -> Error {
    Error::invalid("ERR_LINK_INVALID", "This link is used, expired or unknown. Ask for a new one.")
}
