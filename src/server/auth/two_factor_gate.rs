//! The gate in front of every dashboard page and server function: an
//! operator whose role must use a second factor, signed in with a password
//! alone, may only set one up. Pages send them to the set-up page; server
//! functions answer `ERR_TWO_FACTOR_REQUIRED` before their arguments are
//! even read.

use axum::{
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use super::session::RequestMemo;
use crate::domain::ApiError;
use crate::server::{Error, state::AppState};

/// The page where a second factor is set up.
pub const SET_UP_PAGE: &str = "/account/two-factor";

/// Server functions open to a gated session: those under these prefixes
/// (their `#[server(prefix = ...)]`): who is signed in and signing out, and
/// setting up the second factor.
pub const OPEN_PREFIXES: [&str; 2] = ["/api/session/", "/api/two-factor/"];

fn open_while_gated(method: &Method, path: &str) -> bool {
    if method == Method::GET && !path.starts_with("/api/") {
        return path == SET_UP_PAGE;
    }
    OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

/// Reads the signed-in operator once for the request (the request's
/// [`RequestMemo`] keeps it for the page and server function) and stops a
/// gated session anywhere but where a second factor is set up.
pub async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let memo = RequestMemo::default();
    request.extensions_mut().insert(memo.clone());
    let Some(session) = request.extensions().get::<Session>().cloned() else { return next.run(request).await };
    let path = request.uri().path().to_owned();
    // A failed read is left for the handler, which reads again and answers it.
    let Ok(Some((_, true))) = memo.signed_in(&state.db, &session, &path).await else {
        return next.run(request).await;
    };
    if open_while_gated(request.method(), &path) {
        return next.run(request).await;
    }
    if request.method() == Method::GET && !path.starts_with("/api/") {
        return Redirect::to(SET_UP_PAGE).into_response();
    }
    let error = Error::TwoFactorRequired;
    (StatusCode::FORBIDDEN, axum::Json(ApiError { code: error.code().to_owned(), message: error.to_string() }))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gated_session_reaches_only_the_set_up_page_and_its_functions() {
        assert!(open_while_gated(&Method::GET, SET_UP_PAGE));
        assert!(open_while_gated(&Method::POST, "/api/two-factor/begin_totp_setup123"));
        assert!(open_while_gated(&Method::POST, "/api/session/sign_out123"));
        assert!(!open_while_gated(&Method::GET, "/apps"));
        assert!(!open_while_gated(&Method::POST, "/api/list_apps123"));
        assert!(!open_while_gated(&Method::POST, SET_UP_PAGE));
    }
}
