//! Messages: sent by users through `onbehalfof`, written by the system
//! when a group member or a message changes (`action`), read newest first
//! a page at a time, and moderated.
//!
//! Sends go through a group commit: the checks that only read run on the
//! pool, concurrently; the writes of every send waiting at that moment
//! then go in one transaction, which checks group membership again so a
//! user kicked in between cannot slip a message in.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use serde_json::{Value, json};
use sqlx::FromRow;

use super::{
    apps::App,
    audit::{Change, record},
    daily::{Figure, add_daily, day_of},
    events::{self, Event},
    groups::{self, Acting, acting_uid},
    keyset::{Conditions, invalid_cursor},
    members::not_a_member,
    now, stored,
    tags::{self, Tagged, WithTags, replace_tags},
    users,
};
use crate::args;
use crate::domain::{
    Content, ConversationView, GroupAction, Guid, MessageCategory, MessageEvent, MessageFilter, MessagePage,
    MessageView, Reach, Receiver, ReceiverType, SYSTEM_SENDER, Scope, Uid, may,
};
use crate::server::{
    Error, Result,
    auth::{Caller, Permission},
    db::{Arg, Db, Tx, rows_per_statement},
    group_commit::GroupCommit,
};

/// The most messages one page holds.
pub const MAX_LIMIT: i64 = 100;

/// Unread messages are counted up to here, as a badge shows "99+": each
/// one counted is a row read, for each conversation of the page.
pub const UNREAD_CAP: i64 = 100;

pub fn message_not_found(id: i64) -> Error {
    Error::not_found("ERR_MESSAGE_NOT_FOUND", format!("This app has no message {id}."))
}

/// A message a user sends: to whom, what, and in which thread.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub receiver: Receiver,
    pub content: Content,
    pub metadata: Option<Value>,
    pub tags: Vec<String>,
    pub parent_id: Option<i64>,
}

/// A message about to be written, every field checked.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    pub(crate) app: i64,
    pub(crate) conversation: String,
    /// The sending user and their internal id; none for the system.
    pub(crate) sender: Option<(Uid, i64)>,
    pub(crate) receiver: Receiver,
    /// The receiving user's or group's internal id.
    pub(crate) receiver_id: i64,
    pub(crate) content: Content,
    pub(crate) metadata: Option<Value>,
    pub(crate) tags: Vec<String>,
    pub(crate) parent_id: Option<i64>,
    pub(crate) sent_at: i64,
}

impl NewMessage {
    /// What the system writes into the conversation `conversation` of
    /// `receiver` (internal id `receiver_id`).
    pub(crate) fn system(
        app: i64,
        conversation: String,
        receiver: Receiver,
        receiver_id: i64,
        content: Content,
        at: i64,
    ) -> Self {
        NewMessage {
            app,
            conversation,
            sender: None,
            receiver,
            receiver_id,
            content,
            metadata: None,
            tags: Vec::new(),
            parent_id: None,
            sent_at: at,
        }
    }

    /// What the system writes into group `group_id` (`guid`).
    pub(crate) fn in_group(app: i64, group_id: i64, guid: &Guid, content: Content, at: i64) -> Self {
        Self::system(app, format!("group:{guid}"), Receiver::Group(guid.clone()), group_id, content, at)
    }

    /// The event that tells the gateway of this message, stored as `id`.
    pub(crate) fn announced(&self, id: i64) -> Event {
        Event::Message {
            app: self.app,
            id,
            sender: self.sender_name().to_owned(),
            receiver: self.receiver.id().to_owned(),
            to_group: self.receiver.receiver_type() == ReceiverType::Group,
            action: (self.content.category() == MessageCategory::Action).then(|| self.content.data().clone()),
        }
    }

    pub(super) fn sender_name(&self) -> &str {
        self.sender.as_ref().map_or(SYSTEM_SENDER, |(uid, _)| uid.as_str())
    }

    fn view(&self, id: i64) -> MessageView {
        MessageView {
            id,
            conversation_id: self.conversation.clone(),
            sender: self.sender_name().to_owned(),
            receiver: self.receiver.id().to_owned(),
            receiver_type: self.receiver.receiver_type(),
            category: self.content.category(),
            message_type: self.content.message_type().to_owned(),
            data: self.content.data().clone(),
            metadata: self.metadata.clone(),
            tags: self.tags.clone(),
            parent_id: self.parent_id,
            replies_count: 0,
            sent_at: self.sent_at,
            edited_at: None,
            deleted_at: None,
            deleted_by: None,
        }
    }
}

/// Writes `messages` in `tx` as [`write_messages`] does, and announces
/// them; answers their ids, in order.
pub(crate) async fn insert_messages(tx: &mut Tx, messages: &[NewMessage]) -> Result<Vec<i64>> {
    let ids = write_messages(tx, messages).await?;
    let events: Vec<Event> = messages.iter().zip(&ids).map(|(m, id)| m.announced(*id)).collect();
    events::announce(tx, &events).await?;
    Ok(ids)
}

