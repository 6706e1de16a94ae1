//! Conversions between automerge change hashes and wire heads, and the held-documents
//! digest.

use automerge::ChangeHash;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
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

/// SHA-256 over the sorted (document, sorted heads) pairs: what a device holds.
pub fn held_digest<'a, I>(held: I) -> Digest
where
    I: IntoIterator<Item = (&'a DocId, &'a Vec<Head>)>,
{
    let sorted: BTreeMap<&DocId, Vec<Head>> =
        held.into_iter().map(|(d, h)| (d, canonical(h))).collect();
    let mut hasher = Sha256::new();
    hasher.update(b"zoufang-held-v1");
    for (doc, heads) in sorted {
        hasher.update(doc.0);
        hasher.update((heads.len() as u32).to_be_bytes());
        for head in heads {
            hasher.update(head.0);
        }
    }
    Digest(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
