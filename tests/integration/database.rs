//! What the database layer promises the services above it: the reads of
//! one request share a connection, which does not stay out of the pool.

use std::time::{Duration, Instant};

use switchboard::{server::db::Db, with_db};

use crate::common::{Backend, fresh_database};
use crate::on_both_backends;

on_both_backends!(
    the_reads_of_one_request_share_a_connection,
    a_requests_connection_goes_back_to_the_pool_once_idle,
    a_failed_read_leaves_the_requests_next_reads_working,
);

/// Connections of the reading pool that are out of it.
fn taken(db: &Db) -> usize {
    with_db!(db, pool => pool.size() as usize - pool.num_idle())
}

async fn count_probe_rows(db: &Db) -> Result<i64, sqlx::Error> {
    with_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM probe").fetch_one(pool).await)
}

// A temporary table exists only on the connection that made it: each read
// that finds it ran on that connection, and a connection taken from the
// pool meanwhile is another one.
async fn the_reads_of_one_request_share_a_connection(backend: Backend) {
    let (db, _) = fresh_database(backend).await;
    let request = db.for_one_request();
    with_db!(&db, pool => with_db!(&request, kept => {
        sqlx::query("CREATE TEMP TABLE probe (n INTEGER)").execute(kept).await.unwrap();
        for _ in 0..5 {
            let mut another = pool.acquire().await.unwrap();
            let seen_elsewhere = sqlx::query("SELECT n FROM probe").fetch_all(&mut *another).await;
            assert!(seen_elsewhere.is_err(), "another connection sees the request's table");
            let listed = sqlx::query("SELECT n FROM probe").fetch_all(kept).await.unwrap();
            assert!(listed.is_empty());
            assert_eq!(count_probe_rows(&request).await.unwrap(), 0);
        }
    }));
    db.close().await;
}

async fn a_requests_connection_goes_back_to_the_pool_once_idle(backend: Backend) {
    let (db, _) = fresh_database(backend).await;
    all_back_in_the_pool(&db).await;
    let request = db.for_one_request();
    with_db!(&request, pool => { sqlx::query("SELECT 1").execute(pool).await.unwrap(); });
    assert_eq!(taken(&db), 1, "the request keeps its connection between reads");
    all_back_in_the_pool(&db).await;
    drop(request);
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

async fn a_failed_read_leaves_the_requests_next_reads_working(backend: Backend) {
    let (db, _) = fresh_database(backend).await;
    let request = db.for_one_request();
    assert!(count_probe_rows(&request).await.is_err(), "there is no table probe");
    let one: i64 =
        with_db!(&request, pool => sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(pool).await.unwrap());
    assert_eq!(one, 1);
    db.close().await;
}
