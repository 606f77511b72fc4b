//! Lists of messages over `/v3`: the app's, a conversation's, a group's
//! and a thread's, with CometChat's filters and its `affix` paging.

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiPath, ClientCall, OnBehalfOf, Params, limit, optional, path_id, split, uid, uids};
use crate::domain::{
    Guid, MediaType, MessageCategory, MessagePage, MessageView, Receiver, ReceiverType, Uid, conversation_keys,
    storable,
};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::messages::{self, MessageQuery, Viewing, Walk},
    state::AppState,
};

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMessagesParams {
    /// The sender's UID, or `app_system`.
    sender: Option<String>,
    /// A UID or GUID; with `receiverType`.
    receiver: Option<String>,
    /// `user` or `group`: alone, only the messages to users, or to groups.
    receiver_type: Option<String>,
    category: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    message_type: Option<String>,
    /// Comma-separated categories: messages of any of them.
    categories: Option<String>,
    /// Comma-separated types: messages of any of them.
    types: Option<String>,
    /// Messages of one conversation: `<uid>_user_<uid>` or `group_<guid>`.
    conversation_id: Option<String>,
    /// Only messages with files: `image`, `video`, `audio` and `file` messages.
    #[serde(default)]
    has_attachments: bool,
    /// Only media messages of this type: `image`, `video`, `audio` or `file`.
    attachment_types: Option<String>,
    /// Only messages someone reacted to.
    #[serde(default)]
    has_reactions: bool,
    /// With `onBehalfOf`: leaves out the messages of users they blocked.
    #[serde(default)]
    hide_messages_from_blocked_users: bool,
    /// Text messages whose text holds this, in any case.
    search_key: Option<String>,
    /// Only text messages with a link (`http://`, `https://` or `www.`).
    #[serde(default)]
    has_links: bool,
    /// Only text messages that mention a user, written `<@uid:UID>`.
    #[serde(default)]
    has_mentions: bool,
    /// Comma-separated UIDs: text messages that mention any of them.
    /// (CometChat's document types this boolean; its text, and its clients,
    /// give UIDs.)
    mentioned_uids: Option<String>,
    /// Only text messages that mention the `onBehalfOf` user.
    #[serde(default)]
    my_mentions_only: bool,
    /// Mentioned users come with their `tags`.
    #[serde(default)]
    mentions_with_tag_info: bool,
    /// With `onBehalfOf`: mentioned users say whether the user blocked
    /// them (`blockedByMe`) and whether they blocked the user (`hasBlockedMe`).
    #[serde(default)]
    mentions_with_blocked_info: bool,
    /// Only what the `onBehalfOf` user has not read: others' messages past
    /// their read mark, actions and deleted messages aside.
    #[serde(default)]
    unread: bool,
    /// Only what reached none of the `onBehalfOf` user's devices: unread,
    /// and past the last message a device of theirs said was delivered
    /// (the realtime `delivered` frame).
    #[serde(default)]
    undelivered: bool,
    /// Comma-separated tags: messages with any of them.
    tags: Option<String>,
    /// Accepted as CometChat documents it: messages always carry their `tags`.
    #[serde(default)]
    #[allow(dead_code)]
    with_tags: bool,
    /// Sent at or after this time, in seconds since 1970 (CometChat's `fromTimestamp`).
    from_timestamp: Option<i64>,
    /// Sent at or before this time; only with `fromTimestamp`, as CometChat documents.
    to_timestamp: Option<i64>,
    /// Sent at or after this time (Switchboard's name).
    from: Option<i64>,
    /// Sent before this time (Switchboard's name).
    to: Option<i64>,
    #[serde(default)]
    hide_deleted: bool,
    /// Only the deleted messages.
    #[serde(default)]
    only_deleted: bool,
    /// Leaves out the replies of threads.
    #[serde(default)]
    hide_replies: bool,
    /// `append` (the default): the messages after `id` (or `sentAt`), oldest
    /// first; `prepend`: the messages before it, given oldest first too.
    affix: Option<String>,
    /// Where `affix` starts: a message id, as `meta.next.id` gives it.
    id: Option<String>,
    /// Where `affix` starts when no `id` is given: a time in seconds.
    sent_at: Option<i64>,
    /// 1 to 1,000; 100 when left out.
    limit: Option<i64>,
    /// Switchboard's own paging, newest first: `meta.cursor.next` of the
    /// previous page. A list without `affix`, `id` or `sentAt` walks this
    /// way, from the newest message.
    cursor: Option<String>,
    /// With `onBehalfOf`: `meta.unreadCount` says how many of the listed
    /// messages, from the newest, the user has not read (up to 100). Every
    /// list counts its page in `meta.current.count`.
    #[serde(default)]
    count: bool,
    /// Threads: replies per page (CometChat's name for `limit` there).
    per_page: Option<i64>,
    /// Threads: the page number, from 1.
    page: Option<i64>,
}

