//! Running SQL on either backend: statements are text with `$n`
//! placeholders, written once, and their arguments are values ([`Arg`]).
//! Reads go through [`Db`], writes through a [`Tx`]; each has the same few
//! methods, and the backend `match` stays in this file.

use std::borrow::Cow;

use serde_json::Value;
use sqlx::{Decode, FromRow, Postgres, Sqlite, Type, postgres::PgRow, sqlite::SqliteRow};

use super::{Db, WriteTx};

/// A value bound to a placeholder. Each kind keeps its SQL type when it is
/// null, which Postgres needs to type the statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<Cow<'a, str>>),
    Bool(Option<bool>),
    /// Stored as its JSON text on both backends.
    Json(Option<Cow<'a, Value>>),
    /// As tower-sessions stores its expiry times.
    Time(time::OffsetDateTime),
}

/// The arguments of a statement, each turned into an [`Arg`].
#[macro_export]
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        &[$($crate::server::db::Arg::from($arg)),*] as &[$crate::server::db::Arg<'_>]
    };
}

/// `From` for each kind of value an argument is made of: `|value| arg`.
macro_rules! from_values {
    ($($value:ty => $arg:expr;)*) => {$(
        impl<'a> From<$value> for Arg<'a> {
            fn from(value: $value) -> Self {
                let make: fn($value) -> Arg<'a> = $arg;
                make(value)
            }
        }
    )*};
}

from_values! {
    i64 => |v| Arg::Int(Some(v));
    Option<i64> => Arg::Int;
    i32 => |v| Arg::Int(Some(v.into()));
    u32 => |v| Arg::Int(Some(v.into()));
    usize => |v| Arg::Int(Some(i64::try_from(v).unwrap_or(i64::MAX)));
    bool => |v| Arg::Bool(Some(v));
    Option<bool> => Arg::Bool;
    time::OffsetDateTime => Arg::Time;
    &'a str => |v| Arg::Text(Some(Cow::Borrowed(v)));
    &'a String => |v| Arg::Text(Some(Cow::Borrowed(v)));
    String => |v| Arg::Text(Some(Cow::Owned(v)));
    Option<&'a str> => |v| Arg::Text(v.map(Cow::Borrowed));
    &'a Option<String> => |v| Arg::Text(v.as_deref().map(Cow::Borrowed));
    Option<String> => |v| Arg::Text(v.map(Cow::Owned));
    &'a Value => |v| Arg::Json(Some(Cow::Borrowed(v)));
    Option<&'a Value> => |v| Arg::Json(v.map(Cow::Borrowed));
    &'a Option<Value> => |v| Arg::Json(v.as_ref().map(Cow::Borrowed));
    Value => |v| Arg::Json(Some(Cow::Owned(v)));
    Option<Value> => |v| Arg::Json(v.map(Cow::Owned));
}

/// A row read on both backends: a `FromRow` struct or a tuple.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A single value read on both backends.
pub trait Scalar:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}
impl<T> Scalar for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}

/// Binds each of `$args` to `$query`, in order.
macro_rules! bound {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(value) => query.bind(*value),
                Arg::Text(value) => query.bind(value.as_deref()),
                Arg::Bool(value) => query.bind(*value),
                Arg::Json(value) => query.bind(value.as_ref().map(|json| json.to_string())),
                Arg::Time(value) => query.bind(*value),
            };
        }
        query
    }};
}

/// Runs `$body` with `$conn` the connection of write transaction `$tx`.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(write) => {
                let $conn = &mut *write.tx;
                $body
            }
            Tx::Postgres(write) => {
                let $conn = &mut *write.tx;
                $body
            }
        }
    };
}

/// A transaction that writes, on either backend (see [`Db::begin_write`]).
pub enum Tx {
    Sqlite(WriteTx<Sqlite>),
    Postgres(WriteTx<Postgres>),
}

