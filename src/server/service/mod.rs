//! The only code that runs SQL. Server functions, REST handlers and the CLI
//! all come here with a `Caller`; each service checks the caller's right,
//! validates, writes the change and its audit row in one transaction.

pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod auth_tokens;
pub mod blocks;
mod daily;
pub mod events;
pub mod friends;
pub mod gateway;
mod group_rows;
pub mod groups;
mod keyset;
pub use keyset::{COUNT_CAP, MAX_PER_PAGE, Paging};
mod last_used;
pub mod members;
mod message_writes;
pub mod messages;
pub mod operator_sessions;
pub mod operators;
pub mod overview;
pub mod password_links;
pub mod roles;
pub mod seed;
pub mod sign_in;
pub(crate) mod tags;
mod throttle;
pub mod two_factor;
mod usage;
mod user_batch;
mod user_rows;
pub mod users;

use crate::domain::Invalid;
use crate::server::{Error, Result};

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Rows are written only through the domain parsers, so a row that fails to
/// parse back means the database was changed behind our back.
fn stored<T>(parsed: std::result::Result<T, Invalid>) -> Result<T> {
    parsed.map_err(|e| Error::Internal(format!("stored value fails its check: {}", e.message)))
}

/// A list of columns as the `*_COLUMNS` constants hold them, each taken
/// from the table `alias` names: for a query that joins that table.
fn qualified(columns: &str, alias: &str) -> String {
    columns.split(", ").map(|column| format!("{alias}.{column}")).collect::<Vec<_>>().join(", ")
}
