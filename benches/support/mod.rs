//! What the benchmarks share.

use switchboard::server::db::Db;

/// A fresh database for this run. Earlier runs' databases go first: at a
/// million users each holds half a gigabyte.
pub async fn fresh_database(backend: &str) -> (Db, String) {
    let name = format!("sb_bench_{}", std::process::id());
    let url = match backend {
        "sqlite" => {
            let earlier = std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten();
            for file in earlier.filter(|f| f.file_name().to_string_lossy().starts_with("sb_bench_")) {
                let _ = std::fs::remove_file(file.path());
            }
            format!("sqlite://{}", std::env::temp_dir().join(format!("{name}.db")).display())
        }
        _ => {
            let admin_url =
                std::env::var("SWITCHBOARD_BENCH_POSTGRES_URL").expect("set SWITCHBOARD_BENCH_POSTGRES_URL");
            let Db::Postgres(admin) = Db::connect(&admin_url).await.unwrap() else { panic!("not a postgres URL") };
            let earlier: Vec<String> =
                sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'sb\\_bench\\_%'")
                    .fetch_all(&admin)
                    .await
                    .unwrap();
            for database in earlier {
                sqlx::query(&format!("DROP DATABASE IF EXISTS {database}")).execute(&admin).await.unwrap();
            }
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
            format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0)
        }
    };
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    (db, url)
}
