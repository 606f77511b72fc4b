//! Reading messages a page at a time, newest first: the REST lists, a
//! conversation, a group, a thread, and the dashboard's explorer.

use super::*;

/// Which way a list walks, and from where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Walk {
    /// Newest first: from the newest or, with a cursor, older than it.
    #[default]
    NewestFirst,
    /// Oldest first, after the message with this id (0: from the first).
    After(i64),
    /// The messages just before the message with this id, given oldest first.
    Before(i64),
}

/// Which messages a list holds, and in what order.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub sender: Option<String>,
    pub receiver: Option<Receiver>,
    /// Only messages to users, or only to groups.
    pub receiver_type: Option<ReceiverType>,
    /// Messages of any of these conversations, as they are stored
    /// (`user:<uid>:<uid>`, `group:<guid>`); all when empty.
    pub conversations: Vec<String>,
    pub category: Option<MessageCategory>,
    /// Messages of any of these categories; all when empty.
    pub categories: Vec<MessageCategory>,
    pub message_type: Option<String>,
    /// Messages of any of these types; all when empty.
    pub types: Vec<String>,
    /// Only messages someone reacted to.
    pub with_reactions: bool,
    /// Messages with any of these tags.
    pub tags: Vec<String>,
    /// Text messages whose text holds this, in any case (`searchKey`).
    pub search: Option<String>,
    /// Text messages with a link (`hasLinks`).
    pub with_links: bool,
    /// Text messages that mention a user (`hasMentions`).
    pub with_mentions: bool,
    /// Text messages that mention any of these users (`mentionedUids`).
    pub mentioning: Vec<Uid>,
    /// Text messages that mention the reader (`myMentionsOnly`).
    pub mentioning_reader: bool,
    /// Only what the reader has not read: others' messages past their read
    /// mark, actions and deleted messages aside, as unread counts go.
    pub unread: bool,
    /// Only what has reached none of the reader's devices: unread, and past
    /// their delivery mark too.
    pub undelivered: bool,
    /// Leaves out what users the reader blocked sent (their group messages).
    pub hide_blocked: bool,
    /// The user the list is read for (`onBehalfOf`), set by the service.
    pub reader: Option<Uid>,
    /// Only the conversations the reader is in: theirs with other users,
    /// and their groups'.
    pub readers_own: bool,
    /// Counts what the reader has not read, besides the page (`count`).
    pub count_unread: bool,
    /// Sent at or after this time (seconds since 1970).
    pub from: Option<i64>,
    /// Sent before this time.
    pub to: Option<i64>,
    pub hide_deleted: bool,
    pub only_deleted: bool,
    /// Leaves out the replies of threads.
    pub hide_replies: bool,
    /// Replies to this message.
    pub parent_id: Option<i64>,
    pub limit: i64,
    /// Rows skipped, for page numbers (threads are short).
    pub offset: i64,
    pub walk: Walk,
    /// Older than the message this names, as `next_cursor` gave it, when
    /// walking newest first.
    pub cursor: Option<String>,
}

impl MessageQuery {
    /// The filter whose index leads: the one that names the fewest
    /// messages, in this order. The other equalities are written as
    /// expressions, which no index serves, so that no planner walks a broad
    /// index (a category holds most of an app) while a narrow one was there.
    fn leading_filter(&self) -> &'static str {
        if self.parent_id.is_some() {
            "parent"
        } else if !self.conversations.is_empty() {
            "conversation"
        } else if self.sender.is_some() {
            "sender"
        } else if self.receiver.is_some() {
            "receiver"
        } else {
            "category"
        }
    }

    /// The explorer's list: a filter as the address holds it. Its last day
    /// counts whole.
    pub fn filtered(filter: MessageFilter, limit: i64, cursor: Option<String>) -> Self {
        let receiver = match (filter.receiver, filter.group) {
            (Some(uid), _) => Some(Receiver::User(uid)),
            (None, Some(guid)) => Some(Receiver::Group(guid)),
            (None, None) => None,
        };
        MessageQuery {
            sender: filter.sender.map(|uid| uid.to_string()),
            receiver,
            category: filter.category,
            message_type: filter.message_type,
            from: filter.from,
            to: filter.until.map(|day| day + 86_400),
            hide_deleted: filter.hide_deleted,
            limit,
            cursor,
            ..MessageQuery::default()
        }
    }
}

