//! argon2id, always off the async runtime: one hash costs tens of
//! milliseconds of CPU and would stall every other request on the worker.

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::server::{Error, Result};

/// Hashes an operator's password or a group's: anything a person types.
pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(|e| Error::Internal(e.to_string()))?
}

fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(e.to_string()))
}

/// A hash of nothing anybody knows, checked when the email is unknown so
/// that a wrong email costs as much time as a wrong password.
static DECOY: LazyLock<String> =
    LazyLock::new(|| hash_now("no operator has this password").expect("argon2 hashes a constant"));

/// True when `password` matches `stored`; with no stored hash, checks the
/// decoy and answers false.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let matches_decoy = stored.is_none();
        let stored = stored.unwrap_or_else(|| DECOY.clone());
        let parsed = PasswordHash::new(&stored).map_err(|e| Error::Internal(e.to_string()))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && !matches_decoy)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Password;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let password = Password::parse("correct horse battery").unwrap();
        let stored = hash(password.expose()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("wrong horse battery".into(), Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("no operator has this password".into(), None).await.unwrap());
    }
}
