//! `zoufang-server`: the actix-web server tablets sync with and supervisors work against.
//!
//! Owns the HTTP API ([`routes`]), authentication ([`auth`]), persistence ([`store`]: sea-orm
//! entities and services on SQLite or PostgreSQL), the operations ([`services`]) that decide
//! with `zoufang-sync` and persist in one transaction, demo data and the CLI.

#![forbid(unsafe_code)]

/// The allocator the server's binaries use: mimalloc (per-thread free lists; glibc's
/// `malloc` spent much of its time consolidating chunks under many small, short-lived
/// allocations). Built with its `override` feature, it also serves the C library's `malloc`
/// and `free`, which SQLite calls.
pub use mimalloc::MiMalloc as Allocator;

pub mod actor_cache;
pub mod auth;
pub mod cli;
pub mod cli_import;
pub mod cli_pull;
pub mod console;
pub mod crypto;
pub mod demo;
pub mod doc_cache;
pub mod error;
pub mod keyed_locks;
pub mod masking;
pub mod photos;
pub mod review;
pub mod routes;
pub mod services;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

pub use settings::Settings;
pub use startup::{build_state, run};
pub use state::AppState;
