//! One conversation of a user's, as CometChat addresses it by whom it is
//! with (`/users/{uid}/conversation`, `/groups/{guid}/conversation`): read
//! whole, and marked read, delivered or unread up to a message.

use super::delivery::{Mark, deliver};
use super::*;

/// A user's side of one conversation: where its marks stand.
struct Side {
    key: String,
    mark: Mark,
    last_message_id: i64,
    last_read_id: i64,
}

/// User `uid`'s side of their conversation with `with`, which holds a
/// message at least: CometChat has no conversation before its first.
async fn side(db: &Db, app: &App, uid: &Uid, with: &Receiver) -> Result<Side> {
    let user_id = user_rows::find(db, app, uid).await?.id;
    let key = with.conversation_with(uid);
    let found: Option<(i64, Option<i64>, i64)> = match with {
        Receiver::User(other) => {
            user_rows::find(db, app, other).await?;
            let sql = "SELECT CAST(0 AS BIGINT), last_message_id, last_read_id FROM user_conversations \
                       WHERE user_id = $1 AND conversation = $2";
            db.optional(sql, args![user_id, &key]).await?
        }
        Receiver::Group(guid) => {
            let group = group_rows::find(db, app, Some(user_id), guid).await?;
            if group.scope.is_none() {
                return Err(not_a_member(uid, guid));
            }
            let sql = "SELECT g.id, g.last_message_id, m.last_read_id FROM groups g \
                       JOIN group_members m ON m.group_id = g.id WHERE g.id = $1 AND m.user_id = $2";
            db.optional(sql, args![group.id, user_id]).await?
        }
    };
    match found {
        Some((group_id, Some(last_message_id), last_read_id)) => {
            let mark = match with {
                Receiver::User(_) => Mark::Pair { user_id, conversation: key.clone() },
                Receiver::Group(_) => Mark::Member { group_id, user_id },
            };
            Ok(Side { key, mark, last_message_id, last_read_id })
        }
        _ => Err(Error::not_found(
            "ERR_CONVERSATION_NOT_ACCESSIBLE",
            format!("{uid} has no conversation with {} yet.", with.id()),
        )),
    }
}

/// One conversation whole: its last message, what the user has not read,
/// when it began and last changed, and whom it is with (as a message's
/// entities show them).
pub struct OneConversation {
    pub conversation_id: String,
    pub conversation_type: ReceiverType,
    pub last_message: MessageView,
    pub unread_message_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub conversation_with: Value,
}

/// User `uid`'s conversation with `with`.
pub async fn conversation(db: &Db, caller: &Caller, app: &App, uid: &Uid, with: &Receiver) -> Result<OneConversation> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let side = side(db, app, uid, with).await?;
    let last = with_tags(db, vec![find(db, app, side.last_message_id).await?]).await?.pop();
    let last_message = last.ok_or_else(|| message_not_found(side.last_message_id))?;
    let found =
        [(with.receiver_type(), side.key.clone(), with.id().to_owned(), side.last_message_id, side.last_read_id)];
    let unread_message_count = unread_counts(db, app, uid, &found).await?.pop().unwrap_or_default();
    let sql = "SELECT sent_at FROM messages WHERE app = $1 AND conversation = $2 ORDER BY id LIMIT 1";
    let created_at: i64 = db.scalar(sql, args![app.id, &side.key]).await?;
    let viewing = Viewing { reader: Some(uid.clone()), ..Viewing::default() };
    let shown = with_entities(db, app, vec![last_message], &viewing).await?.pop();
    let last_message = shown.ok_or_else(|| message_not_found(side.last_message_id))?;
    let conversation_with = last_message
        .data
        .pointer(match with {
            Receiver::User(other) if other.as_str() == last_message.sender => "/entities/sender/entity",
            _ => "/entities/receiver/entity",
        })
        .cloned()
        .unwrap_or_else(|| json!({}));
    Ok(OneConversation {
        conversation_id: conversation_id(&side.key),
        conversation_type: with.receiver_type(),
        unread_message_count,
        created_at,
        updated_at: last_message.updated_at,
        last_message,
        conversation_with,
    })
}

/// How a conversation is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marking {
    /// Read up to and with the message.
    Read,
    /// On a device of the user's up to and with the message.
    Delivered,
    /// Unread from the message on: the read mark goes back before it.
    Unread,
}

/// Marks user `uid`'s conversation with `with` up to message `message`
/// (its last message when none is named). Answers the message it marked at.
pub async fn mark(
    db: &Db,
    caller: &Caller,
    app: &App,
    uid: &Uid,
    with: &Receiver,
    (marking, message): (Marking, Option<i64>),
) -> Result<i64> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let side = side(db, app, uid, with).await?;
    let id = message.unwrap_or(side.last_message_id);
    let row = find(db, app, id).await?;
    if row.conversation != side.key {
        return Err(message_not_found(id));
    }
    match marking {
        Marking::Read => mark_read(db, caller, app, uid, id).await?,
        Marking::Delivered => {
            deliver(db, side.mark, id).await?;
            if row.sender != uid.as_str() {
                let receipt =
                    Event::Receipt { app: app.id, read: false, by: uid.to_string(), to: row.sender, message_id: id };
                events::publish(db, &[receipt]).await?;
            }
        }
        Marking::Unread => {
            let before = id - 1;
            let mut tx = db.begin_write().await?;
            match side.mark {
                Mark::Pair { user_id, conversation } => {
                    let sql = "UPDATE user_conversations SET last_read_id = $1 \
                               WHERE user_id = $2 AND conversation = $3 AND last_read_id > $1";
                    tx.execute(sql, args![before, user_id, &conversation]).await?;
                }
                Mark::Member { group_id, user_id } => {
                    let sql = "UPDATE group_members SET last_read_id = $1 \
                               WHERE group_id = $2 AND user_id = $3 AND last_read_id > $1";
                    tx.execute(sql, args![before, group_id, user_id]).await?;
                }
            }
            tx.commit().await?;
        }
    }
    Ok(id)
}
