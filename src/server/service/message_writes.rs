//! Writing messages, and all that moves with them: tags, each conversation's
//! last message and read marks, reply counts, the app's totals.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    daily::{Figure, add_daily, day_of},
    events::{self, Event},
    tags::{self, Tagged},
};
use crate::args;
use crate::domain::{Content, Guid, MessageCategory, MessageView, Receiver, ReceiverType, SYSTEM_SENDER, Uid};
use crate::server::{
    Result,
    db::{Arg, Tx},
};

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
    /// The sending client's own id for the message.
    pub(crate) muid: Option<String>,
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
            muid: None,
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

    pub(in crate::server::service) fn sender_name(&self) -> &str {
        self.sender.as_ref().map_or(SYSTEM_SENDER, |(uid, _)| uid.as_str())
    }

    pub(in crate::server::service) fn view(&self, id: i64) -> MessageView {
        MessageView {
            id,
            conversation_id: crate::domain::conversation_id(&self.conversation),
            sender: self.sender_name().to_owned(),
            receiver: self.receiver.id().to_owned(),
            receiver_type: self.receiver.receiver_type(),
            category: self.content.category(),
            message_type: self.content.message_type().to_owned(),
            data: self.content.data().clone(),
            metadata: self.metadata.clone(),
            tags: self.tags.clone(),
            parent_id: self.parent_id,
            muid: self.muid.clone(),
            replies_count: 0,
            sent_at: self.sent_at,
            updated_at: self.sent_at,
            edited_at: None,
            deleted_at: None,
            deleted_by: None,
            mentioned_users: Vec::new(),
            mentioned_me: None,
            reactions: Vec::new(),
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
                m.muid.as_deref().into(),
                m.sent_at.into(),
            ]
        })
        .collect();
    let sql = "INSERT INTO messages (app, conversation, sender, receiver, receiver_type, category, type, data, \
               metadata, parent_id, muid, sent_at) VALUES {} RETURNING id";
    // Rows take their ids in the order of the values, and ids only grow,
    // from one statement to the next too: sorted, they line up with `messages`.
    let mut ids: Vec<i64> = tx.all_rows::<(i64,)>(sql, 12, &rows).await?.into_iter().map(|(id,)| id).collect();
    ids.sort_unstable();
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
pub(in crate::server::service) struct Followers {
    /// `[user_id, conversation, peer_uid, message_id, read_id]`: each
    /// user's side of a conversation with another user.
    pub(in crate::server::service) user_sides: Vec<Arg<'static>>,
    /// `[group_id, message_id]`: each group's newest message.
    pub(in crate::server::service) group_lasts: Vec<Arg<'static>>,
    /// `[group_id, user_id, message_id]`: a sender has read their group up
    /// to their own message.
    pub(in crate::server::service) group_reads: Vec<Arg<'static>>,
    /// `[parent_id, replies]`.
    pub(in crate::server::service) replies: Vec<Arg<'static>>,
    pub(in crate::server::service) per_app_day: BTreeMap<(i64, Option<i64>), i64>,
}

impl Followers {
    pub(in crate::server::service) fn of(messages: &[NewMessage], ids: &[i64]) -> Self {
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
