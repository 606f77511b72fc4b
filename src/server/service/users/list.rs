//! Listing users: keyset pages in any of four orders, filtered and
//! searched by prefix, with a capped count.

use super::*;

/// What a list of users reads of each and gives: the whole user, as the
/// REST API answers, or the summary a dashboard table shows, which reads
/// neither metadata nor tags.
pub trait Listable: Sized {
    type Row: Row;
    /// The columns of `users` the row reads.
    const COLUMNS: &'static str;
    /// What a page's statement selects of the user whose internal id is
    /// `id`: the columns, and whatever comes with them.
    fn selected(_db: &Db, _id: &str) -> String {
        Self::COLUMNS.to_owned()
    }
    /// Where a cursor after this row places it.
    fn keys(row: &Self::Row) -> SortKeys<'_>;
    fn from_row(row: Self::Row) -> Result<Self>;
}

/// What a keyset cursor places a user by, whatever the order.
pub struct SortKeys<'a> {
    uid: &'a str,
    name: &'a str,
    created_at: i64,
    last_active_at: Option<i64>,
}

impl Listable for UserView {
    type Row = WithTags<UserRow>;
    const COLUMNS: &'static str = USER_COLUMNS;

    fn selected(db: &Db, id: &str) -> String {
        format!("{USER_COLUMNS}, {}", tags::json_of(db, Tagged::User, id))
    }

    fn keys(listed: &Self::Row) -> SortKeys<'_> {
        let row = &listed.row;
        SortKeys { uid: &row.uid, name: &row.name, created_at: row.created_at, last_active_at: row.last_active_at }
    }

    fn from_row(row: Self::Row) -> Result<Self> {
        row.view(UserRow::into_view)
    }
}

/// What [`UserSummary`] is made from.
#[derive(FromRow)]
pub struct SummaryRow {
    uid: String,
    name: String,
    role: String,
    status: String,
    created_at: i64,
    last_active_at: Option<i64>,
    deactivated_at: Option<i64>,
}

impl Listable for UserSummary {
    type Row = SummaryRow;
    const COLUMNS: &'static str = "uid, name, role, status, created_at, last_active_at, deactivated_at";

