//! What the server shows of each concept, to the dashboard and to REST
//! clients alike. Secrets never appear here except in `NewApiKey`, the one
//! answer that carries a key, once.

use serde::{Deserialize, Serialize};

use super::{
    AppId, AppName, Email, Environment, GroupType, Guid, KeyName, KeyScope, MessageCategory, OperatorName,
    OperatorRole, Reach, ReceiverType, Region, RoleId, Scope, Uid,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "8d3a9c0e5b7f1a24"))]
    pub app_id: AppId,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub name: AppName,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "development"))]
    pub environment: Environment,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "eu"))]
    pub region: Region,
    /// Unix seconds.
    pub created_at: i64,
    /// Clients may log in to the realtime gateway with an Auth Key and a
    /// UID, minting their own token; on for development apps at first.
    pub auth_key_login: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub name: KeyName,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "fullAccess"))]
    pub scope: KeyScope,
    /// The first characters of the key, enough to recognise it.
    pub prefix: String,
    /// Who made it: an operator's email, `key:<prefix>` or `cli`.
    pub created_by: String,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// A key just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewApiKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The full key. Store it now: Switchboard keeps only its hash.
    pub api_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorView {
    pub id: i64,
    pub email: Email,
    pub name: OperatorName,
    pub role: OperatorRole,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// The signed-in operator, as the dashboard needs it on every page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub operator: OperatorView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub details: String,
    pub ip: Option<String>,
    pub created_at: i64,
}

/// One page of the audit log, newest first; `next` continues after the last row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next: Option<i64>,
}

/// A category of users, such as `default` or `premium`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "premium"))]
    pub role: RoleId,
    pub name: String,
    pub description: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    pub settings: RoleSettings,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a role's users may reach: whom they list, whom they may write to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoleSettings {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "all"))]
    pub list_users: Reach,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "friendsOnly"))]
    pub send_messages_to: Reach,
}

impl Default for RoleSettings {
    fn default() -> Self {
        RoleSettings { list_users: Reach::All, send_messages_to: Reach::All }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "superhero1"))]
    pub uid: Uid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "default"))]
    pub role: RoleId,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// `available` while connected to the realtime gateway, else `offline`.
    pub status: String,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_active_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<i64>,
}

/// An auth token as lists show it: never the token itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthTokenView {
    pub id: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub uid: Uid,
    pub prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// What the device's app said of itself, such as its version: the JSON
    /// text of the object it sent (CometChat's document calls it a string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_info: Option<String>,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
}

/// A token just issued: the only time its value is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewAuthToken {
    #[serde(flatten)]
    pub token: AuthTokenView,
    pub auth_token: String,
}

/// A page of users.
pub type UserListPage = Page<UserView>;

/// A user as a dashboard list shows them, one to a row: who they are and
/// when they were about, without the profile, metadata and tags that their
/// own page shows. A page of 25 whole users, metadata at up to 5 KB each,
/// would ship many times what the table shows, in the page and again in
/// the data that hydrates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub uid: Uid,
    pub name: String,
    pub role: RoleId,
    pub status: String,
    pub created_at: i64,
    pub last_active_at: Option<i64>,
    pub deactivated_at: Option<i64>,
}

/// A page of users as a dashboard list shows them.
pub type UserSummaryPage = Page<UserSummary>;

/// One user with their devices' auth tokens, for the user page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserView,
    pub tokens: Vec<AuthTokenView>,
}

/// What an import did: how many rows became users, and each row refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub accepted: u64,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// The row's line in the file, the header being line 1.
    pub line: u64,
    pub uid: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "cometchat-guid-1"))]
    pub guid: Guid,
    pub name: String,
    #[serde(rename = "type")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "public"))]
    pub group_type: GroupType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Uid>,
    pub tags: Vec<String>,
    pub members_count: i64,
    /// The group's conversation, `group_<guid>`, as CometChat names it.
    pub conversation_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// With `onbehalfof`: whether that user is a member, and as what.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_joined: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub scope: Option<Scope>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<i64>,
}

/// A member of a group: who, and their standing in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub uid: Uid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "participant"))]
    pub scope: Scope,
    pub joined_at: i64,
}

/// A user banned from a group, and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BannedUserView {
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub uid: Uid,
    pub name: String,
    /// The audit log's name for who banned them.
    pub banned_by: String,
    pub banned_at: i64,
    /// Why, as the moderator said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the ban ends; a ban without an end is for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