type ListParams = Params<ListMessagesParams>;

/// Where a list starts and which way it walks, from `affix`, `id`,
/// `sentAt` and `cursor`.
fn walk(p: &ListMessagesParams) -> Result<(Walk, Option<i64>, Option<i64>)> {
    let forward = match p.affix.as_deref() {
        None | Some("append") => true,
        Some("prepend") => false,
        Some(_) => return Err(Error::invalid("ERR_INVALID_AFFIX", "affix is append or prepend.")),
    };
    let id = p.id.as_deref().map(path_id).transpose()?;
    // With no id, a time is where the walk starts: after it, or before it.
    let (from, to) = match (id, p.sent_at) {
        (None, Some(at)) if forward => (Some(at.saturating_add(1)), None),
        (None, Some(at)) => (None, Some(at)),
        _ => (None, None),
    };
    let walk = match (id, forward) {
        (Some(id), true) => Walk::After(id),
        (Some(id), false) => Walk::Before(id),
        (None, _) if p.affix.is_none() && p.sent_at.is_none() => Walk::NewestFirst,
        (None, true) => Walk::After(0),
        (None, false) => Walk::Before(i64::MAX),
    };
    Ok((walk, from, to))
}

/// `receiver` with `receiverType`, or `receiverType` alone.
fn receiver(
    receiver: Option<String>,
    receiver_type: Option<String>,
) -> Result<(Option<Receiver>, Option<ReceiverType>)> {
    match (receiver, receiver_type) {
        (Some(receiver), Some(receiver_type)) => Ok((Some(Receiver::parse(&receiver, &receiver_type)?), None)),
        (None, Some(receiver_type)) => Ok((None, Some(ReceiverType::parse(&receiver_type)?))),
        (None, None) => Ok((None, None)),
        (Some(_), None) => Err(Error::invalid("ERR_INVALID_RECEIVER_TYPE", "Give receiver and receiverType together.")),
    }
}

/// The category and the types asked for, by `category`, `type`, `types`,
/// `hasAttachments` and `attachmentTypes`: attachments are what media
/// messages carry, so those two filter on their types.
fn kinds(p: &mut ListMessagesParams) -> Result<(Option<MessageCategory>, Vec<String>)> {
    let mut category = optional(p.category.take(), MessageCategory::parse)?;
    let mut types = split(p.types.take(), "types")?;
    for message_type in p.message_type.iter().chain(&types) {
        Uid::parse(message_type).map_err(|_| Error::invalid("ERR_INVALID_MESSAGE_TYPE", "type is a message type."))?;
    }
    let media: Vec<MediaType> = match (p.attachment_types.take(), p.has_attachments) {
        (Some(raw), _) => split(Some(raw), "attachmentTypes")?
            .iter()
            .map(|t| match MediaType::parse(t) {
                Ok(MediaType::Text) | Err(_) => Err(Error::invalid(
                    "ERR_INVALID_ATTACHMENT_TYPE",
                    "attachmentTypes are image, video, audio or file.",
                )),
                Ok(media) => Ok(media),
            })
            .collect::<Result<_>>()?,
        (None, true) => vec![MediaType::Image, MediaType::Video, MediaType::Audio, MediaType::File],
        (None, false) => Vec::new(),
    };
    if !media.is_empty() {
        category = Some(MessageCategory::Message);
        types.extend(media.iter().map(|t| t.as_str().to_owned()));
    }
    Ok((category, types))
}