    fn keys(row: &Self::Row) -> SortKeys<'_> {
        SortKeys { uid: &row.uid, name: &row.name, created_at: row.created_at, last_active_at: row.last_active_at }
    }

    fn from_row(row: Self::Row) -> Result<Self> {
        Ok(UserSummary {
            uid: stored(Uid::parse(&row.uid))?,
            name: row.name,
            role: stored(RoleId::parse(&row.role))?,
            status: row.status,
            created_at: row.created_at,
            last_active_at: row.last_active_at,
            deactivated_at: row.deactivated_at,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOrder {
    Uid,
    Name,
    CreatedAt,
    /// Users never seen count as seen at time zero, so they come last when
    /// the most recently active come first.
    LastActiveAt,
    /// For a search on UID or name: by the text that matched, the UID if it
    /// did, else the name. Each half then reads in its own index order.
    Match,
}

impl UserOrder {
    /// A search reads by the text it matched unless told otherwise: that is
    /// the order its index gives, so a broad prefix costs no sort.
    pub fn chosen(sort: Option<UserSort>, search_in: SearchIn, searching: bool) -> Self {
        match (sort, search_in) {
            (Some(sort), _) => sort.into(),
            (None, SearchIn::Name) if searching => UserOrder::Name,
            (None, SearchIn::Either) if searching => UserOrder::Match,
            (None, _) => UserOrder::Uid,
        }
    }
}

impl From<UserSort> for UserOrder {
    fn from(sort: UserSort) -> Self {
        match sort {
            UserSort::Uid => UserOrder::Uid,
            UserSort::Name => UserOrder::Name,
            UserSort::CreatedAt => UserOrder::CreatedAt,
            UserSort::LastActiveAt => UserOrder::LastActiveAt,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIn {
    Uid,
    Name,
    Either,
}

#[derive(Debug, Clone)]
pub struct UserQuery {
    /// A prefix of the UID or the name, any case.
    pub search: Option<String>,
    pub search_in: SearchIn,
    pub roles: Vec<RoleId>,
    /// Users with any of these tags.
    pub tags: Vec<String>,
    /// Only this user's friends.
    pub friends_of: Option<Uid>,
    /// Only the users this user blocked.
    pub blocked_by: Option<Uid>,
    pub status: Option<Presence>,
    pub showing: Showing,
    pub order: UserOrder,
    pub descending: bool,
    pub paging: Paging,
}

impl UserQuery {
    /// The dashboard's list: a filter as the address holds it.
    pub fn filtered(filter: UserFilter, per_page: i64, cursor: Option<String>) -> Self {
        let searching = !filter.search.trim().is_empty();
        Self {
            order: UserOrder::chosen(filter.sort, SearchIn::Either, searching),
            search: Some(filter.search),
            search_in: SearchIn::Either,
            roles: filter.role.into_iter().collect(),
            tags: filter.tag.into_iter().collect(),
            friends_of: None,
            blocked_by: None,
            status: filter.status,
            showing: filter.show,
            descending: filter.order == SortOrder::Desc,
            paging: Paging::after(per_page, cursor),
        }
    }
}

/// The last-active sort key, as its index holds it.
const LAST_ACTIVE: &str = "COALESCE(u.last_active_at, 0)";

/// The keyset position after a row: its sort value and UID.
fn cursor_after(order: UserOrder, descending: bool, user: SortKeys<'_>, search: Option<&str>) -> String {
    let at = match order {
        UserOrder::Uid => Value::Null,
        UserOrder::Name => json!(user.name.to_lowercase()),
        UserOrder::CreatedAt => json!(user.created_at),
        UserOrder::LastActiveAt => json!(user.last_active_at.unwrap_or(0)),
        UserOrder::Match => json!(match_key(user.uid, &user.name.to_lowercase(), search, descending)),
    };
    keyset::cursor(at, user.uid)
}

/// Which text a search listed a user under: their UID or their name,
/// whichever matched, or when both did, whichever comes first in the
/// order (the UID on a tie).
fn match_key<'a>(uid: &'a str, name_lower: &'a str, search: Option<&str>, descending: bool) -> &'a str {
    let matches = |text: &str| search.is_none_or(|prefix| text.starts_with(prefix));
    let name_first = if descending { name_lower > uid } else { name_lower < uid };
    if matches(uid) && !(matches(name_lower) && name_first) { uid } else { name_lower }
}

fn parse_cursor(order: UserOrder, raw: &str) -> Result<(Option<Arg<'static>>, String)> {
    let invalid = keyset::invalid_cursor;
    let (at, uid) = keyset::parse_cursor(raw)?;
    let at = match (order, at) {
        (UserOrder::Uid, Value::Null) => None,
        (UserOrder::Name | UserOrder::Match, Value::String(text)) => Some(Arg::from(text)),
        (UserOrder::CreatedAt | UserOrder::LastActiveAt, Value::Number(n)) => {
            Some(Arg::from(n.as_i64().ok_or_else(invalid)?))
        }
        _ => return Err(invalid()),
    };
    Ok((at, uid))
}

/// One page of the users `query` picks, each as `L` gives them, with the
/// total that match.
pub async fn list<L: Listable>(db: &Db, caller: &Caller, app: &App, query: UserQuery) -> Result<Page<L>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let related = Related {
        friends_of: match &query.friends_of {
            Some(uid) => Some(find(db, app, uid).await?.id),
            None => None,
        },
        blocked_by: match &query.blocked_by {
            Some(uid) => Some(find(db, app, uid).await?.id),
            None => None,
        },
    };
    let statements = list_statements::<L>(db, app, query, related)?;
    let ListStatements { count_sql, page_sql, args, count_args, per_page, unfiltered, order, descending, prefix } =
        statements;
    let (rows, total) = keyset::read_listed::<L::Row>(db, &page_sql, &count_sql, &args, count_args).await?;
    let (rows, next_cursor) = keyset::page_end(rows, per_page as usize, |last| {
        cursor_after(order, descending, L::keys(&last.item), prefix.as_deref())
    });
    let users = rows.into_iter().map(|listed| L::from_row(listed.item)).collect::<Result<Vec<_>>>()?;
    let (total, total_is_exact) = keyset::capped_total(total, unfiltered);
    Ok(Page { items: users, total, total_is_exact, next_cursor })
}

/// The users list as user `viewer` sees it: their friends alone when
/// their role lists friends only (`listUsers: friendsOnly`).
pub async fn list_seen_by<L: Listable>(
    db: &Db,
    caller: &Caller,
    app: &App,
    viewer: &Uid,
    query: UserQuery,
) -> Result<Page<L>> {
    caller.require_app(app.id)?;
    let query = match roles::settings_of(db, app, viewer).await?.list_users {
        Reach::All => query,
        Reach::FriendsOnly => UserQuery { friends_of: Some(viewer.clone()), ..query },
    };
    list(db, caller, app, query).await
}

/// How the database would run a list of `L`: the plans of its count and of
/// its page, as `keyset::plans` tells them.
pub async fn explain<L: Listable>(db: &Db, caller: &Caller, app: &App, query: UserQuery) -> Result<Vec<String>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    // Any id will do: the plan does not depend on whose friends or blocks.
    let related =
        Related { friends_of: query.friends_of.as_ref().map(|_| 0), blocked_by: query.blocked_by.as_ref().map(|_| 0) };
    let ListStatements { count_sql, page_sql, args, count_args, .. } = list_statements::<L>(db, app, query, related)?;
    keyset::plans(db, &[(&count_sql, &args[..count_args]), (&page_sql, &args)]).await
}

/// The statements behind a list of `L`: a capped count, and one page whose
/// rows bring that count with them (see [`keyset::Listed`]).
/// The count takes the first `count_args` of the page's arguments.
struct ListStatements {
    count_sql: String,
    page_sql: String,
    args: Vec<Arg<'static>>,
    count_args: usize,
    per_page: i64,
    /// Counted from the kept totals rather than the table.
    unfiltered: bool,
    order: UserOrder,
    descending: bool,
    /// The search, trimmed and lowercased.
    prefix: Option<String>,
}

/// The users another user is related to, by that user's internal id.
#[derive(Clone, Copy)]
struct Related {
    friends_of: Option<i64>,
    blocked_by: Option<i64>,
}

fn list_statements<L: Listable>(db: &Db, app: &App, query: UserQuery, related: Related) -> Result<ListStatements> {
    let (per_page, offset) = (query.paging.size(), query.paging.offset());
    let Filtered { mut filter, app_arg, unfiltered, either, prefix } = filtered(app, &query, related);
    let count_sql = if unfiltered {
        let counted = match query.showing {
            Showing::Active => "active",
            Showing::Deactivated => "deactivated",
            Showing::All => "active + deactivated",
        };
        format!("SELECT {counted} FROM user_counts WHERE app = {app_arg}")
    } else if let Some((at, by_uid, by_name)) = &either {
        keyset::capped_count_of_either("users u", &filter, *at, by_uid, by_name)
    } else {
        keyset::capped_count("users u", &filter.sql())
    };
    let count_args = filter.args.len();
    let order = if query.order == UserOrder::Match && either.is_none() { UserOrder::Uid } else { query.order };
    let column = match order {
        UserOrder::Uid | UserOrder::Match => "u.uid",
        UserOrder::Name => "u.name_lower",
        UserOrder::CreatedAt => "u.created_at",
        UserOrder::LastActiveAt => LAST_ACTIVE,
    };
    let match_after = match &query.paging.cursor {
        Some(cursor) => after_cursor(&mut filter, order, column, query.descending, cursor)?,
        None => None,
    };
    let shape = PageShape { column, descending: query.descending, limit: per_page + 1, offset };
    // What a page selects of the user whose internal id is `id`.
    let listed = |id: &str| keyset::listed(&L::selected(db, id), &count_sql);
    let page_sql = match either {
        Some((at, by_uid, by_name)) if order == UserOrder::Match => {
            let halves = (at, by_uid.to_string(), by_name.to_string());
            by_match(&filter, halves, match_after.as_ref(), &shape, &listed("users.id"))
        }
        None => {
            let PageShape { column, limit, offset, .. } = shape;
            let direction = shape.direction();
            format!(
                "SELECT {} FROM users u WHERE {} ORDER BY {column} {direction}, u.uid {direction} LIMIT {limit} OFFSET {offset}",
                listed("u.id"),
                filter.sql(),
            )
        }
        Some((at, by_uid, by_name)) => {
            either_union::<L>(&filter, (at, by_uid.to_string(), by_name.to_string()), &shape, &listed("hits.id"))
        }
    };

    Ok(ListStatements {
        count_sql,
        page_sql,
        args: filter.args,
        count_args,
        per_page,
        unfiltered,
        order,
        descending: query.descending,
        prefix,
    })
}

/// A users list's conditions, as a query and its friend filter make them.
struct Filtered {
    filter: Conditions,
    /// The placeholder of the app's id.
    app_arg: String,
    /// No filter but the active/deactivated one: the kept counts answer.
    unfiltered: bool,
    /// Where a search on UID or name sits among the conditions, and its two halves.
    either: Option<(usize, PrefixRange, PrefixRange)>,
    /// The search, trimmed and lowercased.
    prefix: Option<String>,
}

fn filtered(app: &App, query: &UserQuery, related: Related) -> Filtered {
    let mut filter = Conditions::default();
    let app_arg = filter.placeholder(app.id);
    filter.parts.push(format!("u.app = {app_arg}"));
    match query.showing {
        Showing::Active => filter.parts.push("u.deactivated_at IS NULL".into()),
        Showing::Deactivated => filter.parts.push("u.deactivated_at IS NOT NULL".into()),
        Showing::All => {}
    }
    let base_conditions = filter.parts.len();
    let mut either = None;
    let prefix = query.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    if let Some(prefix) = &prefix {
        let search = match query.search_in {
            SearchIn::Uid => filter.prefix_of("u.uid", prefix).to_string(),
            SearchIn::Name => filter.prefix_of("u.name_lower", prefix).to_string(),
            SearchIn::Either => {
                let (by_uid, by_name) = (filter.prefix_of("u.uid", prefix), filter.prefix_of("u.name_lower", prefix));
                let search = format!("({by_uid} OR {by_name})");
                either = Some((filter.parts.len(), by_uid, by_name));
                search
            }
        };
        filter.parts.push(search);
    }
    if !query.roles.is_empty() {
        let roles = filter.list(query.roles.iter().map(|r| Arg::from(r.to_string())));
        filter.parts.push(format!("u.role IN ({roles})"));
    }
    if let Some(status) = query.status {
        let status = filter.placeholder(status.as_str().to_owned());
        filter.parts.push(format!("u.status = {status}"));
    }
    if !query.tags.is_empty() {
        let tags = filter.list(query.tags.iter().cloned().map(Arg::from));
        filter.parts.push(format!("EXISTS (SELECT 1 FROM user_tags t WHERE t.user_id = u.id AND t.tag IN ({tags}))"));
    }
    if let Some(friend_of) = related.friends_of {
        let user = filter.placeholder(friend_of);
        filter.parts.push(format!("EXISTS (SELECT 1 FROM friends f WHERE f.user_id = {user} AND f.friend_id = u.id)"));
    }
    if let Some(blocker) = related.blocked_by {
        let user = filter.placeholder(blocker);
        filter.parts.push(format!(
            "EXISTS (SELECT 1 FROM blocked_users b WHERE b.blocker_id = {user} AND b.blocked_id = u.id)"
        ));
    }
    let unfiltered = filter.parts.len() == base_conditions;
    Filtered { filter, app_arg, unfiltered, either, prefix }
}

/// Adds the condition that places a page after `cursor` to `filter`; for
/// the order by match, where each half of the union compares with its own
/// key, answers the placeholders of the cursor's key and UID instead.
fn after_cursor(
    filter: &mut Conditions,
    order: UserOrder,
    column: &str,
    descending: bool,
    cursor: &str,
) -> Result<Option<(String, String)>> {
    let after = if descending { "<" } else { ">" };
    let (at, uid) = parse_cursor(order, cursor)?;
    let uid = filter.placeholder(uid);
    let keyset = match at {
        Some(at) if order == UserOrder::Match => return Ok(Some((filter.placeholder(at), uid))),
        None => format!("u.uid {after} {uid}"),
        Some(at) => {
            let at = filter.placeholder(at);
            format!("({column}, u.uid) {after} ({at}, {uid})")
        }
    };
    filter.parts.push(keyset);
    Ok(None)
}

/// How a page is cut: its sort column and direction, and its rows.
struct PageShape<'a> {
    column: &'a str,
    descending: bool,
    /// The page's rows and one more, to tell whether more follow.
    limit: i64,
    offset: i64,
}

impl PageShape<'_> {
    fn direction(&self) -> &'static str {
        if self.descending { "DESC" } else { "ASC" }
    }
}

/// A page of a search on UID or name, in the order of the text that
/// matched. A user whose UID and name both match is listed once, under
/// whichever of the two comes first in this order (the UID on a tie); see
/// `match_key`. Each half takes its first rows from its index and drops,
/// after its LIMIT, the users the other half lists. The page is still whole:
/// every row a half passes over before a user of the page is a distinct
/// user listed earlier on the same page. Filtering before the LIMIT instead
/// made a half walk past every user the other half lists: all of
/// "ana_smith_…" for "ana".
fn by_match(
    filter: &Conditions,
    (at, by_uid, by_name): (usize, String, String),
    match_after: Option<&(String, String)>,
    shape: &PageShape<'_>,
    listed: &str,
) -> String {
    let (direction, limit, offset) = (shape.direction(), shape.limit, shape.offset);
    let (after, before) = if shape.descending { ("<", ">") } else { (">", "<") };
    let half = |search: &str, key: &str, other_search: &str, other: &str, listed_here: &str| {
        let mut parts = filter.parts.clone();
        parts[at] = search.to_owned();
        if let Some((after_key, after_uid)) = match_after {
            parts.push(format!("({key}, u.uid) {after} ({after_key}, {after_uid})"));
            // Users an earlier page listed under their other key.
            parts.push(format!("NOT ({other_search} AND NOT (({other}, u.uid) {after} ({after_key}, {after_uid})))"));
        }
        format!(
            "SELECT hit_id, hit_key, hit_uid FROM (SELECT u.id AS hit_id, {key} AS hit_key, u.uid AS hit_uid, \
             CASE WHEN {other_search} THEN {other} END AS other_key \
             FROM users u WHERE {} ORDER BY {key} {direction}, u.uid {direction} LIMIT {}) AS half \
             WHERE other_key IS NULL OR {listed_here}",
            parts.join(" AND "),
            limit.saturating_add(offset)
        )
    };
    format!(
        "SELECT {listed} FROM users JOIN ({} UNION ALL {} ORDER BY hit_key {direction}, hit_uid {direction} \
         LIMIT {limit} OFFSET {offset}) AS hits ON hits.hit_id = users.id \
         ORDER BY hit_key {direction}, hit_uid {direction}",
        half(&by_uid, "u.uid", &by_name, "u.name_lower", &format!("NOT (other_key {before} hit_key)")),
        half(&by_name, "u.name_lower", &by_uid, "u.uid", &format!("hit_key {before} other_key")),
    )
}

/// A page of a search on UID or name in another order. An OR of two ranges
/// makes the planner walk one index and filter; a union of two range
/// reads, each cut to the page, stays on indexes.
fn either_union<L: Listable>(
    filter: &Conditions,
    (at, by_uid, by_name): (usize, String, String),
    shape: &PageShape<'_>,
    listed: &str,
) -> String {
    let (column, direction, limit, offset) = (shape.column, shape.direction(), shape.limit, shape.offset);
    let half = |search: &str| {
        format!(
            "SELECT {}, name_lower FROM users u WHERE {} ORDER BY {column} {direction}, u.uid {direction} LIMIT {}",
            L::COLUMNS,
            filter.with_part(at, search.to_owned()),
            limit.saturating_add(offset)
        )
    };
    let outer = column.replace("u.", "");
    format!(
        "SELECT {listed} FROM (SELECT * FROM ({}) AS by_uid UNION SELECT * FROM ({}) AS by_name) AS hits \
         ORDER BY {outer} {direction}, uid {direction} LIMIT {limit} OFFSET {offset}",
        half(&by_uid),
        half(&by_name),
    )
}
