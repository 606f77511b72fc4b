//! The REST API's caller: an app's API key, from the `appid` and `apikey`
//! headers, or, on the endpoints client apps use, a user's auth token from
//! `appid` and `authtoken`; checked before any handler runs.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::{Actor, Caller};
use crate::domain::{AppId, Uid};
use crate::server::{
    Error,
    service::{apps::App, auth_tokens, gateway},
    state::AppState,
};

pub struct ApiCaller {
    pub caller: Caller,
    pub app: App,
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let app_id = header(parts, "appid").ok_or(Error::EmptyAppId)?;
        let app_id = AppId::parse(app_id).map_err(|_| Error::InvalidAppId)?;
        let key = header(parts, "apikey").ok_or(Error::EmptyApiKey)?;
        let ip = super::peer_ip(parts);
        let (app, actor) = crate::server::service::api_keys::authenticate(&state.db, &app_id, key).await?;
        Ok(ApiCaller { caller: Caller { actor, ip }, app })
    }
}

/// A caller that is either the app's server, with an API key, or one of
/// its users, with their own auth token (and then named here).
pub struct KeyOrToken {
    pub api: ApiCaller,
    pub user: Option<Uid>,
}

impl FromRequestParts<AppState> for KeyOrToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let (Some(token), None) = (header(parts, "authtoken"), header(parts, "apikey")) else {
            return Ok(KeyOrToken { api: ApiCaller::from_request_parts(parts, state).await?, user: None });
        };
        let app = gateway::app(&state.db, header(parts, "appid").ok_or(Error::EmptyAppId)?).await?;
        let holder = auth_tokens::authenticate(&state.db, &app, token).await?;
        let caller = Caller { actor: Actor::User { app: app.id, uid: holder.uid.clone() }, ip: super::peer_ip(parts) };
        Ok(KeyOrToken { api: ApiCaller { caller, app }, user: Some(holder.uid) })
    }
}
