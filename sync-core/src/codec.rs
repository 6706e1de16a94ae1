//! CBOR encoding of the wire types, with limits checked before and while decoding, so that
//! malformed or oversized input yields a typed error and never a panic or a huge allocation.

use crate::parallel;
use automerge::Change;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zoufang_schemas::wire::{DocId, DocUpdate, PROTOCOL_VERSION, SyncReply, SyncRequest};

/// Bounds on what a peer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest encoded message.
    pub max_message_bytes: usize,
    /// Most documents in one message (updates, held, changes, assigned).
    pub max_documents: usize,
    /// Most changes for one document in one message.
    pub max_changes_per_document: usize,
    /// Most heads listed for one document.
    pub max_heads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 64 * 1024 * 1024,
            max_documents: 200_000,
            max_changes_per_document: 50_000,
            max_heads: 256,
        }
    }
}

/// Why a message was refused. Every variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The message is larger than allowed.
    #[error("message of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not valid CBOR of the expected shape.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A protocol version this peer does not speak.
    #[error("protocol version {got} is not supported (this peer speaks {supported})")]
    UnsupportedVersion {
        /// The version in the message.
        got: u16,
        /// The version spoken here.
        supported: u16,
    },
    /// More documents, changes or heads than allowed.
    #[error("message exceeds a limit: {0}")]
    LimitExceeded(&'static str),
    /// A change is not a valid automerge change.
    #[error("document {doc}: change {index} is not a valid automerge change: {reason}")]
    BadChange {
        /// The document.
        doc: DocId,
        /// Position of the change in the update.
        index: usize,
        /// What the decoder said.
        reason: String,
    },
    /// The same document appears twice in one list.
    #[error("document {0} appears twice")]
    DuplicateDocument(DocId),
}

impl ProtocolError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::TooLarge { .. } => "message-too-large",
            ProtocolError::Malformed(_) => "message-malformed",
            ProtocolError::UnsupportedVersion { .. } => "protocol-version-unsupported",
            ProtocolError::LimitExceeded(_) => "message-limit-exceeded",
            ProtocolError::BadChange { .. } => "change-invalid",
            ProtocolError::DuplicateDocument(_) => "document-repeated",
        }
    }
}

/// Encodes a wire message as CBOR.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and the wire types always serialise.
    if ciborium::into_writer(message, &mut out).is_err() {
        out.clear();
    }
    out
}

#[derive(Deserialize)]
struct Envelope {
    v: u16,
}

fn decode<T: DeserializeOwned>(bytes: &[u8], limits: &Limits) -> Result<T, ProtocolError> {
    if bytes.len() > limits.max_message_bytes {
        return Err(ProtocolError::TooLarge {
            size: bytes.len(),
            limit: limits.max_message_bytes,
        });
    }
    let envelope: Envelope =
        ciborium::from_reader(bytes).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    if envelope.v != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion {
            got: envelope.v,
            supported: PROTOCOL_VERSION,
        });
    }
    ciborium::from_reader(bytes).map_err(|e| ProtocolError::Malformed(e.to_string()))
}

/// A request whose changes all parsed as automerge changes.
#[derive(Debug, Clone)]
pub struct DecodedRequest {
    /// The request as sent.
    pub request: SyncRequest,
    /// Parsed changes per updated document, in the order sent.
    pub changes: Vec<(DocId, Vec<Change>)>,
}

/// Decodes and checks a sync request: size, version, limits, every change parses.
pub fn decode_request(bytes: &[u8], limits: &Limits) -> Result<DecodedRequest, ProtocolError> {
    let request: SyncRequest = decode(bytes, limits)?;
    if request.updates.len() > limits.max_documents
        || request
            .held
            .as_ref()
            .is_some_and(|h| h.len() > limits.max_documents)
    {
        return Err(ProtocolError::LimitExceeded("documents per message"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for update in &request.updates {
        if !seen.insert(update.doc) {
            return Err(ProtocolError::DuplicateDocument(update.doc));
        }
        if update.changes.len() > limits.max_changes_per_document {
            return Err(ProtocolError::LimitExceeded("changes per document"));
        }
        if update.heads.len() > limits.max_heads {
            return Err(ProtocolError::LimitExceeded("heads per document"));
        }
    }
    let changes = parse_changes(&request.updates)?;
    if let Some(held) = &request.held {
        let mut seen = std::collections::BTreeSet::new();
        for entry in held {
            if !seen.insert(entry.doc) {
                return Err(ProtocolError::DuplicateDocument(entry.doc));
            }
            if entry.heads.len() > limits.max_heads {
                return Err(ProtocolError::LimitExceeded("heads per document"));
            }
        }
    }
    Ok(DecodedRequest { request, changes })
}

/// Parses every update's changes (parsing verifies each change's hash), spread over the
/// cores when there are many; the first failure in request order is reported.
fn parse_changes(updates: &[DocUpdate]) -> Result<Vec<(DocId, Vec<Change>)>, ProtocolError> {
    let parse = |update: &DocUpdate| -> Result<(DocId, Vec<Change>), ProtocolError> {
        let parsed = update
            .changes
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                Change::try_from(raw.as_slice()).map_err(|e| ProtocolError::BadChange {
                    doc: update.doc,
                    index,
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((update.doc, parsed))
    };
    let total: usize = updates.iter().map(|u| u.changes.len()).sum();
    let threads = parallel::cores().min(total / PARALLEL_PARSE_CHANGES).max(1);
    let mut updates: Vec<&DocUpdate> = updates.iter().collect();
    parallel::map_in_order(&mut updates, threads, |update| parse(update))
        .into_iter()
        .map(|parsed| {
            parsed.unwrap_or_else(|| {
                Err(ProtocolError::Malformed(
                    "a change could not be parsed".into(),
                ))
            })
        })
        .collect()
}

/// Below this many changes per core, a request's changes are parsed on one thread.
const PARALLEL_PARSE_CHANGES: usize = 256;

/// Decodes and checks a sync reply.
pub fn decode_reply(bytes: &[u8], limits: &Limits) -> Result<SyncReply, ProtocolError> {
    let reply: SyncReply = decode(bytes, limits)?;
    let documents =
        reply.changes.len() + reply.assigned.len() + reply.refused.len() + reply.leaving.len();
    if documents > limits.max_documents {
        return Err(ProtocolError::LimitExceeded("documents per message"));
    }
    for changes in &reply.changes {
        if changes.changes.len() > limits.max_changes_per_document {
            return Err(ProtocolError::LimitExceeded("changes per document"));
        }
        for (index, raw) in changes.changes.iter().enumerate() {
            Change::try_from(raw.as_slice()).map_err(|e| ProtocolError::BadChange {
                doc: changes.doc,
                index,
                reason: e.to_string(),
            })?;
        }
    }
    Ok(reply)
}
