use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiJson, ApiPath, Data, answers::Envelope};
use crate::domain::{ApiKeyView, KeyName, KeyScope, NewApiKey};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::api_keys::{self, KeyUpdate, NewKey},
    state::AppState,
};
use axum::extract::State;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateKeyBody {
    /// A label for people, 1 to 100 characters.
    name: String,
    /// `authOnly` (Auth Key) or `fullAccess` (REST API Key).
    #[schema(example = "fullAccess")]
    scope: String,
    /// Unix seconds; the key stops working then.
    expires_at: Option<i64>,
    /// Must be true to create an Auth Key for a production app.
    #[serde(default)]
    confirm_auth_key_in_production: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateKeyBody {
    name: Option<String>,
    /// Unix seconds, or `null` to remove the expiry.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<i64>)]
    expires_at: Option<Option<i64>>,
}

fn key_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Error::invalid("ERR_INVALID_APIKEY_ID", "An API key id is a positive whole number."))
}

/// List the app's API keys, revoked ones included. Never returns a key itself.
#[utoipa::path(get, path = "/apikeys", tag = "API keys",
    responses((status = 200, body = Envelope<Vec<ApiKeyView>>)))]
pub async fn list(State(state): State<AppState>, api: ApiCaller) -> Result<Data<Vec<ApiKeyView>>> {
    api_keys::list(&state.db, &api.caller, &api.app).await.map(Data)
}

/// Create an API key. The answer holds the full key, the only time it is shown.
#[utoipa::path(post, path = "/apikeys", tag = "API keys", request_body = CreateKeyBody,
    responses((status = 200, body = Envelope<NewApiKey>)))]
pub async fn create(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiJson(body): ApiJson<CreateKeyBody>,
) -> Result<Data<NewApiKey>> {
    let new = NewKey {
        name: KeyName::parse(&body.name)?,
        scope: KeyScope::parse(&body.scope)?,
        expires_at: body.expires_at,
        confirm_auth_key_in_production: body.confirm_auth_key_in_production,
    };
    api_keys::create(&state.db, &api.caller, &api.app, new).await.map(Data)
}

/// One API key, by its id.
#[utoipa::path(get, path = "/apikeys/{id}", tag = "API keys",
    params(("id" = i64, Path, description = "The key's id (not the key)")),
    responses((status = 200, body = Envelope<ApiKeyView>)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Data<ApiKeyView>> {
    api_keys::get(&state.db, &api.caller, &api.app, key_id(&id)?).await.map(Data)
}

/// Rename a key or change its expiry. A key cannot update itself.
#[utoipa::path(put, path = "/apikeys/{id}", tag = "API keys", request_body = UpdateKeyBody,
    params(("id" = i64, Path, description = "The key's id (not the key)")),
    responses((status = 200, body = Envelope<ApiKeyView>)))]
pub async fn update(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateKeyBody>,
) -> Result<Data<ApiKeyView>> {
    let update = KeyUpdate { name: body.name.as_deref().map(KeyName::parse).transpose()?, expires_at: body.expires_at };
    api_keys::update(&state.db, &api.caller, &api.app, key_id(&id)?, update).await.map(Data)
}

/// Revoke a key: its next request fails. The key stays listed, marked
/// revoked, for the record. A key cannot revoke itself.
#[utoipa::path(delete, path = "/apikeys/{id}", tag = "API keys",
    params(("id" = i64, Path, description = "The key's id (not the key)")),
    responses((status = 200, body = Envelope<ApiKeyView>)))]
pub async fn revoke(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Data<ApiKeyView>> {
    api_keys::revoke(&state.db, &api.caller, &api.app, key_id(&id)?).await.map(Data)
}
