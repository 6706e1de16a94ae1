//! Conversions between automerge change hashes and wire heads, and the held-documents
//! digest (an XOR of per-document hashes, kept up to date in constant time per document).

use automerge::ChangeHash;
use sha2::{Digest as _, Sha256};
use zoufang_schemas::wire::{Digest, DocId, Head};

/// Wire heads of automerge heads, sorted.
pub fn to_wire(heads: &[ChangeHash]) -> Vec<Head> {
    let mut out: Vec<Head> = heads.iter().map(|h| Head(h.0)).collect();
    out.sort();
    out
}

/// Automerge heads of wire heads.
pub fn from_wire(heads: &[Head]) -> Vec<ChangeHash> {
    heads.iter().map(|h| ChangeHash(h.0)).collect()
}

/// Heads in canonical (sorted, deduplicated) order.
pub fn canonical(heads: &[Head]) -> Vec<Head> {
    let mut out = heads.to_vec();
    out.sort();
    out.dedup();
    out
}

/// The hash of one held (document, heads) pair.
pub fn pair_hash(doc: &DocId, heads: &[Head]) -> [u8; 32] {
    let heads = canonical(heads);
    let mut hasher = Sha256::new();
    hasher.update(b"zoufang-held-v2");
    hasher.update(doc.0);
    hasher.update((heads.len() as u32).to_be_bytes());
    for head in heads {
        hasher.update(head.0);
    }
    hasher.finalize().into()
}

/// What a device holds: the XOR of the hashes of its (document, heads) pairs. Order does
/// not matter, and either side keeps it up to date in constant time per document that
/// moved: [`Digest::toggle`] the old pair out and the new one in.
pub fn held_digest<'a, I>(held: I) -> Digest
where
    I: IntoIterator<Item = (&'a DocId, &'a Vec<Head>)>,
{
    let mut digest = Digest([0; 32]);
    for (doc, heads) in held {
        digest.toggle(doc, heads);
    }
    digest
}

/// Updating a digest in place.
pub trait Toggle {
    /// Adds the pair if absent from the digest, removes it if present.
    fn toggle(&mut self, doc: &DocId, heads: &[Head]);
}

impl Toggle for Digest {
    fn toggle(&mut self, doc: &DocId, heads: &[Head]) {
        for (byte, pair) in self.0.iter_mut().zip(pair_hash(doc, heads)) {
            *byte ^= pair;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn digest_ignores_order_but_not_content() {
        let (a, b) = (DocId([1; 16]), DocId([2; 16]));
        let (h1, h2) = (Head([7; 32]), Head([9; 32]));
        let one: BTreeMap<DocId, Vec<Head>> = [(a, vec![h1, h2]), (b, vec![h1])].into();
        let two: BTreeMap<DocId, Vec<Head>> = [(b, vec![h1]), (a, vec![h2, h1])].into();
        let three: BTreeMap<DocId, Vec<Head>> = [(a, vec![h1]), (b, vec![h1])].into();
        assert_eq!(held_digest(&one), held_digest(&two));
        assert_ne!(held_digest(&one), held_digest(&three));
        assert_ne!(held_digest(&one), held_digest(&BTreeMap::new()));
    }

    #[test]
    fn a_digest_moves_in_constant_time_with_one_document() {
        let (a, b) = (DocId([1; 16]), DocId([2; 16]));
        let (h1, h2) = (Head([7; 32]), Head([9; 32]));
        let before: BTreeMap<DocId, Vec<Head>> = [(a, vec![h1]), (b, vec![h1])].into();
        let after: BTreeMap<DocId, Vec<Head>> = [(a, vec![h1]), (b, vec![h2])].into();
        let mut digest = held_digest(&before);
        digest.toggle(&b, &[h1]);
        digest.toggle(&b, &[h2]);
        assert_eq!(digest, held_digest(&after));
        digest.toggle(&a, &[h1]);
        digest.toggle(&b, &[h2]);
        assert_eq!(digest, held_digest(&BTreeMap::new()));
    }
}
