//! Services: the operations of the system, called by HTTP handlers and the CLI. They decide
//! with sync-core and persist through the store, one transaction per operation.

pub mod accounts;
pub mod conflict_review;
pub mod documents;
pub mod photos;
pub mod sessions;
pub mod sync;
