//! Who is asking, and may they: operators in the dashboard, API keys on
//! REST, the CLI on the machine itself.

mod actor;
pub mod api_key;
pub mod password;
pub mod secret;
pub mod session;

pub use actor::{Actor, Caller, Permission};
