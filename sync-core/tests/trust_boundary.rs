#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
//! What a hostile device may not do through the protocol: widen its scope with its `held`
//! list, learn another village's heads, or store values the form does not have.

mod common;

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc, ScalarValue};
use common::*;
use std::collections::BTreeMap;
use zoufang_schemas::wire::{DocId, Head};
use zoufang_schemas::*;
use zoufang_sync::codec::{Limits, decode_reply, encode};
use zoufang_sync::memory::MemoryTablet;

/// A village of two households where tablet "c" may see only the first.
fn two_villages() -> (Village, MemoryTablet) {
    let mut v = village(2);
    v.server
        .register("c", Role::Helper, &[actor(3)], [v.docs[0]]);
    let mut c = MemoryTablet::new("c", actor(3));
    c.sync(&mut v.server).unwrap();
    (v, c)
}

/// A change signed by `signer` on top of the server's copy of `id`.
fn forged_change(v: &Village, id: DocId, signer: u8) -> (Vec<Vec<u8>>, Vec<Head>) {
    let server_doc = v.server.doc(&id).unwrap();
    let mut doc = server_doc.automerge().clone().with_actor(actor(signer));
    let mut tx = doc.transaction();
    let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
    tx.put(&household, "phone", "13000000000").unwrap();
    tx.commit();
    let changes = doc
        .get_changes(&server_doc.automerge().get_heads())
        .into_iter()
        .map(|mut c| c.bytes().into_owned())
        .collect();
    (changes, zoufang_sync::heads::to_wire(&doc.get_heads()))
}

#[test]
fn listing_a_foreign_household_as_held_does_not_let_its_changes_in() {
    let (mut v, c) = two_villages();
    let foreign = v.docs[1];
    let before = v.server.doc(&foreign).unwrap().heads();
    let (changes, heads) = forged_change(&v, foreign, 3);
    let mut held = BTreeMap::new();
    held.insert(v.docs[0], c.doc(&v.docs[0]).unwrap().heads());
    held.insert(foreign, heads.clone());
    let reply = v
        .server
        .handle(
            "c",
            &request_with_held(&held, vec![update(foreign, heads, changes)]),
        )
        .unwrap();
    let reply = decode_reply(&reply, &Limits::default()).unwrap();
    assert_eq!(reply.refused.len(), 1);
    assert_eq!(reply.refused[0].code, "document-out-of-scope");
    assert!(reply.refused[0].server_copy.is_none());
    assert_eq!(
        v.server.doc(&foreign).unwrap().heads(),
        before,
        "nothing stored"
    );
    assert!(reply.changes.iter().all(|c| c.doc != foreign));
    assert!(reply.resend.is_empty());
}

#[test]
fn a_change_with_an_unknown_dependency_does_not_reveal_a_foreign_households_heads() {
    let (mut v, c) = two_villages();
    let foreign = v.docs[1];
    // A change depending on a hash the server never saw.
    let mut doc = automerge::Automerge::new().with_actor(actor(3));
    let mut tx = doc.transaction();
    tx.put(ROOT, "x", 1).unwrap();
    tx.commit();
    let mut other = automerge::Automerge::new().with_actor(actor(3));
    other.merge(&mut doc).unwrap();
    let mut tx = other.transaction();
    tx.put(ROOT, "y", 2).unwrap();
    tx.commit();
    let unknown_dep: Vec<Vec<u8>> = other
        .get_changes(&doc.get_heads())
        .into_iter()
        .map(|mut c| c.bytes().into_owned())
        .collect();
    let heads = zoufang_sync::heads::to_wire(&other.get_heads());
    let mut held = BTreeMap::new();
    held.insert(v.docs[0], c.doc(&v.docs[0]).unwrap().heads());
    held.insert(foreign, heads.clone());
    let reply = v
        .server
        .handle(
            "c",
            &request_with_held(&held, vec![update(foreign, heads, unknown_dep)]),
        )
        .unwrap();
    let reply = decode_reply(&reply, &Limits::default()).unwrap();
    let server_heads = v.server.doc(&foreign).unwrap().heads();
    let bytes = encode(&reply);
    for head in &server_heads {
        assert!(
            !bytes.windows(32).any(|w| w == head.0),
            "the reply carries a head of the foreign household"
        );
    }
    assert_eq!(reply.refused[0].code, "document-out-of-scope");
}