/// The first and last ids of a time range, found on the time index, so
/// that the list walks ids within them: ids and send times grow together.
async fn id_bounds(db: &Db, app: &App, from: Option<i64>, to: Option<i64>) -> Result<(Option<i64>, Option<i64>)> {
    let first = match from {
        None => None,
        Some(from) => {
            let sql = "SELECT id FROM messages WHERE app = $1 AND sent_at >= $2 ORDER BY sent_at, id LIMIT 1";
            Some(db.optional_scalar(sql, args![app.id, from]).await?.unwrap_or(i64::MAX))
        }
    };
    let last = match to {
        None => None,
        Some(to) => {
            let sql = "SELECT id FROM messages WHERE app = $1 AND sent_at < $2 ORDER BY sent_at DESC, id DESC LIMIT 1";
            Some(db.optional_scalar(sql, args![app.id, to]).await?.unwrap_or(0))
        }
    };
    Ok((first, last))
}

/// Which rows a page of `query` takes, and its order on ids.
async fn conditions(db: &Db, app: &App, query: &MessageQuery) -> Result<(Conditions, &'static str)> {
    let mut filter = Conditions::default();
    let app_arg = filter.placeholder(Arg::from(app.id));
    filter.parts.push(format!("m.app = {app_arg}"));
    let leader = query.leading_filter();
    let equal = |filter: &mut Conditions, name: &str, column: &str, value: Arg<'static>| {
        let unindexed = match (&value, name == leader) {
            (_, true) => column.to_owned(),
            (Arg::Int(_), false) => format!("{column} + 0"),
            (_, false) => format!("{column} || ''"),
        };
        let at = filter.placeholder(value);
        filter.parts.push(format!("{unindexed} = {at}"));
    };
    if let Some(sender) = &query.sender {
        equal(&mut filter, "sender", "m.sender", Arg::from(sender.to_lowercase()));
    }
    if let Some(receiver) = &query.receiver {
        equal(&mut filter, "receiver", "m.receiver_type", Arg::from(receiver.receiver_type().as_str().to_owned()));
        equal(&mut filter, "receiver", "m.receiver", Arg::from(receiver.id().to_owned()));
    }
    if let Some(receiver_type) = query.receiver_type {
        equal(&mut filter, "receiverType", "m.receiver_type", Arg::from(receiver_type.as_str().to_owned()));
    }
    if let [conversation] = query.conversations.as_slice() {
        equal(&mut filter, "conversation", "m.conversation", Arg::from(conversation.clone()));
    } else if !query.conversations.is_empty() {
        let keys = filter.list(query.conversations.iter().cloned().map(Arg::from));
        filter.parts.push(format!("m.conversation IN ({keys})"));
    }
    if !query.categories.is_empty() {
        let categories = filter.list(query.categories.iter().map(|c| Arg::from(c.as_str().to_owned())));
        filter.parts.push(format!("m.category || '' IN ({categories})"));
    }
    if !query.types.is_empty() {
        let types = filter.list(query.types.iter().map(|t| Arg::from(t.to_ascii_lowercase())));
        filter.parts.push(format!("m.type || '' IN ({types})"));
    }
    if query.with_reactions {
        filter.parts.push("EXISTS (SELECT 1 FROM message_reactions r WHERE r.message_id = m.id)".into());
    }
    if let Some(category) = query.category {
        equal(&mut filter, "category", "m.category", Arg::from(category.as_str().to_owned()));
    }
    if let Some(message_type) = &query.message_type {
        equal(&mut filter, "type", "m.type", Arg::from(message_type.to_ascii_lowercase()));
    }
    if let Some(parent) = query.parent_id {
        equal(&mut filter, "parent", "m.parent_id", Arg::from(parent));
    }
    if !query.tags.is_empty() {
        let tags = filter.list(query.tags.iter().cloned().map(Arg::from));
        filter
            .parts
            .push(format!("EXISTS (SELECT 1 FROM message_tags t WHERE t.message_id = m.id AND t.tag IN ({tags}))"));
    }
    text_filters(db, &mut filter, query);
    reader_filters(db, app, &mut filter, query).await?;
    if query.hide_deleted {
        filter.parts.push("m.deleted_at IS NULL".into());
    }
    if query.only_deleted {
        filter.parts.push("m.deleted_at IS NOT NULL".into());
    }
    if query.hide_replies {
        filter.parts.push("m.parent_id IS NULL".into());
    }
    // A time range is walked as its range of ids, newest first. The times
    // are checked too, as expressions (`+ 0`), so that no planner reads the
    // whole range off the time index to sort it.
    let (first, last) = id_bounds(db, app, query.from, query.to).await?;
    if let (Some(from), Some(first)) = (query.from, first) {
        let (from, first) = (filter.placeholder(Arg::from(from)), filter.placeholder(Arg::from(first)));
        filter.parts.push(format!("m.id >= {first} AND m.sent_at + 0 >= {from}"));
    }
    if let (Some(to), Some(last)) = (query.to, last) {
        let (to, last) = (filter.placeholder(Arg::from(to)), filter.placeholder(Arg::from(last)));
        filter.parts.push(format!("m.id <= {last} AND m.sent_at + 0 < {to}"));
    }
    let order = match query.walk {
        Walk::NewestFirst => {
            if let Some(cursor) = &query.cursor {
                let before = filter.placeholder(Arg::from(parse_cursor(cursor)?));
                filter.parts.push(format!("m.id < {before}"));
            }
            "DESC"
        }
        Walk::After(id) => {
            let after = filter.placeholder(Arg::from(id));
            filter.parts.push(format!("m.id > {after}"));
            "ASC"
        }
        Walk::Before(id) => {
            let before = filter.placeholder(Arg::from(id));
            filter.parts.push(format!("m.id < {before}"));
            "DESC"
        }
    };
    Ok((filter, order))
}

