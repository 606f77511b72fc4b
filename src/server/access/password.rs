//! argon2id, always off the async runtime: one hash costs tens of
//! milliseconds of CPU and would stall every other request on the worker.
//! Each check also holds its memory cost (argon2's `m_cost`) while it runs,
//! so checks run a few at a time (see `benches/README.md` for a crowd's peak).

use std::sync::{Arc, LazyLock};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::server::{Error, Result};

/// The process's turns at argon2: one per core by default, since each
/// check keeps a core busy and more at once only add memory.
#[derive(Debug, Clone)]
pub struct PasswordChecks {
    turns: Arc<Semaphore>,
}

/// A turn at argon2, held while one hash or check runs.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
}

impl PasswordChecks {
    pub fn new(at_once: usize) -> Self {
        PasswordChecks { turns: Arc::new(Semaphore::new(at_once.max(1))) }
    }

    /// One turn per core of this machine.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// A turn now, or `Error::Busy` when all are taken: for sign-in, where
    /// a crowd of attempts is more likely an attack than a queue to serve.
    pub fn turn_now(&self) -> Result<Turn> {
        self.turns
            .clone()
            .try_acquire_owned()
            .map(|_permit| Turn { _permit })
            .map_err(|_| Error::Busy { retry_after: 1 })
    }

    /// The next free turn, waiting for it.
    pub async fn turn(&self) -> Result<Turn> {
        // The semaphore is never closed.
        self.turns
            .clone()
            .acquire_owned()
            .await
            .map(|_permit| Turn { _permit })
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// Hashes an operator's password or a group's: anything a person types.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let turn = self.turn().await?;
        hash(turn, password).await
    }

    /// [`verify`], in the next free turn.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        let turn = self.turn().await?;
        verify(turn, password, stored).await
    }
}

/// Hashes `password` in `turn`.
pub async fn hash(turn: Turn, password: &str) -> Result<String> {
    let password = password.to_owned();
    run(turn, move || hash_now(&password)).await
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
static DECOY: LazyLock<Result<String, String>> =
    LazyLock::new(|| hash_now("no operator has this password").map_err(|e| e.to_string()));

/// True when `password` matches `stored`; with no stored hash, checks the
/// decoy and answers false. Runs in `turn`.
pub async fn verify(turn: Turn, password: String, stored: Option<String>) -> Result<bool> {
    run(turn, move || {
        let matches_decoy = stored.is_none();
        let stored = match stored {
            Some(stored) => stored,
            None => DECOY.clone().map_err(Error::Internal)?,
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| Error::Internal(e.to_string()))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && !matches_decoy)
    })
    .await
}

/// Runs `work` on the blocking pool, holding `turn` until it is done.
async fn run<T: Send + 'static>(turn: Turn, work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(turn);
        result
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
        let checks = PasswordChecks::new(1);
        let password = Password::parse("correct horse battery").unwrap();
        let stored = checks.hash(password.expose()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(checks.verify("correct horse battery".into(), Some(stored.clone())).await.unwrap());
        assert!(!checks.verify("wrong horse battery".into(), Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!PasswordChecks::new(1).verify("no operator has this password".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_turn_now_is_refused_while_every_turn_is_taken() {
        let checks = PasswordChecks::new(2);
        let (first, second) = (checks.turn_now().unwrap(), checks.turn_now().unwrap());
        assert!(matches!(checks.turn_now(), Err(Error::Busy { retry_after: 1 })));
        drop(first);
        assert!(checks.turn_now().is_ok());
        drop(second);
    }
}
