//! Who is asking, and may they: operators in the dashboard, API keys on
//! REST, the CLI on the machine itself.

mod actor;
pub mod api_key;
pub mod device;
pub mod password;
pub mod secret;
pub mod session;

pub use actor::{Actor, Caller, Permission};

/// The address a request came from: the client's, behind trusted proxies.
fn peer_ip(parts: &axum::http::request::Parts) -> Option<String> {
    crate::server::client_address::of(parts).map(|addr| addr.to_string())
}
