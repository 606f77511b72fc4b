//! Tags of users, groups and messages: the same rules, a table each.

use sqlx::FromRow;

use super::rows_per_statement;
use crate::server::{Error, Result, db::Db};
use crate::with_db;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Tagged {
    User,
    Group,
    Message,
}

impl Tagged {
    /// The table and the column naming what a tag is on.
    pub(crate) fn table(self) -> (&'static str, &'static str) {
        match self {
            Tagged::User => ("user_tags", "user_id"),
            Tagged::Group => ("group_tags", "group_id"),
            Tagged::Message => ("message_tags", "message_id"),
        }
    }
}

/// Adds tags to rows (users or groups, as `$tagged` says) that have none of
/// them: `$rows` yields `(app, id, tag)`. In multi-row statements on `$tx`;
/// evaluates to a `sqlx` result.
macro_rules! insert_tags {
    ($tx:expr, $tagged:expr, $rows:expr) => {
        'insert: {
            use $crate::server::{db::MultiRowValues, service::rows_per_statement};
            let (table, owner) = $crate::server::service::tags::Tagged::table($tagged);
            let rows: Vec<(i64, i64, &str)> = $rows.into_iter().collect();
            for chunk in rows.chunks(rows_per_statement(3)) {
                let sql = format!("INSERT INTO {table} (app, {owner}, tag) VALUES {}", $tx.values(chunk.len(), 3));
                let mut insert = sqlx::query(&sql);
                for (app, id, tag) in chunk {
                    insert = insert.bind(app).bind(id).bind(tag);
                }
                if let Err(error) = insert.execute(&mut *$tx).await {
                    break 'insert Err::<(), sqlx::Error>(error);
                }
            }
            Ok(())
        }
    };
}

/// Writes the tags of the row with internal id `$id`, replacing what it had.
macro_rules! replace_tags {
    ($tx:expr, $tagged:expr, $app:expr, $id:expr, $tags:expr) => {{
        let (app, id): (i64, i64) = ($app, $id);
        let (table, owner) = $crate::server::service::tags::Tagged::table($tagged);
        sqlx::query(&format!("DELETE FROM {table} WHERE {owner} = $1")).bind(id).execute(&mut *$tx).await?;
        $crate::server::service::tags::insert_tags!($tx, $tagged, $tags.iter().map(|tag| (app, id, tag.as_str())))?;
    }};
}
pub(crate) use {insert_tags, replace_tags};

/// SQL for the tags of the row whose internal id is the expression `id`,
/// as a JSON array (NULL on Postgres when there are none), selected `AS
/// tags` for [`WithTags`]: read with the rows of a list, its tags cost it
/// no statement of their own.
pub(super) fn json_of(db: &Db, tagged: Tagged, id: &str) -> String {
    let (table, owner) = tagged.table();
    let aggregate = match db {
        Db::Sqlite(_) => "json_group_array",
        Db::Postgres(_) => "json_agg",
    };
    format!("(SELECT CAST({aggregate}(tag) AS TEXT) FROM {table} WHERE {owner} = {id}) AS tags")
}

/// A row read with the tags [`json_of`] selects. Public only as the row a
/// public trait names (`users::Listable`); its fields stay inside the service.
#[derive(FromRow)]
pub struct WithTags<Row> {
    #[sqlx(flatten)]
    pub(super) row: Row,
    tags: Option<String>,
}

impl<Row> WithTags<Row> {
    /// The row's view, made by `view` with the row's tags in tag order.
    pub(super) fn view<V>(self, view: impl FnOnce(Row, Vec<String>) -> Result<V>) -> Result<V> {
        let tags = match self.tags {
            Some(json) => serde_json::from_str(&json).map_err(|e| Error::Internal(e.to_string()))?,
            None => Vec::new(),
        };
        view(self.row, in_tag_order(tags))
    }
}

/// Tags in the order every read gives them: by their bytes, the same on
/// both databases whatever Postgres's collation, and sorted here rather
/// than by a sort in SQL for each row of a list.
fn in_tag_order(mut tags: Vec<String>) -> Vec<String> {
    tags.sort_unstable();
    tags
}

/// Views of rows (users, groups or messages, as `tagged` says), each made
/// by `view` with the row's tags in tag order, which are read in one query.
pub(super) async fn with_tags<R, V>(
    db: &Db,
    tagged: Tagged,
    rows: Vec<R>,
    id: impl Fn(&R) -> i64,
    mut view: impl FnMut(R, Vec<String>) -> Result<V>,
) -> Result<Vec<V>> {
    let ids: Vec<i64> = rows.iter().map(&id).collect();
    let mut tags: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for (owner, tag) in tags_of(db, tagged, &ids).await? {
        tags.entry(owner).or_default().push(tag);
    }
    rows.into_iter()
        .map(|row| {
            let mine = tags.remove(&id(&row)).unwrap_or_default();
            view(row, in_tag_order(mine))
        })
        .collect()
}

/// The tags of the rows with these internal ids, as `(id, tag)`.
async fn tags_of(db: &Db, tagged: Tagged, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (table, owner) = tagged.table();
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(rows_per_statement(1)) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT {owner}, tag FROM {table} WHERE {owner} IN ({})", placeholders.join(", "));
        let rows: Vec<(i64, String)> = with_db!(db, pool => {
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            query.fetch_all(pool).await?
        });
        found.extend(rows);
    }
    Ok(found)
}