#[test]
fn an_out_of_scope_name_reads_exactly_like_a_nonexistent_one() {
    let (mut v, c) = two_villages();
    let refusal_for = |v: &mut Village, id: DocId| {
        let (changes, heads) = forged_change(v, v.docs[1], 3);
        let mut held = BTreeMap::new();
        held.insert(v.docs[0], c.doc(&v.docs[0]).unwrap().heads());
        let reply = v
            .server
            .handle(
                "c",
                &request_with_held(&held, vec![update(id, heads, changes)]),
            )
            .unwrap();
        let reply = decode_reply(&reply, &Limits::default()).unwrap();
        let refusal = reply.refused[0].clone();
        (refusal.code, refusal.message, refusal.server_copy.is_some())
    };
    let foreign = v.docs[1];
    let existing = refusal_for(&mut v, foreign);
    let nonexistent = refusal_for(&mut v, doc_id(200));
    assert_eq!(existing, nonexistent);
}

/// Writes `value` at `household.<field>` from tablet "a" and returns the refusal code.
fn push_scalar(field: &str, value: impl Into<ScalarValue>) -> String {
    let mut v = village(1);
    let id = v.docs[0];
    let value = value.into();
    push_raw(&mut v, id, |tx| {
        let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
        tx.put(&household, field, value).unwrap();
    })
}

#[test]
fn values_the_form_does_not_have_are_refused_with_codes() {
    assert_eq!(push_scalar("hh_type", 42), "value-invalid");
    assert_eq!(push_scalar("hh_type", "RICH"), "value-invalid");
    assert_eq!(push_scalar("hh_type", ScalarValue::Null), "value-invalid");
    assert_eq!(push_scalar("injected_field", "x"), "field-unknown");
    assert_eq!(
        push_scalar("phone", ScalarValue::counter(5)),
        "value-invalid"
    );
    assert_eq!(
        push_scalar("phone", ScalarValue::Timestamp(5)),
        "value-invalid"
    );
    assert_eq!(push_scalar("phone", "1".repeat(500)), "value-invalid");
    assert_eq!(push_scalar("form_date", "2022-13-01"), "value-invalid");
    assert_eq!(push_scalar("no_labour", "yes"), "value-invalid");
}

#[test]
fn values_the_form_has_are_accepted() {
    let mut v = village(1);
    let id = v.docs[0];
    v.a.edit(&id, T0 + 1, |e| {
        e.put(&path("household.hh_type"), &"LIFTED")?;
        e.put(&path("income.wage"), &12000)?;
        e.put(&path("household.risk_types.ILLNESS"), &true)
    })
    .unwrap();
    v.a.sync(&mut v.server).unwrap();
    let record = v.server.doc(&id).unwrap().read().unwrap();
    assert_eq!(record.household.hh_type, HouseholdType::Lifted);
    assert_eq!(record.income.wage, Some(12000.0));
}

#[test]
fn a_new_member_without_the_required_fields_is_refused() {
    let mut v = village(1);
    let id = v.docs[0];
    let refused = push_raw(&mut v, id, |tx| {
        let (_, members) = tx.get(ROOT, "members").unwrap().unwrap();
        let member = tx
            .put_object(
                &members,
                "0b6f5a3c-7d1e-4c2a-9f00-123456789abc",
                automerge::ObjType::Map,
            )
            .unwrap();
        tx.put(&member, "name", "买买提").unwrap();
    });
    assert_eq!(refused, "entry-incomplete");
}

#[test]
fn a_bad_value_hidden_behind_a_concurrent_write_is_still_refused() {
    let mut v = village(1);
    let id = v.docs[0];
    // Tablet b writes a good phone and syncs; tablet a, not having seen it, writes a bad
    // value concurrently with an actor that loses the tie, so only a conflict shows it.
    v.b.edit(&id, T0 + 1, |e| {
        e.put(&path("household.phone"), &"13900000000")
    })
    .unwrap();
    v.b.sync(&mut v.server).unwrap();
    let server_doc = v.a.doc(&id).unwrap().automerge().clone();
    let mut doc = server_doc.with_actor(actor(1));
    let mut tx = doc.transaction();
    let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
    tx.put(&household, "phone", ScalarValue::counter(1))
        .unwrap();
    tx.commit();
    let before = v.server.doc(&id).unwrap().heads();
    let changes: Vec<Vec<u8>> = doc
        .get_changes(&v.a.doc(&id).unwrap().automerge().get_heads())
        .into_iter()
        .map(|mut c| c.bytes().into_owned())
        .collect();
    let heads = zoufang_sync::heads::to_wire(&doc.get_heads());
    let mut held = BTreeMap::new();
    held.insert(id, heads.clone());
    let reply = v
        .server
        .handle(
            "a",
            &request_with_held(&held, vec![update(id, heads, changes)]),
        )
        .unwrap();
    let reply = decode_reply(&reply, &Limits::default()).unwrap();
    assert_eq!(reply.refused[0].code, "value-invalid");
    assert_eq!(v.server.doc(&id).unwrap().heads(), before);
}
