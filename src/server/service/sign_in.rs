//! Signing operators in, and the throttle that stops password guessing
//! without handing anyone a way to lock an operator out.
//!
//! Each attempt counts against buckets: from a browser that operator
//! signed in on before (a known device), the device's own bucket; from any
//! other, the account's and the client address's. The attempt is counted
//! before its password is checked, in the same statement that refuses it
//! while a bucket is blocked, and a success takes it back: attempts made
//! at once get no further together than one after another.
//!
//! - An account allows [`ACCOUNT`]`.free` failures an hour, then makes each
//!   further attempt wait, twice as long after each failure, up to 15 minutes.
//! - An address allows 20 failures in 15 minutes, whatever the accounts.
//! - A known device allows 10 failures in 15 minutes, and is subject to
//!   neither of the above: guessing at an operator's account, or from their
//!   office's address, does not keep them out on their own browser.

use std::net::IpAddr;

use sqlx::FromRow;

use serde_json::json;

use super::{
    audit::{Change, record},
    now,
    operators::OperatorRow,
};
use crate::args;
use crate::domain::{Email, OperatorView, Password};
use crate::server::{
    Error, Result,
    access::{Actor, Caller, Permission, password, password::PasswordChecks, secret},
    db::{Db, Tx},
};

/// How one kind of bucket counts.
struct Policy {
    /// Failures allowed in a window before attempts must wait.
    free: i64,
    /// Seconds after which the count starts again.
    window: i64,
    /// The wait after the first failure past `free`...
    first_wait: i64,
    /// ...which doubles with each further failure, up to this.
    longest_wait: i64,
}

const ACCOUNT: Policy = Policy { free: 5, window: 3600, first_wait: 15, longest_wait: 900 };
const ADDRESS: Policy = Policy { free: 20, window: 900, first_wait: 900, longest_wait: 900 };
const DEVICE: Policy = Policy { free: 10, window: 900, first_wait: 900, longest_wait: 900 };

/// A known device stays known for this long after its last sign-in.
pub const DEVICE_LIFETIME: i64 = 180 * 24 * 3600;

impl Policy {
    /// Until when a bucket with `failures` (this attempt counted) is blocked.
    fn blocked_until(&self, failures: i64, at: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = u32::try_from(failures - self.free).unwrap_or(u32::MAX).min(16);
        at + self.first_wait.saturating_mul(1 << doublings).min(self.longest_wait)
    }
}

struct Bucket {
    key: String,
    policy: &'static Policy,
}

impl Bucket {
    fn account(email: &Email) -> Self {
        Bucket { key: format!("account:{email}"), policy: &ACCOUNT }
    }

    /// An IPv6 client usually holds a whole /64, so that is what counts.
    fn address(addr: IpAddr) -> Self {
        let net = match addr {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        };
        Bucket { key: format!("address:{net}"), policy: &ADDRESS }
    }

    fn device(token_hash: &str) -> Self {
        Bucket { key: format!("device:{token_hash}"), policy: &DEVICE }
    }
}

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
    /// The operator's session epoch, which their session holds (see
    /// [`reset_password`]).
    pub epoch: i64,
}

#[derive(FromRow)]
struct Credentials {
    #[sqlx(flatten)]
    operator: OperatorRow,
    password_hash: String,
    session_epoch: i64,
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
    count_attempt(db, &buckets).await?;
    let sql = format!(
        "SELECT {}, password_hash, session_epoch FROM operators WHERE email = $1 AND disabled_at IS NULL",
        super::operators::OPERATOR_COLUMNS
    );
    let found: Option<Credentials> = db.optional(&sql, args![email.as_str()]).await?;
    let epoch = found.as_ref().map_or(0, |c| c.session_epoch);
    let (operator, hash) = found.map(|c| (c.operator, c.password_hash)).unzip();
    let operator = match (password::verify(turn, attempt.password, hash).await?, operator) {
        (true, Some(operator)) => OperatorView::try_from(operator)?,
        _ => return Err(Error::WrongCredentials),
    };
    let device = succeeded(db, &buckets, &email, operator.id, known_device.and(attempt.device)).await?;
    Ok(SignedIn { operator, device, epoch })
}

/// Writes operator `operator`'s (`email`'s) new password hash: a new session
/// epoch ends their sessions, their known browsers are forgotten, and their
/// account's failed sign-ins are forgiven. Answers the new epoch.
pub(super) async fn replace_password(tx: &mut Tx, operator: i64, email: &Email, hash: &str) -> Result<i64> {
    let epoch = rand::random::<i64>();
    let sql = "UPDATE operators SET password_hash = $1, session_epoch = $2 WHERE id = $3";
    tx.execute(sql, args![hash, epoch, operator]).await?;
    tx.execute("DELETE FROM known_devices WHERE operator_id = $1", args![operator]).await?;
    tx.execute("DELETE FROM sign_in_throttle WHERE bucket = $1", args![Bucket::account(email).key]).await?;
    Ok(epoch)
}

