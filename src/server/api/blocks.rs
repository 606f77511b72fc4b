//! Blocked users over `/v3`, as CometChat documents them: a user blocks
//! and unblocks others by UID, and lists whom they blocked.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiJson, ApiPath, Data, Listed, PageParams, Params,
    answers::{Envelope, ErrorDetail},
    listed, paging, uid, uids,
};
use crate::domain::{Receiver, Uid, UserFilter, UserView, conversation_id};
use crate::server::{
    Result,
    auth::api_key::ApiCaller,
    service::{
        blocks::{self, Blocked, Outcome},
        users::UserQuery,
    },
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockBody {
    /// 1 to 25 UIDs.
    blocked_uids: Vec<String>,
}

/// What became of one UID: `{"success": true, "message": ...}`, or
/// `{"success": false, "error": {code, message}}`.
#[derive(Serialize, ToSchema)]
pub struct BlockOutcome {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<ErrorDetail>,
}

/// `{uid: outcome}` for each UID of the call.
#[derive(Serialize, ToSchema)]
pub struct BlockOutcomes(BTreeMap<String, BlockOutcome>);

fn answered(uid: &Uid, outcomes: Vec<Outcome>, done: &str) -> BlockOutcomes {
    let answer = |(other, outcome): Outcome| {
        let said = match outcome {
            Ok(()) => BlockOutcome {
                success: true,
                message: Some(format!("The user with UID {uid} has {done} user with UID {other} successfully.")),
                error: None,
            },
            Err(err) => BlockOutcome {
                success: false,
                message: None,
                error: Some(ErrorDetail { code: err.code().to_owned(), message: err.to_string() }),
            },
        };
        (other.to_string(), said)
    };
    BlockOutcomes(outcomes.into_iter().map(answer).collect())
}

/// Block users; answers per UID. Blocking twice changes nothing.
#[utoipa::path(post, path = "/users/{uid}/blockedusers", tag = "Blocked Users", request_body = BlockBody,
    responses((status = 200, body = Envelope<BlockOutcomes>)))]
pub async fn block(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<Data<BlockOutcomes>> {
    let uid = uid(&raw)?;
    let done = blocks::block(&state.db, &api.caller, &api.app, &uid, &uids(&body.blocked_uids)?).await?;
    Ok(Data(answered(&uid, done, "blocked")))
}

/// Unblock users; answers per UID (`ERR_NOT_BLOCKED` for one not blocked).
#[utoipa::path(delete, path = "/users/{uid}/blockedusers", tag = "Blocked Users", request_body = BlockBody,
    responses((status = 200, body = Envelope<BlockOutcomes>)))]
pub async fn unblock(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<Data<BlockOutcomes>> {
    let uid = uid(&raw)?;
    let done = blocks::unblock(&state.db, &api.caller, &api.app, &uid, &uids(&body.blocked_uids)?).await?;
    Ok(Data(answered(&uid, done, "unblocked")))
}

/// A user someone blocked, as CometChat lists them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockedUser {
    #[serde(flatten)]
    user: UserView,
    blocked_by_me: bool,
    /// When they were blocked, in seconds since 1970.
    blocked_by_me_at: i64,
    blocked_at: i64,
    /// The conversation between the two.
    conversation_id: String,
}

/// The users this user blocked, by UID, a page at a time.
#[utoipa::path(get, path = "/users/{uid}/blockedusers", tag = "Blocked Users", params(PageParams),
    responses((status = 200, body = Listed<BlockedUser>)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    params: Params<PageParams>,
) -> Result<Listed<BlockedUser>> {
    let uid = uid(&raw)?;
    let Query(p) = params.map_err(|e| crate::server::Error::BadRequest(e.body_text()))?;
    let paging = paging(p.per_page, p.page, None)?;
    let query = UserQuery { paging: paging.clone(), ..UserQuery::filtered(UserFilter::default(), 100, None) };
    let page = blocks::list(&state.db, &api.caller, &api.app, &uid, query).await?;
    let shown = page.try_map(|Blocked { user, blocked_at }| {
        Ok::<_, crate::server::Error>(BlockedUser {
            conversation_id: conversation_id(&Receiver::User(user.uid.clone()).conversation_with(&uid)),
            user,
            blocked_by_me: true,
            blocked_by_me_at: blocked_at,
            blocked_at,
        })
    })?;
    Ok(listed(shown, &paging))
}
