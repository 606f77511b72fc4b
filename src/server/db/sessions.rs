//! Where dashboard sessions are saved: tower-sessions' SQLx store for the
//! backend in use (`auth::session` keeps them in memory in front of it).

use async_trait::async_trait;
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::Db;

/// Sessions as saved in the database.
#[derive(Debug, Clone)]
pub enum SessionRows {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Db {
    /// The session store of this database, its table made if need be.
    pub async fn session_rows(&self) -> Result<SessionRows, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(sqlite) => {
                let store = SqliteStore::new(sqlx::SqlitePool::clone(sqlite.reads()));
                store.migrate().await?;
                SessionRows::Sqlite(store)
            }
            Db::Postgres(pool) => {
                let store = PostgresStore::new(sqlx::PgPool::clone(pool));
                store.migrate().await?;
                SessionRows::Postgres(store)
            }
        })
    }

    /// The table the store keeps sessions in, for reads of its own.
    pub fn session_table(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "tower_sessions",
            Db::Postgres(_) => r#""tower_sessions"."session""#,
        }
    }
}

impl SessionRows {
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            SessionRows::Sqlite(s) => s.delete_expired().await,
            SessionRows::Postgres(s) => s.delete_expired().await,
        }
    }
}

#[async_trait]
impl SessionStore for SessionRows {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            SessionRows::Sqlite(s) => s.create(record).await,
            SessionRows::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            SessionRows::Sqlite(s) => s.save(record).await,
            SessionRows::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            SessionRows::Sqlite(s) => s.load(id).await,
            SessionRows::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            SessionRows::Sqlite(s) => s.delete(id).await,
            SessionRows::Postgres(s) => s.delete(id).await,
        }
    }
}
