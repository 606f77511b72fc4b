//! Everything that runs only on the server.

pub mod access;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod csv;
pub mod db;
pub mod error;
pub mod gateway;
pub mod group_commit;
pub mod http;
pub mod outcomes;
pub mod security;
pub mod service;
pub mod state;

pub use error::{Error, Result};