/// Writes `messages` with their tags in `tx`, and moves what follows from
/// them: each conversation's last message, the sender's read mark,
/// parents' reply counts, the app's totals. Answers their ids, in order;
/// announces nothing, for bulk loads, which no client waits for.
pub(crate) async fn write_messages(tx: &mut Tx, messages: &[NewMessage]) -> Result<Vec<i64>> {
    let rows: Vec<Arg> = messages
        .iter()
        .flat_map(|m| {
            [
                m.app.into(),
                m.conversation.as_str().into(),
                m.sender_name().into(),
                m.receiver.id().into(),
                m.receiver.receiver_type().as_str().into(),
                m.content.category().as_str().into(),
                m.content.message_type().into(),
                m.content.data().into(),
                m.metadata.as_ref().into(),
                m.parent_id.into(),
                m.sent_at.into(),
            ]
        })
        .collect();
    let sql = "INSERT INTO messages (app, conversation, sender, receiver, receiver_type, category, type, data, \
               metadata, parent_id, sent_at) VALUES {} RETURNING id";
    let mut ids = Vec::with_capacity(messages.len());
    for chunk in rows.chunks(rows_per_statement(11) * 11) {
        let mut written: Vec<(i64,)> = tx.all_rows(sql, 11, chunk).await?;
        // Rows take their ids in the order of the values, and ids only
        // grow: sorted, they line up with the chunk.
        written.sort_unstable();
        ids.extend(written.into_iter().map(|(id,)| id));
    }
    let tags = messages.iter().zip(&ids).flat_map(|(m, id)| m.tags.iter().map(move |tag| (m.app, *id, tag.as_str())));
    tags::insert_tags(tx, Tagged::Message, tags.collect::<Vec<_>>()).await?;
    let follows = Followers::of(messages, &ids);
    let moves = [
        (
            "INSERT INTO user_conversations (user_id, conversation, peer_uid, last_message_id, last_read_id) VALUES {} \
             ON CONFLICT (user_id, conversation) DO UPDATE SET last_message_id = excluded.last_message_id, \
             last_read_id = CASE WHEN excluded.last_read_id > user_conversations.last_read_id \
             THEN excluded.last_read_id ELSE user_conversations.last_read_id END",
            5,
            &follows.user_sides,
        ),
        (
            "WITH v (group_id, id) AS (VALUES {}) \
             UPDATE groups SET last_message_id = v.id FROM v WHERE groups.id = v.group_id",
            2,
            &follows.group_lasts,
        ),
        (
            "WITH v (group_id, user_id, id) AS (VALUES {}) UPDATE group_members SET last_read_id = v.id FROM v \
             WHERE group_members.group_id = v.group_id AND group_members.user_id = v.user_id \
             AND group_members.last_read_id < v.id",
            3,
            &follows.group_reads,
        ),
        (
            "WITH v (id, replies) AS (VALUES {}) \
             UPDATE messages SET replies_count = messages.replies_count + v.replies FROM v WHERE messages.id = v.id",
            2,
            &follows.replies,
        ),
    ];
    for (sql, columns, rows) in moves {
        tx.execute_rows(sql, columns, rows).await?;
    }
    count_messages(tx, &follows.per_app_day).await?;
    Ok(ids)
}

/// Adds `per_app_day` (`(app, day) -> messages`, fewer for a negative
/// number) to the apps' totals and, where `day` is given, their daily figures.
pub(crate) async fn count_messages(tx: &mut Tx, per_app_day: &BTreeMap<(i64, Option<i64>), i64>) -> Result<()> {
    let mut per_app: BTreeMap<i64, i64> = BTreeMap::new();
    for ((app, _), n) in per_app_day {
        *per_app.entry(*app).or_default() += n;
    }
    let days: Vec<((i64, i64), i64)> =
        per_app_day.iter().filter_map(|((app, day), n)| Some(((*app, (*day)?), *n))).collect();
    add_daily(tx, Figure::Messages, &days).await?;
    for (app, n) in per_app {
        tx.execute("UPDATE message_counts SET total = total + $1 WHERE app = $2", args![n, app]).await?;
    }
    Ok(())
}

/// What writing some messages moves besides their rows, one row each.
pub(super) struct Followers {
    /// `[user_id, conversation, peer_uid, message_id, read_id]`: each
    /// user's side of a conversation with another user.
    pub(super) user_sides: Vec<Arg<'static>>,
    /// `[group_id, message_id]`: each group's newest message.
    pub(super) group_lasts: Vec<Arg<'static>>,
    /// `[group_id, user_id, message_id]`: a sender has read their group up
    /// to their own message.
    pub(super) group_reads: Vec<Arg<'static>>,
    /// `[parent_id, replies]`.
    pub(super) replies: Vec<Arg<'static>>,
    pub(super) per_app_day: BTreeMap<(i64, Option<i64>), i64>,
}