/// The stored conversations a CometChat `conversationId` may name.
fn conversations(id: &str) -> Result<Vec<String>> {
    match conversation_keys(id) {
        keys if keys.is_empty() => Err(Error::invalid(
            "ERR_INVALID_CONVERSATION_ID",
            "A conversationId is <uid>_user_<uid> (the UIDs in order) or group_<guid>.",
        )),
        keys => Ok(keys),
    }
}

/// The query a list's parameters ask for, and how its messages are shown to
/// `reader` (the `onBehalfOf` user, if any).
fn message_query(params: ListParams, reader: Option<&Uid>) -> Result<(MessageQuery, Viewing)> {
    let Query(mut p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let viewing = Viewing {
        reader: reader.cloned(),
        mention_tags: p.mentions_with_tag_info,
        mention_blocks: p.mentions_with_blocked_info,
    };
    let (per_page, page) = (p.per_page, p.page);
    let limit = limit(p.limit.or(per_page))?;
    if page.is_some_and(|page| page < 1) {
        return Err(Error::invalid("ERR_INVALID_PAGE", "page starts at 1."));
    }
    let (walk, walk_from, walk_to) = walk(&p)?;
    let (receiver, receiver_type) = receiver(p.receiver.take(), p.receiver_type.take())?;
    let (category, types) = kinds(&mut p)?;
    let conversations = p.conversation_id.as_deref().map(conversations).transpose()?.unwrap_or_default();
    let from = p.from.or(p.from_timestamp).or(walk_from);
    let to = p.to.or(p.from_timestamp.and(p.to_timestamp).map(|to| to.saturating_add(1))).or(walk_to);
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(Error::invalid("ERR_INVALID_TIME_RANGE", "from comes before to."));
    }
    let query = MessageQuery {
        sender: optional(p.sender, |s| Uid::parse(s).map(|u| u.to_string()))?,
        receiver,
        receiver_type,
        conversations,
        category,
        categories: split(p.categories, "categories")?
            .iter()
            .map(|c| MessageCategory::parse(c))
            .collect::<std::result::Result<_, _>>()?,
        message_type: p.message_type,
        types,
        with_reactions: p.has_reactions,
        tags: split(p.tags, "tags")?,
        search: p.search_key.filter(|key| !key.is_empty()).map(|key| storable(key, "searchKey")).transpose()?,
        with_links: p.has_links,
        with_mentions: p.has_mentions,
        mentioning: uids(&split(p.mentioned_uids, "mentionedUids")?)?,
        mentioning_reader: p.my_mentions_only,
        hide_blocked: p.hide_messages_from_blocked_users,
        unread: p.unread,
        undelivered: p.undelivered,
        count_unread: p.count,
        reader: None,
        readers_own: false,
        from,
        to,
        hide_deleted: p.hide_deleted,
        only_deleted: p.only_deleted,
        hide_replies: p.hide_replies,
        parent_id: None,
        limit,
        offset: page.map_or(0, |page| (page - 1).saturating_mul(limit)),
        walk,
        cursor: p.cursor,
    };
    Ok((query, viewing))
}

