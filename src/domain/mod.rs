//! Types shared by the server and the browser: checked identifiers, enums and
//! the shapes that cross the wire. No I/O here, so the dashboard validates
//! input with exactly the parsers the server trusts.

mod error;
mod ids;
mod kinds;
mod time;
mod views;

pub use error::{ApiError, Invalid};
pub use ids::{AppId, AppName, Email, KeyName, OperatorName, Password};
pub use kinds::{Environment, KeyScope, OperatorRole, Region};
pub use time::{format_timestamp, parse_date};
pub use views::{ApiKeyView, AppView, AuditEntryView, AuditPage, NewApiKey, OperatorView, Session};
