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

/// The whole machine's CPU time, read from `/proc/stat`: what a scenario
/// cost, the database included when it runs here. Unlike requests per
/// second, it holds still when a neighbour on the host takes a core.
#[derive(Clone, Copy)]
pub struct MachineCpu {
    busy: u64,
    stolen: u64,
    total: u64,
}

impl MachineCpu {
    pub fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> =
            stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|n| n.parse().ok()).collect();
        let at = |i: usize| ticks.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal
        let (busy, stolen) = (at(0) + at(1) + at(2) + at(5) + at(6), at(7));
        MachineCpu { busy, stolen, total: busy + stolen + at(3) + at(4) }
    }

    /// Milliseconds of busy CPU per `events` since `start`, and the share
    /// of the time the host took away (steal), in per cent.
    pub fn since(start: MachineCpu, events: usize) -> (f64, f64) {
        let end = MachineCpu::now();
        // /proc/stat counts in USER_HZ ticks, a hundred a second on Linux.
        let busy_ms = (end.busy - start.busy) as f64 * 10.0;
        let total = (end.total - start.total).max(1) as f64;
        (busy_ms / events.max(1) as f64, (end.stolen - start.stolen) as f64 * 100.0 / total)
    }
}
