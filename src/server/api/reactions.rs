//! Reactions to messages over `/v3`, as CometChat documents them: a user
//! reacts and takes a reaction back; anyone who may read the message lists
//! who reacted, with one reaction or all.

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiPath, ClientCall, Data, Params, answers::Envelope, path_id};
use crate::domain::{MessageView, ReactionView, Uid, parse_reaction};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::messages::{self, ReactionPage, Viewing},
    state::AppState,
};

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReactionListParams {
    /// 1 to 1,000; 100 when left out.
    limit: Option<i64>,
    /// Where the page starts: after the reaction with this id, as
    /// `meta.next.id` gives it.
    id: Option<String>,
}

/// Who reacted, oldest first, with CometChat's `meta.current` and, when
/// more follow, `meta.next` (`affix: append` and the `id` to ask from).
#[derive(Serialize, ToSchema)]
pub struct ReactionList {
    data: Vec<ReactionView>,
    meta: ReactionMeta,
}

#[derive(Serialize, ToSchema)]
struct ReactionMeta {
    current: Current,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    next: Option<Next>,
}

#[derive(Serialize, ToSchema)]
struct Current {
    limit: i64,
    count: usize,
}

#[derive(Serialize, ToSchema)]
struct Next {
    affix: &'static str,
    id: String,
}

impl axum::response::IntoResponse for ReactionList {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self).into_response()
    }
}

async fn listed(
    state: &AppState,
    ClientCall { api, on_behalf_of }: ClientCall,
    id: i64,
    reaction: Option<&str>,
    params: Params<ReactionListParams>,
) -> Result<ReactionList> {
    let Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let limit = super::limit(p.limit)?;
    let after = p.id.as_deref().map(path_id).transpose()?.unwrap_or(0);
    let ReactionPage { items, more } =
        messages::reactions(&state.db, &api.caller, &api.app, &on_behalf_of.0, id, (reaction, after, limit)).await?;
    let next = items.last().filter(|_| more).map(|last| Next { affix: "append", id: last.id.to_string() });
    Ok(ReactionList { meta: ReactionMeta { current: Current { limit, count: items.len() }, next }, data: items })
}

/// Who reacted to a message, with any reaction.
#[utoipa::path(get, path = "/messages/{id}/reactions", tag = "Messages", params(ReactionListParams),
    responses((status = 200, body = ReactionList)))]
pub async fn list(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath(raw): ApiPath<String>,
    params: Params<ReactionListParams>,
) -> Result<ReactionList> {
    listed(&state, call, path_id(&raw)?, None, params).await
}

/// Who reacted to a message with one reaction.
#[utoipa::path(get, path = "/messages/{id}/reactions/{reaction}", tag = "Messages", params(ReactionListParams),
    responses((status = 200, body = ReactionList)))]
pub async fn list_one(
    State(state): State<AppState>,
    call: ClientCall,
    ApiPath((raw, reaction)): ApiPath<(String, String)>,
    params: Params<ReactionListParams>,
) -> Result<ReactionList> {
    let reaction = parse_reaction(&reaction)?;
    listed(&state, call, path_id(&raw)?, Some(&reaction), params).await
}

/// The message as its reactions now stand, read for `reader`, who changed them.
async fn shown(state: &AppState, api: &ApiCaller, message: MessageView, reader: Uid) -> Result<Data<MessageView>> {
    let viewing = Viewing { reader: Some(reader), ..Viewing::default() };
    let mut shown = messages::with_entities(&state.db, &api.app, vec![message], &viewing).await?;
    shown.pop().map(Data).ok_or_else(|| Error::Internal("a message went missing on its way out".into()))
}

/// React to a message as the `onbehalfof` user; reacting twice changes nothing.
#[utoipa::path(post, path = "/messages/{id}/reactions/{reaction}", tag = "Messages",
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn react(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath((raw, reaction)): ApiPath<(String, String)>,
) -> Result<Data<MessageView>> {
    let (id, reaction, uid) = (path_id(&raw)?, parse_reaction(&reaction)?, on_behalf_of.user()?);
    let message = messages::react(&state.db, &api.caller, &api.app, &uid, id, &reaction).await?;
    shown(&state, &api, message, uid).await
}

/// Take the `onbehalfof` user's reaction back (`ERR_REACTION_NOT_FOUND` if
/// they left none).
#[utoipa::path(delete, path = "/messages/{id}/reactions/{reaction}", tag = "Messages",
    responses((status = 200, body = Envelope<MessageView>)))]
pub async fn unreact(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath((raw, reaction)): ApiPath<(String, String)>,
) -> Result<Data<MessageView>> {
    let (id, reaction, uid) = (path_id(&raw)?, parse_reaction(&reaction)?, on_behalf_of.user()?);
    let message = messages::unreact(&state.db, &api.caller, &api.app, &uid, id, &reaction).await?;
    shown(&state, &api, message, uid).await
}
