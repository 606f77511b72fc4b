//! The sender and the receiver of each message as CometChat's REST answers
//! carry them, in `data.entities`: `{"sender": {"entity": {...},
//! "entityType": "user"}, "receiver": {...}}`, and the users a text
//! mentions, in `mentionedUsers`. Read for a page at once, one query for
//! its users and one for its groups.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use super::*;
use crate::domain::mentioned_uids;
use crate::server::service::blocks;

/// Whom a page is read for, and what its mentions carry.
#[derive(Debug, Clone, Default)]
pub struct Viewing {
    /// The user reading (`onBehalfOf`): `mentionedMe` is said for them.
    pub reader: Option<Uid>,
    /// Mentioned users come with their tags (`mentionsWithTagInfo`).
    pub mention_tags: bool,
    /// Mentioned users say whether the reader blocked them and whether they
    /// blocked the reader (`mentionsWithBlockedInfo`).
    pub mention_blocks: bool,
}

/// The users a message's text mentions: text messages only.
fn mentions_in(message: &MessageView) -> Vec<Uid> {
    match (message.category, message.data.get("text")) {
        (MessageCategory::Message, Some(Value::String(text))) if message.message_type == "text" => mentioned_uids(text),
        _ => Vec::new(),
    }
}

/// The messages with their parties in `data.entities`, and the users they
/// mention in `mentionedUsers`. A party or a mentioned user that is gone
/// (deleted for good), or never was, is left out.
pub async fn with_entities(
    db: &Db,
    app: &App,
    mut messages: Vec<MessageView>,
    viewing: &Viewing,
) -> Result<Vec<MessageView>> {
    let mut uids = BTreeSet::new();
    let mut guids = BTreeSet::new();
    let mentions: Vec<Vec<Uid>> = messages.iter().map(mentions_in).collect();
    for (m, mentioned) in messages.iter().zip(&mentions) {
        if m.sender != SYSTEM_SENDER {
            uids.insert(m.sender.clone());
        }
        match m.receiver_type {
            ReceiverType::User => uids.insert(m.receiver.clone()),
            ReceiverType::Group => guids.insert(m.receiver.clone()),
        };
        uids.extend(mentioned.iter().map(|uid| uid.to_string()));
    }
    let reader = match &viewing.reader {
        Some(reader) => Some(user_rows::find(db, app, reader).await?.id),
        None => None,
    };
    let blocked = match (reader, viewing.mention_blocks) {
        (Some(reader), true) => {
            let mentioned: BTreeSet<&str> = mentions.iter().flatten().map(Uid::as_str).collect();
            let (mine, theirs) = blocks::between(db, app, reader, &mentioned.into_iter().collect::<Vec<_>>()).await?;
            Some((mine, theirs))
        }
        _ => None,
    };
    let users = users_by_uid(db, app, uids, viewing.mention_tags).await?;
    let groups = groups_by_guid(db, app, guids).await?;
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    let mut reactions = reactions::counts(db, &ids, reader).await?;
    for (m, mentioned) in messages.iter_mut().zip(mentions) {
        let mut entities = Map::new();
        if let Some(user) = users.get(&m.sender) {
            entities.insert("sender".into(), json!({"entity": user.entity, "entityType": "user"}));
        }
        let receiver = match m.receiver_type {
            ReceiverType::User => users.get(&m.receiver).map(|user| {
                let mut user = user.entity.clone();
                user["conversationId"] = json!(m.conversation_id);
                json!({"entity": user, "entityType": "user"})
            }),
            ReceiverType::Group => groups.get(&m.receiver).map(|group| json!({"entity": group, "entityType": "group"})),
        };
        if let Some(receiver) = receiver {
            entities.insert("receiver".into(), receiver);
        }
        if let Value::Object(data) = &mut m.data {
            data.insert("entities".into(), Value::Object(entities));
        }
        m.reactions = reactions.remove(&m.id).unwrap_or_default();
        m.mentioned_me = viewing.reader.as_ref().map(|reader| mentioned.contains(reader));
        m.mentioned_users = mentioned
            .iter()
            .filter_map(|uid| Some((uid.as_str(), users.get(uid.as_str())?)))
            .map(|(uid, user)| {
                let mut entity = user.entity.clone();
                if let (Some(tags), true) = (&user.tags, viewing.mention_tags) {
                    entity["tags"] = json!(tags);
                }
                if let Some((mine, theirs)) = &blocked {
                    entity["blockedByMe"] = json!(mine.iter().any(|b| b == uid));
                    entity["hasBlockedMe"] = json!(theirs.iter().any(|b| b == uid));
                }
                entity
            })
            .collect();
    }
    Ok(messages)
}

