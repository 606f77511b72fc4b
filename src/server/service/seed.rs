//! Demo data at scale: realistic users, roles, tags and auth tokens, written
//! in batched multi-row inserts, one transaction per batch.

use serde_json::json;

use super::{
    apps::App,
    audit::{Change, record},
    now,
};
use crate::server::{
    Result,
    auth::{Caller, Permission, secret},
    db::{BeginWrite, Db, SQLITE_CACHE_KIB},
};
use crate::with_db;

const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca", "Maya", "Noor",
    "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Xavi", "Yara", "Zoe",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Kim", "Okafor", "Novak", "Rossi", "Sato", "Muller", "Singh", "Haddad", "Silva", "Larsen",
    "Nguyen", "Ivanova", "Cohen", "Mensah", "Costa", "Weber", "Ali", "Dubois",
];
const TAGS: &[&str] =
    &["beta", "vip", "ios", "android", "web", "trial", "churn-risk", "support", "creator", "moderator-candidate"];
const ROLES: &[(&str, &str)] = &[("premium", "Premium"), ("moderator", "Moderator")];

/// Users per transaction. A bulk load into SQLite costs what it writes
/// back: each commit writes every index page its inserts touched, and
/// random keys touch a page per insert unless the batch is large enough
/// for many to share one.
const BATCH: u64 = 50_000;

/// Users per multi-row insert. SQLite finds a numbered parameter by walking
/// the statement's list of them, so binding costs grow with the square of
/// a statement's parameters: at 500 rows, half the load went to binding.
const ROWS_PER_INSERT: usize = 40;

/// Page cache for a seeding transaction on SQLite, in KiB, so that a
/// batch's dirty index pages stay in memory until its commit.
const SEED_CACHE_KIB: i64 = 1 << 20;

pub struct SeedReport {
    pub users: u64,
    pub tags: u64,
    pub tokens: u64,
}

/// A small deterministic generator, so seeded data is the same on every run.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

struct SeedUser {
    uid: String,
    name: String,
    role: &'static str,
    created_at: i64,
    last_active_at: Option<i64>,
    tags: Vec<&'static str>,
    token: bool,
}

fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns).map(|c| format!("${}", r * columns + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds `count` users to the app (a third with an auth token, most with
/// tags), calling `progress` with the number written so far.
pub async fn users(db: &Db, caller: &Caller, app: &App, count: u64, progress: impl Fn(u64)) -> Result<SeedReport> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    let at = now();
    let start: i64 = with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for (role, name) in ROLES {
            sqlx::query(
                "INSERT INTO roles (app, role, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
            )
            .bind(app.id)
            .bind(role)
            .bind(name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE app = $1").bind(app.id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        existing
    });
    let mut mix = Mix(app.id as u64 ^ start as u64);
    let mut report = SeedReport { users: 0, tags: 0, tokens: 0 };
    let mut done = 0;
    while done < count {
        let size = BATCH.min(count - done);
        let batch: Vec<SeedUser> = (0..size)
            .map(|i| {
                let n = start as u64 + done + i;
                let (first, last) = (mix.pick(FIRST), mix.pick(LAST));
                let created_at = at - (mix.next() % (365 * 86_400)) as i64;
                let role = match mix.next() % 10 {
                    0 => "premium",
                    1 if n.is_multiple_of(50) => "moderator",
                    _ => "default",
                };
                let tags = (0..mix.next() % 4).map(|_| mix.pick(TAGS)).collect::<std::collections::BTreeSet<_>>();
                SeedUser {
                    uid: format!("{}_{}_{n}", first.to_lowercase(), last.to_lowercase()),
                    name: format!("{first} {last}"),
                    role,
                    created_at,
                    last_active_at: (!mix.next().is_multiple_of(3)).then(|| created_at + (mix.next() % 86_400) as i64),
                    tags: tags.into_iter().collect(),
                    token: n.is_multiple_of(3),
                }
            })
            .collect();
        let (tags, tokens) = write_batch(db, app, &batch).await?;
        report.users += size;
        report.tags += tags;
        report.tokens += tokens;
        done += size;
        progress(done);
    }
    // A bulk load leaves the planner's statistics behind; without fresh ones
    // it may scan where an index would do.
    match db {
        Db::Sqlite(pool) => {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        // Vacuuming also marks the loaded pages all-visible, which index-only
        // scans need before they can skip the table.
        Db::Postgres(pool) => {
            sqlx::query("VACUUM ANALYZE users, user_tags, auth_tokens").execute(pool).await?;
        }
    }
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        record!(&mut *tx, caller, Change {
            app: Some(app.id),
            action: "seed.users",
            object: format!("users:{}", report.users),
            details: json!({"users": report.users, "tags": report.tags, "tokens": report.tokens}),
        })?;
        tx.commit().await?;
    });
    Ok(report)
}

/// Inserts `$rows` with their tags and tokens in three multi-row inserts,
/// on transaction `$tx`; answers how many tags and tokens it wrote.
macro_rules! insert_rows {
    ($tx:ident, $app:expr, $rows:expr) => {{
        let rows: &[SeedUser] = $rows;
        let users_sql = format!(
            "INSERT INTO users (app, uid, name, name_lower, role, created_at, updated_at, last_active_at) VALUES {} \
             RETURNING id, uid",
            placeholders(rows.len(), 8)
        );
        let mut insert = sqlx::query_as::<_, (i64, String)>(&users_sql);
        for u in rows {
            insert = insert
                .bind($app.id)
                .bind(&u.uid)
                .bind(&u.name)
                .bind(u.name.to_lowercase())
                .bind(u.role)
                .bind(u.created_at)
                .bind(u.created_at)
                .bind(u.last_active_at);
        }
        let ids: std::collections::HashMap<String, i64> =
            insert.fetch_all(&mut *$tx).await?.into_iter().map(|(id, uid)| (uid, id)).collect();
        let tag_rows: usize = rows.iter().map(|u| u.tags.len()).sum();
        if tag_rows > 0 {
            let sql = format!("INSERT INTO user_tags (app, user_id, tag) VALUES {}", placeholders(tag_rows, 3));
            let mut tags = sqlx::query(&sql);
            for u in rows {
                for tag in &u.tags {
                    tags = tags.bind($app.id).bind(ids[&u.uid]).bind(*tag);
                }
            }
            tags.execute(&mut *$tx).await?;
        }
        let token_rows = rows.iter().filter(|u| u.token).count();
        if token_rows > 0 {
            let sql = format!(
                "INSERT INTO auth_tokens (app, user_id, token_hash, prefix, platform, created_at) VALUES {}",
                placeholders(token_rows, 6)
            );
            let mut tokens = sqlx::query(&sql);
            for u in rows.iter().filter(|u| u.token) {
                let secret = secret::generate();
                tokens = tokens
                    .bind($app.id)
                    .bind(ids[&u.uid])
                    .bind(secret.hash)
                    .bind(secret.prefix)
                    .bind("web")
                    .bind(u.created_at);
            }
            tokens.execute(&mut *$tx).await?;
        }
        (tag_rows as u64, token_rows as u64)
    }};
}

/// Writes one batch of users with their tags and tokens, in one
/// transaction; answers how many tags and tokens it wrote.
async fn write_batch(db: &Db, app: &App, batch: &[SeedUser]) -> Result<(u64, u64)> {
    let (mut tags, mut tokens) = (0, 0);
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        if matches!(db, Db::Sqlite(_)) {
            sqlx::query(&format!("PRAGMA cache_size = -{SEED_CACHE_KIB}")).execute(&mut *tx).await?;
        }
        for rows in batch.chunks(ROWS_PER_INSERT) {
            let written = insert_rows!(tx, app, rows);
            tags += written.0;
            tokens += written.1;
        }
        super::users::adjust_counts!(tx, app, batch.len() as i64, 0);
        if matches!(db, Db::Sqlite(_)) {
            // Back to the size every connection has: the clean pages go now,
            // the dirty ones once the commit has written them.
            sqlx::query(&format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}")).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok((tags, tokens))
}
