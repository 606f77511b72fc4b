//! The throttle that stops guessing at passwords and second-factor codes
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
//! - An operator's second factor counts as an account does, in a bucket of
//!   its own: a right password does not forgive wrong codes.

use std::net::IpAddr;

use super::now;
use crate::args;
use crate::domain::Email;
use crate::server::{
    Error, Result,
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

pub(super) struct Bucket {
    key: String,
    policy: &'static Policy,
}

impl Bucket {
    pub(super) fn account(email: &Email) -> Self {
        Bucket { key: format!("account:{email}"), policy: &ACCOUNT }
    }

    /// An IPv6 client usually holds a whole /64, so that is what counts.
    pub(super) fn address(addr: IpAddr) -> Self {
        let net = match addr {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        };
        Bucket { key: format!("address:{net}"), policy: &ADDRESS }
    }

    pub(super) fn device(token_hash: &str) -> Self {
        Bucket { key: format!("device:{token_hash}"), policy: &DEVICE }
    }

    /// Codes for an operator's second factor count apart from their
    /// password: a right password does not forgive wrong codes.
    fn second_factor(operator: i64) -> Self {
        Bucket { key: format!("second_factor:{operator}"), policy: &ACCOUNT }
    }
}

/// Counts an attempt at operator `operator`'s second factor, or refuses it
/// while too many have failed (see [`ACCOUNT`]).
pub(super) async fn count_code_attempt(db: &Db, operator: i64) -> Result<()> {
    count_attempt(db, &[Bucket::second_factor(operator)]).await
}

/// A code was right: operator `operator`'s failed codes are forgiven.
pub(super) async fn code_proved(tx: &mut Tx, operator: i64) -> Result<()> {
    tx.execute("DELETE FROM sign_in_throttle WHERE bucket = $1", args![Bucket::second_factor(operator).key]).await?;
    Ok(())
}

/// Counts the attempt against every bucket, or against none and refuses
/// it when one is blocked. Buckets are taken in the same order by every
/// attempt (account before address), so two never wait on each other.
pub(super) async fn count_attempt(db: &Db, buckets: &[Bucket]) -> Result<()> {
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

/// Forgives the account's failed sign-ins, which ends its lock-out.
pub(super) async fn forgive_account(tx: &mut Tx, email: &Email) -> Result<()> {
    tx.execute("DELETE FROM sign_in_throttle WHERE bucket = $1", args![Bucket::account(email).key]).await?;
    Ok(())
}

/// The ids of the operators whose account is locked out now.
pub(super) async fn locked_out_accounts(db: &Db) -> Result<Vec<i64>> {
    let sql = "SELECT o.id FROM operators o JOIN sign_in_throttle t ON t.bucket = 'account:' || o.email \
               WHERE t.blocked_until > $1 ORDER BY o.id";
    Ok(db.scalars(sql, args![now()]).await?)
}

/// Takes back what a successful sign-in counted: the account or device it
/// proved starts afresh; the address only loses this attempt, since others
/// may be guessing from it.
pub(super) async fn take_back(tx: &mut Tx, buckets: &[Bucket], email: &Email) -> Result<()> {
    for bucket in buckets {
        let proved = bucket.key == Bucket::account(email).key || bucket.key.starts_with("device:");
        let sql = "UPDATE sign_in_throttle SET \
                   failures = CASE WHEN $2 THEN 0 ELSE failures - 1 END, \
                   blocked_until = CASE WHEN $2 OR failures - 1 < $3 THEN 0 ELSE blocked_until END \
                   WHERE bucket = $1";
        tx.execute(sql, args![&bucket.key, proved, bucket.policy.free]).await?;
    }
    Ok(())
}

/// Forgets buckets whose window and block have both passed (at `at`): each
/// one is back to where it would start anyway.
pub(super) async fn sweep(tx: &mut Tx, at: i64) -> Result<()> {
    let longest_window = ACCOUNT.window.max(ADDRESS.window).max(DEVICE.window);
    let sql = "DELETE FROM sign_in_throttle WHERE window_start <= $1 AND blocked_until <= $2";
    tx.execute(sql, args![at - longest_window, at]).await?;
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