impl Followers {
    pub(super) fn of(messages: &[NewMessage], ids: &[i64]) -> Self {
        // Keyed, so that one statement never touches a row twice.
        let mut user_sides: BTreeMap<(i64, &str), (&str, i64, i64)> = BTreeMap::new();
        let mut group_lasts: BTreeMap<i64, i64> = BTreeMap::new();
        let mut group_reads: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        let mut replies: BTreeMap<i64, i64> = BTreeMap::new();
        let mut per_app_day: BTreeMap<(i64, Option<i64>), i64> = BTreeMap::new();
        for (m, &id) in messages.iter().zip(ids) {
            *per_app_day.entry((m.app, Some(day_of(m.sent_at)))).or_default() += 1;
            if let Some(parent) = m.parent_id {
                *replies.entry(parent).or_default() += 1;
            }
            match (&m.receiver, &m.sender) {
                (Receiver::Group(_), sender) => {
                    group_lasts.insert(m.receiver_id, id);
                    if let Some((_, sender)) = sender {
                        group_reads.insert((m.receiver_id, *sender), id);
                    }
                }
                (Receiver::User(receiver), Some((sender_uid, sender))) => {
                    let key = (m.receiver_id, m.conversation.as_str());
                    let receiver_read = user_sides.get(&key).map_or(0, |side| side.2);
                    user_sides.insert(key, (sender_uid.as_str(), id, receiver_read));
                    user_sides.insert((*sender, m.conversation.as_str()), (receiver.as_str(), id, id));
                }
                (Receiver::User(_), None) => {}
            }
        }
        Followers {
            user_sides: user_sides
                .into_iter()
                .flat_map(|((user, conversation), (peer, last, read))| {
                    [user.into(), conversation.to_owned().into(), peer.to_owned().into(), last.into(), read.into()]
                })
                .collect(),
            group_lasts: group_lasts.into_iter().flat_map(|(g, id)| [g.into(), id.into()]).collect(),
            group_reads: group_reads.into_iter().flat_map(|((g, u), id)| [g.into(), u.into(), id.into()]).collect(),
            replies: replies.into_iter().flat_map(|(p, n)| [p.into(), n.into()]).collect(),
            per_app_day,
        }
    }
}

/// A message a user asked to send, checked on its own, waiting for its
/// group to be written.
#[derive(Clone)]
struct Send {
    app: i64,
    sender: Uid,
    outgoing: Arc<Outgoing>,
}

type Sent = std::result::Result<MessageView, Error>;

/// Messages sent queue to be written together (see `group_commit`).
fn sends(db: &Db) -> Arc<GroupCommit<Send, Sent>> {
    db.kept(|| GroupCommit::new(|db, sends| Box::pin(write_sends(db, sends))))
}

/// What a group of sends needs to know, read in its transaction: each
/// check is one statement for the whole group, whatever its size.
#[derive(Default)]
struct Standing {
    /// `(app, uid) -> (id, deactivated, sendMessagesTo)`.
    senders: HashMap<(i64, String), (i64, bool, String)>,
    /// `(app, uid) -> id` of receiving users.
    receivers: HashMap<(i64, String), i64>,
    /// `(app, guid, sender id) -> (group id, type, the sender's scope)`.
    groups: HashMap<(i64, String, i64), (i64, String, Option<String>)>,
    /// `(user id, friend id)` pairs that are friends.
    friends: HashSet<(i64, i64)>,
    /// `id -> (app, conversation)` of messages that may start a thread.
    parents: HashMap<i64, (i64, String)>,
}

impl Standing {
    /// The message a send makes, or why it may not be sent.
    fn check(&self, send: &Send, at: i64) -> std::result::Result<NewMessage, Error> {
        let (app, sender, outgoing) = (send.app, &send.sender, &send.outgoing);
        let &(sender_id, deactivated, ref reach) =
            self.senders.get(&(app, sender.to_string())).ok_or_else(|| users::uid_not_found(sender))?;
        if deactivated {
            return Err(Error::Refused {
                code: "ERR_UID_DEACTIVATED",
                message: format!("{sender} is deactivated and cannot send messages."),
            });
        }
        let receiver_id = match &outgoing.receiver {
            Receiver::User(uid) => {
                let id = *self.receivers.get(&(app, uid.to_string())).ok_or_else(|| users::uid_not_found(uid))?;
                let friends_only = reach == Reach::FriendsOnly.as_str();
                if friends_only && id != sender_id && !self.friends.contains(&(sender_id, id)) {
                    return Err(Error::Refused {
                        code: "ERR_NOT_FRIENDS",
                        message: format!("{sender}'s role writes to friends only, and {uid} is not their friend."),
                    });
                }
                id
            }
            Receiver::Group(guid) => {
                let (id, group_type, scope) =
                    self.groups.get(&(app, guid.to_string(), sender_id)).ok_or_else(|| groups::guid_not_found(guid))?;
                match (scope, group_type.as_str()) {
                    (Some(_), _) => *id,
                    (None, "private") => return Err(groups::guid_not_found(guid)),
                    (None, _) => return Err(not_a_member(sender, guid)),
                }
            }
        };
        let conversation = outgoing.receiver.conversation_with(sender);
        if let Some(parent) = outgoing.parent_id
            && self.parents.get(&parent) != Some(&(app, conversation.clone()))
        {
            return Err(Error::invalid(
                "ERR_INVALID_PARENT",
                format!("Message {parent} is not a message of this conversation that starts a thread."),
            ));
        }
        Ok(NewMessage {
            app,
            conversation,
            sender: Some((sender.clone(), sender_id)),
            receiver: outgoing.receiver.clone(),
            receiver_id,
            content: outgoing.content.clone(),
            metadata: outgoing.metadata.clone(),
            tags: outgoing.tags.clone(),
            parent_id: outgoing.parent_id,
            sent_at: at,
        })
    }
}

/// Writes a group of sends in one transaction, checking each in it: who
/// sends, to whom, their membership or friendship, the thread. A send
/// refused gets its own error; the others are written.
async fn write_sends(db: Db, sends: Arc<[Send]>) -> Result<Vec<Sent>> {
    let at = now();
    let mut tx = db.begin_write().await?;
    let standing = Standing::read(&mut tx, &sends).await?;
    let checked: Vec<std::result::Result<NewMessage, Error>> = sends.iter().map(|s| standing.check(s, at)).collect();
    let written: Vec<NewMessage> = checked.iter().filter_map(|c| c.as_ref().ok().cloned()).collect();
    let ids = insert_messages(&mut tx, &written).await?;
    tx.commit().await?;
    let mut views = written.iter().zip(ids).map(|(m, id)| m.view(id));
    Ok(checked
        .into_iter()
        .map(|c| c.and_then(|_| views.next().ok_or_else(|| Error::Internal("a written message went missing".into()))))
        .collect())
}

