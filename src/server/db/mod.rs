//! The database, SQLite or Postgres, picked at run time from `DATABASE_URL`.
//! SQL is written once with `$n` placeholders and run through the methods
//! of [`Db`] (reads) and [`Tx`] (writes) in `sql.rs`; the `match` on the
//! backend stays in this module.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, PoisonError},
    time::Duration,
};

use sqlx::{
    Postgres, Sqlite, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, broadcast};

/// Runs `$body` with `$pool` bound to the backend's reading pool, once per backend.
/// Services go through [`Db`] and [`Tx`]; outside this module only the
/// database layer's own tests reach for the pool.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite(sqlite) => {
                let $pool = sqlite.reads();
                $body
            }
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}

mod constraint;
mod notify;
mod read_pool;
mod sessions;
mod sql;
pub use constraint::Constraint;
pub use notify::{Listening, Notified};
pub use read_pool::ReadPool;
pub use sessions::SessionRows;
pub use sql::{Arg, Row, Scalar, Tx};

/// The Postgres channel the events travel on (see `service::events`).
pub const CHANNEL: &str = "switchboard_events";

/// A logged event payload as notified: `ID:JSON`.
pub fn logged(id: i64, payload: &str) -> String {
    format!("{id}:{payload}")
}

/// Page cache per SQLite connection, in KiB: 64 MiB instead of the default
/// 2, so that the indexes of a million users stay in memory.
pub const SQLITE_CACHE_KIB: i64 = 65_536;

/// Prepared statements kept per connection: multi-row inserts come in a
/// statement per row count (see `group_commit`), more than sqlx's default keeps.
const STATEMENT_CACHE: usize = 500;

/// How long a request waits for a Postgres connection before it answers
/// 503: long enough to ride out a busy moment, short enough that clients
/// hear of an outage while they still wait.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a Postgres connection may sit idle before it is pinged on
/// being taken again.
const PING_AFTER_IDLE: Duration = Duration::from_secs(10);

/// Pages the write-ahead log may grow to before a commit copies it back
/// into the database file itself. The checkpointer (below) does that
/// sooner, off the commit's path; this is the backstop.
const SQLITE_AUTOCHECKPOINT_PAGES: u32 = 20_000;

/// How long the checkpointer lets writes gather before it copies them back:
/// a page written many times meanwhile is copied once.
const CHECKPOINT_AFTER: Duration = Duration::from_millis(200);

/// Event payloads the SQLite channel holds for a listener that falls behind.
const EVENTS_BUFFERED: usize = 4096;

/// How long a connection may wait between two reads before it goes back
/// to the pool (see [`ReadPool`]).
pub(super) const KEPT_IDLE: Duration = Duration::from_millis(100);

/// What a process keeps in memory for one database, one value of each
/// type: the services' write queues, caches and counters (each says why
/// where it is defined). It lives as long as the `Db`, and every clone of
/// it sees the same values.
#[derive(Default)]
pub struct Shared(std::sync::Mutex<HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>);

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

impl Shared {
    fn get_or<T: Send + Sync + 'static>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        let mut values = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let value = values.entry(std::any::TypeId::of::<T>()).or_insert_with(|| Arc::new(make())).clone();
        // Stored under T's own TypeId, so it is a T.
        value.downcast::<T>().unwrap_or_else(|_| unreachable!("a kept value is stored under its own type"))
    }
}

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

pub type PgDb = ReadPool<Postgres>;

/// An SQLite database: a pool of connections that read, and one that writes.
///
/// SQLite lets one writer in at a time anyway. A single writing connection
/// keeps its page cache from one transaction to the next, where a write
/// from another connection would have emptied it, and it never waits on
/// another of this process's writers in SQLite's busy handler.
///
/// Copying the write-ahead log back into the file (a checkpoint) would
/// fall on whichever commit filled the log; a task of its own does it, on
/// a reading connection, while writes go on.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    reads: ReadPool<Sqlite>,
    writer: SqlitePool,
    /// Told of each commit, so the checkpointer wakes only when there is
    /// something to copy.
    written: Arc<Notify>,
    /// The events of committed changes (see `service::events`): one
    /// process holds the file, so they need not leave it.
    events: broadcast::Sender<Arc<str>>,
    /// The write turn of this process's writers (see [`Db::begin_write`]).
    turn: Arc<Mutex<()>>,
}

