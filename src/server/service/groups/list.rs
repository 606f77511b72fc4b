//! Listing groups: keyset pages by name, by GUID or by creation, filtered
//! by type and tags, searched by prefix, with a capped count.

use super::*;

#[derive(Debug, Clone)]
pub struct GroupQuery {
    /// A prefix of the name or the GUID, any case.
    pub search: Option<String>,
    /// Where `search` looks.
    pub search_in: GroupSearchIn,
    /// Only the groups changed after (or, `Some((at, false))`, before) `at`.
    pub updated: Option<(i64, bool)>,
    pub types: Vec<GroupType>,
    /// Groups with any of these tags.
    pub tags: Vec<String>,
    /// Only the groups the acting user is a member of.
    pub has_joined: bool,
    pub sort: GroupSort,
    pub descending: bool,
    pub paging: Paging,
}

impl Default for GroupQuery {
    fn default() -> Self {
        Self {
            search: None,
            search_in: GroupSearchIn::Either,
            updated: None,
            types: Vec::new(),
            tags: Vec::new(),
            has_joined: false,
            sort: GroupSort::Name,
            descending: false,
            paging: Paging::first(100),
        }
    }
}

/// Where a groups search looks: the name, the GUID, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSearchIn {
    Either,
    Name,
    Guid,
}

/// Whose groups a list reads: all the app's, or one user's.
#[derive(Clone, Copy)]
enum Listing {
    App,
    MemberOf(i64),
}

/// One page of the groups the acting user sees.
pub async fn list(db: &Db, caller: &Caller, app: &App, acting: &Acting, query: GroupQuery) -> Result<Page<GroupView>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let acting_id = acting_id(db, app, acting).await?;
    if query.has_joined && acting_id.is_none() {
        return Err(Error::invalid(
            "ERR_ONBEHALFOF_REQUIRED",
            "hasJoined lists the groups of the user named by onbehalfof.",
        ));
    }
    // The user's own memberships are the shorter road to the groups they joined.
    let listing = match acting_id {
        Some(user_id) if query.has_joined => Listing::MemberOf(user_id),
        _ => Listing::App,
    };
    read_page(db, app, acting_id, listing, query).await
}

/// One page of the groups a user is a member of, by GUID, as the acting
/// user sees them.
pub async fn of_user(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    uid: &Uid,
    query: GroupQuery,
) -> Result<Page<GroupView>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let acting_id = acting_id(db, app, acting).await?;
    let member = user_rows::find(db, app, uid).await?.id;
    read_page(db, app, acting_id, Listing::MemberOf(member), query).await
}

/// The statements behind a page of groups: a count, and the page, whose
/// rows bring that count and their tags (see [`keyset::Listed`]). The
/// count takes the first `count_args` of the page's arguments.
struct ListStatements {
    count_sql: String,
    page_sql: String,
    args: Vec<Arg<'static>>,
    count_args: usize,
    per_page: i64,
    /// Counted from the kept total rather than the table.
    whole_list: bool,
}

fn list_statements(
    db: &Db,
    app: &App,
    acting_id: Option<i64>,
    listing: Listing,
    query: &GroupQuery,
) -> Result<ListStatements> {
    let (per_page, offset) = (query.paging.size(), query.paging.offset());
    let Filtered { mut filter, from, membership, search } = filtered(app, acting_id, listing, query);
    // The whole list, as the app sees it, is counted already.
    let whole_list = matches!(listing, Listing::App) && filter.parts.len() == 1;
    let count_sql = match &search {
        None if whole_list => "SELECT total FROM group_counts WHERE app = $1".to_owned(),
        None => keyset::capped_count(&from, &filter.sql()),
        Some((at, by_name, by_guid)) => keyset::capped_count_of_either(&from, &filter, *at, by_name, by_guid),
    };
    let count_args = filter.args.len();
    // A user's groups read in GUID order straight from their memberships.
    let guid_column = if matches!(listing, Listing::MemberOf(_)) { "um.guid" } else { "g.guid" };
    let column = match query.sort {
        GroupSort::Guid => guid_column,
        GroupSort::Name => "g.name_lower",
        GroupSort::CreatedAt => "g.created_at",
    };
    if let Some(cursor) = &query.paging.cursor {
        let keyset = after_cursor(&mut filter, query, column, guid_column, cursor)?;
        filter.parts.push(keyset);
    }
    let columns = format!("{}, {}", group_columns(acting_id.is_some()), tags::json_of(db, Tagged::Group, "g.id"));
    let columns = keyset::listed(&columns, &count_sql);
    let direction = if query.descending { "DESC" } else { "ASC" };
    let order = if column == guid_column {
        format!("{column} {direction}")
    } else {
        format!("{column} {direction}, {guid_column} {direction}")
    };
    let page_sql = match search {
        None => format!(
            "SELECT {columns} FROM {from} {OWNER_JOIN} WHERE {} ORDER BY {order} LIMIT {} OFFSET {offset}",
            filter.sql(),
            per_page + 1
        ),
        Some((search_at, by_name, by_guid)) => {
            let halves = Halves { at: search_at, by_name, by_guid, column, guid_column, direction };
            let hits = halves.union(&filter, &from, (per_page + 1).saturating_add(offset));
            format!(
                "SELECT {columns} FROM ({hits}) AS hits \
                 JOIN groups g ON g.id = hits.hit_id {membership} {OWNER_JOIN} \
                 ORDER BY hits.hit_key {direction}, hits.hit_guid {direction} LIMIT {} OFFSET {offset}",
                per_page + 1
            )
        }
    };
    Ok(ListStatements { count_sql, page_sql, args: filter.args, count_args, per_page, whole_list })
}

