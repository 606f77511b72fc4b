use axum::{
    body::Bytes,
    extract::{Query, State},
    http::HeaderMap,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    ApiJson, ApiPath, ClientCall, Data, Listed, OnBehalfOf, PageParams, Params,
    answers::{
        Activated, CreatedUser, Deactivated, Envelope, FriendsAdded, FriendsRemoved, Outcome, Outcomes, Success,
        TokenRevoked, TokensRevoked,
    },
    checked_metadata, listed, optional, optional_body, paging, present, search_key, split, uid, uids,
};
use crate::domain::{
    AuthTokenView, NewAuthToken, Presence, RoleId, Showing, SortOrder, Uid, UserSort, UserView, parse_status_message,
    parse_tags, parse_user_name, parse_web_url, storable,
};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::{
        auth_tokens::{self, Device, DeviceUpdate},
        friends,
        groups::Acting,
        users::{self, SearchIn, UserFields, UserOrder, UserQuery},
    },
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUserBody {
    /// 1 to 100 of `A-Z a-z 0-9 _ -`; stored lowercase.
    uid: String,
    name: String,
    avatar: Option<String>,
    link: Option<String>,
    /// Defaults to `default`.
    role: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    tags: Option<Vec<String>>,
    status_message: Option<String>,
    /// Also issue the user's first auth token, returned as `authToken`.
    #[serde(default)]
    with_auth_token: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUserBody {
    name: Option<String>,
    avatar: Option<String>,
    link: Option<String>,
    role: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    status_message: Option<Option<String>>,
    /// Fields to clear: any of `avatar`, `link`, `metadata`, `statusMessage`.
    #[serde(default)]
    unset: Vec<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteUserBody {
    /// Remove the user and all that belongs to them, instead of deactivating.
    #[serde(default)]
    permanent: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivateUsersBody {
    uids_to_activate: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeactivateUsersBody {
    uids_to_deactivate: Vec<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueTokenBody {
    platform: Option<String>,
    user_agent: Option<String>,
    /// Accepted for compatibility: every call mints a new token, since
    /// stored tokens are hashed and cannot be shown again.
    #[serde(default)]
    #[allow(dead_code)]
    force: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersParams {
    /// A prefix of the UID or the name, any case.
    search_key: Option<String>,
    /// `uid`, `name`, or both as `name,uid` (the default).
    search_in: Option<String>,
    role: Option<String>,
    /// Comma-separated role ids.
    roles: Option<String>,
    /// Comma-separated tags: users with any of them.
    tags: Option<String>,
    /// `available` or `offline`.
    status: Option<String>,
    /// Accepted as CometChat documents it: `meta.pagination.total` is always given.
    #[serde(default)]
    #[allow(dead_code)]
    count: bool,
    /// Accepted as CometChat documents it: users always carry their `tags`.
    #[serde(default)]
    #[allow(dead_code)]
    with_tags: bool,
    #[serde(default)]
    only_deactivated: bool,
    #[serde(default)]
    with_deactivated: bool,
    /// `uid`, `name`, `createdAt` or `lastActiveAt`. Left out: `uid`, except that a search
    /// reads by the text that matched (the name, for `searchIn=name`).
    sort_by: Option<String>,
    /// `asc` (default) or `desc`.
    sort_order: Option<String>,
    /// 1 to 1000; 100 when left out.
    per_page: Option<i64>,
    /// Offset paging; prefer `cursor` for deep pages.
    page: Option<i64>,
    /// `meta.cursor.next` of the previous page.
    cursor: Option<String>,
}

/// Create a user; allowed to Auth Keys. With `withAuthToken`, the answer
/// also holds the user's first auth token, shown this once.
#[utoipa::path(post, path = "/users", tag = "Users", request_body = CreateUserBody,
    responses((status = 200, body = Envelope<CreatedUser>)))]
pub async fn create(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<Data<CreatedUser>> {
    let uid = uid(&body.uid)?;
    let fields = UserFields {
        name: Some(parse_user_name(&body.name)?),
        avatar: Some(optional(body.avatar, |v| parse_web_url(v, "ERR_INVALID_AVATAR"))?),
        link: Some(optional(body.link, |v| parse_web_url(v, "ERR_INVALID_LINK"))?),
        role: optional(body.role, RoleId::parse)?,
        metadata: Some(body.metadata.map(checked_metadata).transpose()?),
        tags: body.tags.as_deref().map(parse_tags).transpose()?,
        status_message: Some(optional(body.status_message, parse_status_message)?),
    };
    let device = body.with_auth_token.then(Device::default);
    let (user, token) = users::create(&state.db, &api.caller, &api.app, uid, fields, device).await?;
    Ok(Data(CreatedUser { user, auth_token: token.map(|token| token.auth_token) }))
}

/// List users: prefix search, filters, and paging by cursor (stable however
/// deep) or by page number.
#[utoipa::path(get, path = "/users", tag = "Users", params(ListUsersParams),
    responses((status = 200, body = Listed<UserView>)))]
pub async fn list(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of: OnBehalfOf(acting) }: ClientCall,
    params: ListParams,
) -> Result<Listed<UserView>> {
    let query = user_query(params, None)?;
    let paging = query.paging.clone();
    let page = match acting {
        Acting::App => users::list(&state.db, &api.caller, &api.app, query).await?,
        Acting::User(viewer) => users::list_seen_by(&state.db, &api.caller, &api.app, &viewer, query).await?,
    };
    Ok(listed(page, &paging))
}

/// A user's friends, with the same search and paging as the users list.
#[utoipa::path(get, path = "/users/{uid}/friends", tag = "Friends", params(ListUsersParams),
    responses((status = 200, body = Listed<UserView>)))]
