//! Messages: their categories and types, what each carries, and who they
//! go to. A message's content is parsed once, here, into a `Content`; the
//! server stores what `Content` says and the dashboard shows it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    Guid, Invalid, Scope, Uid,
    kinds::named_enum,
    users::{parse_identifier, parse_web_url},
};

named_enum!(
    /// What a message is: one a user wrote, an app's own kind, a call, or
    /// one the system wrote about a change (`action`).
    MessageCategory, "ERR_INVALID_MESSAGE_CATEGORY", "A message category" {
        Message = "message",
        Custom = "custom",
        Action = "action",
        Call = "call",
    }
);

named_enum!(
    /// Whom a message goes to: a user, or every member of a group.
    ReceiverType, "ERR_INVALID_RECEIVER_TYPE", "receiverType" {
        User = "user",
        Group = "group",
    }
);

named_enum!(
    /// The types of the `message` category.
    MediaType, "ERR_INVALID_MESSAGE_TYPE", "A message of category message has a type that" {
        Text = "text",
        Image = "image",
        Video = "video",
        Audio = "audio",
        File = "file",
    }
);

named_enum!(
    /// The types of the `call` category.
    CallType, "ERR_INVALID_MESSAGE_TYPE", "A call has a type that" {
        Audio = "audio",
        Video = "video",
    }
);

named_enum!(
    /// Where a call stands.
    CallStatus, "ERR_INVALID_CALL_STATUS", "A call's data.status" {
        Initiated = "initiated",
        Ongoing = "ongoing",
        Ended = "ended",
        Rejected = "rejected",
        Cancelled = "cancelled",
        Unanswered = "unanswered",
    }
);

named_enum!(
    /// What happened to a group member, as its action message tells.
    MemberEvent, "ERR_INVALID_ACTION", "A member action" {
        Joined = "joined",
        Left = "left",
        Added = "added",
        Kicked = "kicked",
        Banned = "banned",
        Unbanned = "unbanned",
        ScopeChanged = "scopeChanged",
    }
);

named_enum!(
    /// What happened to a message, as its action message tells.
    MessageEvent, "ERR_INVALID_ACTION", "A message action" {
        Edited = "edited",
        Deleted = "deleted",
    }
);

named_enum!(
    /// A role's reach: everyone in the app, or only the user's friends.
    /// Roles set it for whom their users list (`listUsers`) and whom they
    /// may write to (`sendMessagesTo`).
    Reach, "ERR_INVALID_ROLE_SETTING", "A role setting" {
        All = "all",
        FriendsOnly = "friendsOnly",
    }
);

/// The sender of every action message: the system, never a user.
pub const SYSTEM_SENDER: &str = "app_system";

/// A text message's text, at most this many characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Attachments on one media message.
pub const MAX_ATTACHMENTS: usize = 10;

/// Whom a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Receiver {
    User(Uid),
    Group(Guid),
}

impl Receiver {
    pub fn parse(receiver: &str, receiver_type: &str) -> Result<Self, Invalid> {
        match ReceiverType::parse(receiver_type)? {
            ReceiverType::User => Ok(Receiver::User(Uid::parse(receiver)?)),
            ReceiverType::Group => Ok(Receiver::Group(Guid::parse(receiver)?)),
        }
    }

    pub fn receiver_type(&self) -> ReceiverType {
        match self {
            Receiver::User(_) => ReceiverType::User,
            Receiver::Group(_) => ReceiverType::Group,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Receiver::User(uid) => uid.as_str(),
            Receiver::Group(guid) => guid.as_str(),
        }
    }

    /// The conversation a message from `sender` to this receiver is in:
    /// `group:<guid>`, or `user:<uid>:<uid>` with the two UIDs in order, so
    /// both directions meet. A colon is in no UID, so no two pairs collide.
    pub fn conversation_with(&self, sender: &Uid) -> String {
        match self {
            Receiver::Group(guid) => format!("group:{guid}"),
            Receiver::User(uid) => {
                let (first, second) = if sender.as_str() <= uid.as_str() { (sender, uid) } else { (uid, sender) };
                format!("user:{first}:{second}")
            }
        }
    }
}

