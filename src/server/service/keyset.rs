//! What keyset-paged lists share: statements built from conditions with
//! numbered placeholders, and cursors that name the last row of a page.

use serde_json::{Value, json};
use sqlx::FromRow;

use crate::server::{
    Error, Result,
    db::{Arg, Db, Row},
};

/// The most rows a page holds.
pub const MAX_PER_PAGE: i64 = 1000;

/// A filtered list counts its matches up to here: counting every match of
/// a broad prefix among millions would cost more than the page itself, and
/// past a thousand an operator narrows the search rather than reads the number.
pub const COUNT_CAP: i64 = 1_000;

/// Which page of a list to read: how many rows, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub per_page: i64,
    /// Where the previous page ended, as its `next_cursor` gave it.
    pub cursor: Option<String>,
    /// A page number, for offset paging; a cursor wins over it.
    pub page: Option<i64>,
}

impl Paging {
    pub fn first(per_page: i64) -> Self {
        Paging { per_page, cursor: None, page: None }
    }

    pub fn after(per_page: i64, cursor: Option<String>) -> Self {
        Paging { per_page, cursor, page: None }
    }

    /// Rows per page, within bounds.
    pub(super) fn size(&self) -> i64 {
        self.per_page.clamp(1, MAX_PER_PAGE)
    }

    /// Rows before the page, when it is asked for by number.
    pub(super) fn offset(&self) -> i64 {
        match (&self.cursor, self.page) {
            (None, Some(page)) => (page.max(1) - 1).saturating_mul(self.size()),
            _ => 0,
        }
    }
}

/// A WHERE clause built from parts, numbering its placeholders as it goes.
#[derive(Default)]
pub(super) struct Conditions {
    pub(super) parts: Vec<String>,
    pub(super) args: Vec<Arg<'static>>,
}

impl Conditions {
    pub(super) fn placeholder(&mut self, arg: impl Into<Arg<'static>>) -> String {
        let arg = arg.into();
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(super) fn list(&mut self, args: impl IntoIterator<Item = Arg<'static>>) -> String {
        args.into_iter().map(|arg| self.placeholder(arg)).collect::<Vec<_>>().join(", ")
    }

    pub(super) fn sql(&self) -> String {
        self.parts.join(" AND ")
    }

    /// The conditions with part `at` replaced by `part`.
    pub(super) fn with_part(&self, at: usize, part: String) -> String {
        let mut parts = self.parts.clone();
        parts[at] = part;
        parts.join(" AND ")
    }

    /// `expression` holds `fragment`, in any case: a scan, for filters that
    /// ride on a narrower one.
    pub(super) fn contains(&mut self, expression: &str, fragment: &str) -> String {
        let escaped = fragment.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = self.placeholder(format!("%{escaped}%"));
        format!("LOWER({expression}) LIKE {pattern} ESCAPE '\\'")
    }

    /// A prefix as a range on an indexed column: no scan, no leading wildcard.
    pub(super) fn prefix_of(&mut self, column: &str, prefix: &str) -> PrefixRange {
        let from = self.placeholder(prefix.to_owned());
        let to = self.placeholder(format!("{prefix}\u{10FFFF}"));
        PrefixRange { column: column.to_owned(), from, to }
    }
}

/// A prefix search's condition, `column >= from AND column < to`, with
/// the bounds as placeholders. It prints as that SQL.
#[derive(Clone)]
pub(super) struct PrefixRange {
    column: String,
    from: String,
    to: String,
}

impl PrefixRange {
    /// The same condition with its bounds out of the query planner's
    /// sight, read once as scalar subqueries: the plan cannot depend on
    /// them. Postgres plans a statement anew at each call while plans made
    /// for the values at hand look cheaper than one plan for any value, as a
    /// prefix's estimated matches swing from one to thousands; that planning
    /// costs more than the capped count itself. The index range is the same.
    pub(super) fn hidden_from_planner(&self) -> String {
        let PrefixRange { column, from, to } = self;
        format!("({column} >= (SELECT {from}) AND {column} < (SELECT {to}))")
    }
}

impl std::fmt::Display for PrefixRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let PrefixRange { column, from, to } = self;
        write!(f, "({column} >= {from} AND {column} < {to})")
    }
}

