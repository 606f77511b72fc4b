//! The REST API under `/v3`: JSON in, `{"data": ...}` out, errors as
//! `{"error": {"code", "message"}}`. Handlers parse and hand over to services.

mod apikeys;
mod openapi;
mod roles;
mod users;

use axum::{
    Json, Router,
    extract::{
        DefaultBodyLimit, FromRequest, FromRequestParts,
        rejection::{JsonRejection, PathRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;

use crate::server::{Error, state::AppState};

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apikeys", get(apikeys::list).post(apikeys::create))
        .route("/apikeys/{id}", get(apikeys::get).put(apikeys::update).delete(apikeys::revoke))
        .route("/users", get(users::list).post(users::create).put(users::activate).delete(users::deactivate))
        .route("/users/{uid}", get(users::get).put(users::update).delete(users::delete))
        .route(
            "/users/{uid}/auth_tokens",
            get(users::list_tokens).post(users::issue_token).delete(users::revoke_tokens),
        )
        .route("/users/{uid}/auth_tokens/{token}", get(users::get_token).delete(users::revoke_token))
        .route("/users/{uid}/friends", get(users::list_friends).post(users::add_friends).delete(users::remove_friends))
        .route("/roles", get(roles::list).post(roles::create))
        .route("/roles/{role}", get(roles::get).put(roles::update).delete(roles::delete))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { Error::NoRoute })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// A JSON body whose every rejection is one of ours, with a code.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct ApiJson<T>(pub T);

/// A path parameter whose rejection is one of ours too.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => Error::BadRequest(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => {
                Error::BadRequest(format!("The body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => {
                Error::BadRequest("Send the body as JSON, with Content-Type: application/json.".into())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Error::PayloadTooLarge { limit: MAX_BODY_BYTES }
            }
            other => Error::BadRequest(other.body_text()),
        }
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::BadRequest(rejection.body_text())
    }
}

/// A successful answer: `{"data": ...}`.
pub struct Data<T>(pub T);

// Answers are serialized straight from their types: going through a
// `serde_json::Value` built a map per user, a tenth of a list's time.
impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Answer<T> {
            data: T,
        }
        Json(Answer { data: self.0 }).into_response()
    }
}

/// A page of a list: `{"data": [...], "meta": {"pagination": ..., "cursor": {"next": ...}}}`.
#[derive(Serialize)]
pub struct Listed<T> {
    data: Vec<T>,
    meta: ListMeta,
}

#[derive(Serialize)]
struct ListMeta {
    pagination: Pagination,
    cursor: Cursor,
}

#[derive(Serialize)]
struct Cursor {
    next: Option<String>,
}

impl<T> Listed<T> {
    pub fn new(data: Vec<T>, pagination: Pagination, next_cursor: Option<String>) -> Self {
        Listed { data, meta: ListMeta { pagination, cursor: Cursor { next: next_cursor } } }
    }
}

#[derive(Serialize)]
pub struct Pagination {
    total: i64,
    /// False when a filtered list had more matches than it counts.
    total_is_exact: bool,
    count: usize,
    per_page: i64,
    current_page: i64,
    total_pages: i64,
}

impl Pagination {
    pub fn new(total: i64, total_is_exact: bool, count: usize, per_page: i64, current_page: i64) -> Self {
        Pagination {
            total,
            total_is_exact,
            count,
            per_page,
            current_page,
            total_pages: (total + per_page - 1) / per_page,
        }
    }
}

impl<T: Serialize> IntoResponse for Listed<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// Serde helper: tells a field sent as `null` (`Some(None)`) from one left
/// out (`None`), for updates that can clear a value.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}