/// A message as it was sent, with what happened to it since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    #[serde(with = "super::message_id")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "100"))]
    pub id: i64,
    /// `<uid>_user_<uid>` (the two UIDs in order) or `group_<guid>`, as
    /// CometChat writes it.
    pub conversation_id: String,
    /// A UID, or `app_system` for action messages.
    pub sender: String,
    pub receiver: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "user"))]
    pub receiver_type: ReceiverType,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "message"))]
    pub category: MessageCategory,
    #[serde(rename = "type")]
    pub message_type: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub data: serde_json::Value,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    pub tags: Vec<String>,
    #[serde(default, with = "super::message_id::optional", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub parent_id: Option<i64>,
    /// The sending client's own id for the message, as it sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muid: Option<String>,
    pub replies_count: i64,
    pub sent_at: i64,
    /// When it last changed: sent, edited or deleted.
    pub updated_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    /// The users the text mentions (`<@uid:UID>`) that exist, as CometChat
    /// gives them; left out when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub mentioned_users: Vec<serde_json::Value>,
    /// Whether the text mentions the user the message is read for
    /// (`onBehalfOf`); left out when read for the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentioned_me: Option<bool>,
    /// Each reaction left on the message, with how many left it; left out
    /// when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionCount>,
}

/// One reaction on a message, and how many users left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReactionCount {
    pub reaction: String,
    pub count: i64,
    /// Whether the user the message is read for left it; left out when
    /// read for the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reacted_by_me: Option<bool>,
}

/// One user's reaction to a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReactionView {
    #[serde(with = "super::message_id")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: i64,
    #[serde(with = "super::message_id")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub message_id: i64,
    pub reaction: String,
    pub uid: String,
    pub reacted_at: i64,
    /// The user, as a message's entities show them.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub reacted_by: serde_json::Value,
}

/// A page of messages, newest first, and where the older ones continue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePage {
    pub items: Vec<MessageView>,
    pub next_cursor: Option<String>,
    /// How many of the listed conversation's messages its reader has not
    /// read, when asked for (up to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<i64>,
}

/// One of a user's conversations: with whom, its last message, and how
/// many messages others wrote in it since the user last read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub conversation_id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "user"))]
    pub conversation_type: ReceiverType,
    /// The other user's UID, or the group's GUID.
    pub conversation_with: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message: Option<MessageView>,
    /// Counted up to 100.
    pub unread_message_count: i64,
}

/// A page of a list, with how many match and where to continue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Exact for unfiltered lists; a filtered list counts at most 1,000.
    pub total: i64,
    pub total_is_exact: bool,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// How many the list holds, in words: "1 group", "25 groups", "more
    /// than 1000 groups".
    pub fn total_in_words(&self, one: &str, many: &str) -> String {
        match (self.total_is_exact, self.total) {
            (true, 1) => format!("1 {one}"),
            (true, total) => format!("{total} {many}"),
            (false, total) => format!("more than {total} {many}"),
        }
    }

    /// The same page with each item made into another, or the first failure.
    pub fn try_map<U, E>(self, make: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        let items = self.items.into_iter().map(make).collect::<Result<Vec<U>, E>>()?;
        Ok(Page { items, total: self.total, total_is_exact: self.total_is_exact, next_cursor: self.next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: i64, total_is_exact: bool) -> Page<()> {
        Page { items: Vec::new(), total, total_is_exact, next_cursor: None }
    }

    #[test]
    fn a_total_reads_as_words_with_its_noun_agreeing() {
        assert_eq!(page(1, true).total_in_words("group", "groups"), "1 group");
        assert_eq!(page(0, true).total_in_words("group", "groups"), "0 groups");
        assert_eq!(page(25, true).total_in_words("group", "groups"), "25 groups");
        assert_eq!(page(1_000, false).total_in_words("group", "groups"), "more than 1000 groups");
    }
}

/// Who is connected to an app's realtime gateway right now, on every server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCounts {
    pub connections: i64,
    pub online_users: i64,
}

/// A user logged in to the Playground: their UID and a token for this tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaygroundLogin {
    pub uid: String,
    pub auth_token: String,
}

/// An app at a glance, for its overview page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewView {
    pub users: i64,
    /// Users active in the last 24 hours.
    pub active_last_day: i64,
    pub groups: i64,
    pub messages: i64,
    /// The last 30 days, oldest first.
    pub days: Vec<DayFigures>,
    /// Each key's REST requests on those days.
    pub keys: Vec<KeyRequestsView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayFigures {
    /// The unix second the day (UTC) begins.
    pub day: i64,
    pub new_users: i64,
    pub messages: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRequestsView {
    pub name: String,
    pub prefix: String,
    pub scope: KeyScope,
    /// Requests on each day of the overview, oldest first.
    pub requests: Vec<i64>,
}
