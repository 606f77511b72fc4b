//! The REST API under `/v3`: JSON in, `{"data": ...}` out, errors as
//! `{"error": {"code", "message"}}`. Handlers parse and hand over to services.

pub mod answers;
mod apikeys;
mod blocks;
mod conversation;
mod groups;
mod message_lists;
mod messages;
mod openapi;
mod reactions;
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
use axum::{
    body::Bytes,
    http::{HeaderMap, request::Parts},
};
use std::sync::Arc;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::{Page, Uid, check_metadata, storable};
use crate::server::service::{MAX_PER_PAGE, Paging, groups::Acting, messages::MAX_LIMIT};

use crate::server::{
    Error, Result,
    auth::api_key::{ApiCaller, KeyOrToken},
    state::AppState,
};

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's routes and its OpenAPI document, built from one list: each
/// handler's `#[utoipa::path]` names its method and path, so a route is
/// served exactly when it is documented.
pub fn router() -> Router<AppState> {
    let (router, document) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(apikeys::list, apikeys::create))
        .routes(routes!(apikeys::get, apikeys::update, apikeys::revoke))
        .routes(routes!(users::list, users::create, users::activate, users::deactivate))
        .routes(routes!(users::me))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::list_tokens, users::issue_token, users::revoke_tokens))
        .routes(routes!(users::get_token, users::update_token, users::revoke_token))
        .routes(routes!(users::list_friends, users::add_friends, users::remove_friends))
        .routes(routes!(blocks::list, blocks::block, blocks::unblock))
        .routes(routes!(groups::of_user))
        .routes(routes!(message_lists::between))
        .routes(routes!(messages::conversations))
        .routes(routes!(messages::mark_read))
        .routes(routes!(conversation::of_user))
        .routes(routes!(conversation::read_with_user, conversation::unread_with_user))
        .routes(routes!(conversation::delivered_with_user))
        .routes(routes!(conversation::of_group))
        .routes(routes!(conversation::read_in_group, conversation::unread_in_group))
        .routes(routes!(conversation::delivered_in_group))
        .routes(routes!(message_lists::list, messages::send))
        .routes(routes!(messages::get, messages::edit, messages::delete))
        .routes(routes!(message_lists::thread, messages::reply))
        .routes(routes!(reactions::list))
        .routes(routes!(reactions::list_one, reactions::react, reactions::unreact))
        .routes(routes!(message_lists::of_group))
        .routes(routes!(groups::list, groups::create))
        .routes(routes!(groups::get, groups::update, groups::delete))
        .routes(routes!(groups::transfer_ownership))
        .routes(routes!(groups::list_members, groups::add_members))
        .routes(routes!(groups::change_scope, groups::kick))
        .routes(routes!(groups::join))
        .routes(routes!(groups::leave))
        .routes(routes!(groups::list_banned))
        .routes(routes!(groups::ban, groups::unban))
        .routes(routes!(roles::list, roles::create))
        .routes(routes!(roles::get, roles::update, roles::delete))
        .split_for_parts();
    let document = Arc::new(openapi::finish(document));
    router
        .route("/openapi.json", get(move || std::future::ready(Json(document.clone()))))
        .route("/realtime", get(crate::server::gateway::connect))
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
// `serde_json::Value` would build a map per row.
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
#[derive(Serialize, ToSchema)]
pub struct Listed<T> {
    data: Vec<T>,
    meta: ListMeta,
}

#[derive(Serialize, ToSchema)]
struct ListMeta {
    pagination: Pagination,
    cursor: Cursor,
}

#[derive(Serialize, ToSchema)]
struct Cursor {
    /// The `cursor` of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

impl<T> Listed<T> {
    pub fn new(data: Vec<T>, pagination: Pagination, next_cursor: Option<String>) -> Self {
        Listed { data, meta: ListMeta { pagination, cursor: Cursor { next: next_cursor } } }
    }
}

#[derive(Serialize, ToSchema)]
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

/// Who acts: the user named by the `onbehalfof` header, with their scope's
/// rights and view, or else the key's app, with admin rights everywhere.
pub struct OnBehalfOf(pub Acting);

/// The caller of an endpoint client apps use too: the app's server with a
/// REST API Key, acting as the app or `onbehalfof` a user, or a user with
/// their own auth token, who always acts as themselves.
pub struct ClientCall {
    pub api: ApiCaller,
    pub on_behalf_of: OnBehalfOf,
}

impl FromRequestParts<AppState> for ClientCall {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let KeyOrToken { api, user } = KeyOrToken::from_request_parts(parts, state).await?;
        let on_behalf_of = OnBehalfOf::from_request_parts(parts, state).await?;
        let on_behalf_of = match (user, on_behalf_of.0) {
            (None, acting) => OnBehalfOf(acting),
            (Some(user), Acting::User(other)) if other != user => {
                return Err(Error::Refused {
                    code: "ERR_ONBEHALFOF_NOT_ALLOWED",
                    message: "An auth token acts only as its own user.".into(),
                });
            }
            (Some(user), _) => OnBehalfOf(Acting::User(user)),
        };
        Ok(ClientCall { api, on_behalf_of })
    }
}

impl FromRequestParts<AppState> for OnBehalfOf {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self> {
        let given = parts.headers.get("onbehalfof").map(|v| v.to_str().map(str::trim));
        match given {
            None => Ok(OnBehalfOf(Acting::App)),
            Some(Ok(raw)) => Ok(OnBehalfOf(Acting::User(Uid::parse(raw)?))),
            Some(Err(_)) => Err(Error::invalid("ERR_INVALID_UID", "The onbehalfof header is not a UID.")),
        }
    }
}

