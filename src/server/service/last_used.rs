//! "Last used" times are hints for people, not a log: each row's is written
//! at most once a minute. Requests read the stored time on their way in, so
//! all those arriving before the first one's write has landed would each
//! write it too, queueing for the database's one writer; a claim per row
//! lets only the first of them write.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

/// Seconds between two writes of one row's time.
pub(super) const GRANULARITY: i64 = 60;

/// When this process last claimed the write for each row of one table of
/// one database (the database keeps it: `Db::kept`).
#[derive(Default)]
pub(super) struct Claims(Mutex<HashMap<i64, i64>>);

/// Past this many rows, claims older than a minute are let go.
const KEPT: usize = 10_000;

impl Claims {
    /// Whether the caller, reading `stored` as row `id`'s time at `at`,
    /// is the one to write it.
    pub(super) fn claim(&self, id: i64, stored: Option<i64>, at: i64) -> bool {
        let mut claims = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let last = claims.get(&id).copied().max(stored);
        if last.is_some_and(|last| at - last < GRANULARITY) {
            return false;
        }
        if claims.len() >= KEPT {
            claims.retain(|_, claimed| at - *claimed < GRANULARITY);
        }
        claims.insert(id, at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_of_a_minute_writes() {
        let claims = Claims::default();
        assert!(claims.claim(1, None, 1000));
        assert!(!claims.claim(1, None, 1030), "a request that read the old time still sees the claim");
        assert!(claims.claim(3, None, 1030), "another row is claimed apart");
        assert!(!claims.claim(2, Some(990), 1000), "a recent stored time is enough");
        assert!(claims.claim(1, Some(1000), 1060));
    }
}
