//! Second factors: a TOTP secret (RFC 6238, any authenticator app) with
//! recovery codes, and the team's rule of which roles must use one.
//!
//! Codes count against the operator's own throttle bucket (see
//! `sign_in::count_code_attempt`), apart from their password's; a TOTP
//! code works once (its time step is kept), a recovery code once.

use qrcode::{QrCode, render::svg};
use serde_json::json;
use totp_rs::{Builder, Secret, Totp};

use super::{
    audit::{Change, record},
    now, operator_sessions, stored,
    throttle::{code_proved, count_code_attempt},
};
use crate::args;
use crate::domain::{OperatorRole, SecondFactor, TotpSetup, TwoFactorPolicy, TwoFactorView};
use crate::server::{
    Error, Result,
    access::{Actor, Caller, Permission, secret},
    db::{Db, Tx},
};

/// SQL that is true for an operator (a row of `operators`) with a second
/// factor set up and confirmed.
pub(super) const ENABLED: &str = "EXISTS (SELECT 1 FROM operator_totp t \
                                  WHERE t.operator_id = operators.id AND t.confirmed_at IS NOT NULL)";

const ISSUER: &str = "Switchboard";
const RECOVERY_CODES: usize = 10;
/// No 0/o, 1/l/i: recovery codes are read off paper.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn wrong_code() -> Error {
    Error::invalid("ERR_CODE_WRONG", "That code is wrong or used already.")
}

fn signed_in_operator(caller: &Caller) -> Result<(i64, String)> {
    match &caller.actor {
        Actor::Operator { id, email, .. } => Ok((*id, email.to_string())),
        _ => Err(Error::NotSignedIn),
    }
}

fn totp(secret_base32: &str, account: &str) -> Result<Totp> {
    let secret = stored(Secret::try_from_base32(secret_base32).map_err(|_| invalid_secret()))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|err| Error::Internal(format!("totp: {err}")))
}

fn invalid_secret() -> crate::domain::Invalid {
    crate::domain::Invalid::new("ERR_STORED", "a stored TOTP secret is not base32")
}

/// Where the signed-in operator stands.
pub async fn status(db: &Db, caller: &Caller) -> Result<TwoFactorView> {
    let (id, email) = signed_in_operator(caller)?;
    let sql = "SELECT secret, confirmed_at IS NOT NULL FROM operator_totp WHERE operator_id = $1";
    let totp: Option<(String, bool)> = db.optional(sql, args![id]).await?;
    let sql = "SELECT COUNT(*) FROM operator_recovery_codes WHERE operator_id = $1";
    let recovery_codes_left: i64 = db.scalar(sql, args![id]).await?;
    let role = caller.operator_role().map(OperatorRole::as_str);
    let sql = "SELECT EXISTS (SELECT 1 FROM two_factor_roles WHERE role = $1)";
    let required: bool = db.scalar(sql, args![role]).await?;
    let enabled = totp.as_ref().is_some_and(|(_, confirmed)| *confirmed);
    let setting_up = match totp {
        Some((secret, false)) => Some(setup_of(secret, &email)?),
        _ => None,
    };
    Ok(TwoFactorView { enabled, required, recovery_codes_left, setting_up })
}

/// Draws a new secret for the signed-in operator to scan; it asks for
/// nothing until [`confirm_setup`] sees a code from it.
pub async fn begin_setup(db: &Db, caller: &Caller) -> Result<TotpSetup> {
    let (id, email) = signed_in_operator(caller)?;
    let secret = Secret::new_stack(rand::random()).to_base32();
    let mut tx = db.begin_write().await?;
    let sql = "INSERT INTO operator_totp (operator_id, secret, created_at) VALUES ($1, $2, $3) \
               ON CONFLICT (operator_id) DO UPDATE SET secret = $2, created_at = $3 \
               WHERE operator_totp.confirmed_at IS NULL";
    if tx.execute(sql, args![id, &secret, now()]).await? == 0 {
        return Err(Error::conflict("ERR_TWO_FACTOR_ON", "Two-factor sign-in is on already."));
    }
    tx.commit().await?;
    setup_of(secret, &email)
}