/// The statement of one page, with its arguments.
async fn page_statement(db: &Db, app: &App, query: &MessageQuery) -> Result<(String, Vec<Arg<'static>>)> {
    let (filter, order) = conditions(db, app, query).await?;
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS}, {} FROM messages m WHERE {} ORDER BY m.id {order} LIMIT {} OFFSET {}",
        tags::json_of(db, Tagged::Message, "m.id"),
        filter.sql(),
        limit + 1,
        query.offset.max(0)
    );
    Ok((sql, filter.args))
}

/// The filters on a message's text. No index serves them: they narrow
/// what the other filters walk to.
fn text_filters(db: &Db, filter: &mut Conditions, query: &MessageQuery) {
    let text = db.json_text("m.data", "text");
    if let Some(search) = &query.search {
        let holds = filter.contains(&text, search);
        filter.parts.push(holds);
    }
    let any = |filter: &mut Conditions, fragments: Vec<String>| {
        let held: Vec<String> = fragments.iter().map(|f| filter.contains(&text, f)).collect();
        filter.parts.push(format!("({})", held.join(" OR ")));
    };
    if query.with_links {
        any(filter, LINK_MARKS.iter().map(|mark| mark.to_string()).collect());
    }
    if query.with_mentions {
        any(filter, vec![MENTION_OPEN.to_owned()]);
    }
    let mut mentioned: Vec<&Uid> = query.mentioning.iter().collect();
    if let (true, Some(reader)) = (query.mentioning_reader, &query.reader) {
        mentioned.push(reader);
    }
    if !mentioned.is_empty() {
        any(filter, mentioned.into_iter().map(mention_of).collect());
    }
}

