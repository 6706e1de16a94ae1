//! A document is merged in place, without a copy: a refused update rebuilds it as it was,
//! and an update that makes automerge fail part-way leaves it to be read again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use automerge::transaction::Transactable;
use automerge::{Automerge, Change, ROOT, ReadDoc};
use common::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use zoufang_schemas::Role;
use zoufang_sync::server::{DeviceContext, MergeResult, merge_document, restore_lost};

fn helper() -> DeviceContext {
    DeviceContext {
        role: Role::Helper,
        actors: Arc::new(HashSet::from([actor(1)])),
        villages: Arc::new(BTreeSet::new()),
    }
}

/// The server's copy of the village's first household, with its own actor.
fn server_copy() -> Automerge {
    let v = village(1);
    v.server
        .doc(&v.docs[0])
        .unwrap()
        .automerge()
        .clone()
        .with_actor(actor(0))
}

/// A change by tablet "a" writing `value` at `section.field` of `doc`.
fn tablet_change(doc: &Automerge, section: &str, field: &str, value: &str) -> Change {
    let mut tablet = doc.clone().with_actor(actor(1));
    let mut tx = tablet.transaction();
    let (_, obj) = tx.get(ROOT, section).unwrap().unwrap();
    tx.put(&obj, field, value).unwrap();
    tx.commit();
    let mut changes = tablet.get_changes(&doc.get_heads());
    assert_eq!(changes.len(), 1);
    changes.remove(0)
}

#[test]
fn a_refused_update_leaves_the_document_as_it_was_with_its_actor() {
    let mut doc = server_copy();
    let original = doc.clone();
    let refused = tablet_change(&doc, "household", "monitor_category", "MARGINAL");
    let result = merge_document(&mut doc, vec![refused], &helper());
    match &result {
        MergeResult::Refused(err) => assert_eq!(err.code(), "field-not-writable"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(doc.get_heads(), original.get_heads());
    assert_eq!(doc.get_actor(), original.get_actor());
    assert_eq!(doc.hydrate(None), original.hydrate(None));
    // The document rebuilt takes the next update as the original would.
    let allowed = tablet_change(&doc, "household", "phone", "13800001111");
    let hash = allowed.hash();
    match merge_document(&mut doc, vec![allowed], &helper()) {
        MergeResult::Merged(merged) => assert_eq!(merged.changes.len(), 1),
        other => panic!("expected a merge, got {other:?}"),
    }
    assert_eq!(doc.get_heads(), vec![hash]);
}

#[test]
fn a_change_that_makes_automerge_panic_is_lost_and_the_stored_copy_put_back() {
    let mut doc = server_copy();
    let original = doc.clone();
    // An honest edit whose operation is moved onto an object of an actor the document
    // never saw: automerge 0.12 panics importing it (an `unwrap` on the actor lookup).
    let mut expanded = tablet_change(&doc, "household", "phone", "13800001111").decode();
    expanded.operations[0].obj =
        automerge::legacy::ObjectId::Id(automerge::legacy::OpId(1, actor(9)));
    let crafted = Change::from(expanded);
    let id = doc_id(1);
    let result = merge_document(&mut doc, vec![crafted], &helper());
    assert_eq!(result, MergeResult::Lost);
    assert!(doc.get_heads().is_empty(), "what was left is not kept");
    let mut results = BTreeMap::from([(id, result)]);
    let mut docs = BTreeMap::from([(id, doc)]);
    restore_lost(&mut results, &mut docs, |wanted| {
        (*wanted == id).then(|| original.clone())
    });
    assert_eq!(results[&id], MergeResult::Unprocessable);
    assert_eq!(docs[&id].get_heads(), original.get_heads());
    // A document storage cannot give back leaves the request's documents.
    let mut results = BTreeMap::from([(id, MergeResult::Lost)]);
    restore_lost(&mut results, &mut docs, |_| None);
    assert!(docs.is_empty());
    assert_eq!(results[&id], MergeResult::Lost);
}
