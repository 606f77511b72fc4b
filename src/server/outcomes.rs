//! What a dashboard form post did, kept for the page its browser is sent
//! back to. Kept in this process's memory, never in the session's database
//! row: an outcome may hold a key's secret, which Switchboard stores only
//! as a hash.

use std::time::Duration;

use moka::future::Cache;
use tower_sessions::Session;

use crate::domain::Outcome;

/// Long enough for the redirect that follows the post; a page left
/// unloaded longer loses it.
const KEPT_FOR: Duration = Duration::from_secs(300);
const KEPT_AT_MOST: u64 = 10_000;

#[derive(Clone)]
pub struct Outcomes(Cache<i128, Outcome>);

impl Default for Outcomes {
    fn default() -> Self {
        Outcomes(Cache::builder().max_capacity(KEPT_AT_MOST).time_to_live(KEPT_FOR).build())
    }
}

impl Outcomes {
    /// Keeps `outcome` for `session`'s next page, in place of any before.
    pub async fn keep(&self, session: &Session, outcome: Outcome) {
        if let Some(id) = session.id() {
            self.0.insert(id.0, outcome).await;
        }
    }

    /// What was kept for `session`, taken: a reload shows it no more.
    pub async fn take(&self, session: &Session) -> Option<Outcome> {
        self.0.remove(&session.id()?.0).await
    }
}
