use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::HeaderMap,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    ApiJson, ApiPath, ClientCall, Data, OnBehalfOf, Params,
    answers::{CursorList, Envelope, ErrorDetail, Success},
    checked_metadata, optional, optional_body, split, uid,
};
use crate::domain::{
    Content, ConversationView, Guid, MediaType, MessageCategory, MessagePage, MessageView, Receiver, ReceiverType, Uid,
    conversation_keys, parse_tags,
};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::{
        groups::Acting,
        messages::{self, Edit, MAX_LIMIT, MessageQuery, Outgoing, Walk},
    },
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendBody {
    /// A UID or a GUID, as `receiverType` says; may be left out with `multipleReceivers`.
    receiver: Option<String>,
    /// `user` or `group`.
    receiver_type: Option<String>,
    /// More users and groups to send the same message to, as CometChat
    /// documents it: `{"uids": [...], "guids": [...]}`, up to 25 receivers
    /// in all. The answer is then each receiver's outcome (see `Sent`).
    multiple_receivers: Option<MultipleReceivers>,
    /// `message`, `custom` or `call`; `action` messages are the system's.
    category: String,
    /// For `message`: text, image, video, audio or file; for `call`: audio
    /// or video; for `custom`: a name of your own (UID characters).
    #[serde(rename = "type")]
    message_type: String,
    /// `{"text"}` for text; `{"attachments": [{url, name, mimeType, size}]}`
    /// for media; `{"customData"}` for custom; `{"status"}` for calls.
    #[schema(value_type = Object)]
    data: Value,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    tags: Option<Vec<String>>,
    /// The sending client's own id for the message, given back with it:
    /// up to 100 characters.
    muid: Option<String>,
    /// The message this one answers, starting or continuing its thread.
    #[serde(default, with = "crate::domain::message_id::optional")]
    #[schema(value_type = Option<String>, nullable = false)]
    parent_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MultipleReceivers {
    #[serde(default)]
    uids: Vec<String>,
    #[serde(default)]
    guids: Vec<String>,
}

/// The most receivers one send may name.
const MAX_RECEIVERS: usize = 25;

/// What a send answers: the message, or with `multipleReceivers`, each
/// receiver's outcome, as CometChat answers per user when adding members:
/// `{"uids": {"<uid>": {"success": true, "data": <message>}}, "guids": {...}}`,
/// or `{"success": false, "error": {code, message}}` for a receiver refused.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SendAnswer {
    One(MessageView),
    Many(Sent),
}

#[derive(Serialize, ToSchema, Default)]
pub struct Sent {
    uids: BTreeMap<String, SentTo>,
    guids: BTreeMap<String, SentTo>,
}

#[derive(Serialize, ToSchema)]
pub struct SentTo {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    data: Option<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<ErrorDetail>,
}

/// The receivers a send names: `receiver`, then `multipleReceivers`, each once.
fn receivers(body: &SendBody) -> Result<Vec<Receiver>> {
    let mut all = match (&body.receiver, &body.receiver_type) {
        (Some(receiver), Some(receiver_type)) => vec![Receiver::parse(receiver, receiver_type)?],
        (None, None) if body.multiple_receivers.is_some() => Vec::new(),
        _ => {
            return Err(Error::invalid(
                "ERR_INVALID_RECEIVER_TYPE",
                "Give receiver and receiverType together, or multipleReceivers.",
            ));
        }
    };
    if let Some(more) = &body.multiple_receivers {
        for uid in &more.uids {
            all.push(Receiver::parse(uid, "user")?);
        }
        for guid in &more.guids {
            all.push(Receiver::parse(guid, "group")?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|r| seen.insert((r.receiver_type(), r.id().to_owned())));
    if all.is_empty() || all.len() > MAX_RECEIVERS {
        return Err(Error::invalid(
            "ERR_INVALID_RECEIVER_TYPE",
            format!("A message goes to 1 to {MAX_RECEIVERS} receivers."),
        ));
    }
    Ok(all)
}

/// Send a message as the `onbehalfof` user: to a group they are a member
/// of, or to any user unless their role writes to friends only. With
/// `multipleReceivers`, one message to each receiver, each sent on its own.
#[utoipa::path(post, path = "/messages", tag = "Messages", request_body = SendBody,
    responses((status = 200, body = Envelope<SendAnswer>)))]
