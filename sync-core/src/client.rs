//! The tablet side of the batch sync protocol, as pure functions: build a request from
//! what the tablet holds, then turn the reply into operations the tablet carries out.

use crate::heads::{canonical, held_digest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zoufang_schemas::wire::{
    DocHeads, DocId, DocUpdate, Head, PROTOCOL_VERSION, Refusal, ReplyStatus, SyncReply,
    SyncRequest,
};
use zoufang_schemas::{PhotoHash, Task};

/// What a tablet remembers between syncs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientState {
    /// Per document, heads the tablet knows the server has: changes since them are pending.
    pub synced: BTreeMap<DocId, Vec<Head>>,
    /// The server asked for the full list of held documents on the next request.
    pub send_held: bool,
}

/// Builds a request. `held` is every document the tablet holds with its current heads;
/// `changes_since(doc, heads)` returns the document's changes not covered by `heads`
/// (automerge `get_changes`).
pub fn build_request<F>(
    state: &ClientState,
    held: &BTreeMap<DocId, Vec<Head>>,
    mut changes_since: F,
) -> SyncRequest
where
    F: FnMut(&DocId, &[Head]) -> Vec<Vec<u8>>,
{
    let mut updates = Vec::new();
    let mut send_held = state.send_held;
    for (doc, heads) in held {
        match state.synced.get(doc) {
            Some(synced) if canonical(synced) == canonical(heads) => {}
            Some(synced) => {
                let changes = changes_since(doc, synced);
                if !changes.is_empty() {
                    updates.push(DocUpdate {
                        doc: *doc,
                        heads: canonical(heads),
                        changes: changes
                            .into_iter()
                            .map(serde_bytes::ByteBuf::from)
                            .collect(),
                    });
                }
            }
            // Held but never acknowledged: the server must be told exactly what we hold.
            None => send_held = true,
        }
    }
    SyncRequest {
        v: PROTOCOL_VERSION,
        digest: held_digest(held),
        updates,
        held: send_held.then(|| {
            held.iter()
                .map(|(doc, heads)| DocHeads {
                    doc: *doc,
                    heads: canonical(heads),
                })
                .collect()
        }),
    }
}

/// One thing the tablet must do with a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientOp {
    /// Apply these automerge changes to the document.
    Apply {
        /// The document.
        doc: DocId,
        /// Change chunks.
        changes: Vec<Vec<u8>>,
    },
    /// Store this document, replacing any local copy (newly assigned, or refused and reset).
    Replace {
        /// The document.
        doc: DocId,
        /// Saved automerge bytes.
        bytes: Vec<u8>,
    },
    /// Delete the local copy, unless it changed since the request was built (then it is
    /// uploaded again on the next sync).
    Purge {
        /// The document.
        doc: DocId,
        /// The heads the tablet had when it built the request.
        if_heads: Vec<Head>,
    },
}

/// What to do after a reply, and the state to keep once it is done.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyPlan {
    /// Operations, in order.
    pub ops: Vec<ClientOp>,
    /// State to store after carrying out `ops`.
    pub state: ClientState,
    /// Another round trip is needed now.
    pub again: bool,
    /// Updates the server refused (to show the helper).
    pub refused: Vec<Refusal>,
    /// Photos to upload.
    pub missing_blobs: Vec<PhotoHash>,
    /// Tasks for the villages.
    pub tasks: Vec<Task>,
}

/// Turns a reply into operations. `request` is what was sent, `held` what the tablet held
/// when it built it.
pub fn plan_reply(
    state: &ClientState,
    request: &SyncRequest,
    held: &BTreeMap<DocId, Vec<Head>>,
    reply: SyncReply,
) -> ReplyPlan {
    let mut next = state.clone();
    let mut ops = Vec::new();
    for update in &request.updates {
        next.synced.insert(update.doc, canonical(&update.heads));
    }
    if request.held.is_some() && reply.status == ReplyStatus::Complete {
        // The server now knows exactly what we hold: everything held is acknowledged.
        for (doc, heads) in held {
            next.synced.entry(*doc).or_insert_with(|| canonical(heads));
        }
    }
    for refusal in &reply.refused {
        match &refusal.server_copy {
            Some(copy) => {
                ops.push(ClientOp::Replace {
                    doc: refusal.doc,
                    bytes: copy.bytes.to_vec(),
                });
                next.synced.insert(refusal.doc, canonical(&copy.heads));
            }
            None => {
                next.synced.remove(&refusal.doc);
            }
        }
    }
    for resend in &reply.resend {
        next.synced.insert(resend.doc, canonical(&resend.heads));
    }
    for changes in reply.changes {
        next.synced.insert(changes.doc, canonical(&changes.heads));
        ops.push(ClientOp::Apply {
            doc: changes.doc,
            changes: changes.changes.into_iter().map(|b| b.into_vec()).collect(),
        });
    }
    for whole in reply.assigned {
        next.synced.insert(whole.doc, canonical(&whole.heads));
        ops.push(ClientOp::Replace {
            doc: whole.doc,
            bytes: whole.bytes.into_vec(),
        });
    }
    for doc in reply.leaving {
        next.synced.remove(&doc);
        ops.push(ClientOp::Purge {
            doc,
            if_heads: held.get(&doc).cloned().unwrap_or_default(),
        });
    }
    next.send_held = reply.status == ReplyStatus::NeedHeld;
    ReplyPlan {
        ops,
        again: next.send_held || !reply.resend.is_empty(),
        state: next,
        refused: reply.refused,
        missing_blobs: reply.missing_blobs,
        tasks: reply.tasks,
    }
}
