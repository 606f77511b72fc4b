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
    checked_metadata, limit, message_id, optional_body, path_id, uid,
};
use crate::domain::{Content, ConversationView, MessageView, Receiver, ReceiverType, Uid, parse_tags};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::{
        groups::Acting,
        messages::{self, Edit, Outgoing, Viewing},
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
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::invalid(
                "ERR_INVALID_RECEIVER_TYPE",
                "Give receiver and receiverType together, or multipleReceivers.",
            ));
        }
        (None, None) => {
            return Err(Error::invalid("ERR_EMPTY_RECEIVER", "Name the receiver, or give multipleReceivers."));
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
    if all.is_empty() {
        return Err(Error::invalid("ERR_EMPTY_RECEIVER", "multipleReceivers names nobody."));
    }
    if all.len() > MAX_RECEIVERS {
        return Err(Error::invalid(
            "ERR_TOO_MANY_RECEIVERS",
            format!("A message goes to at most {MAX_RECEIVERS} receivers."),
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
    send_as(&state, &api, on_behalf_of, body).await
}

/// Send a message into the thread of message `id`, as the `onbehalfof`
/// user: the same as `POST /messages` with that `parentId`.
#[utoipa::path(post, path = "/messages/{id}/thread", tag = "Messages", request_body = SendBody,
    responses((status = 200, body = Envelope<SendAnswer>)))]
pub async fn reply(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<SendBody>,
) -> Result<Data<SendAnswer>> {
    let parent = path_id(&raw)?;
    if body.parent_id.is_some_and(|given| given != parent) {
        return Err(Error::invalid("ERR_INVALID_MESSAGE_ID", "The path names the thread; leave parentId out."));
    }
    send_as(&state, &api, on_behalf_of, SendBody { parent_id: Some(parent), ..body }).await
}

async fn send_as(
    state: &AppState,
    api: &ApiCaller,
    on_behalf_of: OnBehalfOf,
    body: SendBody,
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
        return Ok(Data(SendAnswer::One(shown(state, api, sent, None).await?.0)));
    }
    // Each send stands alone; the parties of those that went are read at once.
    let mut results = Vec::with_capacity(receivers.len());
    for receiver in receivers {
        let to = Outgoing { receiver: receiver.clone(), ..outgoing.clone() };
        results.push((receiver, messages::send(&state.db, &api.caller, &api.app, &sender, to).await));
    }
    let sent: Vec<MessageView> = results.iter().filter_map(|(_, r)| r.as_ref().ok().cloned()).collect();
    let mut shown = messages::with_entities(&state.db, &api.app, sent, &Viewing::default()).await?.into_iter();
    let mut answer = Sent::default();
    for (receiver, result) in results {
        let outcome = match result {
            Ok(_) => SentTo { success: true, data: shown.next(), error: None },
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

/// A message as REST answers it to `reader` (the `onBehalfOf` user, if
/// any): with its parties in `data.entities`, and whom it mentions.
async fn shown(
    state: &AppState,
    api: &ApiCaller,
    message: Result<MessageView>,
    reader: Option<&Uid>,
) -> Result<Data<MessageView>> {
    let viewing = Viewing { reader: reader.cloned(), ..Viewing::default() };
    let mut shown = messages::with_entities(&state.db, &api.app, vec![message?], &viewing).await?;
    shown.pop().map(Data).ok_or_else(|| Error::Internal("a message went missing on its way out".into()))
}

/// One message; with `onbehalfof`, only one of that user's conversations.
#[utoipa::path(get, path = "/messages/{id}", tag = "Messages",
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn get(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of: OnBehalfOf(acting) }: ClientCall,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<MessageView>> {
    let message = messages::get(&state.db, &api.caller, &api.app, &acting, path_id(&raw)?).await;
    shown(&state, &api, message, acting.user()).await
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
            code: "ERR_CONVERSATION_NOT_ACCESSIBLE",
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