pub async fn send(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiJson(body): ApiJson<SendBody>,
) -> Result<Data<SendAnswer>> {
    let sender = on_behalf_of.user()?;
    let receivers = receivers(&body)?;
    let many = body.multiple_receivers.is_some();
    let outgoing = Outgoing {
        receiver: receivers[0].clone(),
        content: Content::parse(&body.category, &body.message_type, body.data)?,
        metadata: body.metadata.map(checked_metadata).transpose()?,
        tags: body.tags.as_deref().map(parse_tags).transpose()?.unwrap_or_default(),
        parent_id: body.parent_id.map(message_id).transpose()?,
        muid: body.muid.map(muid).transpose()?,
    };
    if !many {
        let sent = messages::send(&state.db, &api.caller, &api.app, &sender, outgoing).await;
        return Ok(Data(SendAnswer::One(shown(&state, &api, sent).await?.0)));
    }
    let mut answer = Sent::default();
    for receiver in receivers {
        let to = Outgoing { receiver: receiver.clone(), ..outgoing.clone() };
        let outcome = match messages::send(&state.db, &api.caller, &api.app, &sender, to).await {
            Ok(message) => SentTo { success: true, data: Some(shown(&state, &api, Ok(message)).await?.0), error: None },
            Err(err) => SentTo {
                success: false,
                data: None,
                error: Some(ErrorDetail { code: err.code().to_owned(), message: err.to_string() }),
            },
        };
        let list = match receiver.receiver_type() {
            ReceiverType::User => &mut answer.uids,
            ReceiverType::Group => &mut answer.guids,
        };
        list.insert(receiver.id().to_owned(), outcome);
    }
    Ok(Data(SendAnswer::Many(answer)))
}

fn muid(raw: String) -> Result<String> {
    if raw.is_empty() || raw.chars().count() > 100 {
        return Err(Error::invalid("ERR_INVALID_MUID", "A muid is 1 to 100 characters."));
    }
    Ok(crate::domain::storable(raw, "muid")?)
}

fn message_id(raw: i64) -> Result<i64> {
    if raw < 1 {
        return Err(Error::invalid("ERR_INVALID_MESSAGE_ID", "A message id is a whole number from 1."));
    }
    Ok(raw)
}

fn path_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>()
        .map_err(|_| Error::invalid("ERR_INVALID_MESSAGE_ID", "A message id is a whole number from 1."))
        .and_then(message_id)
}

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
    /// Only messages with reactions. Switchboard keeps no reactions yet, so
    /// `true` answers an empty list.
    #[serde(default)]
    has_reactions: bool,
    /// Accepted as CometChat documents it; Switchboard has no blocked users
    /// yet, so nothing is hidden.
    #[serde(default)]
    #[allow(dead_code)]
    hide_messages_from_blocked_users: bool,
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
    /// Accepted as CometChat documents it; every list counts its page in
    /// `meta.current.count`.
    #[serde(default)]
    #[allow(dead_code)]
    count: bool,
    /// Threads: replies per page (CometChat's name for `limit` there).
    per_page: Option<i64>,
    /// Threads: the page number, from 1.
    page: Option<i64>,
}

type ListParams = Params<ListMessagesParams>;

/// A page size: 1 to 1,000, 100 when left out.
fn limit(given: Option<i64>) -> Result<i64> {
    let limit = given.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid("ERR_INVALID_LIMIT", format!("limit is 1 to {MAX_LIMIT}.")));
    }
    Ok(limit)
}

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

