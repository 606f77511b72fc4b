//! Signing operators in with their password, and the browsers they signed
//! in on before (known devices), which the throttle spares (see
//! `throttle`).

use std::net::IpAddr;

use sqlx::FromRow;

use serde_json::json;

use super::{
    audit::{Change, record},
    now,
    operators::OperatorRow,
    throttle::{self, Bucket},
};
use crate::args;
use crate::domain::{Email, OperatorView, Password};
use crate::server::{
    Error, Result,
    access::{Actor, Caller, Permission, password, password::PasswordChecks, secret},
    db::{Db, Tx},
};

/// A known device stays known for this long after its last sign-in.
pub const DEVICE_LIFETIME: i64 = 180 * 24 * 3600;

/// One sign-in attempt, as the browser made it.
pub struct Attempt {
    pub email: String,
    pub password: String,
    pub address: Option<IpAddr>,
    /// The known-device token the browser's cookie holds, if any.
    pub device: Option<String>,
}

/// A successful sign-in: the operator, and the device token to keep in
/// the browser (the one it had, or a new one).
pub struct SignedIn {
    pub operator: OperatorView,
    pub device: String,
    /// They have a second factor, which must be proved before the session
    /// starts (see `two_factor::prove`).
    pub two_factor: bool,
}

#[derive(FromRow)]
struct Credentials {
    #[sqlx(flatten)]
    operator: OperatorRow,
    password_hash: String,
    two_factor: bool,
}

/// Checks an email and password. Unknown emails cost the same argon2 work
/// and get the same answer as wrong passwords.
pub async fn sign_in(db: &Db, passwords: &PasswordChecks, attempt: Attempt) -> Result<SignedIn> {
    let email = Email::parse(&attempt.email).map_err(|_| Error::WrongCredentials)?;
    let turn = passwords.turn_now()?;
    let known_device = match &attempt.device {
        Some(token) => known_device(db, &email, &secret::hash(token)).await?,
        None => None,
    };
    let buckets = match &known_device {
        Some(hash) => vec![Bucket::device(hash)],
        None => {
            let mut buckets = vec![Bucket::account(&email)];
            buckets.extend(attempt.address.map(Bucket::address));
            buckets
        }
    };
    throttle::count_attempt(db, &buckets).await?;
    let sql = format!(
        "SELECT {}, password_hash, {} AS two_factor FROM operators WHERE email = $1 AND disabled_at IS NULL",
        super::operators::OPERATOR_COLUMNS,
        super::two_factor::ENABLED
    );
    let found: Option<Credentials> = db.optional(&sql, args![email.as_str()]).await?;
    let two_factor = found.as_ref().is_some_and(|c| c.two_factor);
    let (operator, hash) = found.map(|c| (c.operator, c.password_hash)).unzip();
    let operator = match (password::verify(turn, attempt.password, hash).await?, operator) {
        (true, Some(operator)) => OperatorView::try_from(operator)?,
        _ => return Err(Error::WrongCredentials),
    };
    let device = succeeded(db, &buckets, &email, operator.id, known_device.and(attempt.device)).await?;
    Ok(SignedIn { operator, device, two_factor })
}

/// Writes operator `operator`'s (`email`'s) new password hash: their
/// sessions end (all but the one with key `keep`), their known browsers are
/// forgotten, and their account's failed sign-ins are forgiven.
pub(super) async fn replace_password(
    tx: &mut Tx,
    operator: i64,
    email: &Email,
    hash: &str,
    keep: Option<&str>,
) -> Result<()> {
    tx.execute("UPDATE operators SET password_hash = $1 WHERE id = $2", args![hash, operator]).await?;
    super::operator_sessions::end_all_of(tx, operator, keep).await?;
    tx.execute("DELETE FROM known_devices WHERE operator_id = $1", args![operator]).await?;
    throttle::forgive_account(tx, email).await
}

