//! The known-device cookie: a browser an operator signed in on keeps a
//! random token, whose hash the database remembers (see `service::sign_in`).
//! It is spared the throttles others can trip on the operator's account.

use axum::http::{HeaderValue, header};
use tower_sessions::cookie::{Cookie, SameSite, time::Duration};

use crate::server::service::sign_in::DEVICE_LIFETIME;

const COOKIE: &str = "switchboard_device";

/// The token this request's browser holds, if any.
pub fn token() -> Option<String> {
    leptos::prelude::with_context::<axum::http::request::Parts, _>(|parts| {
        parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookies| {
            Cookie::split_parse(cookies).flatten().find(|c| c.name() == COOKIE).map(|c| c.value().to_owned())
        })
    })
    .flatten()
}

/// Has the browser keep `token`, for as long as the device stays known.
pub fn remember(token: &str, secure: bool) {
    let cookie = Cookie::build((COOKIE, token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(Duration::seconds(DEVICE_LIFETIME))
        .build();
    if let (Ok(value), Some(response)) =
        (HeaderValue::from_str(&cookie.to_string()), leptos::prelude::use_context::<leptos_axum::ResponseOptions>())
    {
        response.append_header(header::SET_COOKIE, value);
    }
}