/// What an authenticator app needs of `secret`: the address, and its QR code.
fn setup_of(secret: String, email: &str) -> Result<TotpSetup> {
    let address = totp(&secret, email)?.to_url().map_err(|err| Error::Internal(format!("totp: {err}")))?;
    let qr_svg = QrCode::new(address.as_bytes())
        .map_err(|err| Error::Internal(format!("qr: {err}")))?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(TotpSetup { secret, address, qr_svg })
}

/// Turns two-factor on with a first code from the secret being set up.
/// The session with key `own_key` counts as signed in with it; the
/// operator's other sessions end. Answers the recovery codes, shown once.
pub async fn confirm_setup(db: &Db, caller: &Caller, code: &SecondFactor, own_key: &str) -> Result<Vec<String>> {
    let (id, email) = signed_in_operator(caller)?;
    let SecondFactor::Totp(code) = code else { return Err(wrong_code()) };
    count_code_attempt(db, id).await?;
    let sql = "SELECT secret FROM operator_totp WHERE operator_id = $1 AND confirmed_at IS NULL";
    let secret: String = db
        .optional_scalar(sql, args![id])
        .await?
        .ok_or_else(|| Error::invalid("ERR_NO_TWO_FACTOR_SETUP", "Start setting up two-factor sign-in first."))?;
    let step = totp(&secret, &email)?.check(code, unix_now()).ok_or_else(wrong_code)?;
    let mut tx = db.begin_write().await?;
    let sql = "UPDATE operator_totp SET confirmed_at = $1, last_step = $2 \
               WHERE operator_id = $3 AND secret = $4 AND confirmed_at IS NULL";
    if tx.execute(sql, args![now(), step_value(step), id, &secret]).await? == 0 {
        return Err(wrong_code());
    }
    let codes = replace_recovery_codes(&mut tx, id).await?;
    operator_sessions::end_all_of(&mut tx, id, Some(own_key)).await?;
    operator_sessions::mark_two_factor(&mut tx, own_key).await?;
    code_proved(&mut tx, id).await?;
    let change =
        Change { app: None, action: "operator.two_factor_on", object: format!("operator:{id}"), details: json!({}) };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(codes)
}

fn unix_now() -> u64 {
    u64::try_from(now()).unwrap_or_default()
}

fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

async fn replace_recovery_codes(tx: &mut Tx, operator: i64) -> Result<Vec<String>> {
    tx.execute("DELETE FROM operator_recovery_codes WHERE operator_id = $1", args![operator]).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    for code in &codes {
        let sql = "INSERT INTO operator_recovery_codes (code_hash, operator_id) VALUES ($1, $2)";
        tx.execute(sql, args![recovery_hash(code), operator]).await?;
    }
    Ok(codes)
}

/// Ten characters (about 50 bits), shown as `abcde-fghjk`.
fn recovery_code() -> String {
    let chars: Vec<char> =
        (0..10).map(|_| char::from(RECOVERY_ALPHABET[rand::random_range(0..RECOVERY_ALPHABET.len())])).collect();
    format!("{}-{}", chars[..5].iter().collect::<String>(), chars[5..].iter().collect::<String>())
}

/// What is stored of a recovery code, as typed or as shown.
fn recovery_hash(code: &str) -> String {
    let kept: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    secret::hash(&kept)
}

