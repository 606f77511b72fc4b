//! REST requests per API key per day. Each request is counted in memory;
//! the counts go to the database with the key's "last used" time, which is
//! written at most once a minute, so a request never waits on a write of
//! its own. Readers add what is still in memory. A process that stops
//! loses at most its last minute of counts.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use crate::args;
use crate::server::{
    Result,
    db::{Db, Tx},
};

/// A database's requests not yet written, by key id and day; the database
/// keeps them (`Db::kept`).
#[derive(Default)]
struct Pending(Mutex<HashMap<(i64, i64), i64>>);

fn pending(db: &Db) -> Arc<Pending> {
    db.kept(Pending::default)
}

pub(super) fn count(db: &Db, key: i64, day: i64) {
    let pending = pending(db);
    *pending.0.lock().unwrap_or_else(PoisonError::into_inner).entry((key, day)).or_default() += 1;
}

/// Takes key `key`'s counts out of memory, to be written: `(day, requests)`.
pub(super) fn take(db: &Db, key: i64) -> Vec<(i64, i64)> {
    let pending = pending(db);
    let mut pending = pending.0.lock().unwrap_or_else(PoisonError::into_inner);
    let days: Vec<i64> = pending.keys().filter(|(k, _)| *k == key).map(|(_, day)| *day).collect();
    days.into_iter().filter_map(|day| pending.remove(&(key, day)).map(|n| (day, n))).collect()
}

/// Counts still in memory for the keys in `keys`: `(key, day, requests)`.
pub(super) fn unwritten(db: &Db, keys: &[i64]) -> Vec<(i64, i64, i64)> {
    let pending = pending(db);
    let pending = pending.0.lock().unwrap_or_else(PoisonError::into_inner);
    pending.iter().filter(|((key, _), _)| keys.contains(key)).map(|((key, day), n)| (*key, *day, *n)).collect()
}

/// Writes `counts` (`(day, requests)`) of key `key` in `tx`.
pub(super) async fn write_counts(tx: &mut Tx, key: i64, counts: &[(i64, i64)]) -> Result<()> {
    for (day, requests) in counts {
        tx.execute(
            "INSERT INTO key_requests (key_id, day, requests) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id, day) DO UPDATE SET requests = key_requests.requests + excluded.requests",
            args![key, *day, *requests],
        )
        .await?;
    }
    Ok(())
}
