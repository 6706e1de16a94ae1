#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
//! Property: several tablets and a server, random edits (including concurrent writes to the
//! same field), random sync orders, lost replies and partitions. Afterwards every replica
//! has identical heads and values, and every value any tablet wrote is the final value, a
//! recorded conflict candidate, or was overwritten by a writer who had seen it.

use automerge::{ActorId, ChangeHash};
use proptest::prelude::*;
use std::collections::BTreeMap;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::{DocId, Head};
use zoufang_schemas::*;
use zoufang_sync::DocPath;
use zoufang_sync::codec::encode;
use zoufang_sync::memory::{MemoryServer, MemoryTablet};

const TABLETS: usize = 3;
const DOCS: usize = 2;
const FIELDS: [&str; 4] = [
    "household.phone",
    "household.address",
    "water.source",
    "housing.fuel",
];
const VALUES: [&str; 3] = ["甲", "乙", "丙"];

#[derive(Debug, Clone)]
enum Op {
    Edit {
        tablet: usize,
        doc: usize,
        field: usize,
        value: usize,
    },
    AddMember {
        tablet: usize,
        doc: usize,
    },
    Sync {
        tablet: usize,
    },
    LostReply {
        tablet: usize,
    },
    Resolve {
        doc: usize,
        field: usize,
        value: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..TABLETS, 0..DOCS, 0..FIELDS.len(), 0..VALUES.len())
            .prop_map(|(tablet, doc, field, value)| Op::Edit { tablet, doc, field, value }),
        1 => (0..TABLETS, 0..DOCS).prop_map(|(tablet, doc)| Op::AddMember { tablet, doc }),
        4 => (0..TABLETS).prop_map(|tablet| Op::Sync { tablet }),
        1 => (0..TABLETS).prop_map(|tablet| Op::LostReply { tablet }),
        1 => (0..DOCS, 0..FIELDS.len(), 0..VALUES.len()).prop_map(|(doc, field, value)| Op::Resolve { doc, field, value }),
    ]
}

/// One write of a tracked field.
struct Write {
    doc: usize,
    field: usize,
    value: &'static str,
    hash: Head,
    superseded: bool,
}

fn doc_id(n: usize) -> DocId {
    let mut id = [0u8; 16];
    id[0] = n as u8 + 1;
    DocId(id)
}

fn contains(doc: &zoufang_sync::HouseholdDoc, hash: &Head) -> bool {
    doc.automerge()
        .get_change_meta_by_hash(&ChangeHash(hash.0))
        .is_some()
}

/// Earlier writes of (doc, field) that the writer's document already contains.
fn seen(writes: &[Write], doc: usize, field: usize, by: &zoufang_sync::HouseholdDoc) -> Vec<usize> {
    (0..writes.len())
        .filter(|&i| {
            writes[i].doc == doc && writes[i].field == field && contains(by, &writes[i].hash)
        })
        .collect()
}