/// Checks operator `operator`'s second factor at sign-in. A TOTP code is
/// used up with its time step, a recovery code for good.
pub async fn prove(db: &Db, operator: i64, factor: &SecondFactor) -> Result<()> {
    count_code_attempt(db, operator).await?;
    let mut tx = db.begin_write().await?;
    let used = match factor {
        SecondFactor::Totp(code) => {
            let sql = "SELECT t.secret, o.email FROM operator_totp t JOIN operators o ON o.id = t.operator_id \
                       WHERE t.operator_id = $1 AND t.confirmed_at IS NOT NULL";
            let found: Option<(String, String)> = tx.optional(sql, args![operator]).await?;
            let Some((secret, email)) = found else { return Err(wrong_code()) };
            let Some(step) = totp(&secret, &email)?.check(code, unix_now()) else { return Err(wrong_code()) };
            let sql = "UPDATE operator_totp SET last_step = $1 WHERE operator_id = $2 AND last_step < $1";
            tx.execute(sql, args![step_value(step), operator]).await?
        }
        SecondFactor::Recovery(code) => {
            let sql = "DELETE FROM operator_recovery_codes WHERE code_hash = $1 AND operator_id = $2";
            tx.execute(sql, args![recovery_hash(code), operator]).await?
        }
    };
    if used == 0 {
        return Err(wrong_code());
    }
    code_proved(&mut tx, operator).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns the signed-in operator's second factor off, proving it once more.
/// Refused while their role must use one.
pub async fn disable(db: &Db, caller: &Caller, factor: &SecondFactor) -> Result<()> {
    let (id, _) = signed_in_operator(caller)?;
    if status(db, caller).await?.required {
        return Err(Error::invalid(
            "ERR_TWO_FACTOR_REQUIRED_FOR_ROLE",
            "Your role must sign in with two-factor, so it stays on.",
        ));
    }
    prove(db, id, factor).await?;
    let mut tx = db.begin_write().await?;
    remove(&mut tx, id).await?;
    let change =
        Change { app: None, action: "operator.two_factor_off", object: format!("operator:{id}"), details: json!({}) };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(())
}

async fn remove(tx: &mut Tx, operator: i64) -> Result<()> {
    tx.execute("DELETE FROM operator_totp WHERE operator_id = $1", args![operator]).await?;
    tx.execute("DELETE FROM operator_recovery_codes WHERE operator_id = $1", args![operator]).await?;
    Ok(())
}

/// An owner or admin takes away operator `id`'s second factor, when they
/// lost it and their recovery codes: their sessions end, and they set one
/// up again at their next sign-in if their role must use one.
pub async fn reset_for(db: &Db, caller: &Caller, id: i64) -> Result<()> {
    let target = super::operators::team_change_target(db, caller, id).await?;
    let mut tx = db.begin_write().await?;
    remove(&mut tx, id).await?;
    operator_sessions::end_all_of(&mut tx, id, None).await?;
    let details = json!({"email": target.email});
    let change = Change { app: None, action: "operator.two_factor_reset", object: format!("operator:{id}"), details };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(())
}

/// The ids of the operators with a second factor on.
pub async fn enabled_operators(db: &Db, caller: &Caller) -> Result<Vec<i64>> {
    caller.require(Permission::Read)?;
    let sql = "SELECT operator_id FROM operator_totp WHERE confirmed_at IS NOT NULL ORDER BY operator_id";
    Ok(db.scalars(sql, &[]).await?)
}

/// Which roles must sign in with a second factor.
pub async fn policy(db: &Db, caller: &Caller) -> Result<TwoFactorPolicy> {
    caller.require(Permission::Read)?;
    let roles: Vec<String> = db.scalars("SELECT role FROM two_factor_roles ORDER BY role", &[]).await?;
    let roles = roles.iter().map(|r| stored(OperatorRole::parse(r))).collect::<Result<Vec<_>>>()?;
    Ok(TwoFactorPolicy { roles: OperatorRole::ALL.iter().copied().filter(|r| roles.contains(r)).collect() })
}

/// Only an owner sets which roles must use a second factor. Operators of
/// those roles signed in with a password alone may then only set one up.
pub async fn set_policy(db: &Db, caller: &Caller, policy: &TwoFactorPolicy) -> Result<()> {
    if caller.operator_role() != Some(OperatorRole::Owner) {
        return Err(Error::Forbidden {
            role: caller.operator_role().map_or("key", OperatorRole::as_str),
            action: "set who must use two-factor sign-in",
        });
    }
    let mut tx = db.begin_write().await?;
    tx.execute("DELETE FROM two_factor_roles", &[]).await?;
    for role in &policy.roles {
        tx.execute("INSERT INTO two_factor_roles (role) VALUES ($1)", args![role.as_str()]).await?;
    }
    let details = json!({"roles": policy.roles});
    let change = Change { app: None, action: "team.two_factor_policy", object: "team".to_owned(), details };
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_code_is_found_however_it_is_typed() {
        let code = recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(recovery_hash(&code), recovery_hash(&code.to_uppercase().replace('-', " ")));
        assert_ne!(recovery_code(), code);
    }
}