/// A groups list's conditions and the tables they read.
struct Filtered {
    filter: Conditions,
    /// The tables the counted rows come from.
    from: String,
    /// The join to the acting user's memberships, if a user acts.
    membership: String,
    /// Where a search sits among the conditions, and its two halves.
    search: Option<(usize, PrefixRange, PrefixRange)>,
}

fn filtered(app: &App, acting_id: Option<i64>, listing: Listing, query: &GroupQuery) -> Filtered {
    let mut filter = Conditions::default();
    // The counted rows join only what the conditions need; the page's rows also their owners.
    let membership = acting_id.map(|id| membership_join(&filter.placeholder(Arg::from(id)))).unwrap_or_default();
    let from = match listing {
        Listing::App => {
            let app_arg = filter.placeholder(Arg::from(app.id));
            filter.parts.push(format!("g.app = {app_arg}"));
            format!("groups g {membership}")
        }
        // A user's memberships are all in their app: the user alone picks
        // the rows, and no planner is tempted to walk the app's groups.
        Listing::MemberOf(user_id) => {
            let user = filter.placeholder(Arg::from(user_id));
            filter.parts.push(format!("um.user_id = {user}"));
            format!("group_members um JOIN groups g ON g.id = um.group_id {membership}")
        }
    };
    if acting_id.is_some() {
        filter.parts.push(VISIBLE_TO_USER.to_owned());
    }
    if query.has_joined {
        filter.parts.push("m.user_id IS NOT NULL".into());
    }
    // Where a search sits among the conditions, and its two halves.
    let mut search: Option<(usize, PrefixRange, PrefixRange)> = None;
    if let Some(prefix) = query.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        match query.search_in {
            GroupSearchIn::Either => {
                let by_name = filter.prefix_of("g.name_lower", &prefix);
                let by_guid = filter.prefix_of("g.guid", &prefix);
                filter.parts.push(format!("({by_name} OR {by_guid})"));
                search = Some((filter.parts.len() - 1, by_name, by_guid));
            }
            GroupSearchIn::Name => {
                let by_name = filter.prefix_of("g.name_lower", &prefix);
                filter.parts.push(by_name.to_string());
            }
            GroupSearchIn::Guid => {
                let by_guid = filter.prefix_of("g.guid", &prefix);
                filter.parts.push(by_guid.to_string());
            }
        }
    }
    if let Some((at, after)) = query.updated {
        let at = filter.placeholder(Arg::from(at));
        filter.parts.push(format!("g.updated_at {} {at}", if after { ">" } else { "<" }));
    }
    if !query.types.is_empty() {
        let types = filter.list(query.types.iter().map(|t| Arg::from(t.as_str().to_owned())));
        filter.parts.push(format!("g.type IN ({types})"));
    }
    if !query.tags.is_empty() {
        let tags = filter.list(query.tags.iter().cloned().map(Arg::from));
        filter.parts.push(format!("EXISTS (SELECT 1 FROM group_tags t WHERE t.group_id = g.id AND t.tag IN ({tags}))"));
    }
    Filtered { filter, from, membership, search }
}

