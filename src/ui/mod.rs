//! The dashboard: one file per page or widget. Each page's server functions
//! live beside it; they parse input, then call `server::service`.

pub mod activity_page;
pub mod app_layout;
pub mod app_settings_page;
pub mod apps_page;
pub mod checked_input;
pub mod environment_badge;
pub mod error_notice;
pub mod home;
pub mod keys_page;
pub mod not_found;
pub mod session;
pub mod setup_page;
pub mod sign_in_page;
pub mod signed_in_layout;
pub mod team_activity_page;
pub mod team_page;
pub mod timestamp;
pub mod user_page;
pub mod users_page;
