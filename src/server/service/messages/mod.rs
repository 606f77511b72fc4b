//! Messages: sent by users through `onbehalfof` (`send`), written by the
//! system when a group member or a message changes (`action`, `write`),
//! read newest first a page at a time (`explorer`, `conversations`), and
//! moderated (`moderation`).

mod conversations;
mod delivery;
mod entities;
mod explorer;
mod marks;
mod moderation;
mod reactions;
mod send;

pub(crate) use super::message_writes::*;
pub use conversations::*;
pub(crate) use delivery::mark_delivered;
pub use entities::*;
pub use explorer::*;
pub use marks::{Marking, OneConversation, conversation, mark};
pub use moderation::*;
pub use reactions::{ReactionPage, react, reactions, unreact};
pub use send::*;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use serde_json::{Value, json};
use sqlx::FromRow;

use super::{
    apps::App,
    audit::{Change, record},
    events::{self, Event},
    group_rows::{self, Acting, acting_uid, not_a_member},
    keyset::{self, Conditions, invalid_cursor},
    now, stored,
    tags::{self, Tagged, WithTags, replace_tags},
    user_rows,
};
use crate::args;
use crate::domain::{
    Content, ConversationView, GroupAction, Guid, LINK_MARKS, MENTION_OPEN, MessageCategory, MessageEvent,
    MessageFilter, MessagePage, MessageView, Reach, ReactionCount, ReactionView, Receiver, ReceiverType, SYSTEM_SENDER,
    Scope, Uid, conversation_id, may, mention_of,
};
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::{Arg, Db, Tx},
    group_commit::GroupCommit,
};

/// The most messages one page holds.
pub const MAX_LIMIT: i64 = 1000;

/// Unread messages are counted up to here, as a badge shows "99+": each
/// one counted is a row read, for each conversation of the page.
pub const UNREAD_CAP: i64 = 100;

pub fn message_not_found(id: i64) -> Error {
    Error::not_found("ERR_MESSAGE_ID_NOT_FOUND", format!("This app has no message {id}."))
}

/// A message a user sends: to whom, what, and in which thread.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub receiver: Receiver,
    pub content: Content,
    pub metadata: Option<Value>,
    pub tags: Vec<String>,
    pub parent_id: Option<i64>,
    /// The sending client's own id for the message.
    pub muid: Option<String>,
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
    muid: Option<String>,
    replies_count: i64,
    sent_at: i64,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    deleted_by: Option<String>,
}

const MESSAGE_COLUMNS: &str = "m.id, m.conversation, m.sender, m.receiver, m.receiver_type, m.category, m.type, m.data, \
     m.metadata, m.parent_id, m.muid, m.replies_count, m.sent_at, m.edited_at, m.deleted_at, m.deleted_by";

fn json_column(raw: &str) -> Result<Value> {
    serde_json::from_str(raw).map_err(|e| Error::Internal(format!("stored JSON fails to parse: {e}")))
}

impl MessageRow {
    fn into_view(self, tags: Vec<String>) -> Result<MessageView> {
        Ok(MessageView {
            id: self.id,
            conversation_id: conversation_id(&self.conversation),
            sender: self.sender,
            receiver: self.receiver,
            receiver_type: stored(ReceiverType::parse(&self.receiver_type))?,
            category: stored(MessageCategory::parse(&self.category))?,
            message_type: self.message_type,
            data: json_column(&self.data)?,
            metadata: self.metadata.as_deref().map(json_column).transpose()?,
            tags,
            parent_id: self.parent_id,
            muid: self.muid,
            replies_count: self.replies_count,
            sent_at: self.sent_at,
            updated_at: [Some(self.sent_at), self.edited_at, self.deleted_at]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(self.sent_at),
            edited_at: self.edited_at,
            deleted_at: self.deleted_at,
            deleted_by: self.deleted_by,
            mentioned_users: Vec::new(),
            mentioned_me: None,
            reactions: Vec::new(),
        })
    }
}

async fn with_tags(db: &Db, rows: Vec<MessageRow>) -> Result<Vec<MessageView>> {
    tags::with_tags(db, Tagged::Message, rows, |row| row.id, MessageRow::into_view).await
}

fn parse_cursor(raw: &str) -> Result<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(invalid_cursor)
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
            let user = user_rows::find(db, app, uid).await?.id;
            match group_rows::find(db, app, Some(user), guid).await {
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
        Receiver::User(uid) => Ok(user_rows::find(db, app, uid).await?.id),
        Receiver::Group(guid) => Ok(group_rows::find(db, app, None, guid).await?.id),
    }
}