/// A change to a message as CometChat answers it: the action message that
/// told it, with `data.entities.by` (the user who made it, unless the app
/// did), `.for` (the message's receiver) and `.on` (the message as the
/// change left it, with its own entities).
pub async fn told(db: &Db, app: &App, changed: Changed) -> Result<MessageView> {
    let Changed { message, mut action } = changed;
    let message = with_entities(db, app, vec![message], &Viewing::default()).await?.pop();
    let actor = action.data.get("actor").and_then(Value::as_str).filter(|a| *a != SYSTEM_SENDER).map(str::to_owned);
    let users = users_by_uid(db, app, actor.iter().cloned().collect(), false).await?;
    let mut entities = Map::new();
    if let Some(by) = actor.and_then(|uid| users.get(&uid)) {
        entities.insert("by".into(), json!({"entity": by.entity, "entityType": "user"}));
    }
    if let Some(message) = message {
        if let Some(receiver) = message.data.pointer("/entities/receiver") {
            entities.insert("for".into(), receiver.clone());
        }
        entities.insert("on".into(), json!({"entity": message, "entityType": "message"}));
    }
    if let Value::Object(data) = &mut action.data {
        data.insert("entities".into(), Value::Object(entities));
    }
    Ok(action)
}

#[derive(FromRow)]
struct UserEntity {
    uid: String,
    name: String,
    avatar: Option<String>,
    role: String,
    status: String,
    created_at: i64,
}

/// A user as a message's entities show them, and their tags when asked for.
pub(super) struct Shown {
    pub(super) entity: Value,
    tags: Option<Vec<String>>,
}

pub(super) async fn users_by_uid(
    db: &Db,
    app: &App,
    uids: BTreeSet<String>,
    with_tags: bool,
) -> Result<HashMap<String, Shown>> {
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut filter = Conditions::default();
    let app_arg = filter.placeholder(app.id);
    let listed = filter.list(uids.into_iter().map(Arg::from));
    let tags =
        if with_tags { tags::json_of(db, Tagged::User, "users.id") } else { "CAST(NULL AS TEXT) AS tags".into() };
    let sql = format!(
        "SELECT uid, name, avatar, role, status, created_at, {tags} FROM users \
         WHERE app = {app_arg} AND uid IN ({listed})"
    );
    let rows: Vec<WithTags<UserEntity>> = db.all(&sql, &filter.args).await?;
    rows.into_iter()
        .map(|tagged| {
            tagged.view(|u, tags| {
                let mut entity = json!({
                    "uid": u.uid, "name": u.name, "role": u.role, "status": u.status, "createdAt": u.created_at,
                });
                if let Some(avatar) = u.avatar {
                    entity["avatar"] = json!(avatar);
                }
                Ok((u.uid, Shown { entity, tags: with_tags.then_some(tags) }))
            })
        })
        .collect()
}

#[derive(FromRow)]
struct GroupEntity {
    guid: String,
    name: String,
    #[sqlx(rename = "type")]
    group_type: String,
    icon: Option<String>,
    members_count: i64,
    created_at: i64,
}

async fn groups_by_guid(db: &Db, app: &App, guids: BTreeSet<String>) -> Result<HashMap<String, Value>> {
    if guids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut filter = Conditions::default();
    let app_arg = filter.placeholder(app.id);
    let listed = filter.list(guids.into_iter().map(Arg::from));
    let sql = format!(
        "SELECT guid, name, type, icon, members_count, created_at FROM groups WHERE app = {app_arg} AND guid IN ({listed})"
    );
    let rows: Vec<GroupEntity> = db.all(&sql, &filter.args).await?;
    Ok(rows
        .into_iter()
        .map(|g| {
            let mut entity = json!({
                "guid": g.guid, "name": g.name, "type": g.group_type, "membersCount": g.members_count,
                "createdAt": g.created_at, "conversationId": conversation_id(&format!("group:{}", g.guid)),
            });
            if let Some(icon) = g.icon {
                entity["icon"] = json!(icon);
            }
            (g.guid, entity)
        })
        .collect())
}