impl Db {
    /// Runs a statement outside any write transaction; answers the rows it touched.
    pub async fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        with_db!(self, pool => Ok(bound!(sqlx::query(sql), args).execute(pool).await?.rows_affected()))
    }

    pub async fn all<R: Row>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<R>, sqlx::Error> {
        with_db!(self, pool => bound!(sqlx::query_as(sql), args).fetch_all(pool).await)
    }

    pub async fn optional<R: Row>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<R>, sqlx::Error> {
        with_db!(self, pool => bound!(sqlx::query_as(sql), args).fetch_optional(pool).await)
    }

    pub async fn one<R: Row>(&self, sql: &str, args: &[Arg<'_>]) -> Result<R, sqlx::Error> {
        with_db!(self, pool => bound!(sqlx::query_as(sql), args).fetch_one(pool).await)
    }

    pub async fn scalar<T: Scalar>(&self, sql: &str, args: &[Arg<'_>]) -> Result<T, sqlx::Error> {
        with_db!(self, pool => bound!(sqlx::query_scalar(sql), args).fetch_one(pool).await)
    }

    pub async fn scalars<T: Scalar>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>, sqlx::Error> {
        with_db!(self, pool => bound!(sqlx::query_scalar(sql), args).fetch_all(pool).await)
    }

    pub async fn optional_scalar<T: Scalar>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<T>, sqlx::Error> {
        with_db!(self, pool => bound!(sqlx::query_scalar(sql), args).fetch_optional(pool).await)
    }

    /// Reads with `sql`, which holds `{}` where a list of values goes (`IN
    /// ({})`), for every value of `list`: as many statements as the list
    /// needs, each bound to `args` and then its part of the list.
    pub async fn all_in<R: Row>(&self, sql: &str, args: &[Arg<'_>], list: &[Arg<'_>]) -> Result<Vec<R>, sqlx::Error> {
        let mut found = Vec::new();
        for chunk in list.chunks(rows_per_statement(1)) {
            let placeholders: Vec<String> =
                (args.len() + 1..=args.len() + chunk.len()).map(|n| format!("${n}")).collect();
            let bound: Vec<Arg> = args.iter().chain(chunk).cloned().collect();
            found.extend(self.all(&sql.replace("{}", &placeholders.join(", ")), &bound).await?);
        }
        Ok(found)
    }

    /// How the database would run a statement with its arguments: `EXPLAIN
    /// QUERY PLAN` (SQLite) or `EXPLAIN` (Postgres), a line each. On Postgres
    /// sequential scans are priced out first, so that a `Seq Scan` in the
    /// answer means no index can serve the statement, whatever the table's
    /// size today.
    pub async fn plan(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<String>, sqlx::Error> {
        match self {
            Db::Sqlite(_) => {
                let rows: Vec<(i64, i64, i64, String)> = self.all(&format!("EXPLAIN QUERY PLAN {sql}"), args).await?;
                Ok(rows.into_iter().map(|(.., detail)| detail).collect())
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
                let sql = format!("EXPLAIN {sql}");
                bound!(sqlx::query_scalar(&sql), args).fetch_all(&mut *tx).await
            }
        }
    }

    /// Ends a bulk load of `tables` (named for Postgres; SQLite takes the
    /// whole file): the planner's statistics made fresh, so that it does
    /// not scan where an index would do, and the loaded pages written out
    /// now rather than under the first requests.
    pub async fn after_bulk_load(&self, tables: &str) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(_) => {
                self.execute("ANALYZE", &[]).await?;
                self.execute("PRAGMA wal_checkpoint(TRUNCATE)", &[]).await?;
            }
            // Vacuuming also marks the pages all-visible, which index-only
            // scans need. CHECKPOINT takes a superuser or `pg_checkpoint`;
            // without, the checkpointer writes the pages out in its time.
            Db::Postgres(pool) => {
                sqlx::query(&format!("VACUUM ANALYZE {tables}")).execute(pool).await?;
                if let Err(error) = sqlx::query("CHECKPOINT").execute(pool).await {
                    tracing::info!(%error, "no checkpoint after the load");
                }
            }
        }
        Ok(())
    }

    /// The text under `key` of the JSON object `column` holds as text.
    pub fn json_text(&self, column: &str, key: &str) -> String {
        match self {
            Db::Sqlite(_) => format!("json_extract({column}, '$.{key}')"),
            Db::Postgres(_) => format!("(CAST({column} AS json) ->> '{key}')"),
        }
    }

    /// The aggregate that makes a JSON array of a column's values.
    pub fn json_array_aggregate(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "json_group_array",
            Db::Postgres(_) => "json_agg",
        }
    }
}

