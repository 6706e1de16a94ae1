//! The server side of the batch sync protocol, as pure functions.
//!
//! 1. [`plan`] decides, from the decoded request, the device's scope (documents and their
//!    current heads, from the projection) and the server's belief about what the device
//!    holds, which documents must be loaded. Nothing is loaded for an up-to-date check.
//! 2. The caller loads those documents and calls [`respond`], which authorises and merges
//!    each update, extracts conflicts, and builds the reply and the new belief. A caller
//!    that wants to store merged documents while others still merge uses the pieces:
//!    [`updates`], [`merge_document`] per document (on any thread), then [`settle`].
//! 3. The caller stores the merged changes, conflicts and belief in one transaction, adds
//!    missing blobs and tasks to the reply, and encodes it.

mod plan;
mod respond;

pub use plan::{Plan, UpdateDisposition, plan};
pub use respond::{
    AppliedChange, DeviceContext, MergeResult, MergedDoc, Outcome, Updates, merge_document,
    respond, settle, updates,
};

use std::collections::BTreeMap;
use zoufang_schemas::wire::{DocId, Head};

/// What the server believes a device holds: document → heads.
pub type Belief = BTreeMap<DocId, Vec<Head>>;

/// The documents in a device's scope with the server's current heads.
pub type Scope = BTreeMap<DocId, Vec<Head>>;
