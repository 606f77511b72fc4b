//! The answers that are not a view of one thing, typed so that what the
//! handlers send and what the OpenAPI document describes are one and the same.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{AuthTokenView, GroupView, Scope, Uid, UserView};
use crate::server::Error;

/// `{"data": ...}`: how every answer that is not a list comes. `Data` sends
/// it; this describes it.
#[derive(ToSchema)]
pub struct Envelope<T> {
    pub data: T,
}

/// An error answer: `{"error": {"code", "message"}}`.
#[derive(ToSchema)]
pub struct ErrorAnswer {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code, such as `ERR_UID_NOT_FOUND`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// A change done, in CometChat's words: `{"success": true, "message": ...}`.
#[derive(Serialize, ToSchema)]
pub struct Success {
    pub success: bool,
    /// What was done, for people.
    pub message: String,
}

impl Success {
    pub fn said(message: impl Into<String>) -> Self {
        Success { success: true, message: message.into() }
    }
}

/// What became of one item of a call answered item by item.
#[derive(Serialize, ToSchema)]
pub struct Outcome {
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error: Option<ErrorDetail>,
}

impl From<&Result<(), Error>> for Outcome {
    fn from(done: &Result<(), Error>) -> Self {
        match done {
            Ok(()) => Outcome { success: true, error: None },
            Err(err) => Outcome {
                success: false,
                error: Some(ErrorDetail { code: err.code().to_owned(), message: err.to_string() }),
            },
        }
    }
}

/// Each UID with what became of it.
#[derive(Serialize, ToSchema, Default)]
#[serde(transparent)]
pub struct Outcomes(BTreeMap<String, Outcome>);

impl Outcomes {
    pub fn insert(&mut self, uid: String, outcome: Outcome) {
        self.0.insert(uid, outcome);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, Outcome)> for Outcomes {
    fn from_iter<I: IntoIterator<Item = (String, Outcome)>>(items: I) -> Self {
        Outcomes(items.into_iter().collect())
    }
}

/// A new user, with the auth token asked for with `withAuthToken`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub auth_token: Option<String>,
}

/// The UIDs a bulk reactivation changed, under CometChat's name for them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Activated {
    #[schema(value_type = Vec<String>)]
    pub non_deactivated_uids: Vec<Uid>,
}

/// The UIDs a bulk deactivation changed, under CometChat's name for them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deactivated {
    #[schema(value_type = Vec<String>)]
    pub deactivated_uids: Vec<Uid>,
}

#[derive(Serialize, ToSchema)]
pub struct TokensRevoked {
    pub success: bool,
    /// How many tokens were revoked.
    pub revoked: u64,
    /// `Cleared Auth Tokens successfully for uid <uid>.`
    pub message: String,
}

/// A revoked auth token, with CometChat's words for it.
#[derive(Serialize, ToSchema)]
pub struct TokenRevoked {
    #[serde(flatten)]
    pub token: AuthTokenView,
    pub success: bool,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct FriendsAdded {
    pub accepted: Outcomes,
}

#[derive(Serialize, ToSchema)]
pub struct FriendsRemoved {
    pub removed: Outcomes,
}

/// Per list asked of, each user with what became of them.
#[derive(Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct MemberOutcomes {
    #[serde(skip_serializing_if = "Outcomes::is_empty")]
    pub admins: Outcomes,
    #[serde(skip_serializing_if = "Outcomes::is_empty")]
    pub moderators: Outcomes,
    #[serde(skip_serializing_if = "Outcomes::is_empty")]
    pub participants: Outcomes,
    #[serde(skip_serializing_if = "Outcomes::is_empty")]
    pub users_to_ban: Outcomes,
}

/// A new group, with what became of the members it was created with.
#[derive(Serialize, ToSchema)]
pub struct CreatedGroup {
    #[serde(flatten)]
    pub group: GroupView,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub members: Option<MemberOutcomes>,
}

/// One change to one user's standing in a group.
#[derive(Serialize, ToSchema)]
pub struct MemberChanged {
    pub success: bool,
    /// What was done, in CometChat's words.
    pub message: String,
    pub guid: String,
    pub uid: String,
    /// The scope the user has now, where the change gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false)]
    pub scope: Option<Scope>,
}

/// A page of messages or conversations: `meta.next` asks for the next.
#[derive(Serialize, ToSchema)]
pub struct CursorList<T> {
    pub data: Vec<T>,
    pub meta: CursorMeta,
}

#[derive(Serialize, ToSchema)]
pub struct CursorMeta {
    pub count: usize,
    /// The `cursor` of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T: Serialize> axum::response::IntoResponse for CursorList<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self).into_response()
    }
}

impl<T> CursorList<T> {
    pub fn new(data: Vec<T>, next: Option<String>) -> Self {
        CursorList { meta: CursorMeta { count: data.len(), next }, data }
    }
}
