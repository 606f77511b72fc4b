//! One pool for SQLite or Postgres, picked at run time from `DATABASE_URL`.
//! SQL is written once with `$n` placeholders (both engines take them; the
//! values of multi-row inserts are the exception, see [`MultiRowValues`]) and
//! run through [`with_db!`], which compiles the same code for each backend.

use std::{
    collections::HashMap,
    ops::{Deref, DerefMut},
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Arc, LazyLock},
    time::Duration,
};

use sqlx::{
    PgPool, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Page cache per SQLite connection, in KiB: 64 MiB instead of the default
/// 2, so that the indexes of a million users stay in memory.
pub const SQLITE_CACHE_KIB: i64 = 65_536;

/// Prepared statements kept per connection. Multi-row inserts come in a
/// statement per row count (see `group_commit`), which overflowed the
/// default of 100 and had SQLite parse statements again and again.
const STATEMENT_CACHE: usize = 500;

/// How long a Postgres connection may sit idle before it is pinged on
/// being taken again.
const PING_AFTER_IDLE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool, once per backend.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?.statement_cache_capacity(STATEMENT_CACHE);
            // A connection that was just in use is pinged by the query it is
            // taken for; one that sat idle may have been dropped by the server
            // or the network, and is pinged first. Pinging every time was a
            // round trip to Postgres before each of a page's queries.
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
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
            Ok(Db::Postgres(pool))
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
                .statement_cache_capacity(STATEMENT_CACHE);
            // A file the process itself holds open cannot drop away, so the
            // pool hands a connection out without pinging it first: that ping
            // was a round trip to the connection's thread before every query.
            let pool =
                SqlitePoolOptions::new().max_connections(8).test_before_acquire(false).connect_with(options).await?;
            Ok(Db::Sqlite(pool))
        } else {
            Err(sqlx::Error::Configuration("DATABASE_URL must start with sqlite: or postgres://".into()))
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// Names the database itself, so that pools opened on the same one
    /// share what is kept per database (see `group_commit`).
    pub fn identity(&self) -> String {
        match self {
            Db::Sqlite(pool) => format!("sqlite:{}", pool.connect_options().get_filename().display()),
            Db::Postgres(pool) => {
                let options = pool.connect_options();
                let database = options.get_database().unwrap_or_default();
                format!("postgres://{}:{}/{database}", options.get_host(), options.get_port())
            }
        }
    }

    pub async fn close(&self) {
        with_db!(self, pool => pool.close().await)
    }
}

/// A transaction that will write. On SQLite it holds the file's write
/// turn for its whole life: see [`BeginWrite`]. It is used as the
/// connection it runs on (`&mut *tx`), like a plain transaction.
pub struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// The parameters of a multi-row insert of `rows` rows of `columns` cells.
/// SQLite gets anonymous ones (`(?, ?), (?, ?)`), bound by position: it
/// looks a numbered one up by walking the statement's list of names, so
/// binding numbered parameters costs the square of their number, and half
/// of a bulk load went to it. Postgres numbers them (`($1, $2), ($3, $4)`).
pub trait MultiRowValues {
    fn values(&self, rows: usize, columns: usize) -> String;
}

fn rows_of_cells(rows: usize, columns: usize, cell: impl Fn(usize) -> String) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns).map(|c| cell(r * columns + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl MultiRowValues for WriteTx<sqlx::Sqlite> {
    fn values(&self, rows: usize, columns: usize) -> String {
        rows_of_cells(rows, columns, |_| "?".to_owned())
    }
}

impl MultiRowValues for WriteTx<sqlx::Postgres> {
    fn values(&self, rows: usize, columns: usize) -> String {
        rows_of_cells(rows, columns, |n| format!("${n}"))
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// Starts a transaction that will write.
///
/// SQLite lets one writer at a time into a file. A writer that finds it
/// taken waits in SQLite's busy handler, which sleeps in growing steps
/// (1 ms, 2 ms, 5 ms, ... 100 ms), so under concurrent writes most time went
/// to sleeping. Writers of this process therefore queue for their turn on
/// an async lock per database file, and then take SQLite's write lock at
/// once (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
/// writes would fail with SQLITE_BUSY, without waiting, when another
/// process's writer got there first. Postgres needs none of this.
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(&self) -> impl Future<Output = Result<WriteTx<Self::Database>, sqlx::Error>> + Send;
}

/// The write turn of each SQLite file this process has open.
fn write_turn(file: &Path) -> Arc<Mutex<()>> {
    static TURNS: LazyLock<std::sync::Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = LazyLock::new(Default::default);
    let mut turns = TURNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    turns.entry(file.to_owned()).or_default().clone()
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<WriteTx<sqlx::Sqlite>, sqlx::Error> {
        let turn = write_turn(self.connect_options().get_filename()).lock_owned().await;
        let tx = self.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _turn: Some(turn) })
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        Ok(WriteTx { tx: self.begin().await?, _turn: None })
    }
}