impl Tx {
    /// Runs a statement; answers the rows it touched.
    pub async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        on_tx!(self, conn => Ok(bound!(sqlx::query(sql), args).execute(conn).await?.rows_affected()))
    }

    pub async fn all<R: Row>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<R>, sqlx::Error> {
        on_tx!(self, conn => bound!(sqlx::query_as(sql), args).fetch_all(conn).await)
    }

    pub async fn optional<R: Row>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<R>, sqlx::Error> {
        on_tx!(self, conn => bound!(sqlx::query_as(sql), args).fetch_optional(conn).await)
    }

    pub async fn one<R: Row>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<R, sqlx::Error> {
        on_tx!(self, conn => bound!(sqlx::query_as(sql), args).fetch_one(conn).await)
    }

    pub async fn scalar<T: Scalar>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<T, sqlx::Error> {
        on_tx!(self, conn => bound!(sqlx::query_scalar(sql), args).fetch_one(conn).await)
    }

    pub async fn scalars<T: Scalar>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>, sqlx::Error> {
        on_tx!(self, conn => bound!(sqlx::query_scalar(sql), args).fetch_all(conn).await)
    }

    pub async fn optional_scalar<T: Scalar>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<T>, sqlx::Error> {
        on_tx!(self, conn => bound!(sqlx::query_scalar(sql), args).fetch_optional(conn).await)
    }

    /// Runs `sql`, which holds `{}` where the values of a multi-row
    /// statement go, over `rows` (`columns` arguments a row, one after the
    /// other), as many statements as the rows need.
    pub async fn execute_rows(&mut self, sql: &str, columns: usize, rows: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        let mut touched = 0;
        for chunk in rows.chunks(rows_per_statement(columns) * columns) {
            touched += self.execute(&self.with_values(sql, chunk.len() / columns, columns), chunk).await?;
        }
        Ok(touched)
    }

    /// Reads with `sql` as [`Tx::execute_rows`] runs it: every row of
    /// every statement, in order.
    pub async fn all_rows<R: Row>(
        &mut self,
        sql: &str,
        columns: usize,
        rows: &[Arg<'_>],
    ) -> Result<Vec<R>, sqlx::Error> {
        let mut found = Vec::new();
        for chunk in rows.chunks(rows_per_statement(columns) * columns) {
            found.extend(self.all(&self.with_values(sql, chunk.len() / columns, columns), chunk).await?);
        }
        Ok(found)
    }

    /// `sql` with the placeholders of `rows` rows of `columns` cells where it
    /// holds `{}`. SQLite gets anonymous ones (`(?, ?), (?, ?)`), bound by
    /// position: it looks a numbered one up by walking the statement's list
    /// of names, which costs the square of their number. Postgres numbers them.
    fn with_values(&self, sql: &str, rows: usize, columns: usize) -> String {
        let numbered = matches!(self, Tx::Postgres(_));
        let values = (0..rows)
            .map(|r| {
                let cells: Vec<String> = (1..=columns)
                    .map(|c| if numbered { format!("${}", r * columns + c) } else { "?".to_owned() })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        sql.replace("{}", &values)
    }

    /// Gives a bulk load's transaction a page cache large enough that its
    /// dirty index pages stay in memory until its commit (SQLite's; a
    /// Postgres connection has no cache of its own), or, `false`, takes it
    /// back to the size every connection has.
    pub async fn bulk_cache(&mut self, bulk: bool) -> Result<(), sqlx::Error> {
        if let Tx::Sqlite(write) = self {
            let kib = if bulk { BULK_CACHE_KIB } else { super::SQLITE_CACHE_KIB };
            sqlx::query(&format!("PRAGMA cache_size = -{kib}")).execute(&mut *write.tx).await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(write) => write.commit().await,
            Tx::Postgres(write) => write.commit().await,
        }
    }
}

/// Page cache of a bulk load's transaction on SQLite, in KiB.
const BULK_CACHE_KIB: i64 = 1 << 20;

/// Parameters per multi-row statement: small statements stay in the
/// statement cache and hold the write lock for a short time each.
const PARAMS_PER_STATEMENT: usize = 256;

/// Rows per multi-row statement of rows with `columns` cells.
fn rows_per_statement(columns: usize) -> usize {
    (PARAMS_PER_STATEMENT / columns.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_keep_their_kind_when_null() {
        assert_eq!(Arg::from(None::<i64>), Arg::Int(None));
        assert_eq!(Arg::from(None::<&str>), Arg::Text(None));
        assert_eq!(Arg::from(None::<&Value>), Arg::Json(None));
        assert_eq!(args![1_i64, "a", true].len(), 3);
    }
}
