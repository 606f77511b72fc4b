//! What the database layer promises the services above it: a read takes
//! the connection the last read left, with no trip through the pool, and
//! a connection left idle goes back to the pool. These tests alone reach
//! past `Db` for the pools themselves (`with_db!`), to see their connections.

use std::time::{Duration, Instant};

use switchboard::{server::db::Db, with_db};

use crate::common::{Backend, fresh_database, postgres_available};
use crate::on_both_backends;

on_both_backends!(
    a_read_takes_the_connection_the_last_read_left,
    a_kept_connection_goes_back_to_the_pool_once_idle,
    a_failed_read_leaves_the_next_reads_working,
);

/// Connections of the reading pool that are out of it.
fn taken(db: &Db) -> usize {
    with_db!(db, pool => pool.size() as usize - pool.num_idle())
}

async fn count_probe_rows(db: &Db) -> Result<i64, sqlx::Error> {
    db.scalar("SELECT COUNT(*) FROM probe", &[]).await
}

// A temporary table exists only on the connection that made it: each read
// that finds it ran on that connection, and a connection taken from the
// pool meanwhile is another one.
async fn a_read_takes_the_connection_the_last_read_left(backend: Backend) {
    let (db, _) = fresh_database(backend).await;
    with_db!(&db, pool => {
        sqlx::query("CREATE TEMP TABLE probe (n INTEGER)").execute(pool).await.unwrap();
        for _ in 0..5 {
            let mut another = pool.acquire().await.unwrap();
            let seen_elsewhere = sqlx::query("SELECT n FROM probe").fetch_all(&mut *another).await;
            assert!(seen_elsewhere.is_err(), "another connection sees the table");
            let listed = sqlx::query("SELECT n FROM probe").fetch_all(pool).await.unwrap();
            assert!(listed.is_empty());
            assert_eq!(count_probe_rows(&db).await.unwrap(), 0);
        }
    });
    db.close().await;
}

async fn a_kept_connection_goes_back_to_the_pool_once_idle(backend: Backend) {
    let (db, _) = fresh_database(backend).await;
    all_back_in_the_pool(&db).await;
    db.execute("SELECT 1", &[]).await.unwrap();
    assert_eq!(taken(&db), 1, "the connection is kept for the next read");
    all_back_in_the_pool(&db).await;
    db.close().await;
}

/// Waits for every connection to be back in the pool; a connection goes
/// back after a ping, so not at once.
async fn all_back_in_the_pool(db: &Db) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while taken(db) > 0 {
        assert!(Instant::now() < deadline, "a connection stayed out of the pool");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn a_failed_read_leaves_the_next_reads_working(backend: Backend) {
    let (db, _) = fresh_database(backend).await;
    assert!(count_probe_rows(&db).await.is_err(), "there is no table probe");
    let one: i64 = db.scalar("SELECT CAST(1 AS BIGINT)", &[]).await.unwrap();
    assert_eq!(one, 1);
    db.close().await;
}

// On Postgres reads and writes share one pool. With every other connection
// out of it and the last one kept after a read, a write still gets one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_gets_a_connection_when_the_last_is_kept_after_a_read() {
    if !postgres_available() {
        return;
    }
    let (db, _) = fresh_database(Backend::Postgres).await;
    let Db::Postgres(pool) = &db else { unreachable!() };
    let mut others = Vec::new();
    while pool.size() < pool.options().get_max_connections() - 1 || pool.num_idle() > 0 {
        others.push(pool.acquire().await.unwrap());
    }
    sqlx::query("SELECT 1").execute(pool).await.unwrap();
    assert_eq!(pool.num_idle(), 0, "the last connection is kept, not idle in the pool");
    let mut tx = db.begin_write().await.unwrap();
    let one: i32 = tx.scalar("SELECT 1", &[]).await.unwrap();
    assert_eq!(one, 1);
    drop((tx, others));
    db.close().await;
}
