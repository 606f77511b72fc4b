//! What a caller is and may do, whichever face they came through: the
//! `Caller` every service takes, the permission matrix, and the secrets and
//! passwords that prove who someone is. `auth` finds the caller of a request.

mod actor;
pub mod password;
pub mod secret;

pub use actor::{Actor, Caller, Permission};
