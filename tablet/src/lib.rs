//! The reference tablet client of Zoufang: what a village helper's tablet does, as a
//! library and a CLI (`zoufang-tablet`). It keeps the device's household documents, sync
//! state, photo queue and tasks in a local SQLite store in a home folder, edits documents
//! offline, and syncs with the server over HTTP using the batch protocol of `zoufang-sync`.
//! Android and iOS apps follow the same model.
//!
//! Must not depend on the server crate: it speaks to the server only over HTTP.
//!
//! Everything a helper does while offline is written to the store at once; a sync that
//! fails (no network, connection cut, server down) changes nothing locally and the next
//! sync starts over from what the store holds, which the protocol makes safe because
//! requests are idempotent.

#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
mod edits;
pub mod error;
mod findings;
mod measures;
mod proposals;
pub mod store;
mod sync;
mod tablet;
mod upload;
mod views;

pub use edits::{ChangeInput, MemberInput, SetOutcome};
pub use error::TabletError;
pub use measures::MeasureInput;
pub use sync::SyncSummary;
pub use tablet::Tablet;
pub use views::{HouseholdRow, HouseholdView, Status};