pub async fn list_friends(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    params: ListParams,
) -> Result<Listed<UserView>> {
    listing(&state, &api, user_query(params, Some(uid(&raw)?))?).await
}

type ListParams = Params<ListUsersParams>;

async fn listing(state: &AppState, api: &ApiCaller, query: UserQuery) -> Result<Listed<UserView>> {
    let paging = query.paging.clone();
    let page = users::list(&state.db, &api.caller, &api.app, query).await?;
    Ok(listed(page, &paging))
}

fn user_query(params: ListParams, friends_of: Option<Uid>) -> Result<UserQuery> {
    let Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let search_in = search_in(p.search_in.as_deref())?;
    let sort = p.sort_by.as_deref().map(UserSort::parse).transpose()?;
    let order = UserOrder::chosen(sort, search_in, p.search_key.is_some());
    let descending = p.sort_order.as_deref().map(SortOrder::parse).transpose()? == Some(SortOrder::Desc);
    let mut roles = split(p.roles, "roles")?;
    roles.extend(p.role);
    let roles = roles.iter().map(|r| RoleId::parse(r)).collect::<std::result::Result<Vec<_>, _>>()?;
    let status = p.status.as_deref().map(Presence::parse).transpose()?;
    let showing = match (p.only_deactivated, p.with_deactivated) {
        (true, _) => Showing::Deactivated,
        (false, true) => Showing::All,
        (false, false) => Showing::Active,
    };
    Ok(UserQuery {
        search: search_key(p.search_key)?,
        search_in,
        roles,
        tags: split(p.tags, "tags")?,
        friends_of,
        blocked_by: None,
        status,
        showing,
        order,
        descending,
        paging: paging(p.per_page, p.page, p.cursor)?,
    })
}

/// Where `searchKey` looks: `uid`, `name`, or both (`name,uid`, in any order).
fn search_in(given: Option<&str>) -> Result<SearchIn> {
    Ok(match super::one_of_two(given, ["uid", "name"])? {
        Some(0) => SearchIn::Uid,
        Some(_) => SearchIn::Name,
        None => SearchIn::Either,
    })
}

/// The user who calls: the auth token's, or the `onbehalfof` user.
#[utoipa::path(get, path = "/me", tag = "Users",
    responses((status = 200, body = Envelope<UserView>)))]
pub async fn me(State(state): State<AppState>, ClientCall { api, on_behalf_of }: ClientCall) -> Result<Data<UserView>> {
    users::get(&state.db, &api.caller, &api.app, &on_behalf_of.user()?).await.map(Data)
}

#[utoipa::path(get, path = "/users/{uid}", tag = "Users",
    responses((status = 200, body = Envelope<UserView>)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<UserView>> {
    users::get(&state.db, &api.caller, &api.app, &uid(&raw)?).await.map(Data)
}

/// Update a user; `unset` clears avatar, link, metadata or statusMessage.
#[utoipa::path(put, path = "/users/{uid}", tag = "Users", request_body = UpdateUserBody,
    responses((status = 200, body = Envelope<UserView>)))]