/// The filters read for a user: their own conversations, what they have not
/// read, their mentions. Each needs the reader (`onBehalfOf`).
async fn reader_filters(db: &Db, app: &App, filter: &mut Conditions, query: &MessageQuery) -> Result<()> {
    let needs_reader = query.readers_own || query.unread || query.undelivered || query.mentioning_reader;
    let reader = match &query.reader {
        Some(reader) => reader,
        None if needs_reader => {
            return Err(Error::invalid(
                "ERR_ONBEHALFOF_REQUIRED",
                "unread, undelivered and myMentionsOnly are read for a user: name them in onBehalfOf.",
            ));
        }
        // Read for the app, whom nobody blocks, nothing is hidden.
        None => return Ok(()),
    };
    if !(query.readers_own || query.unread || query.undelivered || query.hide_blocked) {
        return Ok(());
    }
    let reader_id = filter.placeholder(user_rows::find(db, app, reader).await?.id);
    if query.hide_blocked {
        filter.parts.push(format!(
            "NOT EXISTS (SELECT 1 FROM blocked_users k JOIN users bu ON bu.id = k.blocked_id \
             WHERE k.blocker_id = {reader_id} AND bu.app = m.app AND bu.uid = m.sender)"
        ));
    }
    let groups_of_reader = |select: &str| {
        format!(
            "SELECT {select} FROM group_members gm JOIN groups g ON g.id = gm.group_id \
             WHERE gm.user_id = {reader_id} AND g.app = m.app"
        )
    };
    if query.readers_own {
        let pairs = format!("SELECT uc.conversation FROM user_conversations uc WHERE uc.user_id = {reader_id}");
        let groups = groups_of_reader("'group:' || g.guid");
        filter.parts.push(format!("(m.conversation IN ({pairs}) OR m.conversation IN ({groups}))"));
    }
    // Past a mark: the reader's in a conversation with another user, or in
    // the group; a user in neither has no mark, and every message is past it.
    let past = |mark: &str| {
        let pair_mark = format!(
            "SELECT uc.{mark} FROM user_conversations uc \
             WHERE uc.user_id = {reader_id} AND uc.conversation = m.conversation"
        );
        let group_mark = format!("{} AND 'group:' || g.guid = m.conversation", groups_of_reader(&format!("gm.{mark}")));
        format!("m.id > COALESCE(({pair_mark}), ({group_mark}), 0)")
    };
    let mut marks = Vec::new();
    if query.unread || query.undelivered {
        marks.push(past("last_read_id"));
    }
    if query.undelivered {
        marks.push(past("last_delivered_id"));
    }
    if !marks.is_empty() {
        let me = filter.placeholder(reader.to_string());
        filter.parts.push(format!(
            "m.sender <> {me} AND m.category <> 'action' AND m.deleted_at IS NULL AND {}",
            marks.join(" AND ")
        ));
    }
    Ok(())
}

async fn page(db: &Db, app: &App, query: MessageQuery) -> Result<MessagePage> {
    let (sql, args) = page_statement(db, app, &query).await?;
    let rows: Vec<WithTags<MessageRow>> = db.all(&sql, &args).await?;
    let limit = query.limit.clamp(1, MAX_LIMIT) as usize;
    let (rows, next_cursor) = keyset::page_end(rows, limit, |r| r.row.id.to_string());
    let mut items: Vec<MessageView> =
        rows.into_iter().map(|tagged| tagged.view(MessageRow::into_view)).collect::<Result<_>>()?;
    // A page before a message was read backwards from it, and is given in order.
    if let Walk::Before(_) = query.walk {
        items.reverse();
    }
    // Only a user has read anything: for the app there is nothing to count.
    let unread_count = match (query.count_unread, &query.reader) {
        (true, Some(_)) => Some(unread_count(db, app, &query).await?),
        _ => None,
    };
    Ok(MessagePage { items, next_cursor, unread_count })
}

