use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{access::password::PasswordChecks, config::Config, db::Db, gateway::Gateway, outcomes::Outcomes};

/// What every request may need. Handed to axum as state and to server
/// functions as Leptos context; the pool lives here and nowhere global.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub gateway: Gateway,
    /// The process's turns at argon2 (see `access::password`).
    pub passwords: PasswordChecks,
    /// What dashboard form posts did, for the pages they return to.
    pub outcomes: Outcomes,
}
