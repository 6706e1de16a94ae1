//! Support for hostile-request tests: changes forged on the server's copy of a household,
//! raw sync requests, and a snapshot of what the server stores, to show that a refused
//! request changed nothing.

use crate::TestApp;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::collections::BTreeMap;
use zoufang_schemas::wire::{self, DocId, Head};
use zoufang_server::store::entities::{
    audit_entry, blob, doc_change, document, photo_link, photo_upload,
};
use zoufang_sync::automerge::transaction::Transaction;
use zoufang_sync::automerge::{ActorId, Automerge};
use zoufang_sync::codec::{Limits, decode_reply, encode};

/// What the server stores that a refused request must leave as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Heads per document, as stored.
    pub heads: BTreeMap<String, String>,
    /// Rows of the change log.
    pub changes: u64,
    /// Stored photos, references and uploads.
    pub photos: (u64, u64, u64),
}

/// Reads what the server stores.
pub async fn stored(app: &TestApp) -> Stored {
    let db = &app.state.db;
    let heads = document::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.doc_id, d.heads))
        .collect();
    Stored {
        heads,
        changes: doc_change::Entity::find().count(db).await.unwrap(),
        photos: (
            blob::Entity::find().count(db).await.unwrap(),
            photo_link::Entity::find().count(db).await.unwrap(),
            photo_upload::Entity::find().count(db).await.unwrap(),
        ),
    }
}

/// Entries in the audit log.
pub async fn audit_entries(app: &TestApp) -> u64 {
    audit_entry::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

/// The server's copy of a household.
pub async fn server_copy(app: &TestApp, id: &DocId) -> Automerge {
    zoufang_server::store::documents::load(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .doc
}

/// Changes signed by `actor` made on the server's copy of `id` by `edit`, with the heads
/// they lead to: what an attacker who knows a household's document could send.
pub async fn forge(
    app: &TestApp,
    id: &DocId,
    actor: &ActorId,
    edit: impl FnOnce(&mut Transaction<'_>),
) -> (Vec<Vec<u8>>, Vec<Head>) {
    let base = server_copy(app, id).await;
    let mut doc = base.clone().with_actor(actor.clone());
    let mut tx = doc.transaction();
    edit(&mut tx);
    tx.commit();
    let changes = doc
        .get_changes(&base.get_heads())
        .into_iter()
        .map(|mut c| c.bytes().into_owned())
        .collect();
    (changes, zoufang_sync::heads::to_wire(&doc.get_heads()))
}

/// A sync request with `updates` that lists `held` as everything the device holds.
pub fn request(held: &BTreeMap<DocId, Vec<Head>>, updates: Vec<wire::DocUpdate>) -> Vec<u8> {
    encode(&wire::SyncRequest {
        v: wire::PROTOCOL_VERSION,
        digest: zoufang_sync::heads::held_digest(held),
        updates,
        held: Some(
            held.iter()
                .map(|(doc, heads)| wire::DocHeads {
                    doc: *doc,
                    heads: heads.clone(),
                })
                .collect(),
        ),
    })
}

/// One document's update.
pub fn update(doc: DocId, heads: Vec<Head>, changes: Vec<Vec<u8>>) -> wire::DocUpdate {
    wire::DocUpdate {
        doc,
        heads,
        changes: changes
            .into_iter()
            .map(serde_bytes::ByteBuf::from)
            .collect(),
    }
}

/// Decodes a sync reply.
pub fn reply(bytes: &[u8]) -> wire::SyncReply {
    decode_reply(bytes, &Limits::default()).unwrap()
}

/// The server still answers: liveness and a real request.
pub async fn assert_healthy(app: &TestApp) {
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200, "the server stays up");
    let token = app.token("supervisor").await;
    let (status, _) = app.get(&token, "/api/v1/households").await;
    assert_eq!(status, 200, "and keeps serving");
}