impl Standing {
    /// What `sends` need to know, each check one statement for all of them.
    async fn read(tx: &mut Tx, sends: &[Send]) -> Result<Standing> {
        let mut standing = Standing::default();
        let wanted: Vec<Arg> = sends.iter().flat_map(|s| [s.app.into(), s.sender.as_str().into()]).collect();
        let sql = "WITH v (app, uid) AS (VALUES {}) SELECT u.app, u.uid, u.id, u.deactivated_at, r.send_messages_to FROM v \
                   JOIN users u ON u.app = v.app AND u.uid = v.uid JOIN roles r ON r.app = u.app AND r.role = u.role";
        let senders: Vec<(i64, String, i64, Option<i64>, String)> = tx.all_rows(sql, 2, &wanted).await?;
        for (app, uid, id, deactivated_at, reach) in senders {
            standing.senders.insert((app, uid), (id, deactivated_at.is_some(), reach));
        }
        let to_users = sends.iter().filter_map(|s| match &s.outgoing.receiver {
            Receiver::User(uid) => Some((s.app, uid)),
            Receiver::Group(_) => None,
        });
        standing.receivers = users::ids_of(tx, to_users.collect::<Vec<_>>()).await?;
        let sender_id = |s: &Send| standing.senders.get(&(s.app, s.sender.to_string())).map(|found| found.0);
        let to_groups: Vec<Arg> = sends
            .iter()
            .filter_map(|s| match (&s.outgoing.receiver, sender_id(s)) {
                (Receiver::Group(guid), Some(id)) => Some([s.app.into(), guid.as_str().into(), id.into()]),
                _ => None,
            })
            .flatten()
            .collect();
        let sql = "WITH v (app, guid, user_id) AS (VALUES {}) SELECT g.app, g.guid, v.user_id, g.id, g.type, m.scope FROM v \
                   JOIN groups g ON g.app = v.app AND g.guid = v.guid \
                   LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = v.user_id";
        let seats: Vec<(i64, String, i64, i64, String, Option<String>)> = tx.all_rows(sql, 3, &to_groups).await?;
        for (app, guid, user_id, id, group_type, scope) in seats {
            standing.groups.insert((app, guid, user_id), (id, group_type, scope));
        }
        let any_friends_only = standing.senders.values().any(|(.., reach)| reach == Reach::FriendsOnly.as_str());
        let pairs: Vec<Arg> = sends
            .iter()
            .filter_map(|s| match &s.outgoing.receiver {
                Receiver::User(uid) => {
                    Some([sender_id(s)?.into(), (*standing.receivers.get(&(s.app, uid.to_string()))?).into()])
                }
                Receiver::Group(_) => None,
            })
            .filter(|_| any_friends_only)
            .flatten()
            .collect();
        let sql = "WITH v (user_id, friend_id) AS (VALUES {}) SELECT f.user_id, f.friend_id FROM v \
                   JOIN friends f ON f.user_id = v.user_id AND f.friend_id = v.friend_id";
        let friends: Vec<(i64, i64)> = tx.all_rows(sql, 2, &pairs).await?;
        standing.friends.extend(friends);
        let parents: Vec<Arg> = sends.iter().filter_map(|s| Some(s.outgoing.parent_id?.into())).collect();
        let sql = "WITH v (id) AS (VALUES {}) SELECT m.id, m.app, m.conversation FROM v JOIN messages m ON m.id = v.id \
                   WHERE m.parent_id IS NULL";
        let parents: Vec<(i64, i64, String)> = tx.all_rows(sql, 1, &parents).await?;
        standing.parents.extend(parents.into_iter().map(|(id, app, conversation)| (id, (app, conversation))));
        Ok(standing)
    }
}

/// Sends `outgoing` from user `sender`: to a group they are a member of,
/// or to any user, unless the sender's role writes to friends only. The
/// checks and the write run in one transaction, shared with the sends
/// that arrive meanwhile.
pub async fn send(db: &Db, caller: &Caller, app: &App, sender: &Uid, outgoing: Outgoing) -> Result<MessageView> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    sends(db).write(db, Send { app: app.id, sender: sender.clone(), outgoing: Arc::new(outgoing) }).await?
}

#[derive(FromRow)]
struct MessageRow {
    id: i64,
    conversation: String,
    sender: String,
    receiver: String,
    receiver_type: String,
    category: String,
    #[sqlx(rename = "type")]
    message_type: String,
    data: String,
    metadata: Option<String>,
    parent_id: Option<i64>,
    replies_count: i64,
    sent_at: i64,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    deleted_by: Option<String>,
}

const MESSAGE_COLUMNS: &str = "m.id, m.conversation, m.sender, m.receiver, m.receiver_type, m.category, m.type, m.data, \
     m.metadata, m.parent_id, m.replies_count, m.sent_at, m.edited_at, m.deleted_at, m.deleted_by";

fn json_column(raw: &str) -> Result<Value> {
    serde_json::from_str(raw).map_err(|e| Error::Internal(format!("stored JSON fails to parse: {e}")))
}

