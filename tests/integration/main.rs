//! Integration tests: the whole app over HTTP, on SQLite and on Postgres.

// The dashboard's views are deep nested types (see src/lib.rs); every
// crate that renders them needs the raised limit.
#![recursion_limit = "256"]
mod common;

mod apikeys;
mod architecture;
mod assets;
mod blocked_users;
mod cli;
mod client_api;
mod cometchat_conformance;
mod cometchat_conversations;
mod cometchat_message_lists;
mod cometchat_shapes;
mod dashboard;
mod dashboard_account;
mod dashboard_confirmations;
mod dashboard_groups;
mod dashboard_messages;
mod dashboard_roles;
mod dashboard_users;
mod database;
mod groups;
mod hardening;
mod messages;
mod probes;
mod reactions;
mod realtime;
mod rest_auth;
mod users;
