//! Demo data at scale: realistic users, roles, tags and auth tokens, written
//! in batched multi-row inserts, one transaction per batch.

use serde_json::json;

use super::{
    apps::App,
    audit::{Change, record},
    auth_tokens::{Device, NewToken, insert_tokens},
    now, stored,
    users::{NewUser, adjust_counts, insert_users},
};
use crate::domain::{RoleId, Uid};
use crate::server::{
    Result,
    auth::{Caller, Permission},
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

/// A user to seed, and whether they get an auth token.
struct SeedUser {
    user: NewUser,
    token: bool,
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
                let user = NewUser {
                    app: app.id,
                    uid: stored(Uid::parse(&format!("{}_{}_{n}", first.to_lowercase(), last.to_lowercase())))?,
                    name: format!("{first} {last}"),
                    avatar: None,
                    link: None,
                    role: stored(RoleId::parse(role))?,
                    metadata: None,
                    status_message: None,
                    tags: tags.into_iter().map(str::to_owned).collect(),
                    created_at,
                    last_active_at: (!mix.next().is_multiple_of(3)).then(|| created_at + (mix.next() % 86_400) as i64),
                };
                Ok(SeedUser { user, token: n.is_multiple_of(3) })
            })
            .collect::<Result<_>>()?;
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
        record!(tx, caller, Change {
            app: Some(app.id),
            action: "seed.users",
            object: format!("users:{}", report.users),
            details: json!({"users": report.users, "tags": report.tags, "tokens": report.tokens}),
        })?;
        tx.commit().await?;
    });
    Ok(report)
}

/// Writes one batch of users with their tags and tokens, in one
/// transaction; answers how many tags and tokens it wrote.
async fn write_batch(db: &Db, app: &App, batch: &[SeedUser]) -> Result<(u64, u64)> {
    let tokens = with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        if matches!(db, Db::Sqlite(_)) {
            sqlx::query(&format!("PRAGMA cache_size = -{SEED_CACHE_KIB}")).execute(&mut *tx).await?;
        }
        let rows = insert_users!(tx, batch.iter().map(|seeded| &seeded.user))?;
        let new_tokens: Vec<NewToken> = batch
            .iter()
            .zip(&rows)
            .filter(|(seeded, _)| seeded.token)
            .map(|(seeded, row)| NewToken {
                created_at: seeded.user.created_at,
                ..NewToken::new(app.id, row.id, Device { platform: Some("web".into()), user_agent: None })
            })
            .collect();
        insert_tokens!(tx, &new_tokens)?;
        adjust_counts!(tx, app.id, batch.len() as i64, 0);
        if matches!(db, Db::Sqlite(_)) {
            // Back to the size every connection has: the clean pages go now,
            // the dirty ones once the commit has written them.
            sqlx::query(&format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}")).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        new_tokens.len() as u64
    });
    let tags = batch.iter().map(|seeded| seeded.user.tags.len() as u64).sum();
    Ok((tags, tokens))
}