/// A conversation's id as CometChat writes it on the wire, from the key it
/// is stored under: `user:<uid>:<uid>` is `<uid>_user_<uid>`, and
/// `group:<guid>` is `group_<guid>`. The stored key stays the colon form:
/// UIDs may hold `_user_`, so only it names every pair apart.
pub fn conversation_id(key: &str) -> String {
    if let Some(guid) = key.strip_prefix("group:") {
        return format!("group_{guid}");
    }
    match key.strip_prefix("user:").and_then(|pair| pair.split_once(':')) {
        Some((first, second)) => format!("{first}_user_{second}"),
        None => key.to_owned(),
    }
}

/// The stored keys a CometChat conversation id may name. `group_<guid>` is
/// a group's; `<uid>_user_<uid>` a pair's, split at a `_user_` that leaves
/// two UIDs in order. UIDs may hold `_user_` and begin with `group_`, so an
/// id can name more than one conversation; all of them are given.
pub fn conversation_keys(id: &str) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(guid) = id.strip_prefix("group_").filter(|guid| Guid::parse(guid).is_ok()) {
        keys.push(format!("group:{}", guid.to_lowercase()));
    }
    for (at, _) in id.match_indices("_user_") {
        let (first, second) = (&id[..at], &id[at + "_user_".len()..]);
        if let (Ok(first), Ok(second)) = (Uid::parse(first), Uid::parse(second))
            && first.as_str() <= second.as_str()
        {
            keys.push(format!("user:{first}:{second}"));
        }
    }
    keys
}

/// A message's category, type and data, checked against each other.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    category: MessageCategory,
    message_type: String,
    data: Value,
}

impl Content {
    /// Content a user sends. `action` messages are the system's alone.
    pub fn parse(category: &str, message_type: &str, data: Value) -> Result<Self, Invalid> {
        let category = MessageCategory::parse(category)?;
        super::storable_json(&data, "data")?;
        let Value::Object(data) = data else {
            return Err(invalid_data("data is a JSON object."));
        };
        let data = match category {
            MessageCategory::Action => {
                return Err(Invalid::new(
                    "ERR_INVALID_MESSAGE_CATEGORY",
                    "Action messages are written by the system when something changes; they cannot be sent.",
                ));
            }
            MessageCategory::Message => match MediaType::parse(message_type)? {
                MediaType::Text => text_data(data)?,
                _ => media_data(data)?,
            },
            MessageCategory::Custom => {
                parse_identifier(message_type, "ERR_INVALID_MESSAGE_TYPE", "A custom message's type")?;
                custom_data(data)?
            }
            MessageCategory::Call => {
                CallType::parse(message_type)?;
                let status = data.get("status").and_then(Value::as_str).unwrap_or_default();
                CallStatus::parse(status)?;
                Value::Object(data)
            }
        };
        let message_type = message_type.to_ascii_lowercase();
        Ok(Content { category, message_type, data })
    }

    /// The content of an edit: the same category and type as the message
    /// edited, with new data.
    pub fn edited(&self, data: Value) -> Result<Self, Invalid> {
        if !self.is_editable() {
            return Err(Invalid::new("ERR_MESSAGE_ACTION_NOT_ALLOWED", "Only text and custom messages can be edited."));
        }
        Content::parse(self.category.as_str(), &self.message_type, data)
    }

    pub fn is_editable(&self) -> bool {
        self.category == MessageCategory::Custom
            || (self.category == MessageCategory::Message && self.message_type == MediaType::Text.as_str())
    }

    /// What the system writes when a group member's standing changes:
    /// who did it (`actor`, a UID or the app), to whom, and their scope
    /// before and after.
    pub fn member_event(
        event: MemberEvent,
        actor: &str,
        target: &Uid,
        old_scope: Option<Scope>,
        new_scope: Option<Scope>,
    ) -> Self {
        let mut data = json!({"action": event.as_str(), "actor": actor, "target": target.as_str()});
        // A scope that is not there (no scope before a join, none after a
        // kick) is left out, as every absent value is.
        for (key, scope) in [("oldScope", old_scope), ("newScope", new_scope)] {
            if let Some(scope) = scope {
                data[key] = json!(scope.as_str());
            }
        }
        Content { category: MessageCategory::Action, message_type: "groupMember".into(), data }
    }

    /// What the system writes when message `message_id` is edited or deleted.
    pub fn message_event(event: MessageEvent, actor: &str, message_id: i64) -> Self {
        let data = json!({"action": event.as_str(), "actor": actor, "messageId": message_id.to_string()});
        Content { category: MessageCategory::Action, message_type: "message".into(), data }
    }

    /// Content as it was stored, trusted without a second check.
    pub fn stored(category: MessageCategory, message_type: String, data: Value) -> Self {
        Content { category, message_type, data }
    }

