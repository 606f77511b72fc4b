//! The only code that runs SQL. Server functions, REST handlers and the CLI
//! all come here with a `Caller`; each service checks the caller's right,
//! validates, writes the change and its audit row in one transaction.

pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod auth_tokens;
pub mod friends;
pub mod operators;
pub mod roles;
pub mod seed;
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

/// Rows per multi-row insert. SQLite finds a numbered parameter by walking
/// the statement's list of them, so binding costs grow with the square of
/// a statement's parameters: at 500 rows, half of a bulk load went to binding.
pub(crate) const ROWS_PER_INSERT: usize = 40;

/// `($1, $2), ($3, $4), ...`: the parameters of a multi-row insert.
pub(crate) fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns).map(|c| format!("${}", r * columns + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