impl MessageRow {
    fn into_view(self, tags: Vec<String>) -> Result<MessageView> {
        Ok(MessageView {
            id: self.id,
            conversation_id: self.conversation,
            sender: self.sender,
            receiver: self.receiver,
            receiver_type: stored(ReceiverType::parse(&self.receiver_type))?,
            category: stored(MessageCategory::parse(&self.category))?,
            message_type: self.message_type,
            data: json_column(&self.data)?,
            metadata: self.metadata.as_deref().map(json_column).transpose()?,
            tags,
            parent_id: self.parent_id,
            replies_count: self.replies_count,
            sent_at: self.sent_at,
            edited_at: self.edited_at,
            deleted_at: self.deleted_at,
            deleted_by: self.deleted_by,
        })
    }
}

async fn with_tags(db: &Db, rows: Vec<MessageRow>) -> Result<Vec<MessageView>> {
    tags::with_tags(db, Tagged::Message, rows, |row| row.id, MessageRow::into_view).await
}

/// Which messages a list holds, newest first.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub sender: Option<String>,
    pub receiver: Option<Receiver>,
    /// Messages of one conversation, as `conversation_id` names it.
    pub conversation: Option<String>,
    pub category: Option<MessageCategory>,
    pub message_type: Option<String>,
    /// Messages with any of these tags.
    pub tags: Vec<String>,
    /// Sent at or after this time (seconds since 1970).
    pub from: Option<i64>,
    /// Sent before this time.
    pub to: Option<i64>,
    pub hide_deleted: bool,
    /// Replies to this message.
    pub parent_id: Option<i64>,
    pub limit: i64,
    /// Older than the message this names, as `next_cursor` gave it.
    pub cursor: Option<String>,
}

impl MessageQuery {
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

fn parse_cursor(raw: &str) -> Result<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(invalid_cursor)
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

/// The statement of one page, with its arguments.
async fn page_statement(db: &Db, app: &App, query: &MessageQuery) -> Result<(String, Vec<Arg<'static>>)> {
    let mut filter = Conditions::default();
    let app_arg = filter.placeholder(Arg::from(app.id));
    filter.parts.push(format!("m.app = {app_arg}"));
    // One index leads: the filter that names the fewest messages, in this
    // order. The other equalities are written as expressions, which no
    // index serves, so that no planner walks a broad index (a category
    // holds most of an app) while a narrow one was there to take.
    let leader = if query.parent_id.is_some() {
        "parent"
    } else if query.conversation.is_some() {
        "conversation"
    } else if query.sender.is_some() {
        "sender"
    } else if query.receiver.is_some() {
        "receiver"
    } else {
        "category"
    };
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
    if let Some(conversation) = &query.conversation {
        equal(&mut filter, "conversation", "m.conversation", Arg::from(conversation.clone()));
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
    if query.hide_deleted {
        filter.parts.push("m.deleted_at IS NULL".into());
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
    if let Some(cursor) = &query.cursor {
        let before = filter.placeholder(Arg::from(parse_cursor(cursor)?));
        filter.parts.push(format!("m.id < {before}"));
    }
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS}, {} FROM messages m WHERE {} ORDER BY m.id DESC LIMIT {}",
        tags::json_of(db, Tagged::Message, "m.id"),
        filter.sql(),
        limit + 1
    );
    Ok((sql, filter.args))
}

async fn page(db: &Db, app: &App, query: MessageQuery) -> Result<MessagePage> {
    let (sql, args) = page_statement(db, app, &query).await?;
    let mut rows: Vec<WithTags<MessageRow>> = db.all(&sql, &args).await?;
    let limit = query.limit.clamp(1, MAX_LIMIT) as usize;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more { rows.last().map(|r| r.row.id.to_string()) } else { None };
    let items = rows.into_iter().map(|tagged| tagged.view(MessageRow::into_view)).collect::<Result<_>>()?;
    Ok(MessagePage { items, next_cursor })
}

/// How the database would run a page of `query`.
pub async fn explain(db: &Db, caller: &Caller, app: &App, query: MessageQuery) -> Result<Vec<String>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let (sql, args) = page_statement(db, app, &query).await?;
    super::keyset::plans(db, &[(&sql, &args)]).await
}

/// The app's messages, newest first, as the explorer filters them.
pub async fn list(db: &Db, caller: &Caller, app: &App, query: MessageQuery) -> Result<MessagePage> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    page(db, app, query).await
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
    users::find(db, app, viewer).await?;
    users::find(db, app, other).await?;
    let conversation = Receiver::User(other.clone()).conversation_with(viewer);
    page(db, app, MessageQuery { conversation: Some(conversation), ..query }).await
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
    let acting_id = groups::acting_id(db, app, acting).await?;
    let group = groups::find(db, app, acting_id, guid).await?;
    if let (Acting::User(uid), None) = (acting, &group.scope) {
        return Err(not_a_member(uid, guid));
    }
    page(db, app, MessageQuery { conversation: Some(format!("group:{guid}")), ..query }).await
}

/// Message `id` of app `app` for the realtime gateway, which pushes it only
/// to the parties of its conversation.
pub(crate) async fn pushed(db: &Db, app: i64, id: i64) -> Result<MessageView> {
    let row = find_in(db, app, id).await?;
    with_tags(db, vec![row]).await?.pop().ok_or_else(|| message_not_found(id))
}