/// The condition that places a page after `cursor`, its placeholders added to `filter`.
fn after_cursor(
    filter: &mut Conditions,
    query: &GroupQuery,
    column: &str,
    guid_column: &str,
    cursor: &str,
) -> Result<String> {
    let after = if query.descending { "<" } else { ">" };
    let (at, guid) = keyset::parse_cursor(cursor)?;
    let guid = filter.placeholder(guid);
    Ok(match (at, query.sort) {
        (Value::Null, GroupSort::Guid) => format!("{guid_column} {after} {guid}"),
        (Value::String(name), GroupSort::Name) => {
            let name = filter.placeholder(name);
            format!("({column}, {guid_column}) {after} ({name}, {guid})")
        }
        (Value::Number(at), GroupSort::CreatedAt) => {
            let at = filter.placeholder(at.as_i64().ok_or_else(keyset::invalid_cursor)?);
            format!("({column}, {guid_column}) {after} ({at}, {guid})")
        }
        _ => return Err(keyset::invalid_cursor()),
    })
}

/// A search's two halves, by name and by GUID. An OR of two ranges has the
/// planner sort every match; a union of two range reads, each cut to the
/// page, keeps to the indexes.
struct Halves<'a> {
    /// Where the search sits among the conditions.
    at: usize,
    by_name: PrefixRange,
    by_guid: PrefixRange,
    column: &'a str,
    guid_column: &'a str,
    direction: &'a str,
}

impl Halves<'_> {
    /// The ids and sort keys of the first `limit` matches of each half.
    fn union(&self, filter: &Conditions, from: &str, limit: i64) -> String {
        format!(
            "SELECT * FROM ({}) AS by_name UNION SELECT * FROM ({}) AS by_guid",
            self.half(filter, from, &self.by_name, "g.name_lower", limit),
            self.half(filter, from, &self.by_guid, self.guid_column, limit)
        )
    }

    /// One half reads its range and sorts what it matched, unless its range
    /// is on the sort column; ordering on an expression keeps a planner
    /// (SQLite's, before it has statistics) from walking another index in
    /// order to spare that sort.
    fn half(&self, filter: &Conditions, from: &str, search: &PrefixRange, range: &str, limit: i64) -> String {
        let Halves { column, guid_column, direction, .. } = *self;
        let sorted_on = |key: &str| match key {
            _ if key == range => key.to_owned(),
            "g.created_at" => format!("({key} + 0)"),
            _ => format!("({key} || '')"),
        };
        let order = if column == guid_column {
            format!("{} {direction}", sorted_on(column))
        } else {
            format!("{} {direction}, {} {direction}", sorted_on(column), sorted_on(guid_column))
        };
        format!(
            "SELECT g.id AS hit_id, {column} AS hit_key, {guid_column} AS hit_guid FROM {from} WHERE {} \
             ORDER BY {order} LIMIT {limit}",
            filter.with_part(self.at, search.to_string())
        )
    }
}

async fn read_page(
    db: &Db,
    app: &App,
    acting_id: Option<i64>,
    listing: Listing,
    query: GroupQuery,
) -> Result<Page<GroupView>> {
    let ListStatements { count_sql, page_sql, args, count_args, per_page, whole_list } =
        list_statements(db, app, acting_id, listing, &query)?;
    let (rows, total) = keyset::read_listed::<WithTags<GroupRow>>(db, &page_sql, &count_sql, &args, count_args).await?;
    let groups = rows
        .into_iter()
        .map(|listed| listed.item.view(|row, tags| row.into_view(tags, acting_id.is_some())))
        .collect::<Result<Vec<_>>>()?;
    let (groups, next_cursor) = keyset::page_end(groups, per_page as usize, |g| {
        let at = match query.sort {
            GroupSort::Name => json!(g.name.to_lowercase()),
            GroupSort::CreatedAt => json!(g.created_at),
            GroupSort::Guid => Value::Null,
        };
        keyset::cursor(at, g.guid.as_str())
    });
    let (total, total_is_exact) = keyset::capped_total(total, whole_list);
    Ok(Page { items: groups, total, total_is_exact, next_cursor })
}

/// How the database would run a groups list (`of_user`: that user's groups),
/// as `keyset::plans` tells it.
pub async fn explain(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    of_user: Option<&Uid>,
    query: GroupQuery,
) -> Result<Vec<String>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let acting_id = acting_id(db, app, acting).await?;
    let listing = match of_user {
        Some(uid) => Listing::MemberOf(user_rows::find(db, app, uid).await?.id),
        None => Listing::App,
    };
    let ListStatements { count_sql, page_sql, args, count_args, .. } =
        list_statements(db, app, acting_id, listing, &query)?;
    keyset::plans(db, &[(&count_sql, &args[..count_args]), (&page_sql, &args)]).await
}