fn message_query(params: ListParams) -> Result<MessageQuery> {
    let Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let (per_page, page) = (p.per_page, p.page);
    let limit = limit(p.limit.or(per_page))?;
    if page.is_some_and(|page| page < 1) {
        return Err(Error::invalid("ERR_INVALID_PAGE", "page starts at 1."));
    }
    let (walk, walk_from, walk_to) = walk(&p)?;
    let (receiver, receiver_type) = match (p.receiver, p.receiver_type) {
        (Some(receiver), Some(receiver_type)) => (Some(Receiver::parse(&receiver, &receiver_type)?), None),
        (None, Some(receiver_type)) => (None, Some(ReceiverType::parse(&receiver_type)?)),
        (None, None) => (None, None),
        (Some(_), None) => {
            return Err(Error::invalid("ERR_INVALID_RECEIVER_TYPE", "Give receiver and receiverType together."));
        }
    };
    let mut category = optional(p.category, MessageCategory::parse)?;
    let mut types = split(p.types, "types")?;
    for message_type in p.message_type.iter().chain(&types) {
        Uid::parse(message_type).map_err(|_| Error::invalid("ERR_INVALID_MESSAGE_TYPE", "type is a message type."))?;
    }
    // Attachments are what media messages carry: a filter on their types.
    let media: Vec<MediaType> = match (p.attachment_types, p.has_attachments) {
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
    let conversations = match p.conversation_id {
        Some(id) => match conversation_keys(&id) {
            keys if keys.is_empty() => {
                return Err(Error::invalid(
                    "ERR_INVALID_CONVERSATION_ID",
                    "A conversationId is <uid>_user_<uid> (the UIDs in order) or group_<guid>.",
                ));
            }
            keys => keys,
        },
        None => Vec::new(),
    };
    let from = p.from.or(p.from_timestamp).or(walk_from);
    let to = p.to.or(p.from_timestamp.and(p.to_timestamp).map(|to| to.saturating_add(1))).or(walk_to);
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(Error::invalid("ERR_INVALID_TIME_RANGE", "from comes before to."));
    }
    Ok(MessageQuery {
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
    })
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
struct MessageMeta {
    current: Current,
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
        let MessagePage { items, next_cursor } = page;
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
            meta: MessageMeta { current: Current { limit: query_limit, count: items.len() }, next, cursor },
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
    query: MessageQuery,
    run: impl AsyncFnOnce(MessageQuery) -> Result<MessagePage>,
) -> Result<MessageList> {
    let (limit, walk) = (query.limit, query.walk);
    let page = run(query).await?;
    let items = messages::with_entities(&state.db, &api.app, page.items).await?;
    Ok(MessageList::of(MessagePage { items, ..page }, limit, walk))
}

/// A message as REST answers it: with its parties in `data.entities`.
async fn shown(state: &AppState, api: &ApiCaller, message: Result<MessageView>) -> Result<Data<MessageView>> {
    let mut shown = messages::with_entities(&state.db, &api.app, vec![message?]).await?;
    shown.pop().map(Data).ok_or_else(|| Error::Internal("a message went missing on its way out".into()))
}

/// The app's messages, newest first, filtered. This is the app's view;
/// a user reads theirs through their conversations.
#[utoipa::path(get, path = "/messages", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = MessageList)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    params: ListParams,
) -> Result<MessageList> {
    if acting != Acting::App {
        return Err(Error::invalid(
            "ERR_ONBEHALFOF_NOT_ALLOWED",
            "This list is the app's. A user reads GET /v3/users/{uid}/messages or /v3/groups/{guid}/messages.",
        ));
    }
    listed((&state, &api), message_query(params)?, async |q| messages::list(&state.db, &api.caller, &api.app, q).await)
        .await
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
    let query = message_query(params)?;
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
    let (query, guid) = (message_query(params)?, Guid::parse(&raw)?);
    listed((&state, &api), query, async |q| {
        messages::of_group(&state.db, &api.caller, &api.app, &acting, &guid, q).await
    })
    .await
}

