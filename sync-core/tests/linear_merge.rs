#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
//! The linear-merge shortcut of conflict extraction: a chain of changes made on top of the
//! server's heads cannot open a conflict, anything else is read in full.

use automerge::{ActorId, Automerge, Change};
use zoufang_schemas::RegionCode;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_sync::conflicts::{
    conflicts_after_linear_merge, conflicts_after_merge, extends_linearly,
};
use zoufang_sync::{DocPath, HouseholdDoc};

fn server_doc() -> HouseholdDoc {
    let village = RegionCode::parse("652822100201").unwrap();
    let record = household(&mut SampleRng::new(5), &village);
    HouseholdDoc::create(&record, ActorId::from([0u8; 16]), 1_700_000_000).unwrap()
}

fn tablet(server: &HouseholdDoc, n: u8) -> HouseholdDoc {
    HouseholdDoc::load(&server.save(), ActorId::from([n; 16])).unwrap()
}

fn edits(doc: &mut HouseholdDoc, fields: &[(&str, &str)]) -> Vec<Change> {
    let before = doc.automerge().get_heads();
    for (i, (field, value)) in fields.iter().enumerate() {
        let path = DocPath::parse(field).unwrap();
        doc.edit(1_700_000_100 + i as i64, |e| e.put(&path, value))
            .unwrap();
    }
    doc.automerge_mut().get_changes(&before)
}

fn merged(server: &HouseholdDoc, changes: &[Change]) -> Automerge {
    let mut doc = server.automerge().clone();
    doc.apply_changes(changes.iter().cloned()).unwrap();
    doc
}

#[test]
fn a_chain_on_the_server_heads_is_linear_and_opens_no_conflict() {
    let server = server_doc();
    let mut a = tablet(&server, 1);
    let changes = edits(
        &mut a,
        &[
            ("household.phone", "13899001122"),
            ("household.address", "a street"),
            ("household.phone", "13899001133"),
        ],
    );
    let heads = server.automerge().get_heads();
    assert!(extends_linearly(&heads, &changes));
    let doc = merged(&server, &changes);
    assert!(conflicts_after_linear_merge(&doc, &changes).is_empty());
    assert!(conflicts_after_merge(&doc, &changes).is_empty());
}

#[test]
fn changes_concurrent_with_the_server_are_not_linear_and_their_conflict_is_found() {
    let server = server_doc();
    let mut a = tablet(&server, 1);
    let mut b = tablet(&server, 2);
    let from_a = edits(&mut a, &[("household.phone", "13899001122")]);
    let from_b = edits(&mut b, &[("household.phone", "13899001199")]);
    let after_a = merged(&server, &from_a);
    let heads = after_a.get_heads();
    // b's change was made on the heads before a's: not a chain on the current heads.
    assert!(!extends_linearly(&heads, &from_b));
    let mut doc = after_a.clone();
    doc.apply_changes(from_b.iter().cloned()).unwrap();
    let found = conflicts_after_merge(&doc, &from_b);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, DocPath::parse("household.phone").unwrap());
}

#[test]
fn a_chain_out_of_order_or_on_other_heads_is_not_linear() {
    let server = server_doc();
    let mut a = tablet(&server, 1);
    let changes = edits(
        &mut a,
        &[("household.phone", "1"), ("household.address", "2")],
    );
    let heads = server.automerge().get_heads();
    let reversed: Vec<Change> = changes.iter().rev().cloned().collect();
    assert!(!extends_linearly(&heads, &reversed));
    assert!(!extends_linearly(&[], &changes));
    assert!(extends_linearly(&heads, &[]));
}
