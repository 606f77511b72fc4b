//! Event payloads between the processes of one database: `pg_notify` on
//! Postgres; on SQLite, where one process holds the file, a channel of
//! its own (see `service::events` for what they carry).

use std::{sync::Arc, time::Duration};

use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use super::{CHANNEL, Db};

/// How long a listener that lost Postgres waits before listening again.
const RELISTEN_AFTER: Duration = Duration::from_millis(200);

/// What a listener heard: a payload, or word that some may have been lost.
pub enum Notified {
    Payload(Arc<str>),
    Gap,
}

/// A listener to every process's event payloads.
pub enum Listening {
    Sqlite(broadcast::Receiver<Arc<str>>),
    Postgres { listener: Box<PgListener>, pool: sqlx::PgPool },
}

async fn listen(pool: &sqlx::PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

impl Db {
    pub async fn listen(&self) -> Result<Listening, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(sqlite) => Listening::Sqlite(sqlite.subscribe()),
            Db::Postgres(pool) => {
                let pool = sqlx::PgPool::clone(pool);
                Listening::Postgres { listener: Box::new(listen(&pool).await?), pool }
            }
        })
    }

    /// Hands a payload that nothing stored stands behind to every listener, at once.
    pub async fn publish(&self, payload: String) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(sqlite) => sqlite.publish(payload),
            Db::Postgres(pool) => {
                sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(pool).await?;
            }
        }
        Ok(())
    }
}

impl Listening {
    /// The next payload, or a gap, or none once the database is closed.
    pub async fn next(&mut self) -> Result<Option<Notified>, sqlx::Error> {
        Ok(Some(match self {
            Listening::Sqlite(receiver) => match receiver.recv().await {
                Ok(payload) => Notified::Payload(payload),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the gateway fell behind and skipped events");
                    Notified::Gap
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(None),
            },
            Listening::Postgres { listener, pool } => match listener.try_recv().await {
                Ok(Some(notification)) => Notified::Payload(notification.payload().into()),
                // The connection was lost, and sqlx listened again at once.
                Ok(None) => Notified::Gap,
                Err(sqlx::Error::PoolClosed) => return Ok(None),
                Err(error) => {
                    tracing::warn!(%error, "the gateway lost its events; listening again");
                    **listener = loop {
                        if pool.is_closed() {
                            return Ok(None);
                        }
                        match listen(pool).await {
                            Ok(listener) => break listener,
                            Err(_) => tokio::time::sleep(RELISTEN_AFTER).await,
                        }
                    };
                    Notified::Gap
                }
            },
        }))
    }
}