/// One message; with `onbehalfof`, only one of that user's conversations.
#[utoipa::path(get, path = "/messages/{id}", tag = "Messages",
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn get(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of: OnBehalfOf(acting) }: ClientCall,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<MessageView>> {
    shown(&state, &api, messages::get(&state.db, &api.caller, &api.app, &acting, path_id(&raw)?).await).await
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
    let (query, id) = (message_query(params)?, path_id(&raw)?);
    listed((&state, &api), query, async |q| messages::thread(&state.db, &api.caller, &api.app, &acting, id, q).await)
        .await
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditBody {
    /// New data, checked as for sending; text and custom messages only.
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    tags: Option<Vec<String>>,
    /// Fields to clear: `metadata`.
    #[serde(default)]
    unset: Vec<String>,
}

/// Edit a message: the app, or its sender. Its conversation gets an
/// `edited` action message, which is the answer, as in CometChat: the
/// message as edited is its `data.entities.on.entity`.
#[utoipa::path(put, path = "/messages/{id}", tag = "Messages", request_body = EditBody,
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn edit(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<EditBody>,
) -> Result<Data<MessageView>> {
    let mut edit = Edit {
        data: body.data,
        metadata: body.metadata.map(checked_metadata).transpose()?.map(Some),
        tags: body.tags.as_deref().map(parse_tags).transpose()?,
    };
    for field in &body.unset {
        match field.as_str() {
            "metadata" => edit.metadata = Some(None),
            other => {
                return Err(super::cannot_unset(other, "metadata"));
            }
        }
    }
    let changed = messages::edit(&state.db, &api.caller, &api.app, &acting, path_id(&raw)?, edit).await?;
    messages::told(&state.db, &api.app, changed).await.map(Data)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteBody {
    /// Remove the message for good, instead of marking it deleted.
    #[serde(default)]
    permanent: bool,
    /// Why, for the audit log.
    reason: Option<String>,
}

/// Delete a message: the app, its sender, or an admin or moderator of its
/// group. Its conversation gets a `deleted` action message, which is the
/// answer, as in CometChat: the message as deleted is its
/// `data.entities.on.entity`.
#[utoipa::path(delete, path = "/messages/{id}", tag = "Messages", request_body = Option<DeleteBody>,
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn delete(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<MessageView>> {
    let id = path_id(&raw)?;
    let body: DeleteBody = optional_body(&headers, &body)?;
    let deleted = messages::delete(&state.db, &api.caller, &api.app, &acting, id, body.permanent, body.reason).await?;
    messages::told(&state.db, &api.app, deleted).await.map(Data)
}

/// Whose conversations: the path's user; `onbehalfof`, when given, must
/// be that same user.
fn own(on_behalf_of: OnBehalfOf, raw: &str) -> Result<Uid> {
    let owner = uid(raw)?;
    match on_behalf_of.0 {
        Acting::User(viewer) if viewer != owner => Err(Error::Refused {
            code: "ERR_NOT_YOUR_CONVERSATIONS",
            message: format!("{viewer} may read and mark only their own conversations."),
        }),
        _ => Ok(owner),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationParams {
    /// 1 to 100; 50 when left out.
    limit: Option<i64>,
    /// `meta.next` of the previous page.
    cursor: Option<String>,
}

/// A user's conversations, the most recently active first: each with its
/// last message and how many messages others wrote since the user read it
/// (counted to 100).
#[utoipa::path(get, path = "/users/{uid}/conversations", tag = "Messages", params(ConversationParams),
    responses((status = 200, body = CursorList<ConversationView>)))]
pub async fn conversations(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    params: Params<ConversationParams>,
) -> Result<CursorList<ConversationView>> {
    let owner = own(on_behalf_of, &raw)?;
    let Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let limit = limit(p.limit)?;
    let page = messages::conversations(&state.db, &api.caller, &api.app, &owner, limit, p.cursor).await?;
    Ok(CursorList::new(page.items, page.next_cursor))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadBody {
    /// The conversation is read up to and with this message.
    #[serde(with = "crate::domain::message_id")]
    #[schema(value_type = String)]
    message_id: i64,
}

/// Mark the conversation of a message read, up to that message.
#[utoipa::path(post, path = "/users/{uid}/conversations/read", tag = "Messages", request_body = ReadBody,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<ReadBody>,
) -> Result<Data<Success>> {
    let owner = own(on_behalf_of, &raw)?;
    let id = message_id(body.message_id)?;
    messages::mark_read(&state.db, &api.caller, &api.app, &owner, id).await?;
    Ok(Data(Success::said(format!("The conversation of message {id} is read up to it for {owner}."))))
}