pub async fn update(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateUserBody>,
) -> Result<Data<UserView>> {
    let mut fields = UserFields {
        name: optional(body.name, parse_user_name)?,
        avatar: optional(body.avatar, |v| parse_web_url(v, "ERR_INVALID_AVATAR"))?.map(Some),
        link: optional(body.link, |v| parse_web_url(v, "ERR_INVALID_LINK"))?.map(Some),
        role: optional(body.role, RoleId::parse)?,
        metadata: body.metadata.map(checked_metadata).transpose()?.map(Some),
        tags: body.tags.as_deref().map(parse_tags).transpose()?,
        status_message: body.status_message.map(|m| optional(m, parse_status_message)).transpose()?,
    };
    for field in &body.unset {
        match field.as_str() {
            "avatar" => fields.avatar = Some(None),
            "link" => fields.link = Some(None),
            "metadata" => fields.metadata = Some(None),
            "statusMessage" => fields.status_message = Some(None),
            other => {
                return Err(super::cannot_unset(other, "avatar, link, metadata and statusMessage"));
            }
        }
    }
    users::update(&state.db, &api.caller, &api.app, &uid(&raw)?, fields).await.map(Data)
}

/// Deactivate a user, or with `{"permanent": true}` delete them and all that
/// is theirs.
#[utoipa::path(delete, path = "/users/{uid}", tag = "Users", request_body = Option<DeleteUserBody>,
    responses((status = 200, body = Envelope<Success>)))]
pub async fn delete(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<Success>> {
    let body: DeleteUserBody = optional_body(&headers, &body)?;
    let uid = uid(&raw)?;
    if body.permanent {
        let deleted = users::delete_permanently(&state.db, &api.caller, &api.app, std::slice::from_ref(&uid)).await?;
        if deleted.is_empty() {
            return Err(users::uid_not_found(&uid));
        }
    } else {
        users::get(&state.db, &api.caller, &api.app, &uid).await?;
        users::set_deactivated(&state.db, &api.caller, &api.app, std::slice::from_ref(&uid), true).await?;
    }
    Ok(Data(Success::said(format!("User with {uid} has been deleted successfully."))))
}

/// Reactivate users in bulk; answers the UIDs that changed.
#[utoipa::path(put, path = "/users", tag = "Users", request_body = ActivateUsersBody,
    responses((status = 200, body = Envelope<Activated>)))]
pub async fn activate(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiJson(body): ApiJson<ActivateUsersBody>,
) -> Result<Data<Activated>> {
    let changed =
        users::set_deactivated(&state.db, &api.caller, &api.app, &uids(&body.uids_to_activate)?, false).await?;
    Ok(Data(Activated { non_deactivated_uids: changed }))
}

/// Deactivate users in bulk; answers the UIDs that changed.
#[utoipa::path(delete, path = "/users", tag = "Users", request_body = DeactivateUsersBody,
    responses((status = 200, body = Envelope<Deactivated>)))]
pub async fn deactivate(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiJson(body): ApiJson<DeactivateUsersBody>,
) -> Result<Data<Deactivated>> {
    let changed =
        users::set_deactivated(&state.db, &api.caller, &api.app, &uids(&body.uids_to_deactivate)?, true).await?;
    Ok(Data(Deactivated { deactivated_uids: changed }))
}

/// Issue an auth token for one of the user's devices; allowed to Auth Keys.
#[utoipa::path(post, path = "/users/{uid}/auth_tokens", tag = "Auth tokens", request_body = Option<IssueTokenBody>,
    responses((status = 200, body = Envelope<NewAuthToken>)))]
pub async fn issue_token(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<NewAuthToken>> {
    let body: IssueTokenBody = optional_body(&headers, &body)?;
    let device = Device {
        platform: device_text(body.platform, "platform")?,
        user_agent: device_text(body.user_agent, "userAgent")?,
    };
    auth_tokens::issue(&state.db, &api.caller, &api.app, &uid(&raw)?, device).await.map(Data)
}

/// The user's auth tokens, oldest first, a page at a time: never the tokens themselves.
#[utoipa::path(get, path = "/users/{uid}/auth_tokens", tag = "Auth tokens", params(PageParams),
    responses((status = 200, body = Listed<AuthTokenView>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    params: Params<PageParams>,
) -> Result<Listed<AuthTokenView>> {
    let (per_page, page) = super::page_params(params)?;
    let (tokens, total) = auth_tokens::page(&state.db, &api.caller, &api.app, &uid(&raw)?, per_page, page).await?;
    Ok(super::numbered(tokens, total, per_page, page))
}

/// Revoke every auth token of the user.
#[utoipa::path(delete, path = "/users/{uid}/auth_tokens", tag = "Auth tokens",
    responses((status = 200, body = Envelope<TokensRevoked>)))]
