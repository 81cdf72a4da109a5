//! Latchkey: a self-hosted account and password self-service server.
//!
//! Data flows one way: `web` → `domain` rules → `store`. Handlers never write SQL and never
//! talk SMTP; the binary in `main.rs` only parses the command line and calls into [`cli`].

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod mail;
pub mod metrics;
pub mod passwords;
pub mod secrets;
pub mod service;
pub mod store;
pub mod web;

pub use app::App;
pub use config::Config;
