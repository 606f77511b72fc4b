//! What changed, told to every server process of the database so that the
//! realtime gateway can push it to the clients connected there.
//!
//! A change announces its events inside its write transaction, so they go
//! out only if it commits, and in commit order. On Postgres that is
//! `pg_notify`, which reaches every process listening on the database; on
//! SQLite, where one process holds the file, the transaction hands them to
//! the process's own channel when it commits. Both carry the same JSON:
//! an array of events, small enough for a notification (8,000 bytes), so
//! a message travels as its id and each process reads what it needs.
//!
//! Each payload is also logged (`events`) in the transaction, and its
//! notification carries the log's id (`ID:JSON`): a listener that may have
//! missed notifications reads the log on from the last id it handled.
//! Events that change nothing stored (typing) are not logged.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::now;
use crate::args;
use crate::server::{
    Result,
    db::{Db, Listening, Notified, Tx},
};

/// A notification's payload stays under Postgres's limit of 8,000 bytes,
/// with room for its log id.
const MAX_PAYLOAD: usize = 7_900;

/// How long the log keeps an event: a listener that lost its connection
/// for longer has its sockets re-checked, and misses the messages.
pub const LOG_KEPT_SECONDS: i64 = 600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Event {
    /// A message was written: sent by a user, or an action by the system.
    Message {
        app: i64,
        id: i64,
        sender: String,
        /// The receiving user's UID, or the group's GUID.
        receiver: String,
        to_group: bool,
        /// What an action message records (who joined, was kicked, which
        /// message was edited): the gateway follows group membership and
        /// edits by it.
        action: Option<Value>,
    },
    Presence {
        app: i64,
        uid: String,
        online: bool,
        at: i64,
    },
    /// One token revoked, or (`token: None`) all of the user's.
    TokensRevoked {
        app: i64,
        uid: String,
        token: Option<i64>,
    },
    /// The user was deactivated or deleted.
    UserGone {
        app: i64,
        uid: String,
    },
    AppGone {
        app: i64,
    },
    Typing {
        app: i64,
        sender: String,
        receiver: String,
        to_group: bool,
        started: bool,
    },
    /// `by` received or read the messages up to `message_id`, sent by `to`.
    Receipt {
        app: i64,
        read: bool,
        by: String,
        to: String,
        message_id: i64,
    },
}

/// Packs events into as few payloads as fit a notification each.
pub(crate) fn payloads(events: &[Event]) -> Result<Vec<String>, sqlx::Error> {
    let mut payloads = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for event in events {
        let json = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        if !current.is_empty() && size + json.len() + 1 > MAX_PAYLOAD {
            payloads.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        payloads.push(format!("[{}]", current.join(",")));
    }
    Ok(payloads)
}

/// Announces `events` in write transaction `tx`: they reach the listeners
/// if and when it commits.
pub(crate) async fn announce(tx: &mut Tx, events: &[Event]) -> Result<()> {
    tx.announce(payloads(events)?, now()).await?;
    Ok(())
}

/// Announces events that change nothing stored (typing, delivery), at once.
pub async fn publish(db: &Db, events: &[Event]) -> Result<()> {
    for payload in payloads(events)? {
        db.publish(payload).await?;
    }
    Ok(())
}

/// What a listener heard.
#[derive(Debug)]
pub enum Heard {
    /// Events, with the id the log keeps them under (none for events that
    /// change nothing stored).
    Events(Option<i64>, Vec<Event>),
    /// Events may have been lost (a listener that fell behind, a lost
    /// connection to Postgres); the listener hears again from here on, so
    /// whatever is read of the database now is at least as new as a lost event.
    Gap,
}

/// The events of every process on the database, as they are announced.
pub struct Listener(Listening);

impl Listener {
    pub async fn start(db: &Db) -> Result<Self> {
        Ok(Listener(db.listen().await?))
    }

    /// The next batch of events, or a gap, or none once the database is closed.
    pub async fn next(&mut self) -> Result<Option<Heard>> {
        loop {
            let payload = match self.0.next().await? {
                None => return Ok(None),
                Some(Notified::Gap) => return Ok(Some(Heard::Gap)),
                Some(Notified::Payload(payload)) => payload,
            };
            let (id, json) = match payload.split_once(':') {
                Some((id, json)) if !payload.starts_with('[') => (id.parse().ok(), json),
                _ => (None, &*payload),
            };
            match serde_json::from_str(json) {
                Ok(events) => return Ok(Some(Heard::Events(id, events))),
                Err(error) => tracing::warn!(%error, "skipped an event payload that does not parse"),
            }
        }
    }
}

/// The id of the last event logged so far; a listener started now hears
/// every later one.
pub async fn last_logged(db: &Db) -> Result<i64> {
    let id: Option<i64> = db.scalar("SELECT MAX(id) FROM events", &[]).await?;
    Ok(id.unwrap_or(0))
}

/// Up to `limit` logged payloads after id `after`, in order, each parsed.
pub async fn logged_after(db: &Db, after: i64, limit: i64) -> Result<Vec<(i64, Vec<Event>)>> {
    let sql = "SELECT id, payload FROM events WHERE id > $1 ORDER BY id LIMIT $2";
    let rows: Vec<(i64, String)> = db.all(sql, args![after, limit]).await?;
    let parsed = rows.into_iter().filter_map(|(id, payload)| match serde_json::from_str(&payload) {
        Ok(events) => Some((id, events)),
        Err(error) => {
            tracing::warn!(%error, id, "skipped a logged event payload that does not parse");
            None
        }
    });
    Ok(parsed.collect())
}

/// Forgets events logged more than [`LOG_KEPT_SECONDS`] ago.
pub async fn forget_old(db: &Db) -> Result<()> {
    let before = now() - LOG_KEPT_SECONDS;
    let mut tx = db.begin_write().await?;
    tx.execute("DELETE FROM events WHERE created_at < $1", args![before]).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typing(n: usize) -> Event {
        Event::Typing { app: 1, sender: "a".repeat(n), receiver: "b".into(), to_group: false, started: true }
    }

    #[test]
    fn events_are_packed_into_payloads_that_fit_a_notification() {
        let events: Vec<Event> = (0..200).map(|_| typing(90)).collect();
        let payloads = payloads(&events).unwrap();
        assert!(payloads.len() > 1);
        let mut back = Vec::new();
        for payload in &payloads {
            assert!(payload.len() <= MAX_PAYLOAD, "{}", payload.len());
            back.extend(serde_json::from_str::<Vec<Event>>(payload).unwrap());
        }
        assert_eq!(back, events);
    }

    #[test]
    fn no_events_make_no_payload() {
        assert!(payloads(&[]).unwrap().is_empty());
    }
}
