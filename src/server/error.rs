//! The one error type of the server. Every face maps it the same way: an
//! HTTP status and `{"error": {"code", "message"}}` for REST, the same code
//! and message for the dashboard's server functions.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::domain::{ApiError, Invalid, Refusal};
use crate::server::db::Constraint;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The appid header is missing.")]
    EmptyAppId,
    #[error("No app has this App ID.")]
    InvalidAppId,
    #[error("The apikey header is missing.")]
    EmptyApiKey,
    #[error("This API key is unknown, revoked or expired, or belongs to another app.")]
    ApiKeyNotFound,
    #[error("This key may not do that: an Auth Key may only create users and auth tokens.")]
    NoAccess,
    #[error("This auth token is unknown, revoked, or its user is deactivated.")]
    AuthTokenNotFound,
    #[error("Sign in first.")]
    NotSignedIn,
    #[error("The email or password is wrong.")]
    WrongCredentials,
    #[error("Too many failed sign-ins. Try again in {}.", wait_for(*retry_after))]
    TooManyAttempts { retry_after: i64 },
    /// Every password check is taken; the attempt was not made.
    #[error("The server is busy checking other sign-ins. Try again in a moment.")]
    Busy { retry_after: i64 },
    #[error("{message}")]
    CrossSite { message: &'static str },
    /// The operator's role must sign in with a second factor, and this
    /// session did not: it may only set one up.
    #[error("Your role must sign in with two-factor. Set it up on your account page first.")]
    TwoFactorRequired,
    #[error("Your role ({role}) may not {action}.")]
    Forbidden { role: &'static str, action: &'static str },
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// A group member's scope does not allow the action.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    LimitExceeded { code: &'static str, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("The request body is larger than {limit} bytes.")]
    PayloadTooLarge { limit: usize },
    #[error("No such endpoint.")]
    NoRoute,
    #[error("This method is not allowed on this endpoint.")]
    MethodNotAllowed,
    #[error("The database is unavailable.")]
    Unavailable,
    /// Whatever went wrong is logged; the client sees only that it did.
    #[error("Something went wrong on the server.")]
    Internal(String),
    /// A write broke a named constraint; the service that expects it turns
    /// it into its own error (`OnConstraint`), else it is an internal one.
    #[error("Something went wrong on the server.")]
    Broken { constraint: Constraint, detail: String },
}

impl Error {
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Error::NotFound { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into() }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid(Invalid::new(code, message))
    }

    /// Refused for what the caller sent, rather than for who they are or
    /// because the server failed.
    pub fn is_about_input(&self) -> bool {
        matches!(
            self,
            Error::Invalid(_) | Error::NotFound { .. } | Error::Conflict { .. } | Error::LimitExceeded { .. }
        )
    }

    pub fn status(&self) -> StatusCode {
        use Error::*;
        match self {
            EmptyAppId | InvalidAppId | EmptyApiKey | ApiKeyNotFound | AuthTokenNotFound | NotSignedIn
            | WrongCredentials => StatusCode::UNAUTHORIZED,
            NoAccess | Forbidden { .. } | Refused { .. } | TwoFactorRequired => StatusCode::FORBIDDEN,
            TooManyAttempts { .. } | Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            CrossSite { .. } => StatusCode::FORBIDDEN,
            Invalid(_) | BadRequest(_) | LimitExceeded { .. } => StatusCode::BAD_REQUEST,
            NotFound { .. } | NoRoute => StatusCode::NOT_FOUND,
            Conflict { .. } => StatusCode::CONFLICT,
            PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) | Broken { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            EmptyAppId => "AUTH_ERR_EMPTY_APPID",
            InvalidAppId => "AUTH_ERR_INVALID_APPID",
            EmptyApiKey => "AUTH_ERR_EMPTY_APIKEY",
            ApiKeyNotFound => "AUTH_ERR_APIKEY_NOT_FOUND",
            NoAccess => "AUTH_ERR_NO_ACCESS",
            AuthTokenNotFound => "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
            NotSignedIn => "ERR_NOT_SIGNED_IN",
            WrongCredentials => "ERR_WRONG_CREDENTIALS",
            TooManyAttempts { .. } => "ERR_TOO_MANY_ATTEMPTS",
            Busy { .. } => "ERR_BUSY",
            CrossSite { .. } => "ERR_CROSS_SITE",
            Forbidden { .. } => "ERR_FORBIDDEN",
            TwoFactorRequired => "ERR_TWO_FACTOR_REQUIRED",
            Invalid(invalid) => invalid.code,
            NotFound { code, .. } | Conflict { code, .. } | LimitExceeded { code, .. } | Refused { code, .. } => code,
            BadRequest(_) => "ERR_BAD_REQUEST",
            PayloadTooLarge { .. } => "ERR_PAYLOAD_TOO_LARGE",
            NoRoute => "ERR_API_NOT_FOUND",
            MethodNotAllowed => "ERR_API_NOT_FOUND",
            Unavailable => "ERR_UNAVAILABLE",
            Internal(_) | Broken { .. } => "ERR_INTERNAL",
        }
    }

    /// Seconds to wait before asking again, for answers that say so.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            Error::TooManyAttempts { retry_after } | Error::Busy { retry_after } => Some(*retry_after),
            Error::Unavailable => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }
}