/// Who sent message `id` of app `app`, and to whom: all a delivery receipt
/// needs, read without the message's tags.
pub(crate) async fn addressing(db: &Db, app: i64, id: i64) -> Result<(String, Receiver)> {
    let row = find_in(db, app, id).await?;
    Ok((row.sender, stored(Receiver::parse(&row.receiver, &row.receiver_type))?))
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
    page(db, app, MessageQuery { parent_id: Some(id), ..query }).await
}

async fn find(db: &Db, app: &App, id: i64) -> Result<MessageRow> {
    find_in(db, app.id, id).await
}

async fn find_in(db: &Db, app: i64, id: i64) -> Result<MessageRow> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app = $1 AND m.id = $2");
    let row: Option<MessageRow> = db.optional(&sql, args![app, id]).await?;
    row.ok_or_else(|| message_not_found(id))
}

/// Whether user `uid` is in the conversation: one of its two users, or a
/// member of its group.
async fn is_party(db: &Db, app: &App, uid: &Uid, conversation: &str, receiver: &Receiver) -> Result<bool> {
    match receiver {
        Receiver::User(_) => {
            Ok(conversation.strip_prefix("user:").is_some_and(|pair| pair.split(':').any(|u| u == uid.as_str())))
        }
        Receiver::Group(guid) => {
            let user = users::find(db, app, uid).await?.id;
            match groups::find(db, app, Some(user), guid).await {
                Ok(group) => Ok(group.scope.is_some()),
                Err(Error::NotFound { .. }) => Ok(false),
                Err(other) => Err(other),
            }
        }
    }
}

/// The internal id of a message's receiver: the user's or the group's.
async fn receiver_id(db: &Db, app: &App, receiver: &Receiver) -> Result<i64> {
    match receiver {
        Receiver::User(uid) => Ok(users::find(db, app, uid).await?.id),
        Receiver::Group(guid) => Ok(groups::find(db, app, None, guid).await?.id),
    }
}

/// Who changes a message, once they may: the app, its sender, or an admin
/// or moderator of its group. Editing is for the sender alone.
async fn check_author(db: &Db, app: &App, acting: &Acting, row: &MessageRow, moderating: bool) -> Result<()> {
    let Acting::User(uid) = acting else { return Ok(()) };
    if row.sender == uid.as_str() {
        return Ok(());
    }
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    if let (true, Receiver::Group(guid)) = (moderating, &receiver) {
        let user = users::find(db, app, uid).await?.id;
        let scope = match groups::find(db, app, Some(user), guid).await {
            Ok(group) => group.scope.map(|s| stored(Scope::parse(&s))).transpose()?,
            Err(Error::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        if scope.is_some_and(|scope| may(scope, GroupAction::DeleteMessages, None).is_ok()) {
            return Ok(());
        }
    }
    if !is_party(db, app, uid, &row.conversation, &receiver).await? {
        return Err(message_not_found(row.id));
    }
    Err(Error::Refused {
        code: "ERR_NOT_THE_SENDER",
        message: if moderating {
            format!("Only the sender, or an admin or moderator of its group, may delete message {}.", row.id)
        } else {
            format!("Only the sender may edit message {}.", row.id)
        },
    })
}

/// What an edit changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct Edit {
    pub data: Option<Value>,
    /// `Some(None)` removes the metadata.
    pub metadata: Option<Option<Value>>,
    pub tags: Option<Vec<String>>,
}

fn already_deleted(id: i64) -> Error {
    Error::conflict("ERR_MESSAGE_DELETED", format!("Message {id} is deleted."))
}

/// Who a change is told as: the acting user, or the app. Users read
/// action messages and deletion marks; an operator's name stays in the
/// audit log.
fn actor_of(acting: &Acting) -> &str {
    acting_uid(acting).map_or(SYSTEM_SENDER, Uid::as_str)
}

/// The message `id` as a change to it finds it, once `acting` may make
/// the change, and the action message that will tell its conversation.
async fn about_to_change(
    db: &Db,
    app: &App,
    acting: &Acting,
    id: i64,
    event: MessageEvent,
) -> Result<(MessageRow, NewMessage)> {
    let row = find(db, app, id).await?;
    check_author(db, app, acting, &row, event == MessageEvent::Deleted).await?;
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    let receiver_id = receiver_id(db, app, &receiver).await?;
    let content = Content::message_event(event, actor_of(acting), id);
    let notice = NewMessage::system(app.id, row.conversation.clone(), receiver, receiver_id, content, now());
    Ok((row, notice))
}

/// Edits a text or custom message, and tells its conversation with an
/// `edited` action message, in one transaction.
pub async fn edit(db: &Db, caller: &Caller, app: &App, acting: &Acting, id: i64, edit: Edit) -> Result<MessageView> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let (row, notice) = about_to_change(db, app, acting, id, MessageEvent::Edited).await?;
    if row.deleted_at.is_some() {
        return Err(already_deleted(id));
    }
    let category = stored(MessageCategory::parse(&row.category))?;
    let current = Content::stored(category, row.message_type.clone(), json_column(&row.data)?);
    if !current.is_editable() {
        return Err(Error::invalid("ERR_MESSAGE_NOT_EDITABLE", "Only text and custom messages can be edited."));
    }
    let content = match edit.data {
        Some(data) => current.edited(data)?,
        None => current,
    };
    let metadata = match edit.metadata {
        Some(metadata) => metadata,
        None => row.metadata.as_deref().map(json_column).transpose()?,
    };
    let mut tx = db.begin_write().await?;
    let sql = "UPDATE messages SET data = $1, metadata = $2, edited_at = $3 WHERE id = $4 AND deleted_at IS NULL";
    if tx.execute(sql, args![content.data(), &metadata, notice.sent_at, id]).await? == 0 {
        return Err(already_deleted(id));
    }
    if let Some(tags) = &edit.tags {
        replace_tags(&mut tx, Tagged::Message, app.id, id, tags).await?;
    }
    insert_messages(&mut tx, std::slice::from_ref(&notice)).await?;
    let details = json!({"onBehalfOf": acting_uid(acting)});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "message.edit", object: format!("message:{id}"), details },
    )
    .await?;
    tx.commit().await?;
    get(db, caller, app, &Acting::App, id).await
}