impl OnBehalfOf {
    pub(super) fn user(self) -> Result<Uid> {
        match self.0 {
            Acting::User(uid) => Ok(uid),
            Acting::App => {
                Err(Error::invalid("ERR_ONBEHALFOF_REQUIRED", "Name the user who acts in the onbehalfof header."))
            }
        }
    }
}

pub(super) fn uid(raw: &str) -> Result<Uid> {
    Ok(Uid::parse(raw)?)
}

pub(super) fn optional<T>(
    value: Option<String>,
    parse: impl Fn(&str) -> std::result::Result<T, crate::domain::Invalid>,
) -> Result<Option<T>> {
    Ok(value.as_deref().map(parse).transpose()?)
}

pub(super) fn checked_metadata(value: Value) -> Result<Value> {
    check_metadata(&value)?;
    Ok(value)
}

/// A body that may be absent: empty means the defaults.
pub(super) fn optional_body<T: DeserializeOwned + Default>(headers: &HeaderMap, body: &Bytes) -> Result<T> {
    if body.is_empty() {
        return Ok(T::default());
    }
    let is_json =
        headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(Error::BadRequest("Send the body as JSON, with Content-Type: application/json.".into()));
    }
    serde_json::from_slice(body).map_err(|e| Error::BadRequest(e.to_string()))
}

/// A comma-separated list from the query string.
pub(super) fn split(list: Option<String>, what: &str) -> Result<Vec<String>> {
    let items: Option<Vec<String>> =
        list.map(|l| l.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect());
    Ok(items.unwrap_or_default().into_iter().map(|item| storable(item, what)).collect::<std::result::Result<_, _>>()?)
}

/// `searchIn`: one of two fields (its index), or both (`None`), named
/// comma-separated in any order; both when left out.
pub(super) fn one_of_two(given: Option<&str>, fields: [&str; 2]) -> Result<Option<usize>> {
    let Some(given) = given else { return Ok(None) };
    let mut named = [false; 2];
    for field in given.split(',').map(str::trim) {
        let Some(at) = fields.iter().position(|f| *f == field) else {
            let [a, b] = fields;
            return Err(Error::invalid("ERR_INVALID_SEARCH_IN", format!("searchIn is {a}, {b}, or {a},{b}.")));
        };
        named[at] = true;
    }
    Ok(match named {
        [true, false] => Some(0),
        [false, true] => Some(1),
        _ => None,
    })
}

/// A search key from the query string.
pub(super) fn search_key(key: Option<String>) -> Result<Option<String>> {
    Ok(key.map(|key| storable(key, "searchKey")).transpose()?)
}

pub(super) fn uids(raw: &[String]) -> Result<Vec<Uid>> {
    Ok(raw.iter().map(|u| Uid::parse(u)).collect::<std::result::Result<Vec<_>, _>>()?)
}

/// Query parameters whose rejection we answer ourselves.
pub(super) type Params<T> = std::result::Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>;

/// `perPage` (100 when left out), `cursor` and `page`, checked; a cursor
/// wins over a page number.
pub(super) fn paging(per_page: Option<i64>, page: Option<i64>, cursor: Option<String>) -> Result<Paging> {
    let per_page = per_page.unwrap_or(100);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(Error::invalid("ERR_INVALID_PER_PAGE", format!("perPage is 1 to {MAX_PER_PAGE}.")));
    }
    if page.is_some_and(|page| page < 1) {
        return Err(Error::invalid("ERR_INVALID_PAGE", "page starts at 1."));
    }
    Ok(Paging { per_page, page: if cursor.is_some() { None } else { page }, cursor })
}

/// `perPage` and `page` of a list read by page number alone.
#[derive(serde::Deserialize, utoipa::IntoParams, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1 to 1000; 100 when left out.
    pub(super) per_page: Option<i64>,
    /// From 1.
    pub(super) page: Option<i64>,
}

/// `perPage` (100 when left out) and `page` (1), checked.
pub(super) fn page_params(params: Params<PageParams>) -> Result<(i64, i64)> {
    let axum::extract::Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let paging = paging(p.per_page, p.page, None)?;
    Ok((paging.per_page, paging.page.unwrap_or(1)))
}

/// A page of a list read by page number, with its pagination.
pub(super) fn numbered<T>(items: Vec<T>, total: i64, per_page: i64, page: i64) -> Listed<T> {
    let pagination = Pagination::new(total, true, items.len(), per_page, page);
    Listed::new(items, pagination, None)
}

/// A page as the REST lists answer it.
pub(super) fn listed<T>(page: Page<T>, paging: &Paging) -> Listed<T> {
    let pagination =
        Pagination::new(page.total, page.total_is_exact, page.items.len(), paging.per_page, paging.page.unwrap_or(1));
    Listed::new(page.items, pagination, page.next_cursor)
}

/// `field`, named in an update's `unset`, is not one it takes (`takes`).
fn cannot_unset(field: &str, takes: &str) -> Error {
    Error::invalid("ERR_INVALID_UNSET", format!("{field} cannot be unset; unset takes {takes}."))
}

/// A message id from a body: a whole number from 1.
pub(super) fn message_id(raw: i64) -> Result<i64> {
    if raw < 1 {
        return Err(Error::invalid("ERR_INVALID_MESSAGE_ID", "A message id is a whole number from 1."));
    }
    Ok(raw)
}

pub(super) fn path_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>()
        .map_err(|_| Error::invalid("ERR_INVALID_MESSAGE_ID", "A message id is a whole number from 1."))
        .and_then(message_id)
}

/// A page size: 1 to 1,000, 100 when left out.
pub(super) fn limit(given: Option<i64>) -> Result<i64> {
    let limit = given.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid("ERR_INVALID_LIMIT", format!("limit is 1 to {MAX_LIMIT}.")));
    }
    Ok(limit)
}