impl SqliteDb {
    async fn open(options: SqliteConnectOptions) -> Result<Self, sqlx::Error> {
        // A file the process itself holds open cannot drop away, so the
        // pools hand a connection out without a ping, a round trip to the
        // connection's thread.
        let pool = |size| {
            SqlitePoolOptions::new()
                .max_connections(size)
                .test_before_acquire(false)
                .after_connect(|connection, _| Box::pin(keep_one_plan_per_statement(connection)))
        };
        let reads = pool(8).connect_with(options.clone()).await?;
        let writer = pool(1).connect_lazy_with(options);
        let written = Arc::<Notify>::default();
        tokio::spawn(checkpoint_after_writes(reads.clone(), written.clone()));
        let reads = ReadPool::new(reads, KEPT_IDLE);
        let (events, _) = broadcast::channel(EVENTS_BUFFERED);
        Ok(SqliteDb { reads, writer, written, events, turn: Arc::default() })
    }

    /// The pool that reads; writes go through [`Db::begin_write`].
    pub fn reads(&self) -> &ReadPool<Sqlite> {
        &self.reads
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.events.subscribe()
    }

    /// Hands an event payload to this process's listeners, if any.
    fn publish(&self, payload: String) {
        let _ = self.events.send(payload.into());
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reads.close().await;
        self.written.notify_one();
    }
}

/// Turns on SQLite's query planner stability guarantee for `connection`.
/// Once ANALYZE has sampled an index (`sqlite_stat4`), SQLite otherwise
/// prepares a cached statement again whenever a newly bound value might
/// change its plan, and a prefix search was prepared anew at every call.
/// The plans are the same index reads.
async fn keep_one_plan_per_statement(connection: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    let mut handle = connection.lock_handle().await?;
    // SAFETY: the handle is this connection's open database, locked for the
    // call; this option takes an int and an optional int pointer (null).
    let code = unsafe {
        sqlite3_db_config(handle.as_raw_handle().as_ptr(), SQLITE_DBCONFIG_ENABLE_QPSG, 1, std::ptr::null_mut::<i32>())
    };
    if code == SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(format!("SQLite refused its planner stability setting (code {code})").into()))
    }
}

