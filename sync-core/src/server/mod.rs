//! The server side of the batch sync protocol, as pure functions.
//!
//! 1. [`plan`] decides, from the decoded request, the device's scope (documents and their
//!    current heads) and what the server knows of the device ([`Known`]: its belief, whole
//!    or only where the request concerns it, and the digest of all of it), which documents
//!    must be loaded. Nothing is loaded for an up-to-date check, and a caller that keeps a
//!    device's digest and a feed of what changed passes only those documents.
//! 2. The caller loads those documents and calls [`respond`], which authorises and merges
//!    each update, extracts conflicts, and builds the reply and the new belief. A caller
//!    that wants to store merged documents while others still merge uses the pieces:
//!    [`updates`], [`merge_document`] per document (on any thread), then [`settle`].
//! 3. The caller stores the merged changes, conflicts and belief in one transaction, adds
//!    missing blobs and tasks to the reply, and encodes it.

mod plan;
mod respond;

pub use plan::{Plan, UpdateDisposition, plan};
pub use respond::BeliefChanges;
pub use respond::{
    AppliedChange, DeviceContext, MergeResult, MergedDoc, Outcome, Updates, merge_document,
    respond, restore_lost, settle, updates,
};

use std::collections::BTreeMap;
use zoufang_schemas::wire::{DocId, Head};

/// What the server believes a device holds: document → heads.
pub type Belief = BTreeMap<DocId, Vec<Head>>;

/// The documents in a device's scope with the server's current heads: all of them, or
/// (for a device whose digest the server keeps) those a request concerns.
pub type Scope = BTreeMap<DocId, Vec<Head>>;

/// What the server knows of a device for one request.
///
/// Either everything (`belief` is all the device holds, `scope` passed to [`plan`] the
/// whole scope), or a part: `belief` then holds at least every document the request names
/// and every document of the scope passed to [`plan`], and the scope holds every document
/// of `belief` that is in scope; `digest` is always that of the whole belief.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    /// The belief, whole or in part.
    pub belief: Belief,
    /// The digest of the whole belief.
    pub digest: zoufang_schemas::wire::Digest,
}

impl Known {
    /// Everything the server believes a device holds.
    pub fn whole(belief: Belief) -> Self {
        let digest = crate::heads::held_digest(&belief);
        Self { belief, digest }
    }
}