/// Deletes a message: marks it deleted (its row stays, for the record),
/// or with `permanent` removes it; either way its conversation is told
/// with a `deleted` action message, in the same transaction. The app may
/// delete any message; a user their own, and an admin or moderator those
/// of their group.
pub async fn delete(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    id: i64,
    permanent: bool,
    reason: Option<String>,
) -> Result<MessageView> {
    caller.require_app(app.id)?;
    caller.require(match acting {
        Acting::App => Permission::ModerateMessages,
        Acting::User(_) => Permission::SendMessages,
    })?;
    let (row, notice) = about_to_change(db, app, acting, id, MessageEvent::Deleted).await?;
    if row.deleted_at.is_some() && !permanent {
        return Err(already_deleted(id));
    }
    let deleted_by = row.deleted_by.clone().unwrap_or_else(|| actor_of(acting).to_owned());
    let (conversation, sender) = (row.conversation.clone(), row.sender.clone());
    let view = with_tags(db, vec![row]).await?.pop().ok_or_else(|| message_not_found(id))?;
    let mut tx = db.begin_write().await?;
    if permanent {
        if tx.execute("DELETE FROM messages WHERE id = $1", args![id]).await? == 0 {
            return Err(message_not_found(id));
        }
        count_messages(&mut tx, &BTreeMap::from([((app.id, None), -1)])).await?;
        refresh_last(&mut tx, app.id, &conversation).await?;
    } else {
        let sql = "UPDATE messages SET deleted_at = $1, deleted_by = $2 WHERE id = $3 AND deleted_at IS NULL";
        if tx.execute(sql, args![notice.sent_at, &deleted_by, id]).await? == 0 {
            return Err(already_deleted(id));
        }
    }
    insert_messages(&mut tx, std::slice::from_ref(&notice)).await?;
    let details = json!({"permanent": permanent, "reason": reason, "onBehalfOf": acting_uid(acting), "sender": sender});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "message.delete", object: format!("message:{id}"), details },
    )
    .await?;
    tx.commit().await?;
    let deleted_at = view.deleted_at.unwrap_or(notice.sent_at);
    Ok(MessageView { deleted_at: Some(deleted_at), deleted_by: Some(deleted_by), ..view })
}

/// A page of a user's conversations, the most recently active first.
pub struct ConversationPage {
    pub items: Vec<ConversationView>,
    pub next_cursor: Option<String>,
}

/// User `uid`'s conversations, with other users and in their groups, the
/// one with the newest message first; each with its last message and
/// how many messages others wrote in it since `uid` last read it.
pub async fn conversations(
    db: &Db,
    caller: &Caller,
    app: &App,
    uid: &Uid,
    limit: i64,
    cursor: Option<String>,
) -> Result<ConversationPage> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let user = users::find(db, app, uid).await?.id;
    let limit = limit.clamp(1, MAX_LIMIT);
    let before = cursor.as_deref().map(parse_cursor).transpose()?.unwrap_or(i64::MAX);
    // Each side is read in its own order and the two are merged: the
    // newest `limit` of both are among the newest `limit` of each.
    let sql = "SELECT conversation, peer_uid, last_message_id, last_read_id FROM user_conversations \
               WHERE user_id = $1 AND last_message_id < $2 ORDER BY last_message_id DESC LIMIT $3";
    let peers: Vec<(String, String, i64, i64)> = db.all(sql, args![user, before, limit + 1]).await?;
    let sql = "SELECT 'group:' || g.guid, g.guid, g.last_message_id, m.last_read_id FROM group_members m \
               JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 AND g.last_message_id < $2 \
               ORDER BY g.last_message_id DESC LIMIT $3";
    let groups: Vec<(String, String, i64, i64)> = db.all(sql, args![user, before, limit + 1]).await?;
    let mut found: Vec<(ReceiverType, String, String, i64, i64)> = peers
        .into_iter()
        .map(|(c, with, last, read)| (ReceiverType::User, c, with, last, read))
        .chain(groups.into_iter().map(|(c, with, last, read)| (ReceiverType::Group, c, with, last, read)))
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.3));
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let next_cursor = if more { found.last().map(|f| f.3.to_string()) } else { None };

    let last_ids: Vec<i64> = found.iter().map(|f| f.3).collect();
    let mut lasts: HashMap<i64, MessageView> = HashMap::new();
    if !last_ids.is_empty() {
        let ids: Vec<Arg> = last_ids.iter().map(|id| Arg::from(*id)).collect();
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id IN ({{}})");
        let rows: Vec<MessageRow> = db.all_in(&sql, &[], &ids).await?;
        lasts.extend(with_tags(db, rows).await?.into_iter().map(|m| (m.id, m)));
    }
    let unread = unread_counts(db, app, uid, &found).await?;
    let items = found
        .into_iter()
        .zip(unread)
        .map(|((conversation_type, conversation_id, with, last, _), unread_message_count)| ConversationView {
            conversation_id,
            conversation_type,
            conversation_with: with,
            last_message: lasts.remove(&last),
            unread_message_count,
        })
        .collect();
    Ok(ConversationPage { items, next_cursor })
}

