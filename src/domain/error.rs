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
        Self {
            code,
            message: message.into(),
        }
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

impl leptos::server_fn::error::FromServerFnError for ApiError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        Self {
            code: "ERR_REQUEST_FAILED".to_owned(),
            message: value.to_string(),
        }
    }
}
