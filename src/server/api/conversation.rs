//! One conversation of the `onBehalfOf` user, as CometChat addresses it by
//! whom it is with: `/users/{uid}/conversation` and
//! `/groups/{guid}/conversation`, read whole and marked read, delivered or
//! unread.

use axum::{body::Bytes, extract::State, http::HeaderMap};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiPath, ClientCall, Data,
    answers::{Envelope, Success},
    message_id, optional_body,
};
use crate::domain::{Guid, MessageView, Receiver, ReceiverType, Uid};
use crate::server::{
    Result,
    service::messages::{self, Marking, OneConversation},
    state::AppState,
};

/// A conversation as CometChat gives it. `unreadMessageCount` is text, as
/// CometChat writes it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    conversation_id: String,
    #[schema(value_type = String, example = "user")]
    conversation_type: ReceiverType,
    unread_message_count: String,
    created_at: i64,
    updated_at: i64,
    last_message: MessageView,
    /// The user or the group, as a message's entities show them.
    #[schema(value_type = Object)]
    conversation_with: serde_json::Value,
}

impl From<OneConversation> for Conversation {
    fn from(c: OneConversation) -> Self {
        Conversation {
            conversation_id: c.conversation_id,
            conversation_type: c.conversation_type,
            unread_message_count: c.unread_message_count.to_string(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_message: c.last_message,
            conversation_with: c.conversation_with,
        }
    }
}

/// The message a mark goes up to; the conversation's last when left out.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkBody {
    #[serde(default, with = "crate::domain::message_id::optional")]
    #[schema(value_type = Option<String>)]
    message_id: Option<i64>,
}

async fn read(state: &AppState, call: ClientCall, with: Receiver) -> Result<Data<Conversation>> {
    let uid = call.on_behalf_of.user()?;
    let found = messages::conversation(&state.db, &call.api.caller, &call.api.app, &uid, &with).await?;
    Ok(Data(found.into()))
}

async fn marked(
    state: &AppState,
    call: ClientCall,
    with: Receiver,
    marking: Marking,
    (headers, body): (&HeaderMap, &Bytes),
) -> Result<Data<Success>> {
    let uid = call.on_behalf_of.user()?;
    let MarkBody { message_id: given } = optional_body(headers, body)?;
    let given = given.map(message_id).transpose()?;
    let (api, target) = (&call.api, (marking, given));
    let id = messages::mark(&state.db, &api.caller, &api.app, &uid, &with, target).await?;
    let done = match marking {
        Marking::Read => "read",
        Marking::Delivered => "delivered",
        Marking::Unread => "unread",
    };
    let from = if marking == Marking::Unread { "from" } else { "up to" };
    Ok(Data(Success::said(format!(
        "The conversation of {uid} with {} is marked {done} {from} message {id}.",
        with.id()
    ))))
}

fn user(raw: &str) -> Result<Receiver> {
    Ok(Receiver::User(Uid::parse(raw)?))
}

fn group(raw: &str) -> Result<Receiver> {
    Ok(Receiver::Group(Guid::parse(raw)?))
}

/// The `onbehalfof` user's conversation with user `uid`.
#[utoipa::path(get, path = "/users/{uid}/conversation", tag = "Conversations",
    responses((status = 200, body = Envelope<Conversation>)))]
pub async fn of_user(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<Conversation>> {
    read(&state, call, user(&raw)?).await
}

/// The `onbehalfof` user's conversation in group `guid`, of which they are a member.
#[utoipa::path(get, path = "/groups/{guid}/conversation", tag = "Conversations",
    responses((status = 200, body = Envelope<Conversation>)))]
pub async fn of_group(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<Conversation>> {
    read(&state, call, group(&raw)?).await
}

/// Marks the conversation with user `uid` read, up to `messageId` (the last message when left out).
#[utoipa::path(post, path = "/users/{uid}/conversation/read", tag = "Conversations", request_body = MarkBody,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn read_with_user(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<Success>> {
    marked(&state, call, user(&raw)?, Marking::Read, (&headers, &body)).await
}

/// Marks the conversation with user `uid` unread from `messageId` (the last message when left out) on.
#[utoipa::path(delete, path = "/users/{uid}/conversation/read", tag = "Conversations", request_body = MarkBody,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn unread_with_user(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<Success>> {
    marked(&state, call, user(&raw)?, Marking::Unread, (&headers, &body)).await
}

/// Marks the conversation with user `uid` delivered, up to `messageId` (the last message when left out).
#[utoipa::path(post, path = "/users/{uid}/conversation/delivered", tag = "Conversations", request_body = MarkBody,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn delivered_with_user(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<Success>> {
    marked(&state, call, user(&raw)?, Marking::Delivered, (&headers, &body)).await
}

/// Marks the conversation in group `guid` read, up to `messageId` (the last message when left out).
#[utoipa::path(post, path = "/groups/{guid}/conversation/read", tag = "Conversations", request_body = MarkBody,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn read_in_group(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<Success>> {
    marked(&state, call, group(&raw)?, Marking::Read, (&headers, &body)).await
}

/// Marks the conversation in group `guid` unread from `messageId` (the last message when left out) on.
#[utoipa::path(delete, path = "/groups/{guid}/conversation/read", tag = "Conversations", request_body = MarkBody,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn unread_in_group(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<Success>> {
    marked(&state, call, group(&raw)?, Marking::Unread, (&headers, &body)).await
}

/// Marks the conversation in group `guid` delivered, up to `messageId` (the last message when left out).
#[utoipa::path(post, path = "/groups/{guid}/conversation/delivered", tag = "Conversations", request_body = MarkBody,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn delivered_in_group(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<Success>> {
    marked(&state, call, group(&raw)?, Marking::Delivered, (&headers, &body)).await
}
