//! The dashboard: one file per page or widget. Each page's server functions
//! live beside it; they parse input, then call `server::service`.

pub mod activity_page;
pub mod app_layout;
pub mod app_settings_page;
pub mod apps_page;
pub mod checked_input;
pub mod confirmed_submit;
pub mod environment_badge;
pub mod error_notice;
pub mod home;
pub mod keys_page;
pub mod metadata_editor;
pub mod not_found;
pub mod permitted;
pub mod role_select;
pub mod roles_page;
pub mod session;
pub mod setup_page;
pub mod sign_in_page;
pub mod signed_in_layout;
pub mod team_activity_page;
pub mod team_page;
pub mod timestamp;
pub mod user_filters;
pub mod user_form;
pub mod user_friends;
pub mod user_import;
pub mod user_page;
pub mod users_bulk_bar;
pub mod users_page;