    pub fn category(&self) -> MessageCategory {
        self.category
    }

    pub fn message_type(&self) -> &str {
        &self.message_type
    }

    pub fn data(&self) -> &Value {
        &self.data
    }
}

/// Why a moderator removed something, for the audit log: 1 to 500 characters.
pub fn parse_reason(raw: &str) -> Result<String, Invalid> {
    super::users::parse_text(raw, 500, true, "ERR_INVALID_REASON", "A reason")
}

fn invalid_data(message: impl Into<String>) -> Invalid {
    Invalid::new("ERR_INVALID_MESSAGE_DATA", message)
}

fn invalid_media(message: impl Into<String>) -> Invalid {
    Invalid::new("ERR_INVALID_MEDIA_MESSAGE", message)
}

fn text_data(mut data: Map<String, Value>) -> Result<Value, Invalid> {
    let text = match data.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        None | Some(Value::String(_)) => {
            return Err(Invalid::new("ERR_EMPTY_MESSAGE_TEXT", "A text message has its text in data.text."));
        }
        Some(_) => return Err(Invalid::new("ERR_INVALID_MESSAGE_TEXT", "A message's data.text is a string.")),
    };
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Invalid::new(
            "ERR_INVALID_MESSAGE_TEXT",
            format!("A text message is at most {MAX_TEXT_CHARS} characters."),
        ));
    }
    let text = text.clone();
    data.insert("text".into(), Value::String(text));
    Ok(Value::Object(data))
}

/// A media message carries its files in `data.attachments`, each with a URL,
/// a name, a MIME type and a size in bytes.
fn media_data(data: Map<String, Value>) -> Result<Value, Invalid> {
    let shape = || {
        invalid_media(format!(
            "A media message has 1 to {MAX_ATTACHMENTS} attachments in data.attachments, each with url, name, mimeType and size."
        ))
    };
    let attachments = match data.get("attachments") {
        None => {
            return Err(Invalid::new("ERR_EMPTY_MESSAGE_FILE", "A media message has its files in data.attachments."));
        }
        Some(Value::Array(none)) if none.is_empty() => {
            return Err(Invalid::new("ERR_EMPTY_MESSAGE_FILE", "A media message has its files in data.attachments."));
        }
        Some(attachments) => attachments.as_array().ok_or_else(shape)?,
    };
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(shape());
    }
    for attachment in attachments {
        let field = |name: &str| attachment.get(name).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
        let (Some(url), Some(_), Some(mime_type)) = (field("url"), field("name"), field("mimeType")) else {
            return Err(shape());
        };
        parse_web_url(url, "ERR_INVALID_MEDIA_MESSAGE")?;
        let is_mime = mime_type.split_once('/').is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty());
        if !is_mime {
            return Err(invalid_media(format!("\"{mime_type}\" is not a MIME type such as image/png.")));
        }
        // CometChat's document gives the size as text; a number is taken too.
        let size = attachment.get("size");
        let is_size = size.and_then(Value::as_u64).is_some()
            || size.and_then(Value::as_str).is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
        if !is_size {
            return Err(invalid_media("An attachment's size is a whole number of bytes."));
        }
    }
    Ok(Value::Object(data))
}