/// A count of the rows of `from` (tables, aliased as `conditions` names
/// them) that meet `conditions`, read up to one past [`COUNT_CAP`].
pub(super) fn capped_count(from: &str, conditions: &str) -> String {
    format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM {from} WHERE {conditions} LIMIT {}) AS counted", COUNT_CAP + 1)
}

/// The capped count of a search on either of two prefixes, whose condition
/// is part `at` of `filter`: the rows `first` matches, then, only if they
/// are not past the cap already, those only `second` matches. Each count
/// reads its own index, where an OR of the two ranges walks the whole
/// table; the second meets at most as many rows of the first as the first
/// counted, so neither reads far past the cap.
pub(super) fn capped_count_of_either(
    from: &str,
    filter: &Conditions,
    at: usize,
    first: &PrefixRange,
    second: &PrefixRange,
) -> String {
    let only_second = format!("({} AND NOT {})", second.hidden_from_planner(), first.hidden_from_planner());
    format!(
        "SELECT CASE WHEN n > {COUNT_CAP} THEN n ELSE n + ({}) END FROM ({}) AS firsts",
        capped_count(from, &filter.with_part(at, only_second)),
        capped_count(from, &filter.with_part(at, first.to_string()))
    )
}

/// A total as a list answers it: exact when it was kept rather than
/// counted, or when the count stayed within [`COUNT_CAP`].
pub(super) fn capped_total(total: i64, kept: bool) -> (i64, bool) {
    if kept || total <= COUNT_CAP { (total, true) } else { (COUNT_CAP, false) }
}

/// The rows of a page read with one row past its end, and the cursor after
/// its last row (made by `cursor`) when more follow.
pub(super) fn page_end<R, C>(mut rows: Vec<R>, per_page: usize, cursor: impl FnOnce(&R) -> C) -> (Vec<R>, Option<C>) {
    let more = rows.len() > per_page;
    rows.truncate(per_page);
    let next = if more { rows.last().map(cursor) } else { None };
    (rows, next)
}

/// The cursor after a row whose sort value is `at` (null when the list is
/// sorted on its id alone) and whose id is `id`.
pub(super) fn cursor(at: Value, id: &str) -> String {
    hex::encode(json!([at, id]).to_string())
}

pub(super) fn invalid_cursor() -> Error {
    Error::invalid("ERR_INVALID_CURSOR", "This cursor is not one this list gave, or was made for another order.")
}

/// The sort value and id a cursor names.
pub(super) fn parse_cursor(raw: &str) -> Result<(Value, String)> {
    let bytes = hex::decode(raw).map_err(|_| invalid_cursor())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid_cursor())
}

/// A row of a list's page, read with the list's capped total: one
/// statement reads a whole page.
#[derive(FromRow)]
pub(super) struct Listed<Item> {
    #[sqlx(flatten)]
    pub(super) item: Item,
    total: i64,
}

/// What a page's statement selects for [`Listed`]: `columns`, and the count
/// `count_sql` makes.
pub(super) fn listed(columns: &str, count_sql: &str) -> String {
    format!("{columns}, ({count_sql}) AS total")
}

/// A page whose statement selects [`listed`] columns, and the list's total:
/// brought by the page's rows, or for a page past the end, which has none,
/// counted by `count_sql` alone, on the first `count_args` arguments.
pub(super) async fn read_listed<R>(
    db: &Db,
    page_sql: &str,
    count_sql: &str,
    args: &[Arg<'_>],
    count_args: usize,
) -> Result<(Vec<Listed<R>>, i64)>
where
    Listed<R>: Row,
{
    let rows: Vec<Listed<R>> = db.all(page_sql, args).await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => db.scalar(count_sql, &args[..count_args]).await?,
    };
    Ok((rows, total))
}

/// How the database would run each statement with its arguments (see [`Db::plans`]).
pub(super) async fn plans(db: &Db, statements: &[(&str, &[Arg<'_>])]) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for (sql, args) in statements {
        lines.extend(db.plan(sql, args).await?);
    }
    Ok(lines)
}