/// How many of the messages `query` names its reader has not read, from
/// the newest, wherever its page starts; counted up to `UNREAD_CAP`, as
/// a conversation's unread count is.
async fn unread_count(db: &Db, app: &App, query: &MessageQuery) -> Result<i64> {
    let all_unread = MessageQuery { unread: true, walk: Walk::NewestFirst, cursor: None, offset: 0, ..query.clone() };
    let (filter, _) = conditions(db, app, &all_unread).await?;
    let sql =
        format!("SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE {} LIMIT {UNREAD_CAP}) AS unread", filter.sql());
    Ok(db.scalar(&sql, &filter.args).await?)
}

/// How the database would run a page of `query`.
pub async fn explain(db: &Db, caller: &Caller, app: &App, query: MessageQuery) -> Result<Vec<String>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let (sql, args) = page_statement(db, app, &query).await?;
    keyset::plans(db, &[(&sql, &args)]).await
}

/// The app's messages, newest first, as the explorer filters them; read
/// for a user, only those of their conversations.
pub async fn list(db: &Db, caller: &Caller, app: &App, acting: &Acting, query: MessageQuery) -> Result<MessagePage> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let query = match acting {
        Acting::App => query,
        Acting::User(uid) => MessageQuery { reader: Some(uid.clone()), readers_own: true, ..query },
    };
    page(db, app, query).await
}

/// The query read for the acting user, if a user acts.
fn read_by(acting: &Acting, query: MessageQuery) -> MessageQuery {
    match acting {
        Acting::App => query,
        Acting::User(uid) => MessageQuery { reader: Some(uid.clone()), ..query },
    }
}

/// The conversation between users `viewer` and `other`, newest first.
pub async fn between(
    db: &Db,
    caller: &Caller,
    app: &App,
    viewer: &Uid,
    other: &Uid,
    query: MessageQuery,
) -> Result<MessagePage> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    user_rows::find(db, app, viewer).await?;
    user_rows::find(db, app, other).await?;
    let conversation = Receiver::User(other.clone()).conversation_with(viewer);
    page(db, app, MessageQuery { conversations: vec![conversation], reader: Some(viewer.clone()), ..query }).await
}

/// A group's messages, newest first: for the app, or for a member.
pub async fn of_group(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    query: MessageQuery,
) -> Result<MessagePage> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let acting_id = group_rows::acting_id(db, app, acting).await?;
    let group = group_rows::find(db, app, acting_id, guid).await?;
    if let (Acting::User(uid), None) = (acting, &group.scope) {
        return Err(not_a_member(uid, guid));
    }
    page(db, app, MessageQuery { conversations: vec![format!("group:{guid}")], ..read_by(acting, query) }).await
}

/// Message `id` of app `app` for the realtime gateway, which pushes it only
/// to the parties of its conversation.
pub(crate) async fn pushed(db: &Db, app: i64, id: i64) -> Result<MessageView> {
    let row = find_in(db, app, id).await?;
    with_tags(db, vec![row]).await?.pop().ok_or_else(|| message_not_found(id))
}

/// The message `id`, as the app or a user sees it: a user sees the
/// messages of their own conversations and of their groups.
pub async fn get(db: &Db, caller: &Caller, app: &App, acting: &Acting, id: i64) -> Result<MessageView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let row = find(db, app, id).await?;
    if let Acting::User(uid) = acting {
        let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
        if !is_party(db, app, uid, &row.conversation, &receiver).await? {
            return Err(message_not_found(id));
        }
    }
    with_tags(db, vec![row]).await?.pop().ok_or_else(|| message_not_found(id))
}

/// Replies to message `id`, newest first.
pub async fn thread(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    id: i64,
    query: MessageQuery,
) -> Result<MessagePage> {
    get(db, caller, app, acting, id).await?;
    page(db, app, MessageQuery { parent_id: Some(id), ..read_by(acting, query) }).await
}
