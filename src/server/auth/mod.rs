//! Who is asking, and may they: operators in the dashboard, API keys on
//! REST, the CLI on the machine itself.

mod actor;
pub mod api_key;
pub mod password;
pub mod secret;
pub mod session;

pub use actor::{Actor, Caller, Permission};

/// The address a request came from, as the listener saw it.
fn peer_ip(parts: &axum::http::request::Parts) -> Option<String> {
    use axum::extract::ConnectInfo;
    parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string())
}
