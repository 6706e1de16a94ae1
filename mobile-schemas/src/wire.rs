//! Wire types of the batch sync protocol, encoded as CBOR by `zoufang-sync`.
//!
//! Field names are part of the protocol: never rename one; add fields with `#[serde(default)]`
//! so that older peers keep working. Byte fields are CBOR byte strings.

use crate::task::Task;
use crate::values::PhotoHash;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u16 = 2;

/// A household document's id: a UUID as 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocId(#[serde(with = "serde_bytes")] pub [u8; 16]);

/// An automerge change hash: 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Head(#[serde(with = "serde_bytes")] pub [u8; 32]);

/// What a device holds: the XOR over its (document, heads) pairs of SHA-256(`zoufang-held-v2`
/// ‖ document ‖ number of heads as u32 big-endian ‖ sorted heads). Version 1 hashed the
/// sorted list as a whole, which neither side could update without walking everything.
/// The digest of holding nothing is all zeros (the default).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Digest(#[serde(with = "serde_bytes")] pub [u8; 32]);

impl DocId {
    /// Hyphenated lowercase UUID text.
    pub fn to_uuid_string(&self) -> String {
        crate::values::hyphenated_uuid(&hex::encode(self.0))
    }

    /// Parses hyphenated UUID text.
    pub fn parse(text: &str) -> Option<Self> {
        let digits: String = text.chars().filter(|c| *c != '-').collect();
        let mut out = [0u8; 16];
        hex::decode_to_slice(digits, &mut out).ok()?;
        Some(Self(out))
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_uuid_string())
    }
}
impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}
impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}
impl fmt::Debug for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Head({})", &hex::encode(&self.0[..6]))
    }
}
impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", &hex::encode(&self.0[..6]))
    }
}

/// A tablet's sync request: its new changes per changed document, and a digest of all the
/// (document, heads) pairs it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Protocol version.
    pub v: u16,
    /// Digest over every (document, heads) pair the tablet holds, after its own edits
    /// (see [`Digest`]).
    pub digest: Digest,
    /// Documents with changes the server has not acknowledged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<DocUpdate>,
    /// Every held document with its heads; sent only when the server asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Vec<DocHeads>>,
}

/// New changes of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocUpdate {
    /// The document.
    pub doc: DocId,
    /// The tablet's heads after these changes.
    pub heads: Vec<Head>,
    /// Automerge change chunks (standard binary format), in causal order.
    pub changes: Vec<serde_bytes::ByteBuf>,
}

/// A document and its heads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    /// The document.
    pub doc: DocId,
    /// Its heads.
    pub heads: Vec<Head>,
}

/// What the server needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyStatus {
    /// Everything was exchanged.
    Complete,
    /// The server's record of what the tablet holds disagrees with the digest: send `held`.
    NeedHeld,
}

/// The server's reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReply {
    /// Protocol version.
    pub v: u16,
    /// Whether another round trip is needed.
    pub status: ReplyStatus,
    /// Changes the tablet lacks, per document, with the server's heads after them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<DocChanges>,
    /// Documents newly in the tablet's scope, whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned: Vec<WholeDoc>,
    /// Documents whose update was refused, whole as the server has them: the tablet replaces
    /// its copy and reports the refusal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Refusal>,
    /// Documents that left the tablet's scope: purge them once nothing is pending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaving: Vec<DocId>,
    /// Documents where the server lacks changes the tablet says it has: send changes
    /// since these heads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resend: Vec<DocHeads>,
    /// Photos referenced by the tablet's documents but missing on the server.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_blobs: Vec<PhotoHash>,
    /// Tasks for the tablet's villages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
}

/// Changes of one document the tablet lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocChanges {
    /// The document.
    pub doc: DocId,
    /// The server's heads; after applying `changes` the tablet has them all.
    pub heads: Vec<Head>,
    /// Automerge change chunks.
    pub changes: Vec<serde_bytes::ByteBuf>,
}

/// A whole document (automerge `save` format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WholeDoc {
    /// The document.
    pub doc: DocId,
    /// The server's heads.
    pub heads: Vec<Head>,
    /// Saved document bytes.
    pub bytes: serde_bytes::ByteBuf,
}

/// A refused document update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// The document.
    pub doc: DocId,
    /// Stable machine code (`actor-not-of-device`, `field-not-writable`, ...).
    pub code: String,
    /// Human-readable reason.
    pub message: String,
    /// The server's copy, when the tablet may keep the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_copy: Option<WholeDoc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_print_and_parse_as_uuids() {
        let id = DocId([
            0x0b, 0x6f, 0x1a, 0x2c, 0x3d, 0x4e, 0x4f, 0x50, 0x8a, 0x6b, 0x7c, 0x8d, 0x9e, 0x0f,
            0x1a, 0x2b,
        ]);
        assert_eq!(id.to_string(), "0b6f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b");
        assert_eq!(
            DocId::parse("0b6f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"),
            Some(id)
        );
        assert_eq!(DocId::parse("not a uuid"), None);
    }
}