/// A page of messages with CometChat's `meta`: how many were asked for and
/// given (`current`), and the `affix` and `id` that ask for the next page
/// (`next`, absent on the last). `meta.cursor.next` is Switchboard's own
/// newest-first paging.
#[derive(Serialize, ToSchema)]
pub struct MessageList {
    data: Vec<MessageView>,
    meta: MessageMeta,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct MessageMeta {
    current: Current,
    /// With `count` and `onBehalfOf`: how many of the listed messages the
    /// user has not read (up to 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    unread_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    next: Option<NextMessages>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    cursor: Option<NextCursor>,
}

#[derive(Serialize, ToSchema)]
struct Current {
    limit: i64,
    count: usize,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct NextMessages {
    /// `append` or `prepend`, as this page walked.
    affix: &'static str,
    /// The message the next page starts from.
    id: String,
    sent_at: i64,
}

#[derive(Serialize, ToSchema)]
struct NextCursor {
    next: String,
}

impl MessageList {
    fn of(page: MessagePage, query_limit: i64, walk: Walk) -> Self {
        let MessagePage { items, next_cursor, unread_count } = page;
        // The message the next page continues from: the last one walked over.
        let edge = match walk {
            Walk::Before(_) => items.first(),
            Walk::NewestFirst | Walk::After(_) => items.last(),
        };
        let next = next_cursor.as_ref().and(edge).map(|m| NextMessages {
            affix: if matches!(walk, Walk::After(_)) { "append" } else { "prepend" },
            id: m.id.to_string(),
            sent_at: m.sent_at,
        });
        let cursor = match walk {
            Walk::NewestFirst => next_cursor.map(|next| NextCursor { next }),
            _ => None,
        };
        MessageList {
            meta: MessageMeta {
                current: Current { limit: query_limit, count: items.len() },
                unread_count,
                next,
                cursor,
            },
            data: items,
        }
    }
}

impl axum::response::IntoResponse for MessageList {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self).into_response()
    }
}

/// Runs a list and answers it with its `meta`, each message with its
/// parties in `data.entities`.
async fn listed(
    (state, api): (&AppState, &ApiCaller),
    (query, viewing): (MessageQuery, Viewing),
    run: impl AsyncFnOnce(MessageQuery) -> Result<MessagePage>,
) -> Result<MessageList> {
    let (limit, walk) = (query.limit, query.walk);
    let page = run(query).await?;
    let items = messages::with_entities(&state.db, &api.app, page.items, &viewing).await?;
    Ok(MessageList::of(MessagePage { items, ..page }, limit, walk))
}

/// The app's messages, newest first, filtered; with `onBehalfOf`, those
/// of the user's conversations (with other users, and their groups').
#[utoipa::path(get, path = "/messages", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = MessageList)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    params: ListParams,
) -> Result<MessageList> {
    let query = message_query(params, acting.user())?;
    listed((&state, &api), query, async |q| messages::list(&state.db, &api.caller, &api.app, &acting, q).await).await
}

/// The conversation between the `onbehalfof` user and `uid`, newest first.
#[utoipa::path(get, path = "/users/{uid}/messages", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = MessageList)))]
pub async fn between(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    params: ListParams,
) -> Result<MessageList> {
    let (viewer, other) = (on_behalf_of.user()?, uid(&raw)?);
    let query = message_query(params, Some(&viewer))?;
    listed((&state, &api), query, async |q| {
        messages::between(&state.db, &api.caller, &api.app, &viewer, &other, q).await
    })
    .await
}

/// A group's messages, newest first; with `onbehalfof`, for a member only.
#[utoipa::path(get, path = "/groups/{guid}/messages", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = MessageList)))]
pub async fn of_group(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of: OnBehalfOf(acting) }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    params: ListParams,
) -> Result<MessageList> {
    let (query, guid) = (message_query(params, acting.user())?, Guid::parse(&raw)?);
    listed((&state, &api), query, async |q| {
        messages::of_group(&state.db, &api.caller, &api.app, &acting, &guid, q).await
    })
    .await
}

/// The replies to a message, newest first.
#[utoipa::path(get, path = "/messages/{id}/thread", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = MessageList)))]
pub async fn thread(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    params: ListParams,
) -> Result<MessageList> {
    let (query, id) = (message_query(params, acting.user())?, path_id(&raw)?);
    listed((&state, &api), query, async |q| messages::thread(&state.db, &api.caller, &api.app, &acting, id, q).await)
        .await
}
