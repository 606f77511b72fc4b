//! Tags of users, groups and messages: the same rules, a table each.

use sqlx::FromRow;

use crate::args;
use crate::server::{
    Error, Result,
    db::{Arg, Db, Tx},
};

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

/// Adds tags to rows (users, groups or messages, as `tagged` says) that
/// have none of them: `rows` yields `(app, id, tag)`.
pub(crate) async fn insert_tags<'t>(
    tx: &mut Tx,
    tagged: Tagged,
    rows: impl IntoIterator<Item = (i64, i64, &'t str)>,
) -> std::result::Result<(), sqlx::Error> {
    let (table, owner) = tagged.table();
    let args: Vec<Arg> = rows.into_iter().flat_map(|(app, id, tag)| [app.into(), id.into(), tag.into()]).collect();
    tx.execute_rows(&format!("INSERT INTO {table} (app, {owner}, tag) VALUES {{}}"), 3, &args).await?;
    Ok(())
}

/// Writes the tags of the row with internal id `id`, replacing what it had.
pub(crate) async fn replace_tags(tx: &mut Tx, tagged: Tagged, app: i64, id: i64, tags: &[String]) -> Result<()> {
    let (table, owner) = tagged.table();
    tx.execute(&format!("DELETE FROM {table} WHERE {owner} = $1"), args![id]).await?;
    insert_tags(tx, tagged, tags.iter().map(|tag| (app, id, tag.as_str()))).await?;
    Ok(())
}

/// SQL for the tags of the row whose internal id is the expression `id`,
/// as a JSON array (NULL on Postgres when there are none), selected `AS
/// tags` for [`WithTags`]: read with the rows of a list, its tags cost it
/// no statement of their own.
pub(super) fn json_of(db: &Db, tagged: Tagged, id: &str) -> String {
    let (table, owner) = tagged.table();
    let aggregate = db.json_array_aggregate();
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
    let ids: Vec<Arg> = ids.iter().map(|id| Arg::from(*id)).collect();
    let found = db.all_in(&format!("SELECT {owner}, tag FROM {table} WHERE {owner} IN ({{}})"), &[], &ids).await?;
    Ok(found)
}
