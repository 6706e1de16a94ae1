//! Persistence: sea-orm entities and the services that read and write them. Handlers
//! never build queries; they call these functions.

pub mod audit;
pub mod conflicts;
mod db;
pub mod devices;
pub mod documents;
pub mod entities;
pub mod regions;
pub mod sync_states;
pub mod users;

pub use db::{connect, migrate};

/// Current Unix time in seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
