#![allow(dead_code)] // each test file uses some of these helpers
//! A village on the in-memory server with two helper tablets, and hand-made requests.

use automerge::ActorId;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::*;
use zoufang_sync::DocPath;
use zoufang_sync::codec::{Limits, decode_reply, encode};
use zoufang_sync::memory::{MemoryServer, MemoryTablet};

pub const T0: i64 = 1_700_000_000;

pub struct Village {
    pub server: MemoryServer,
    pub docs: Vec<DocId>,
    pub a: MemoryTablet,
    pub b: MemoryTablet,
}

pub fn doc_id(n: u8) -> DocId {
    let mut id = [0u8; 16];
    id[15] = n;
    id[6] = 0x40;
    DocId(id)
}

pub fn actor(n: u8) -> ActorId {
    ActorId::from([n; 16])
}

pub fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

pub fn village(households: u8) -> Village {
    let mut server = MemoryServer::new(actor(0));
    let code = RegionCode::parse("652822100201").unwrap();
    let mut rng = SampleRng::new(11);
    let docs: Vec<DocId> = (1..=households).map(doc_id).collect();
    for id in &docs {
        server.create(*id, &household(&mut rng, &code), T0).unwrap();
    }
    server.register("a", Role::Helper, &[actor(1)], docs.clone());
    server.register("b", Role::Helper, &[actor(2)], docs.clone());
    let mut a = MemoryTablet::new("a", actor(1));
    let mut b = MemoryTablet::new("b", actor(2));
    a.sync(&mut server).unwrap();
    b.sync(&mut server).unwrap();
    Village { server, docs, a, b }
}

/// Sends a hand-made change from tablet "a" and returns the refusal code.
pub fn push_raw(
    v: &mut Village,
    id: DocId,
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> String {
    let server_doc = v.server.doc(&id).unwrap();
    let mut doc = server_doc.automerge().clone().with_actor(actor(1));
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit();
    let changes: Vec<Vec<u8>> = doc
        .get_changes(&server_doc.automerge().get_heads())
        .into_iter()
        .map(|mut c| c.bytes().into_owned())
        .collect();
    let mut held = std::collections::BTreeMap::new();
    for other in &v.docs {
        held.insert(*other, v.server.doc(other).unwrap().heads());
    }
    held.insert(id, zoufang_sync::heads::to_wire(&doc.get_heads()));
    let heads = held[&id].clone();
    let request = request_with_held(&held, vec![update(id, heads, changes)]);
    let reply = v.server.handle("a", &request).unwrap();
    let reply = decode_reply(&reply, &Limits::default()).unwrap();
    assert_eq!(
        v.server.doc(&id).unwrap().heads(),
        server_doc.heads(),
        "nothing merged"
    );
    let refusal = reply.refused.first().expect("a refusal");
    assert!(refusal.server_copy.is_some());
    refusal.code.clone()
}

/// An encoded request with its updates that lists `held` in full.
pub fn request_with_held(
    held: &std::collections::BTreeMap<DocId, Vec<wire::Head>>,
    updates: Vec<wire::DocUpdate>,
) -> Vec<u8> {
    encode(&wire::SyncRequest {
        v: wire::PROTOCOL_VERSION,
        digest: zoufang_sync::heads::held_digest(held),
        updates,
        held: Some(
            held.iter()
                .map(|(d, h)| wire::DocHeads {
                    doc: *d,
                    heads: h.clone(),
                })
                .collect(),
        ),
    })
}

/// One document's update.
pub fn update(doc: DocId, heads: Vec<wire::Head>, changes: Vec<Vec<u8>>) -> wire::DocUpdate {
    wire::DocUpdate {
        doc,
        heads,
        changes: changes
            .into_iter()
            .map(serde_bytes::ByteBuf::from)
            .collect(),
    }
}
