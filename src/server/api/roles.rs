use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    ApiJson, ApiPath, Data,
    answers::{Envelope, Success},
    optional,
};
use crate::domain::{Reach, RoleId, RoleView, check_metadata, parse_description, parse_role_name};
use crate::server::{
    Result,
    auth::api_key::ApiCaller,
    service::roles::{self, RoleFields},
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRoleBody {
    /// Same rules as a UID; stored lowercase.
    role: String,
    name: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    settings: Option<SettingsBody>,
}

/// Whom the role's users list, and whom they may write to: `all` (the
/// default) or `friendsOnly`. A setting left out stays as it is.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsBody {
    list_users: Option<String>,
    send_messages_to: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateRoleBody {
    name: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    settings: Option<SettingsBody>,
    /// Fields to clear: `metadata`.
    #[serde(default)]
    unset: Vec<String>,
}

fn fields(
    name: Option<String>,
    description: Option<String>,
    metadata: Option<Value>,
    settings: Option<SettingsBody>,
) -> Result<RoleFields> {
    if let Some(metadata) = &metadata {
        check_metadata(metadata)?;
    }
    let settings = settings.unwrap_or_default();
    Ok(RoleFields {
        name: name.as_deref().map(parse_role_name).transpose()?,
        description: description.as_deref().map(parse_description).transpose()?,
        metadata: metadata.map(Some),
        list_users: optional(settings.list_users, Reach::parse)?,
        send_messages_to: optional(settings.send_messages_to, Reach::parse)?,
    })
}

fn role(raw: &str) -> Result<RoleId> {
    Ok(RoleId::parse(raw)?)
}

/// Create a role. An app has at most 25, `default` included.
#[utoipa::path(post, path = "/roles", tag = "Roles", request_body = CreateRoleBody,
    responses((status = 200, body = Envelope<RoleView>)))]
pub async fn create(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiJson(body): ApiJson<CreateRoleBody>,
) -> Result<Data<RoleView>> {
    let id = role(&body.role)?;
    let fields = fields(body.name, body.description, body.metadata, body.settings)?;
    roles::create(&state.db, &api.caller, &api.app, id, fields).await.map(Data)
}

/// The app's roles, by id, a page at a time.
#[utoipa::path(get, path = "/roles", tag = "Roles", params(super::PageParams),
    responses((status = 200, body = super::Listed<RoleView>)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiCaller,
    params: super::Params<super::PageParams>,
) -> Result<super::Listed<RoleView>> {
    let (per_page, page) = super::page_params(params)?;
    let all = roles::list(&state.db, &api.caller, &api.app).await?;
    let total = all.len() as i64;
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let roles = all.into_iter().skip(skip).take(per_page as usize).collect();
    Ok(super::numbered(roles, total, per_page, page))
}

#[utoipa::path(get, path = "/roles/{role}", tag = "Roles",
    responses((status = 200, body = Envelope<RoleView>)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<RoleView>> {
    roles::get(&state.db, &api.caller, &api.app, &role(&raw)?).await.map(Data)
}

#[utoipa::path(put, path = "/roles/{role}", tag = "Roles", request_body = UpdateRoleBody,
    responses((status = 200, body = Envelope<RoleView>)))]
pub async fn update(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateRoleBody>,
) -> Result<Data<RoleView>> {
    let mut fields = fields(body.name, body.description, body.metadata, body.settings)?;
    for field in &body.unset {
        match field.as_str() {
            "metadata" => fields.metadata = Some(None),
            other => {
                return Err(super::cannot_unset(other, "metadata"));
            }
        }
    }
    roles::update(&state.db, &api.caller, &api.app, &role(&raw)?, fields).await.map(Data)
}

/// Delete a role no user holds; `default` cannot be deleted.
#[utoipa::path(delete, path = "/roles/{role}", tag = "Roles",
    responses((status = 200, body = Envelope<Success>)))]
pub async fn delete(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<Success>> {
    let role = role(&raw)?;
    roles::delete(&state.db, &api.caller, &api.app, &role).await?;
    Ok(Data(Success::said(format!("Role {role} has been deleted successfully."))))
}
