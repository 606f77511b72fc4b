use axum::{
    body::Bytes,
    extract::{Query, State},
    http::HeaderMap,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    ApiJson, ApiPath, ClientCall, Data, OnBehalfOf, Params,
    answers::{CursorList, Envelope, SUCCESS, Success},
    checked_metadata, optional, optional_body, split, uid,
};
use crate::domain::{
    Content, ConversationView, Guid, MessageCategory, MessagePage, MessageView, Receiver, Uid, parse_tags,
};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::{
        groups::Acting,
        messages::{self, Edit, MAX_LIMIT, MessageQuery, Outgoing},
    },
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendBody {
    /// A UID or a GUID, as `receiverType` says.
    receiver: String,
    /// `user` or `group`.
    receiver_type: String,
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
    /// The message this one answers, starting or continuing its thread.
    #[serde(default, with = "crate::domain::message_id::optional")]
    #[schema(value_type = Option<String>, nullable = false)]
    parent_id: Option<i64>,
}

/// Send a message as the `onbehalfof` user: to a group they are a member
/// of, or to any user unless their role writes to friends only.
#[utoipa::path(post, path = "/messages", tag = "Messages", request_body = SendBody,
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn send(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiJson(body): ApiJson<SendBody>,
) -> Result<Data<MessageView>> {
    let sender = on_behalf_of.user()?;
    let outgoing = Outgoing {
        receiver: Receiver::parse(&body.receiver, &body.receiver_type)?,
        content: Content::parse(&body.category, &body.message_type, body.data)?,
        metadata: body.metadata.map(checked_metadata).transpose()?,
        tags: body.tags.as_deref().map(parse_tags).transpose()?.unwrap_or_default(),
        parent_id: body.parent_id.map(message_id).transpose()?,
    };
    messages::send(&state.db, &api.caller, &api.app, &sender, outgoing).await.map(Data)
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
    /// A UID or GUID; needs `receiverType`.
    receiver: Option<String>,
    receiver_type: Option<String>,
    category: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    message_type: Option<String>,
    /// Comma-separated tags: messages with any of them.
    tags: Option<String>,
    /// Sent at or after this time, in seconds since 1970.
    from: Option<i64>,
    /// Sent before this time, in seconds since 1970.
    to: Option<i64>,
    #[serde(default)]
    hide_deleted: bool,
    /// 1 to 100; 50 when left out.
    limit: Option<i64>,
    /// `meta.next` of the previous page: older messages.
    cursor: Option<String>,
}

type ListParams = Params<ListMessagesParams>;

/// A page size: 1 to 100, 50 when left out.
fn limit(given: Option<i64>) -> Result<i64> {
    let limit = given.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid("ERR_INVALID_LIMIT", format!("limit is 1 to {MAX_LIMIT}.")));
    }
    Ok(limit)
}

fn message_query(params: ListParams) -> Result<MessageQuery> {
    let Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let limit = limit(p.limit)?;
    let receiver = match (p.receiver, p.receiver_type) {
        (Some(receiver), Some(receiver_type)) => Some(Receiver::parse(&receiver, &receiver_type)?),
        (None, None) => None,
        _ => return Err(Error::invalid("ERR_INVALID_RECEIVER_TYPE", "Give receiver and receiverType together.")),
    };
    let category = optional(p.category, MessageCategory::parse)?;
    if let Some(message_type) = &p.message_type {
        Uid::parse(message_type).map_err(|_| Error::invalid("ERR_INVALID_MESSAGE_TYPE", "type is a message type."))?;
    }
    if let (Some(from), Some(to)) = (p.from, p.to)
        && from >= to
    {
        return Err(Error::invalid("ERR_INVALID_TIME_RANGE", "from comes before to."));
    }
    Ok(MessageQuery {
        sender: optional(p.sender, |s| Uid::parse(s).map(|u| u.to_string()))?,
        receiver,
        conversation: None,
        category,
        message_type: p.message_type,
        tags: split(p.tags, "tags")?,
        from: p.from,
        to: p.to,
        hide_deleted: p.hide_deleted,
        parent_id: None,
        limit,
        cursor: p.cursor,
    })
}

type MessageList = CursorList<MessageView>;

impl From<MessagePage> for MessageList {
    fn from(page: MessagePage) -> Self {
        CursorList::new(page.items, page.next_cursor)
    }
}

/// The app's messages, newest first, filtered. This is the app's view;
/// a user reads theirs through their conversations.
#[utoipa::path(get, path = "/messages", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = CursorList<MessageView>)))]
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
    messages::list(&state.db, &api.caller, &api.app, message_query(params)?).await.map(MessageList::from)
}

/// The conversation between the `onbehalfof` user and `uid`, newest first.
#[utoipa::path(get, path = "/users/{uid}/messages", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = CursorList<MessageView>)))]
pub async fn between(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    params: ListParams,
) -> Result<MessageList> {
    let viewer = on_behalf_of.user()?;
    let query = message_query(params)?;
    messages::between(&state.db, &api.caller, &api.app, &viewer, &uid(&raw)?, query).await.map(MessageList::from)
}

/// A group's messages, newest first; with `onbehalfof`, for a member only.
#[utoipa::path(get, path = "/groups/{guid}/messages", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = CursorList<MessageView>)))]
pub async fn of_group(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of: OnBehalfOf(acting) }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    params: ListParams,
) -> Result<MessageList> {
    let query = message_query(params)?;
    messages::of_group(&state.db, &api.caller, &api.app, &acting, &Guid::parse(&raw)?, query)
        .await
        .map(MessageList::from)
}

/// One message; with `onbehalfof`, only one of that user's conversations.
#[utoipa::path(get, path = "/messages/{id}", tag = "Messages",
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn get(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of: OnBehalfOf(acting) }: ClientCall,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<MessageView>> {
    messages::get(&state.db, &api.caller, &api.app, &acting, path_id(&raw)?).await.map(Data)
}

/// The replies to a message, newest first.
#[utoipa::path(get, path = "/messages/{id}/thread", tag = "Messages", params(ListMessagesParams),
    responses((status = 200, body = CursorList<MessageView>)))]
pub async fn thread(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    params: ListParams,
) -> Result<MessageList> {
    let query = message_query(params)?;
    messages::thread(&state.db, &api.caller, &api.app, &acting, path_id(&raw)?, query).await.map(MessageList::from)
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
/// `edited` action message.
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
    messages::edit(&state.db, &api.caller, &api.app, &acting, path_id(&raw)?, edit).await.map(Data)
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
/// group. Its conversation gets a `deleted` action message.
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
    messages::delete(&state.db, &api.caller, &api.app, &acting, id, body.permanent, body.reason).await.map(Data)
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
    messages::mark_read(&state.db, &api.caller, &api.app, &owner, message_id(body.message_id)?).await?;
    Ok(Data(SUCCESS))
}
