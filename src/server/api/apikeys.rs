use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, Data, Listed, Params, answers::Envelope};
use crate::domain::{ApiKeyRef, ApiKeyView, KeyName, KeyScope, NewApiKey};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::api_keys::{self, KeyFilter, KeyUpdate, NewKey},
    state::AppState,
};
use axum::extract::{Query, State};

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
    /// `authOnly` or `fullAccess`. A production app's Auth Key cannot be
    /// raised to full access (`ERR_APIKEY_SCOPE_RAISE`): it may be in client code.
    #[schema(example = "fullAccess")]
    scope: Option<String>,
    /// Unix seconds, or `null` to remove the expiry.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<i64>)]
    expires_at: Option<Option<i64>>,
}

/// A key as named in the path: the key itself is echoed back, since the
/// caller holds it already; a key named by its id is never shown.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamedKey {
    #[serde(flatten)]
    key: ApiKeyView,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    api_key: Option<String>,
}

impl NamedKey {
    fn of(key: ApiKeyView, named: &ApiKeyRef) -> Self {
        let api_key = match named {
            ApiKeyRef::Key(key) => Some(key.clone()),
            ApiKeyRef::Id(_) => None,
        };
        NamedKey { key, api_key }
    }
}

/// A revoked key, with CometChat's words for it.
#[derive(Serialize, ToSchema)]
pub struct RevokedKey {
    #[serde(flatten)]
    key: NamedKey,
    success: bool,
    /// `The Api Key <key> has been deleted successfully.`
    message: String,
}

fn key_named(raw: &str) -> Result<ApiKeyRef> {
    Ok(ApiKeyRef::parse(raw)?)
}

/// List the app's API keys, revoked ones included. Never returns a key itself.
#[utoipa::path(get, path = "/apikeys", tag = "API keys", params(KeyListQuery),
    responses((status = 200, body = Listed<ApiKeyView>)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiCaller,
    query: Params<KeyListQuery>,
) -> Result<Listed<ApiKeyView>> {
    let Query(query) = query.map_err(|e| Error::BadRequest(e.body_text()))?;
    let filter =
        KeyFilter { scope: query.scope.as_deref().map(KeyScope::parse).transpose()?, search: query.search_key };
    let keys = api_keys::list_matching(&state.db, &api.caller, &api.app, &filter).await?;
    let total = keys.len() as i64;
    Ok(super::numbered(keys, total, total.max(1), 1))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeyListQuery {
    /// Only the keys of this scope: `authOnly` or `fullAccess`.
    scope: Option<String>,
    /// Only the keys whose name holds this text (any case).
    search_key: Option<String>,
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

/// One API key, named by the key itself or by its numeric id.
#[utoipa::path(get, path = "/apikeys/{apiKey}", tag = "API keys",
    params(("apiKey" = String, Path, description = "The key itself, or its numeric id")),
    responses((status = 200, body = Envelope<NamedKey>)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(named): ApiPath<String>,
) -> Result<Data<NamedKey>> {
    let named = key_named(&named)?;
    let key = api_keys::get(&state.db, &api.caller, &api.app, &named).await?;
    Ok(Data(NamedKey::of(key, &named)))
}

/// Rename a key, change its scope or its expiry. A key cannot update itself.
#[utoipa::path(put, path = "/apikeys/{apiKey}", tag = "API keys", request_body = UpdateKeyBody,
    params(("apiKey" = String, Path, description = "The key itself, or its numeric id")),
    responses((status = 200, body = Envelope<NamedKey>)))]
pub async fn update(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(named): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateKeyBody>,
) -> Result<Data<NamedKey>> {
    let named = key_named(&named)?;
    let update = KeyUpdate {
        name: body.name.as_deref().map(KeyName::parse).transpose()?,
        scope: body.scope.as_deref().map(KeyScope::parse).transpose()?,
        expires_at: body.expires_at,
    };
    let key = api_keys::update(&state.db, &api.caller, &api.app, &named, update).await?;
    Ok(Data(NamedKey::of(key, &named)))
}

/// Revoke a key: its next request fails. The key stays listed, marked
/// revoked, for the record. A key cannot revoke itself.
#[utoipa::path(delete, path = "/apikeys/{apiKey}", tag = "API keys",
    params(("apiKey" = String, Path, description = "The key itself, or its numeric id")),
    responses((status = 200, body = Envelope<RevokedKey>)))]
pub async fn revoke(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(named): ApiPath<String>,
) -> Result<Data<RevokedKey>> {
    let named = key_named(&named)?;
    let key = api_keys::revoke(&state.db, &api.caller, &api.app, &named).await?;
    let shown = match &named {
        ApiKeyRef::Key(key) => key.clone(),
        ApiKeyRef::Id(_) => format!("{}…", key.prefix),
    };
    let message = format!("The Api Key {shown} has been deleted successfully.");
    Ok(Data(RevokedKey { key: NamedKey::of(key, &named), success: true, message }))
}
