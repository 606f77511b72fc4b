//! Integration tests: the whole app over HTTP, on SQLite and on Postgres.

mod common;

mod apikeys;
mod cli;
mod dashboard;
mod dashboard_users;
mod probes;
mod rest_auth;
mod users;
