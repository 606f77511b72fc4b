//! Who is asking, and may they: operators in the dashboard, API keys on
//! REST, the CLI on the machine itself.

pub mod api_key;
pub mod device;
pub mod session;
pub mod two_factor_gate;

pub use crate::server::access::{Actor, Caller, Permission, password, secret};

/// The address a request came from: the client's, behind trusted proxies.
fn peer_ip(parts: &axum::http::request::Parts) -> Option<String> {
    crate::server::client_address::of(parts).map(|addr| addr.to_string())
}
