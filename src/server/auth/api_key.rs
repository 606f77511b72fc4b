//! The REST API's caller: an app's API key, from the `appid` and `apikey`
//! headers, checked before any handler runs.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::Caller;
use crate::domain::AppId;
use crate::server::{Error, service::apps::App, state::AppState};

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