/// Records a write; writing the value already there makes no change and records nothing.
fn record(writes: &mut Vec<Write>, seen: Vec<usize>, write: Option<Write>) {
    if let Some(write) = write {
        for i in seen {
            writes[i].superseded = true;
        }
        writes.push(write);
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    run_on(MemoryServer::new(ActorId::from([0u8; 16])), ops).map(|_| ())
}

/// Runs `ops` against `server`; returns every reply it sent.
fn run_on(mut server: MemoryServer, ops: Vec<Op>) -> Result<Vec<Vec<u8>>, TestCaseError> {
    let village = RegionCode::parse("652822100201").unwrap();
    let mut rng = SampleRng::new(5);
    let ids: Vec<DocId> = (0..DOCS).map(doc_id).collect();
    for id in &ids {
        server
            .create(*id, &household(&mut rng, &village), 1)
            .unwrap();
    }
    let mut tablets: Vec<MemoryTablet> = (0..TABLETS)
        .map(|t| {
            let actor = ActorId::from([t as u8 + 1; 16]);
            let name = format!("t{t}");
            server.register(
                &name,
                Role::Helper,
                std::slice::from_ref(&actor),
                ids.clone(),
            );
            MemoryTablet::new(&name, actor)
        })
        .collect();
    for t in &mut tablets {
        t.sync(&mut server).unwrap();
    }
    let mut writes: Vec<Write> = Vec::new();
    let mut time = 10;
    for op in ops {
        time += 1;
        match op {
            Op::Edit {
                tablet,
                doc,
                field,
                value,
            } => {
                let path = DocPath::parse(FIELDS[field]).unwrap();
                let t = &mut tablets[tablet];
                let seen = seen(&writes, doc, field, t.doc(&ids[doc]).unwrap());
                let (_, hash) = t
                    .edit(&ids[doc], time, |e| e.put(&path, &VALUES[value]))
                    .unwrap();
                let write = hash.map(|hash| Write {
                    doc,
                    field,
                    value: VALUES[value],
                    hash,
                    superseded: false,
                });
                record(&mut writes, seen, write);
            }
            Op::AddMember { tablet, doc } => {
                let member = Member::new("新成员", Sex::Female, Relation::Other);
                let id = rng.entry_id();
                tablets[tablet]
                    .edit(&ids[doc], time, |e| e.add_member(&id, &member))
                    .unwrap();
            }
            Op::Sync { tablet } => {
                tablets[tablet].sync(&mut server).unwrap();
            }
            Op::LostReply { tablet } => {
                let (request, _) = tablets[tablet].request();
                server
                    .handle(&tablets[tablet].device, &encode(&request))
                    .unwrap();
            }
            Op::Resolve { doc, field, value } => {
                let path = DocPath::parse(FIELDS[field]).unwrap();
                let before = server.doc(&ids[doc]).unwrap();
                let seen = seen(&writes, doc, field, &before);
                server
                    .edit(&ids[doc], time, |e| e.put(&path, &VALUES[value]))
                    .unwrap();
                let after = server.doc(&ids[doc]).unwrap();
                let write = (after.heads() != before.heads()).then(|| Write {
                    doc,
                    field,
                    value: VALUES[value],
                    hash: after.heads()[0],
                    superseded: false,
                });
                record(&mut writes, seen, write);
            }
        }
    }
    // Heal every partition: everyone syncs until quiet.
    for _ in 0..2 {
        for t in &mut tablets {
            t.sync(&mut server).unwrap();
        }
    }
    for (d, id) in ids.iter().enumerate() {
        let on_server = server.doc(id).unwrap();
        let expected = on_server.to_json(None);
        for t in &tablets {
            let doc = t.doc(id).unwrap();
            prop_assert_eq!(
                doc.heads(),
                on_server.heads(),
                "tablet {} doc {}",
                &t.device,
                d
            );
            prop_assert_eq!(doc.to_json(None), expected.clone());
        }
        prop_assert!(
            on_server.read().is_ok(),
            "the merged document still fits the schema"
        );
    }
    for t in &tablets {
        prop_assert!(t.refused.is_empty(), "{:?}", t.refused);
    }
    let conflicts: BTreeMap<(DocId, String), Vec<serde_json::Value>> = server
        .conflicts
        .iter()
        .fold(BTreeMap::new(), |mut acc, (doc, c)| {
            acc.entry((*doc, c.path.to_string()))
                .or_default()
                .extend(c.candidates.iter().map(|c| c.value.clone()));
            acc
        });
    for w in writes.iter().filter(|w| !w.superseded) {
        let path = DocPath::parse(FIELDS[w.field]).unwrap();
        let final_value = server
            .doc(&ids[w.doc])
            .unwrap()
            .get_as::<String>(&path)
            .unwrap();
        let recorded = conflicts
            .get(&(ids[w.doc], FIELDS[w.field].to_owned()))
            .is_some_and(|values| values.contains(&serde_json::json!(w.value)));
        prop_assert!(
            final_value.as_deref() == Some(w.value) || recorded,
            "write of {} to {} on doc {} was lost (final {:?})",
            w.value,
            FIELDS[w.field],
            w.doc,
            final_value
        );
    }
    Ok(server.replies)
}

proptest! {
    // PROPTEST_CASES=5000 for a longer search; 64 keeps the suite quick.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replicas_converge_and_no_write_is_lost_silently(ops in prop::collection::vec(op(), 1..40)) {
        run(ops)?;
    }

    /// Following the change feed from each device's cursor answers every request exactly
    /// as comparing the device's whole scope does.
    #[test]
    fn the_change_feed_answers_exactly_as_comparing_whole_scopes(ops in prop::collection::vec(op(), 1..40)) {
        let feed = run_on(MemoryServer::new(ActorId::from([0u8; 16])), ops.clone())?;
        let whole = run_on(MemoryServer::comparing_whole_scopes(ActorId::from([0u8; 16])), ops)?;
        prop_assert_eq!(feed.len(), whole.len());
        for (n, (a, b)) in feed.iter().zip(&whole).enumerate() {
            prop_assert!(a == b, "reply {} differs", n);
        }
    }
}

#[test]
fn two_tablets_writing_the_same_field_offline_converge_with_a_recorded_conflict() {
    run(vec![
        Op::Edit {
            tablet: 0,
            doc: 0,
            field: 0,
            value: 0,
        },
        Op::Edit {
            tablet: 1,
            doc: 0,
            field: 0,
            value: 1,
        },
        Op::Sync { tablet: 0 },
        Op::Sync { tablet: 1 },
    ])
    .unwrap();
}

#[test]
fn a_tablet_rewriting_a_value_the_server_already_replaced_keeps_both_visible() {
    run(vec![
        Op::Edit {
            tablet: 0,
            doc: 0,
            field: 2,
            value: 0,
        },
        Op::Resolve {
            doc: 0,
            field: 2,
            value: 0,
        },
        Op::Edit {
            tablet: 0,
            doc: 0,
            field: 0,
            value: 0,
        },
        Op::Sync { tablet: 0 },
        Op::Resolve {
            doc: 0,
            field: 2,
            value: 1,
        },
        Op::Edit {
            tablet: 0,
            doc: 0,
            field: 2,
            value: 0,
        },
    ])
    .unwrap();
}
