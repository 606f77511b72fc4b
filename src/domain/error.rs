use serde::{Deserialize, Serialize};

/// Why a piece of input was refused: a stable code for programs and a
/// sentence for people. Produced by every parser in `domain`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// The error body every face shows: `{"code", "message"}`. The dashboard gets
/// it from server functions, REST clients inside `{"error": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// Input refused, in the browser or by a server function, where it is a
/// 400 as on REST.
impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        #[cfg(feature = "ssr")]
        crate::server::error::answer_with_status(axum::http::StatusCode::BAD_REQUEST);
        Self { code: invalid.code.to_owned(), message: invalid.message }
    }
}

impl leptos::server_fn::error::FromServerFnError for ApiError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    /// Failures of the server-function machinery itself. Arguments that do
    /// not decode are the caller's fault: a 400, as on REST.
    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr::{Args, Deserialization, MissingArg};
        let bad_input = matches!(value, Args(_) | MissingArg(_) | Deserialization(_));
        #[cfg(feature = "ssr")]
        if bad_input {
            crate::server::error::answer_with_status(axum::http::StatusCode::BAD_REQUEST);
        }
        let code = if bad_input { "ERR_BAD_REQUEST" } else { "ERR_REQUEST_FAILED" };
        Self { code: code.to_owned(), message: value.to_string() }
    }
}