/// The signed-in operator changes their own password, proving the current
/// one: their other sessions end and their known browsers are forgotten.
/// Answers the new session epoch, for the session that made the change to
/// carry on under. Wrong current passwords count against the account, as
/// failed sign-ins do, so that a session left open cannot guess it.
pub async fn change_password(
    db: &Db,
    passwords: &PasswordChecks,
    caller: &Caller,
    current: String,
    new: Password,
) -> Result<i64> {
    let Actor::Operator { id, email, .. } = &caller.actor else { return Err(Error::NotSignedIn) };
    let account = [Bucket::account(email)];
    count_attempt(db, &account).await?;
    let stored: Option<String> =
        db.optional_scalar("SELECT password_hash FROM operators WHERE id = $1", args![*id]).await?;
    if !passwords.verify(current, stored).await? {
        return Err(Error::invalid("ERR_WRONG_PASSWORD", "Your current password is wrong."));
    }
    let hash = passwords.hash(new.expose()).await?;
    let mut tx = db.begin_write().await?;
    let epoch = replace_password(&mut tx, *id, email, &hash).await?;
    let change =
        Change { app: None, action: "operator.password_change", object: format!("operator:{id}"), details: json!({}) };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(epoch)
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
    let sql = format!("SELECT {} FROM operators WHERE email = $1", super::operators::OPERATOR_COLUMNS);
    let row: Option<OperatorRow> = db.optional(&sql, args![email.as_str()]).await?;
    let operator = OperatorView::try_from(row.ok_or_else(|| super::operators::email_not_found(email))?)?;
    super::operators::require_may_assign(caller, operator.role)?;
    let hash = passwords.hash(password.expose()).await?;
    let mut tx = db.begin_write().await?;
    replace_password(&mut tx, operator.id, email, &hash).await?;
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

/// Counts the attempt against every bucket, or against none and refuses
/// it when one is blocked. Buckets are taken in the same order by every
/// attempt (account before address), so two never wait on each other.
async fn count_attempt(db: &Db, buckets: &[Bucket]) -> Result<()> {
    let at = now();
    let mut tx = db.begin_write().await?;
    for bucket in buckets {
        let sql = "INSERT INTO sign_in_throttle (bucket, failures, window_start, blocked_until) VALUES ($1, 1, $2, 0) \
                   ON CONFLICT (bucket) DO UPDATE SET \
                   failures = CASE WHEN sign_in_throttle.window_start <= $3 THEN 1 ELSE sign_in_throttle.failures + 1 END, \
                   window_start = CASE WHEN sign_in_throttle.window_start <= $3 THEN $2 ELSE sign_in_throttle.window_start END \
                   WHERE sign_in_throttle.blocked_until <= $2 \
                   RETURNING failures";
        let failures: Option<i64> = tx.optional_scalar(sql, args![&bucket.key, at, at - bucket.policy.window]).await?;
        let Some(failures) = failures else {
            let sql = "SELECT blocked_until FROM sign_in_throttle WHERE bucket = $1";
            let until: i64 = tx.scalar(sql, args![&bucket.key]).await?;
            return Err(Error::TooManyAttempts { retry_after: (until - at).max(1) });
        };
        let until = bucket.policy.blocked_until(failures, at);
        if until > 0 {
            tx.execute("UPDATE sign_in_throttle SET blocked_until = $1 WHERE bucket = $2", args![until, &bucket.key])
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Takes back what a successful attempt counted: the account or device it
/// proved starts afresh; the address only loses this attempt, since others
/// may be guessing from it. Remembers the browser as a known device of the
/// operator, under its token (a new one unless it had one), which it answers.
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
    for bucket in buckets {
        let proved = bucket.key == Bucket::account(email).key || bucket.key.starts_with("device:");
        let sql = "UPDATE sign_in_throttle SET \
                   failures = CASE WHEN $2 THEN 0 ELSE failures - 1 END, \
                   blocked_until = CASE WHEN $2 OR failures - 1 < $3 THEN 0 ELSE blocked_until END \
                   WHERE bucket = $1";
        tx.execute(sql, args![&bucket.key, proved, bucket.policy.free]).await?;
    }
    let sql = "INSERT INTO known_devices (token_hash, operator_id, created_at, last_used_at) VALUES ($1, $2, $3, $3) \
               ON CONFLICT (token_hash) DO UPDATE SET last_used_at = $3";
    tx.execute(sql, args![secret::hash(&token), operator, at]).await?;
    tx.commit().await?;
    Ok(token)
}

/// Forgets buckets whose window and block have both passed, and devices
/// unused for [`DEVICE_LIFETIME`]: each one is back to where it would
/// start anyway.
pub async fn sweep(db: &Db) -> Result<()> {
    let at = now();
    let longest_window = ACCOUNT.window.max(ADDRESS.window).max(DEVICE.window);
    let mut tx = db.begin_write().await?;
    let sql = "DELETE FROM sign_in_throttle WHERE window_start <= $1 AND blocked_until <= $2";
    tx.execute(sql, args![at - longest_window, at]).await?;
    tx.execute("DELETE FROM known_devices WHERE last_used_at <= $1", args![at - DEVICE_LIFETIME]).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_waits_longer_after_each_failure_past_its_free_ones() {
        let waits: Vec<i64> = (1..=12).map(|failures| ACCOUNT.blocked_until(failures, 1000)).collect();
        assert_eq!(waits[..4], [0, 0, 0, 0]);
        assert_eq!(waits[4..], [1015, 1030, 1060, 1120, 1240, 1480, 1900, 1900]);
    }

    #[test]
    fn an_address_is_blocked_for_the_window_from_its_twentieth_failure() {
        assert_eq!(ADDRESS.blocked_until(19, 1000), 0);
        assert_eq!(ADDRESS.blocked_until(20, 1000), 1900);
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64() {
        let a = Bucket::address("2001:db8:1:2:aaaa::1".parse().unwrap()).key;
        let b = Bucket::address("2001:db8:1:2:bbbb::9".parse().unwrap()).key;
        assert_eq!(a, b);
        assert_eq!(a, "address:2001:db8:1:2::/64");
        assert_eq!(Bucket::address("192.0.2.1".parse().unwrap()).key, "address:192.0.2.1");
    }
}
