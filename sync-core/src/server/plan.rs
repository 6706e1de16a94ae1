use super::{Belief, Known, Scope};
use crate::codec::DecodedRequest;
use crate::heads::{Toggle, canonical};
use std::collections::BTreeSet;
use zoufang_schemas::wire::DocId;

/// What to do with one document's update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateDisposition {
    /// In scope: authorise and merge.
    Merge,
    /// Left the scope, but the server had sent it to the device: accept this last upload,
    /// then it leaves.
    FinalUpload,
    /// Not in scope and never held: refuse.
    OutOfScope,
}

/// The decision for one request, before any document is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Whether the request's digest matches what the server believes (or the request
    /// listed everything it holds); if not, only updates are processed and the device is
    /// asked for its list.
    pub digest_matches: bool,
    /// What the device holds, as far as the server can tell after this request (whole, or
    /// the part the request concerns).
    pub expected: Belief,
    /// What the server knew before the request (whole, or in part), to tell what changed.
    pub known: Known,
    /// Per updated document, what to do.
    pub updates: Vec<(DocId, UpdateDisposition)>,
    /// Documents the caller must load before [`super::respond`].
    pub load: BTreeSet<DocId>,
    /// In-scope documents the device does not hold: send whole.
    pub assign: BTreeSet<DocId>,
    /// Held documents no longer in scope.
    pub leaving: BTreeSet<DocId>,
}

/// Decides what a request needs. Pure: no document is touched.
pub fn plan(request: &DecodedRequest, scope: &Scope, known: &Known) -> Plan {
    let req = &request.request;
    let belief = &known.belief;
    let mut expected: Belief = match &req.held {
        Some(held) => held.iter().map(|h| (h.doc, canonical(&h.heads))).collect(),
        None => belief.clone(),
    };
    // The digest the device should send: the known one with the request's updates.
    let mut digest = known.digest;
    let mut updates = Vec::with_capacity(req.updates.len());
    let mut load = BTreeSet::new();
    for update in &req.updates {
        // Only the server's own record of what it sent the device counts for a final
        // upload: the request's `held` list is the client's claim and never widens what
        // is accepted, loaded or revealed.
        let disposition = if scope.contains_key(&update.doc) {
            UpdateDisposition::Merge
        } else if belief.contains_key(&update.doc) {
            UpdateDisposition::FinalUpload
        } else {
            UpdateDisposition::OutOfScope
        };
        if disposition != UpdateDisposition::OutOfScope {
            load.insert(update.doc);
        }
        if let Some(before) = belief.get(&update.doc) {
            digest.toggle(&update.doc, before);
        }
        digest.toggle(&update.doc, &update.heads);
        expected.insert(update.doc, canonical(&update.heads));
        updates.push((update.doc, disposition));
    }
    let digest_matches = req.held.is_some() || digest == req.digest;
    let mut assign = BTreeSet::new();
    let mut leaving = BTreeSet::new();
    if digest_matches {
        for (doc, heads) in scope {
            match expected.get(doc) {
                None => {
                    assign.insert(*doc);
                    load.insert(*doc);
                }
                Some(held) if *held != canonical(heads) => {
                    load.insert(*doc);
                }
                Some(_) => {}
            }
        }
        leaving = expected
            .keys()
            .filter(|doc| !scope.contains_key(doc))
            .copied()
            .collect();
    }
    Plan {
        digest_matches,
        expected,
        known: known.clone(),
        updates,
        load,
        assign,
        leaving,
    }
}