pub async fn revoke_tokens(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<TokensRevoked>> {
    let uid = uid(&raw)?;
    let count = auth_tokens::revoke_all(&state.db, &api.caller, &api.app, &uid).await?;
    let message = format!("Cleared Auth Tokens successfully for uid {uid}.");
    Ok(Data(TokensRevoked { success: true, revoked: count, message }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateTokenBody {
    /// Such as `web`, `android` or `ios`; at most 200 characters.
    platform: Option<String>,
    /// At most 200 characters.
    user_agent: Option<String>,
    /// What the device's app says of itself, such as its version: an object.
    /// Answers carry it as that object's JSON text.
    #[schema(value_type = Option<Object>)]
    app_info: Option<Value>,
}

/// At most 200 characters of text, or absent.
fn device_text(value: Option<String>, what: &str) -> Result<Option<String>> {
    match value {
        Some(v) if v.chars().count() > 200 => {
            Err(Error::invalid("ERR_INVALID_DEVICE", format!("{what} is at most 200 characters.")))
        }
        other => Ok(other.map(|v| storable(v, what)).transpose()?),
    }
}

/// Change what one auth token's device is known by: its platform, user
/// agent and app info. What the body leaves out stays.
#[utoipa::path(put, path = "/users/{uid}/auth_tokens/{authToken}", tag = "Auth tokens",
    request_body = UpdateTokenBody, responses((status = 200, body = Envelope<AuthTokenView>)))]
pub async fn update_token(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath((raw, token)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<UpdateTokenBody>,
) -> Result<Data<AuthTokenView>> {
    let app_info = match body.app_info {
        Some(info @ Value::Object(_)) => Some(checked_metadata(info)?.to_string()),
        Some(_) => return Err(Error::invalid("ERR_INVALID_DEVICE", "appInfo is a JSON object.")),
        None => None,
    };
    let update = DeviceUpdate {
        platform: device_text(body.platform, "platform")?,
        user_agent: device_text(body.user_agent, "userAgent")?,
        app_info,
    };
    auth_tokens::update(&state.db, &api.caller, &api.app, &uid(&raw)?, &token, update).await.map(Data)
}

/// One auth token, by its id or by the token itself.
#[utoipa::path(get, path = "/users/{uid}/auth_tokens/{authToken}", tag = "Auth tokens",
    responses((status = 200, body = Envelope<AuthTokenView>)))]
pub async fn get_token(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath((raw, token)): ApiPath<(String, String)>,
) -> Result<Data<AuthTokenView>> {
    auth_tokens::get(&state.db, &api.caller, &api.app, &uid(&raw)?, &token).await.map(Data)
}

/// Revoke one auth token, by its id or by the token itself.
#[utoipa::path(delete, path = "/users/{uid}/auth_tokens/{authToken}", tag = "Auth tokens",
    responses((status = 200, body = Envelope<TokenRevoked>)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath((raw, token)): ApiPath<(String, String)>,
) -> Result<Data<TokenRevoked>> {
    let uid = uid(&raw)?;
    let token = auth_tokens::revoke(&state.db, &api.caller, &api.app, &uid, &token).await?;
    let message = format!("The auth token {}… of uid {uid} has been deleted successfully.", token.prefix);
    Ok(Data(TokenRevoked { token, success: true, message }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddFriendsBody {
    /// 1 to 25 UIDs.
    accepted: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoveFriendsBody {
    /// 1 to 25 UIDs.
    friends: Vec<String>,
}

/// `{uid: outcome}` per UID; see `outcome`.
fn outcomes(outcomes: Vec<friends::Outcome>) -> Outcomes {
    outcomes.into_iter().map(|(uid, done)| (uid.to_string(), Outcome::from(&done))).collect()
}

/// Make users friends of this user (both ways); answers per UID.
#[utoipa::path(post, path = "/users/{uid}/friends", tag = "Friends", request_body = AddFriendsBody,
    responses((status = 200, body = Envelope<FriendsAdded>)))]
pub async fn add_friends(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<AddFriendsBody>,
) -> Result<Data<FriendsAdded>> {
    let done = friends::add(&state.db, &api.caller, &api.app, &uid(&raw)?, &uids(&body.accepted)?).await?;
    Ok(Data(FriendsAdded { accepted: outcomes(done) }))
}

/// End friendships; answers per UID.
#[utoipa::path(delete, path = "/users/{uid}/friends", tag = "Friends", request_body = RemoveFriendsBody,
    responses((status = 200, body = Envelope<FriendsRemoved>)))]
pub async fn remove_friends(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<RemoveFriendsBody>,
) -> Result<Data<FriendsRemoved>> {
    let done = friends::remove(&state.db, &api.caller, &api.app, &uid(&raw)?, &uids(&body.friends)?).await?;
    Ok(Data(FriendsRemoved { removed: outcomes(done) }))
}