/// An owner or admin lifts operator `id`'s lock-out: their account's
/// failed sign-ins are forgiven. (The addresses guessing from stay
/// counted.)
pub async fn lift_lock_out(db: &Db, caller: &Caller, id: i64) -> Result<()> {
    let target = super::operators::team_change_target(db, caller, id).await?;
    let mut tx = db.begin_write().await?;
    throttle::forgive_account(&mut tx, &target.email).await?;
    let details = json!({"email": target.email});
    record(&mut tx, caller, Change { app: None, action: "operator.unlock", object: format!("operator:{id}"), details })
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The ids of the operators whose account is locked out now.
pub async fn locked_out(db: &Db, caller: &Caller) -> Result<Vec<i64>> {
    caller.require(Permission::Read)?;
    throttle::locked_out_accounts(db).await
}

/// The signed-in operator changes their own password, proving the current
/// one: their other sessions end (all but the one with key `own_key`) and
/// their known browsers are forgotten. Wrong current passwords count against the account, as
/// failed sign-ins do, so that a session left open cannot guess it.
pub async fn change_password(
    db: &Db,
    passwords: &PasswordChecks,
    caller: &Caller,
    current: String,
    new: Password,
    own_key: &str,
) -> Result<()> {
    let Actor::Operator { id, email, .. } = &caller.actor else { return Err(Error::NotSignedIn) };
    let account = [Bucket::account(email)];
    throttle::count_attempt(db, &account).await?;
    let stored: Option<String> =
        db.optional_scalar("SELECT password_hash FROM operators WHERE id = $1", args![*id]).await?;
    if !passwords.verify(current, stored).await? {
        return Err(Error::invalid("ERR_WRONG_PASSWORD", "Your current password is wrong."));
    }
    let hash = passwords.hash(new.expose()).await?;
    let mut tx = db.begin_write().await?;
    replace_password(&mut tx, *id, email, &hash, Some(own_key)).await?;
    let change =
        Change { app: None, action: "operator.password_change", object: format!("operator:{id}"), details: json!({}) };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Gives the operator with this email a new password, from the team's
/// side (an owner or admin, or the CLI on the machine): their sessions end
/// on their next request, their known browsers are forgotten, and their
/// account's failed sign-ins are forgiven, which lifts a lock-out.
pub async fn reset_password(
    db: &Db,
    passwords: &PasswordChecks,
    caller: &Caller,
    email: &Email,
    password: Password,
) -> Result<OperatorView> {
    caller.require(Permission::ManageTeam)?;
    let operator = super::operators::by_email(db, caller, email).await?;
    super::operators::require_may_assign(caller, operator.role)?;
    let hash = passwords.hash(password.expose()).await?;
    let mut tx = db.begin_write().await?;
    replace_password(&mut tx, operator.id, email, &hash, None).await?;
    let change = Change {
        app: None,
        action: "operator.password_reset",
        object: format!("operator:{}", operator.id),
        details: json!({"email": email}),
    };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(operator)
}

/// The hash of `token`'s device, when it is a known device of the
/// operator with this email.
async fn known_device(db: &Db, email: &Email, token_hash: &str) -> Result<Option<String>> {
    let sql = "SELECT d.token_hash FROM known_devices d JOIN operators o ON o.id = d.operator_id \
               WHERE d.token_hash = $1 AND o.email = $2 AND d.last_used_at > $3";
    Ok(db.optional_scalar(sql, args![token_hash, email.as_str(), now() - DEVICE_LIFETIME]).await?)
}

/// Takes back what a successful attempt counted (see `throttle::take_back`)
/// and remembers the browser as a known device of the operator, under its
/// token (a new one unless it had one), which it answers.
async fn succeeded(
    db: &Db,
    buckets: &[Bucket],
    email: &Email,
    operator: i64,
    known_token: Option<String>,
) -> Result<String> {
    let at = now();
    let token = known_token.unwrap_or_else(|| secret::generate().value);
    let mut tx = db.begin_write().await?;
    throttle::take_back(&mut tx, buckets, email).await?;
    let sql = "INSERT INTO known_devices (token_hash, operator_id, created_at, last_used_at) VALUES ($1, $2, $3, $3) \
               ON CONFLICT (token_hash) DO UPDATE SET last_used_at = $3";
    tx.execute(sql, args![secret::hash(&token), operator, at]).await?;
    tx.commit().await?;
    Ok(token)
}

/// Forgets buckets whose window and block have both passed, devices
/// unused for [`DEVICE_LIFETIME`] and sessions run out: each one is back to
/// where it would start anyway.
pub async fn sweep(db: &Db) -> Result<()> {
    let at = now();
    let mut tx = db.begin_write().await?;
    throttle::sweep(&mut tx, at).await?;
    tx.execute("DELETE FROM known_devices WHERE last_used_at <= $1", args![at - DEVICE_LIFETIME]).await?;
    super::operator_sessions::sweep(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