/// For each conversation, the messages others wrote (actions aside) past
/// the user's read mark that are not deleted, up to `UNREAD_CAP`; in one
/// statement of capped counts.
async fn unread_counts(
    db: &Db,
    app: &App,
    uid: &Uid,
    found: &[(ReceiverType, String, String, i64, i64)],
) -> Result<Vec<i64>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let mut filter = Conditions::default();
    let (app_arg, me) = (filter.placeholder(Arg::from(app.id)), filter.placeholder(Arg::from(uid.to_string())));
    let counts: Vec<String> = found
        .iter()
        .enumerate()
        .map(|(n, (_, conversation, _, _, read))| {
            let conversation = filter.placeholder(Arg::from(conversation.clone()));
            let read = filter.placeholder(Arg::from(*read));
            format!(
                "SELECT CAST({n} AS BIGINT) AS n, COUNT(*) AS unread FROM (SELECT 1 FROM messages m WHERE m.app = {app_arg} \
                 AND m.conversation = {conversation} AND m.id > {read} AND m.sender <> {me} \
                 AND m.category <> 'action' AND m.deleted_at IS NULL LIMIT {UNREAD_CAP}) AS c{n}"
            )
        })
        .collect();
    let sql = counts.join(" UNION ALL ");
    let rows: Vec<(i64, i64)> = db.all(&sql, &filter.args).await?;
    let mut unread = vec![0; found.len()];
    for (n, count) in rows {
        unread[n as usize] = count;
    }
    Ok(unread)
}

/// User `uid` has read their conversation up to message `id` (and never
/// back from a later mark).
pub async fn mark_read(db: &Db, caller: &Caller, app: &App, uid: &Uid, id: i64) -> Result<()> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let row = find(db, app, id).await?;
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    if !is_party(db, app, uid, &row.conversation, &receiver).await? {
        return Err(message_not_found(id));
    }
    let user = users::find(db, app, uid).await?.id;
    let receiver_id = receiver_id(db, app, &receiver).await?;
    let mut tx = db.begin_write().await?;
    match receiver {
        Receiver::User(_) => {
            let sql = "UPDATE user_conversations SET last_read_id = $1 \
                       WHERE user_id = $2 AND conversation = $3 AND last_read_id < $1";
            tx.execute(sql, args![id, user, &row.conversation]).await?;
        }
        Receiver::Group(_) => {
            let sql =
                "UPDATE group_members SET last_read_id = $1 WHERE group_id = $2 AND user_id = $3 AND last_read_id < $1";
            tx.execute(sql, args![id, receiver_id, user]).await?;
        }
    }
    if row.sender != uid.as_str() {
        let receipt =
            Event::Receipt { app: app.id, read: true, by: uid.to_string(), to: row.sender.clone(), message_id: id };
        events::announce(&mut tx, &[receipt]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Points conversation `conversation` of app `app` at its newest message
/// again, after messages of it were removed for good.
pub(crate) async fn refresh_last(tx: &mut Tx, app: i64, conversation: &str) -> Result<()> {
    let newest = "(SELECT MAX(m.id) FROM messages m WHERE m.app = $1 AND m.conversation = $2)";
    match conversation.strip_prefix("group:") {
        Some(guid) => {
            let sql = format!("UPDATE groups SET last_message_id = {newest} WHERE app = $1 AND guid = $3");
            tx.execute(&sql, args![app, conversation, guid]).await?
        }
        None => {
            let sql = format!(
                "UPDATE user_conversations SET last_message_id = COALESCE({newest}, 0) WHERE conversation = $2 \
                 AND user_id IN (SELECT u.id FROM users u WHERE u.app = $1)"
            );
            tx.execute(&sql, args![app, conversation]).await?
        }
    };
    Ok(())
}

/// Removes every message user `uid` sent or was sent, and their side of
/// each conversation; for deleting the user for good.
pub(crate) async fn remove_messages_of(tx: &mut Tx, app: i64, uid: &Uid, user_id: i64) -> Result<()> {
    let sql = "DELETE FROM user_conversations WHERE conversation IN \
               (SELECT conversation FROM user_conversations WHERE user_id = $1)";
    tx.execute(sql, args![user_id]).await?;
    // The group conversations they wrote in, to point at their newest
    // message again once theirs are gone.
    let sql = "SELECT DISTINCT conversation FROM messages WHERE app = $1 AND sender = $2 AND receiver_type = 'group'";
    let written_in: Vec<String> = tx.scalars(sql, args![app, uid.as_str()]).await?;
    let mut removed: i64 = 0;
    for sql in [
        "DELETE FROM messages WHERE app = $1 AND sender = $2",
        "DELETE FROM messages WHERE app = $1 AND receiver_type = 'user' AND receiver = $2",
    ] {
        removed += tx.execute(sql, args![app, uid.as_str()]).await? as i64;
    }
    for conversation in &written_in {
        refresh_last(tx, app, conversation).await?;
    }
    count_messages(tx, &BTreeMap::from([((app, None), -removed)])).await
}