/// What a client waits, after the database went away, before trying again.
const UNAVAILABLE_RETRY_AFTER: i64 = 5;

/// "42 seconds", "3 minutes": a wait, for people.
fn wait_for(seconds: i64) -> String {
    match seconds {
        ..=1 => "a second".to_owned(),
        2..=119 => format!("{seconds} seconds"),
        _ => format!("{} minutes", (seconds + 59) / 60),
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal.is_forbidden() {
            false => Error::invalid(refusal.code(), refusal.message()),
            true => Error::Refused { code: refusal.code(), message: refusal.message().to_owned() },
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::Error::{Database, Io, PoolClosed, PoolTimedOut, Protocol, Tls};
        if let Some(constraint) = Constraint::broken_by(&err) {
            return Error::Broken { constraint, detail: err.to_string() };
        }
        match err {
            PoolTimedOut | PoolClosed | Io(_) | Tls(_) | Protocol(_) => Error::Unavailable,
            Database(db) => match db.code().as_deref() {
                Some(code) if database_went_away(code) => Error::Unavailable,
                // Text Postgres cannot store (a NUL) that a parser let through.
                Some("22021" | "22P05") => Error::invalid(crate::domain::TEXT_WITH_NUL, db.message().to_owned()),
                _ => Error::Internal(db.to_string()),
            },
            other => Error::Internal(other.to_string()),
        }
    }
}

/// Postgres's codes for a connection lost or refused: class 08, and the
/// server shutting down or starting up (57P01-57P03).
fn database_went_away(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

impl Error {
    /// The body clients see. Internal details are logged, never shown.
    fn into_body(self) -> ApiError {
        if let Error::Internal(detail) | Error::Broken { detail, .. } = &self {
            tracing::error!(%detail, "internal error");
        }
        ApiError { code: self.code().to_owned(), message: self.to_string() }
    }
}

/// For server functions: an island's call gets the same status a REST client
/// would, not the blanket 500 server functions answer errors with. A plain
/// form post keeps the redirect back to its page, which
/// carries the error in the URL for the page to show.
pub fn answer_with_status(status: StatusCode) {
    use leptos::prelude::use_context;
    let plain_form_post = use_context::<axum::http::request::Parts>().is_some_and(|request| {
        let accept = request.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok());
        request.method == axum::http::Method::POST && accept.is_some_and(|v| v.contains("text/html"))
    });
    if let (false, Some(response)) = (plain_form_post, use_context::<leptos_axum::ResponseOptions>()) {
        response.set_status(status);
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        answer_with_status(err.status());
        if let (Some(seconds), Some(response)) =
            (err.retry_after(), leptos::prelude::use_context::<leptos_axum::ResponseOptions>())
        {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        err.into_body()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after().map(|seconds| [(header::RETRY_AFTER, HeaderValue::from(seconds))]);
        (status, retry_after, Json(json!({ "error": self.into_body() }))).into_response()
    }
}

/// A violation of a named constraint becomes the domain error the caller
/// names for it, where the write is made; anything else stays as it was.
pub trait OnConstraint<T> {
    fn on_constraint(self, constraint: Constraint, error: impl FnOnce() -> Error) -> Result<T>;
}

impl<T, E: Into<Error>> OnConstraint<T> for std::result::Result<T, E> {
    fn on_constraint(self, constraint: Constraint, error: impl FnOnce() -> Error) -> Result<T> {
        self.map_err(|err| match err.into() {
            Error::Broken { constraint: broken, .. } if broken == constraint => error(),
            other => other,
        })
    }
}