fn custom_data(data: Map<String, Value>) -> Result<Value, Invalid> {
    if !data.contains_key("customData") {
        return Err(Invalid::new("ERR_EMPTY_CUSTOM_DATA", "A custom message has its JSON in data.customData."));
    }
    Ok(Value::Object(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<Content, Invalid>) -> &'static str {
        result.unwrap_err().code
    }

    #[test]
    fn a_text_message_needs_its_text() {
        let text = Content::parse("message", "text", json!({"text": "hi"})).unwrap();
        assert_eq!((text.category(), text.message_type()), (MessageCategory::Message, "text"));
        assert_eq!(code(Content::parse("message", "text", json!({}))), "ERR_EMPTY_MESSAGE_TEXT");
        assert_eq!(code(Content::parse("message", "text", json!({"text": "  "}))), "ERR_EMPTY_MESSAGE_TEXT");
        assert_eq!(code(Content::parse("message", "text", json!({"text": 7}))), "ERR_INVALID_MESSAGE_TEXT");
        assert_eq!(code(Content::parse("message", "text", json!("hi"))), "ERR_INVALID_MESSAGE_DATA");
    }

    #[test]
    fn a_media_message_needs_url_name_mime_type_and_size() {
        let file =
            json!({"url": "https://cdn.example.com/a.png", "name": "a.png", "mimeType": "image/png", "size": 10});
        assert!(Content::parse("message", "image", json!({"attachments": [file]})).is_ok());
        for none in [json!({}), json!({"attachments": []})] {
            assert_eq!(code(Content::parse("message", "file", none)), "ERR_EMPTY_MESSAGE_FILE");
        }
        for bad in [
            json!({"attachments": "a.png"}),
            json!({"attachments": [{"url": "https://x.io/a", "name": "a", "mimeType": "image/png"}]}),
            json!({"attachments": [{"url": "ftp://x.io/a", "name": "a", "mimeType": "image/png", "size": 1}]}),
            json!({"attachments": [{"url": "https://x.io/a", "name": "a", "mimeType": "png", "size": 1}]}),
        ] {
            assert_eq!(code(Content::parse("message", "file", bad)), "ERR_INVALID_MEDIA_MESSAGE");
        }
    }

    #[test]
    fn each_category_takes_only_its_types() {
        assert_eq!(code(Content::parse("message", "sticker", json!({}))), "ERR_INVALID_MESSAGE_TYPE");
        assert_eq!(code(Content::parse("call", "text", json!({"status": "initiated"}))), "ERR_INVALID_MESSAGE_TYPE");
        assert_eq!(code(Content::parse("custom", "has space", json!({"customData": 1}))), "ERR_INVALID_MESSAGE_TYPE");
        assert_eq!(code(Content::parse("gossip", "text", json!({}))), "ERR_INVALID_MESSAGE_CATEGORY");
        assert_eq!(code(Content::parse("action", "groupMember", json!({}))), "ERR_INVALID_MESSAGE_CATEGORY");
        assert!(Content::parse("custom", "Location", json!({"customData": {"lat": 1}})).is_ok());
        assert_eq!(code(Content::parse("custom", "location", json!({}))), "ERR_EMPTY_CUSTOM_DATA");
        assert!(Content::parse("call", "video", json!({"status": "ongoing"})).is_ok());
        assert_eq!(code(Content::parse("call", "audio", json!({"status": "lost"}))), "ERR_INVALID_CALL_STATUS");
    }

    #[test]
    fn only_text_and_custom_messages_are_edited_and_keep_their_type() {
        let text = Content::parse("message", "text", json!({"text": "hi"})).unwrap();
        assert_eq!(text.edited(json!({"text": "hello"})).unwrap().data()["text"], "hello");
        assert_eq!(text.edited(json!({"text": ""})).unwrap_err().code, "ERR_EMPTY_MESSAGE_TEXT");
        let call = Content::parse("call", "audio", json!({"status": "ended"})).unwrap();
        assert_eq!(call.edited(json!({"status": "ongoing"})).unwrap_err().code, "ERR_MESSAGE_ACTION_NOT_ALLOWED");
    }

    #[test]
    fn both_directions_of_a_user_pair_share_a_conversation_and_pairs_never_collide() {
        let uid = |raw: &str| Uid::parse(raw).unwrap();
        let to_ben = Receiver::User(uid("ben")).conversation_with(&uid("Ana"));
        assert_eq!(to_ben, Receiver::User(uid("ana")).conversation_with(&uid("ben")));
        assert_eq!(to_ben, "user:ana:ben");
        assert_eq!(conversation_id(&to_ben), "ana_user_ben");
        assert_eq!(conversation_id("group:club"), "group_club");
        assert_eq!(conversation_keys("ana_user_ben"), ["user:ana:ben"]);
        assert_eq!(conversation_keys("group_club"), ["group:club"]);
        assert_eq!(conversation_keys("a_user_b_user_c"), ["user:a:b_user_c", "user:a_user_b:c"]);
        assert_eq!(conversation_keys("group_x_user_y"), ["group:x_user_y", "user:group_x:y"]);
        assert!(conversation_keys("ben_user_ana").is_empty(), "the two UIDs come in order");
        assert!(conversation_keys("nonsense").is_empty());
        let one = Receiver::User(uid("y_user_z")).conversation_with(&uid("x"));
        let other = Receiver::User(uid("z")).conversation_with(&uid("x_user_y"));
        assert_ne!(one, other);
        assert_eq!(Receiver::Group(Guid::parse("Town").unwrap()).conversation_with(&uid("ana")), "group:town");
    }
}
