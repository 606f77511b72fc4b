//! A pool that reads, and keeps the connections its reads just used for
//! the reads that follow; kept because it measured clearly faster than
//! sqlx's plain pool (see `benches/README.md`).

use std::{
    ops::Deref,
    sync::{
        Arc, MutexGuard, PoisonError, Weak,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{StreamExt, TryStreamExt, future::BoxFuture, stream::BoxStream};
use sqlx::{Describe, Either, Execute, Executor, Pool, pool::PoolConnection};
use tokio::sync::Notify;

use super::Shared;

/// A pool that reads, and keeps the connections its reads just used for
/// the reads that follow.
///
/// sqlx pings every connection on its way back to the pool, a round trip
/// to the database each time, and taking one from the pool has its own
/// cost; a dashboard page makes half a dozen reads. A connection
/// whose read ran to its end is in a known state, so it waits here for
/// the next read, of any request, with no ping; the one used last is
/// taken first, so a busy server keeps using a few. One that has waited
/// [`KEPT_IDLE`] goes back to the pool, through its ping. A read that
/// fails, or is dropped halfway, lets its connection go back through that
/// check at once. A read that found none kept and waits on a full pool
/// takes the next connection kept, should it come before the pool's; while
/// a write waits on a full pool, a read that ends lets its connection go
/// back to the pool instead, for the write.
///
/// Rows come all at once, not as a stream: the connection is kept only
/// once its read has ended, and nothing read here is long enough to need one.
#[derive(Debug)]
pub struct ReadPool<DB: sqlx::Database> {
    pub(super) pool: Pool<DB>,
    kept: Arc<Kept<DB>>,
    /// What the process keeps for this database (see [`Db::kept`]).
    pub(super) shared: Arc<Shared>,
}

impl<DB: sqlx::Database> Clone for ReadPool<DB> {
    fn clone(&self) -> Self {
        ReadPool { pool: self.pool.clone(), kept: self.kept.clone(), shared: self.shared.clone() }
    }
}

/// The connections between two reads, the one used last at the end, each
/// with the moment it came back.
#[derive(Debug)]
struct Kept<DB: sqlx::Database> {
    idle: std::sync::Mutex<Vec<(PoolConnection<DB>, Instant)>>,
    /// Wakes a read waiting on the pool when a connection is kept: that one
    /// would otherwise reach the pool only once idle, and the read wait for it.
    came_back: Notify,
    /// Reads waiting so. A read counts itself in with `idle` locked, so a
    /// connection kept meanwhile is either found by it or wakes it.
    waiting: AtomicUsize,
    /// Writes waiting on a full pool. Kept, a connection would reach them
    /// only once idle, and reads that keep coming would keep it from idling.
    writes_waiting: AtomicUsize,
}

impl<DB: sqlx::Database> ReadPool<DB> {
    /// Keeps connections for `idle` after their last read.
    pub(super) fn new(pool: Pool<DB>, idle: Duration) -> Self {
        let kept = Arc::new(Kept {
            idle: Default::default(),
            came_back: Notify::new(),
            waiting: AtomicUsize::new(0),
            writes_waiting: AtomicUsize::new(0),
        });
        tokio::spawn(hand_back_idle(Arc::downgrade(&kept), idle));
        ReadPool { pool, kept, shared: Arc::default() }
    }

    /// The connection used last, else the first to come: from the pool, or
    /// kept by a read that ends meanwhile.
    async fn connection(&self) -> Result<PoolConnection<DB>, sqlx::Error> {
        let waiting = {
            let mut idle = self.kept.lock();
            if let Some((connection, _)) = idle.pop() {
                return Ok(connection);
            }
            (!self.pool_has_one()).then(|| Waiting::count(&self.kept.waiting))
        };
        // A pool with room opens a connection: left halfway for a kept one,
        // it would be opened again, its sign-in hashed again, by the next read.
        let Some(_waiting) = waiting else { return self.pool.acquire().await };
        let from_pool = self.pool.acquire();
        tokio::pin!(from_pool);
        loop {
            let came_back = self.kept.came_back.notified();
            tokio::pin!(came_back);
            // Listening before looking, a connection kept in between still wakes it.
            came_back.as_mut().enable();
            if let Some((connection, _)) = self.kept.lock().pop() {
                return Ok(connection);
            }
            tokio::select! {
                biased;
                taken = &mut from_pool => return taken,
                () = came_back => {}
            }
        }
    }

    fn keep(&self, connection: PoolConnection<DB>) {
        if self.kept.writes_waiting.load(Ordering::Relaxed) > 0 {
            return drop(connection);
        }
        let someone_waits = {
            let mut idle = self.kept.lock();
            idle.push((connection, Instant::now()));
            self.kept.waiting.load(Ordering::Relaxed) > 0
        };
        if someone_waits {
            self.kept.came_back.notify_one();
        }
    }

    /// Whether the pool has a connection idle, or room to open one.
    fn pool_has_one(&self) -> bool {
        self.pool.num_idle() > 0 || self.pool.size() < self.pool.options().get_max_connections()
    }

    /// A transaction on a connection from the pool. On a full pool it lets
    /// the oldest kept connection go back to the pool, and the next one a
    /// read would keep, until the write has one.
    pub(super) async fn begin(&self) -> Result<sqlx::Transaction<'static, DB>, sqlx::Error> {
        if self.pool_has_one() {
            return self.pool.begin().await;
        }
        let _waiting = Waiting::count(&self.kept.writes_waiting);
        let oldest = {
            let mut idle = self.kept.lock();
            (!idle.is_empty()).then(|| idle.remove(0))
        };
        drop(oldest);
        self.pool.begin().await
    }

    pub async fn close(&self) {
        let kept = std::mem::take(&mut *self.kept.lock());
        drop(kept);
        self.pool.close().await;
    }
}

impl<DB: sqlx::Database> Kept<DB> {
    fn lock(&self) -> MutexGuard<'_, Vec<(PoolConnection<DB>, Instant)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a read, or a write, among those waiting until it has its
/// connection, or is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn count(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(waiting)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Every `after`, lets the connections kept longer than that go back to
/// the pool; ends with the pool.
async fn hand_back_idle<DB: sqlx::Database>(kept: Weak<Kept<DB>>, after: Duration) {
    loop {
        tokio::time::sleep(after).await;
        let Some(kept) = kept.upgrade() else { return };
        let stale: Vec<_> = {
            let mut idle = kept.lock();
            // The oldest come first.
            let fresh_from = idle.partition_point(|(_, since)| since.elapsed() >= after);
            idle.drain(..fresh_from).collect()
        };
        drop(stale);
    }
}

impl<DB: sqlx::Database> Deref for ReadPool<DB> {
    type Target = Pool<DB>;
    fn deref(&self) -> &Pool<DB> {
        &self.pool
    }
}

impl<'p, DB: sqlx::Database> Executor<'p> for &'p ReadPool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<DB::QueryResult, DB::Row>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let whole = async move {
            let mut connection = self.connection().await?;
            let results: Vec<_> = (&mut *connection).fetch_many(query).collect().await;
            if results.iter().all(Result::is_ok) {
                self.keep(connection);
            }
            Ok::<_, sqlx::Error>(futures::stream::iter(results))
        };
        futures::stream::once(whole).try_flatten().boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let row = (&mut *connection).fetch_optional(query).await?;
            self.keep(connection);
            Ok(row)
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.pool).prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<DB>, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.pool).describe(sql)
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Sqlite, sqlite::SqlitePoolOptions};

    use super::*;

    /// Runs `waiting` while a read holds the only connection of a pool that
    /// keeps connections for an hour, then ends that read; answers what
    /// `waiting` read, once it got the connection. Kept for an hour, the
    /// connection reaches `waiting` only by the hand-over under test.
    async fn when_the_read_ends<Waits>(waiting: impl FnOnce(ReadPool<Sqlite>) -> Waits) -> i64
    where
        Waits: Future<Output = Result<i64, sqlx::Error>> + Send + 'static,
    {
        let pool = SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        let reads = ReadPool::new(pool, Duration::from_secs(3600));
        let in_use = reads.connection().await.unwrap();
        let waiting = tokio::spawn(waiting(reads.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the pool's one connection is in use");
        reads.keep(in_use);
        let answer = tokio::time::timeout(Duration::from_secs(20), waiting).await;
        answer.expect("the waiting one got the connection").unwrap().unwrap()
    }

    #[tokio::test]
    async fn a_read_waiting_on_a_full_pool_takes_the_connection_another_read_keeps() {
        let read = when_the_read_ends(|reads| async move { sqlx::query_scalar("SELECT 1").fetch_one(&reads).await });
        assert_eq!(read.await, 1);
    }

    // A write takes its connection from the pool alone: the read that ends
    // lets its connection go there rather than keep it.
    #[tokio::test]
    async fn a_write_waiting_on_a_full_pool_gets_the_connection_a_read_ends_with() {
        let write = when_the_read_ends(|reads| async move {
            let mut tx = reads.begin().await?;
            sqlx::query_scalar("SELECT 1").fetch_one(&mut *tx).await
        });
        assert_eq!(write.await, 1);
    }
}