/// Copies the write-ahead log back into the database file on `reads` a
/// little after each burst of writes, until the database is closed.
async fn checkpoint_after_writes(reads: SqlitePool, written: Arc<Notify>) {
    loop {
        written.notified().await;
        if reads.is_closed() {
            return;
        }
        tokio::time::sleep(CHECKPOINT_AFTER).await;
        // PASSIVE: copies what it can without waiting for readers or the
        // writer; what it leaves, the next round takes.
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&reads).await
            && !reads.is_closed()
        {
            tracing::warn!(%error, "could not copy the write-ahead log back into the database");
        }
    }
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?.statement_cache_capacity(STATEMENT_CACHE);
            // A connection that was just in use is pinged by the query it is
            // taken for; one that sat idle may have been dropped by the server
            // or the network, and is pinged first.
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .before_acquire(|connection, taken| {
                    Box::pin(async move {
                        if taken.idle_for >= PING_AFTER_IDLE {
                            sqlx::Connection::ping(connection).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(ReadPool::new(pool, KEPT_IDLE)))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
                // Statement journals (a multi-row insert or upsert inside a
                // transaction keeps one, to undo just itself) in memory, not
                // in a temporary file written and read back through the kernel.
                .pragma("temp_store", "memory")
                .pragma("wal_autocheckpoint", SQLITE_AUTOCHECKPOINT_PAGES.to_string())
                .statement_cache_capacity(STATEMENT_CACHE);
            Ok(Db::Sqlite(SqliteDb::open(options).await?))
        } else {
            Err(sqlx::Error::Configuration("DATABASE_URL must start with sqlite: or postgres://".into()))
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(sqlite) => sqlx::migrate!("migrations/sqlite").run(&sqlite.writer).await,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(&pool.pool).await,
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// The value of type `T` this process keeps for this database, made by
    /// `make` the first time it is asked for.
    pub fn kept<T: Send + Sync + 'static>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        match self {
            Db::Sqlite(sqlite) => sqlite.reads.shared.get_or(make),
            Db::Postgres(pool) => pool.shared.get_or(make),
        }
    }

    /// Whether other processes may use this database too: a Postgres
    /// server, where an SQLite file is this process's alone.
    pub fn is_shared(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    pub fn is_closed(&self) -> bool {
        match self {
            Db::Sqlite(sqlite) => sqlite.writer.is_closed(),
            Db::Postgres(pool) => pool.is_closed(),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => sqlite.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// A transaction that will write. On SQLite it holds the file's write
/// turn for its whole life: see [`Db::begin_write`].
pub struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    /// SQLite's: the write turn, the checkpointer's signal, and the events
    /// announced, handed out on commit.
    sqlite: Option<SqliteWrite>,
}

struct SqliteWrite {
    _turn: OwnedMutexGuard<()>,
    db: SqliteDb,
    announced: Vec<String>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await?;
        if let Some(SqliteWrite { db, announced, .. }) = self.sqlite {
            db.written.notify_one();
            for payload in announced {
                db.publish(payload);
            }
        }
        Ok(())
    }
}

impl Db {
    /// Starts a transaction that will write.
    ///
    /// SQLite lets one writer at a time into a file, and one that finds it
    /// taken sleeps in SQLite's busy handler, in growing steps. Writers of
    /// this process therefore queue for their turn on an async lock, and
    /// then take SQLite's write lock at once (`BEGIN IMMEDIATE`): a deferred
    /// transaction that reads and then writes would fail with SQLITE_BUSY,
    /// without waiting, when another process's writer got there first.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(sqlite) => {
                let turn = sqlite.turn.clone().lock_owned().await;
                let tx = sqlite.writer.begin_with("BEGIN IMMEDIATE").await?;
                let write = SqliteWrite { _turn: turn, db: sqlite.clone(), announced: Vec::new() };
                Tx::Sqlite(WriteTx { tx, sqlite: Some(write) })
            }
            Db::Postgres(pool) => Tx::Postgres(WriteTx { tx: pool.begin().await?, sqlite: None }),
        })
    }
}

impl Tx {
    /// Logs event payloads in this transaction; they reach the listeners,
    /// with their log ids, if it commits (see `service::events`).
    pub async fn announce(&mut self, payloads: Vec<String>, now: i64) -> Result<(), sqlx::Error> {
        if payloads.is_empty() {
            return Ok(());
        }
        match self {
            Tx::Sqlite(write) => {
                for payload in payloads {
                    let id: i64 =
                        sqlx::query_scalar("INSERT INTO events (payload, created_at) VALUES ($1, $2) RETURNING id")
                            .bind(&payload)
                            .bind(now)
                            .fetch_one(&mut *write.tx)
                            .await?;
                    if let Some(sqlite) = &mut write.sqlite {
                        sqlite.announced.push(logged(id, &payload));
                    }
                }
            }
            // Two statements for all of them; Postgres delivers them on commit.
            Tx::Postgres(write) => {
                // Rows are numbered in the order they are inserted, which is
                // the order of the payloads.
                let mut ids: Vec<i64> = sqlx::query_scalar(
                    "INSERT INTO events (payload, created_at) \
                     SELECT payload, $2 FROM unnest($1::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n RETURNING id",
                )
                .bind(&payloads)
                .bind(now)
                .fetch_all(&mut *write.tx)
                .await?;
                ids.sort_unstable();
                let notes: Vec<String> = ids.iter().zip(&payloads).map(|(id, payload)| logged(*id, payload)).collect();
                sqlx::query(
                    "SELECT pg_notify($1, note) FROM unnest($2::text[]) WITH ORDINALITY AS p(note, n) ORDER BY n",
                )
                .bind(CHANNEL)
                .bind(notes)
                .execute(&mut *write.tx)
                .await?;
            }
        }
        Ok(())
    }
}
