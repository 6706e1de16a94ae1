#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
//! Sync rounds between in-memory tablets and server: conflicts, authority, replay, scope.

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::*;
use zoufang_sync::codec::{Limits, decode_reply, encode};
use zoufang_sync::memory::{MemoryServer, MemoryTablet};

mod common;
use common::*;

#[test]
fn first_sync_downloads_every_household_in_one_round_trip() {
    let mut v = village(0);
    let code = RegionCode::parse("652822100201").unwrap();
    let mut rng = SampleRng::new(1);
    let ids: Vec<DocId> = (1..=20).map(doc_id).collect();
    for id in &ids {
        v.server
            .create(*id, &household(&mut rng, &code), T0)
            .unwrap();
    }
    v.server.set_scope("a", ids.clone());
    let stats = v.a.sync(&mut v.server).unwrap();
    assert_eq!(stats.round_trips, 1);
    assert_eq!(stats.docs_received, 20);
    assert_eq!(v.a.doc_ids(), ids);
    for id in &ids {
        assert_eq!(
            v.a.doc(id).unwrap().read().unwrap(),
            v.server.doc(id).unwrap().read().unwrap()
        );
    }
}

#[test]
fn an_up_to_date_check_loads_no_document_and_is_tiny() {
    let mut v = village(30);
    let loads = v.server.loads;
    let stats = v.a.sync(&mut v.server).unwrap();
    assert_eq!(stats.round_trips, 1);
    assert_eq!(
        v.server.loads, loads,
        "nothing is loaded when the digest matches"
    );
    assert!(stats.bytes_up + stats.bytes_down < 200, "{stats:?}");
}

#[test]
fn concurrent_writes_of_one_field_become_a_conflict_with_every_candidate() {
    let mut v = village(3);
    let id = v.docs[0];
    let phone = path("household.address");
    let before = v.server.doc(&id).unwrap().get(&phone).unwrap();
    assert!(before.is_some());
    v.a.edit(&id, T0 + 100, |e| e.put(&phone, &"13800000001"))
        .unwrap();
    v.b.edit(&id, T0 + 200, |e| e.put(&phone, &"13800000002"))
        .unwrap();
    v.a.sync(&mut v.server).unwrap();
    assert!(v.server.conflicts.is_empty());
    v.b.sync(&mut v.server).unwrap();

    assert_eq!(v.server.conflicts.len(), 1);
    let (doc, conflict) = &v.server.conflicts[0];
    assert_eq!(*doc, id);
    assert_eq!(conflict.path, phone);
    assert_eq!(conflict.before, before);
    let mut values: Vec<_> = conflict
        .candidates
        .iter()
        .map(|c| c.value.clone())
        .collect();
    values.sort_by_key(|v| v.to_string());
    assert_eq!(
        values,
        vec![
            serde_json::json!("13800000001"),
            serde_json::json!("13800000002")
        ]
    );
    let by_a = conflict
        .candidates
        .iter()
        .find(|c| c.value == "13800000001")
        .unwrap();
    assert_eq!(by_a.actor, actor(1).to_hex_string());
    assert_eq!(by_a.time, T0 + 100);
    assert_eq!(by_a.change.len(), 64);
    assert!(
        conflict
            .candidates
            .iter()
            .any(|c| c.value == conflict.winner)
    );
}

#[test]
fn concurrent_equal_values_are_not_a_conflict() {
    let mut v = village(2);
    let id = v.docs[1];
    let grade = path("housing.danger_grade");
    v.a.edit(&id, T0 + 1, |e| e.put(&grade, &DangerGrade::C))
        .unwrap();
    v.b.edit(&id, T0 + 2, |e| e.put(&grade, &DangerGrade::C))
        .unwrap();
    v.a.sync(&mut v.server).unwrap();
    v.b.sync(&mut v.server).unwrap();
    assert!(v.server.conflicts.is_empty());
    assert_eq!(
        v.server
            .doc(&id)
            .unwrap()
            .get_as::<DangerGrade>(&grade)
            .unwrap(),
        Some(DangerGrade::C)
    );
}

#[test]
fn edits_to_different_fields_merge_silently_and_converge() {
    let mut v = village(2);
    let id = v.docs[0];
    v.a.edit(&id, T0 + 1, |e| {
        e.put(&path("household.phone"), &"13800000001")
    })
    .unwrap();
    v.b.edit(&id, T0 + 2, |e| e.put(&path("water.source"), &"井水"))
        .unwrap();
    v.a.sync(&mut v.server).unwrap();
    v.b.sync(&mut v.server).unwrap();
    v.a.sync(&mut v.server).unwrap();
    assert!(v.server.conflicts.is_empty());
    let a = v.a.doc(&id).unwrap();
    let b = v.b.doc(&id).unwrap();
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.heads(), v.server.doc(&id).unwrap().heads());
    let record = a.read().unwrap();
    assert_eq!(record.household.phone.as_deref(), Some("13800000001"));
    assert_eq!(record.water.source.as_deref(), Some("井水"));
}

#[test]
fn a_supervisor_resolution_reaches_both_tablets() {
    let mut v = village(1);
    let id = v.docs[0];
    let wage = path("income.wage");
    v.a.edit(&id, T0 + 1, |e| e.put(&wage, &20_000.0)).unwrap();
    v.b.edit(&id, T0 + 2, |e| e.put(&wage, &24_000.0)).unwrap();
    v.a.sync(&mut v.server).unwrap();
    v.b.sync(&mut v.server).unwrap();
    assert_eq!(v.server.conflicts.len(), 1);
    v.server
        .edit(&id, T0 + 3, |e| e.put(&wage, &22_000.0))
        .unwrap();
    v.a.sync(&mut v.server).unwrap();
    v.b.sync(&mut v.server).unwrap();
    for tablet in [&v.a, &v.b] {
        let doc = tablet.doc(&id).unwrap();
        assert_eq!(doc.get_as::<f64>(&wage).unwrap(), Some(22_000.0));
        assert_eq!(doc.heads(), v.server.doc(&id).unwrap().heads());
    }
}

#[test]
fn a_helper_changing_a_protected_field_is_refused_and_reset() {
    let mut v = village(1);
    let id = v.docs[0];
    let server_before = v.server.doc(&id).unwrap().heads();
    v.a.edit(&id, T0 + 1, |e| {
        e.put(
            &path("household.monitor_category"),
            &MonitorCategory::Marginal,
        )
    })
    .unwrap();
    v.a.sync(&mut v.server).unwrap();
    assert_eq!(v.a.refused.len(), 1);
    assert_eq!(v.a.refused[0].code, "field-not-writable");
    assert_eq!(
        v.server.doc(&id).unwrap().heads(),
        server_before,
        "nothing was merged"
    );
    assert_eq!(
        v.a.doc(&id).unwrap().heads(),
        server_before,
        "the tablet got the server's copy back"
    );
    for protected in [
        "household.region_code",
        "monitoring.risk_eliminated",
        "monitoring.elimination_mode",
    ] {
        v.a.edit(&id, T0 + 2, |e| e.put(&path(protected), &"X"))
            .unwrap();
        v.a.sync(&mut v.server).unwrap();
        assert_eq!(
            v.a.refused.last().unwrap().code,
            "field-not-writable",
            "{protected}"
        );
    }
    assert_eq!(v.server.doc(&id).unwrap().heads(), server_before);
    // The next sync is clean again.
    let stats = v.a.sync(&mut v.server).unwrap();
    assert_eq!((stats.round_trips, stats.docs_sent), (1, 0));
}

#[test]
fn no_tablet_sets_the_monitoring_category_not_even_a_county_officers() {
    let mut v = village(1);
    let id = v.docs[0];
    let before = v.server.doc(&id).unwrap().heads();
    v.server
        .register("county", Role::CountyOfficer, &[actor(7)], v.docs.clone());
    let mut county = MemoryTablet::new("county", actor(7));
    county.sync(&mut v.server).unwrap();
    for (field, value) in [
        ("household.monitor_category", "MARGINAL"),
        ("monitoring.identified_month", "2026-11"),
    ] {
        county
            .edit(&id, T0, |e| e.put(&path(field), &value))
            .unwrap();
        county.sync(&mut v.server).unwrap();
        assert_eq!(
            county.refused.last().map(|r| r.code.as_str()),
            Some("field-not-writable"),
            "{field}"
        );
    }
    assert_eq!(v.server.doc(&id).unwrap().heads(), before);
}

#[test]
fn changes_signed_with_another_devices_actor_are_refused() {
    let mut v = village(1);
    let id = v.docs[0];
    // Tablet "a" signs with b's actor.
    let mut impostor = MemoryTablet::new("a", actor(2));
    impostor.sync(&mut v.server).unwrap();
    let heads = v.server.doc(&id).unwrap().heads();
    impostor
        .edit(&id, T0, |e| e.put(&path("household.phone"), &"1"))
        .unwrap();
    impostor.sync(&mut v.server).unwrap();
    assert_eq!(impostor.refused.last().unwrap().code, "actor-not-of-device");
    assert_eq!(v.server.doc(&id).unwrap().heads(), heads);
}

#[test]
fn deleting_a_map_key_is_refused() {
    let mut v = village(1);
    let id = v.docs[0];
    let refused = push_raw(&mut v, id, |tx| {
        let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
        tx.delete(&household, "address").unwrap();
    });
    assert_eq!(refused, "map-delete-forbidden");
}

#[test]
fn replacing_a_container_is_refused() {
    let mut v = village(1);
    let id = v.docs[0];
    let refused = push_raw(&mut v, id, |tx| {
        tx.put_object(ROOT, "members", automerge::ObjType::Map)
            .unwrap();
    });
    assert_eq!(refused, "container-replaced");
    let refused = push_raw(&mut v, id, |tx| {
        let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
        tx.put_object(&household, "risk_types", automerge::ObjType::Map)
            .unwrap();
    });
    assert_eq!(refused, "container-replaced");
}

#[test]
fn a_value_written_over_a_container_is_refused_and_over_a_field_accepted() {
    let mut v = village(1);
    let id = v.docs[0];
    let refused = push_raw(&mut v, id, |tx| {
        tx.put(ROOT, "members", "gone").unwrap();
    });
    assert_eq!(refused, "container-replaced");
    let refused = push_raw(&mut v, id, |tx| {
        let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
        tx.put(&household, "risk_types", "gone").unwrap();
    });
    assert_eq!(refused, "container-replaced");
    let heads = v.server.doc(&id).unwrap().heads();
    v.a.edit(&id, T0 + 1, |e| {
        e.put(&path("household.phone"), &"13800000000")
    })
    .unwrap();
    v.a.sync(&mut v.server).unwrap();
    assert!(v.a.refused.is_empty(), "{:?}", v.a.refused);
    assert_ne!(v.server.doc(&id).unwrap().heads(), heads);
}

#[test]
fn entries_under_invalid_keys_or_lists_are_refused() {
    let mut v = village(1);
    let id = v.docs[0];
    let refused = push_raw(&mut v, id, |tx| {
        let (_, members) = tx.get(ROOT, "members").unwrap().unwrap();
        tx.put_object(&members, "bob", automerge::ObjType::Map)
            .unwrap();
    });
    assert_eq!(refused, "entry-key-invalid");
    let refused = push_raw(&mut v, id, |tx| {
        let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
        let list = tx
            .put_object(&household, "notes", automerge::ObjType::List)
            .unwrap();
        tx.insert(&list, 0, "x").unwrap();
    });
    assert!(
        refused == "operation-unsupported" || refused == "container-replaced",
        "{refused}"
    );
}

#[test]
fn replaying_a_request_changes_nothing() {
    let mut v = village(2);
    let id = v.docs[0];
    v.a.edit(&id, T0 + 1, |e| {
        e.put(&path("household.phone"), &"13800000001")
    })
    .unwrap();
    let (request, _) = v.a.request();
    let bytes = encode(&request);
    v.server.handle("a", &bytes).unwrap();
    let after_first = v.server.doc(&id).unwrap().heads();
    let conflicts = v.server.conflicts.len();
    let replay = decode_reply(&v.server.handle("a", &bytes).unwrap(), &Limits::default()).unwrap();
    assert_eq!(v.server.doc(&id).unwrap().heads(), after_first);
    assert_eq!(v.server.conflicts.len(), conflicts);
    assert!(replay.refused.is_empty());
    // The tablet never saw the first reply; it still converges.
    let stats = v.a.sync(&mut v.server).unwrap();
    assert!(stats.round_trips <= 2, "{stats:?}");
    assert_eq!(v.a.doc(&id).unwrap().heads(), after_first);
    assert_eq!(v.a.sync(&mut v.server).unwrap().round_trips, 1);
}

#[test]
fn a_lost_reply_falls_back_to_listing_held_documents() {
    let mut v = village(5);
    let id = v.docs[2];
    v.b.edit(&id, T0, |e| e.put(&path("household.address"), &"3组7号"))
        .unwrap();
    v.b.sync(&mut v.server).unwrap();
    // a's reply is lost: the server believes a has b's edit, a does not.
    let (request, _) = v.a.request();
    v.server.handle("a", &encode(&request)).unwrap();
    let stats = v.a.sync(&mut v.server).unwrap();
    assert_eq!(stats.round_trips, 2, "digest mismatch, then the held list");
    assert_eq!(
        v.a.doc(&id).unwrap().heads(),
        v.server.doc(&id).unwrap().heads()
    );
}

#[test]
fn a_reinstalled_tablet_with_its_documents_recovers_without_losing_edits() {
    let mut v = village(3);
    let id = v.docs[1];
    v.a.edit(&id, T0, |e| e.put(&path("housing.fuel"), &"煤"))
        .unwrap();
    v.a.forget_sync_state();
    v.a.sync(&mut v.server).unwrap();
    v.a.sync(&mut v.server).unwrap();
    let server = v.server.doc(&id).unwrap();
    assert_eq!(
        server
            .get_as::<String>(&path("housing.fuel"))
            .unwrap()
            .as_deref(),
        Some("煤")
    );
    assert_eq!(v.a.doc(&id).unwrap().heads(), server.heads());
}

#[test]
fn a_household_leaving_the_scope_is_uploaded_first_then_purged() {
    let mut v = village(3);
    let leaving = v.docs[2];
    v.a.edit(&leaving, T0, |e| {
        e.put(&path("household.phone"), &"13800000009")
    })
    .unwrap();
    v.server.set_scope("a", v.docs[..2].to_vec());
    v.a.sync(&mut v.server).unwrap();
    assert!(v.a.refused.is_empty());
    let on_server = v.server.doc(&leaving).unwrap();
    assert_eq!(
        on_server
            .get_as::<String>(&path("household.phone"))
            .unwrap()
            .as_deref(),
        Some("13800000009")
    );
    assert_eq!(v.a.doc_ids(), v.docs[..2].to_vec());
    // Once gone, further updates for it are refused.
    assert_eq!(v.a.sync(&mut v.server).unwrap().round_trips, 1);
}

#[test]
fn updates_to_a_household_never_in_scope_are_refused() {
    let mut v = village(2);
    v.server
        .register("c", Role::Helper, &[actor(3)], [v.docs[0]]);
    let mut c = MemoryTablet::new("c", actor(3));
    c.sync(&mut v.server).unwrap();
    // c gets hold of a document outside its scope and edits it.
    let mut foreign = MemoryTablet::new("a", actor(1));
    foreign.sync(&mut v.server).unwrap();
    let id = v.docs[1];
    let heads = v.server.doc(&id).unwrap().heads();
    let doc_bytes = foreign.doc(&id).unwrap().save();
    let mut stolen = zoufang_sync::HouseholdDoc::load(&doc_bytes, actor(3)).unwrap();
    stolen
        .edit(T0, |e| e.put(&path("household.phone"), &"1"))
        .unwrap();
    let changes = zoufang_sync::memory::changes_since(stolen.automerge(), &heads);
    let mut held = std::collections::BTreeMap::new();
    held.insert(v.docs[0], v.server.doc(&v.docs[0]).unwrap().heads());
    held.insert(id, stolen.heads());
    let request = wire::SyncRequest {
        v: wire::PROTOCOL_VERSION,
        digest: zoufang_sync::heads::held_digest(&held),
        updates: vec![wire::DocUpdate {
            doc: id,
            heads: stolen.heads(),
            changes: changes
                .into_iter()
                .map(serde_bytes::ByteBuf::from)
                .collect(),
        }],
        held: None,
    };
    let reply = decode_reply(
        &v.server.handle("c", &encode(&request)).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(reply.refused[0].code, "document-out-of-scope");
    assert!(
        reply.refused[0].server_copy.is_none(),
        "no copy of a foreign household"
    );
    assert!(reply.leaving.contains(&id));
    assert_eq!(v.server.doc(&id).unwrap().heads(), heads);
}

#[test]
fn a_server_restored_from_backup_gets_the_lost_changes_resent() {
    let mut v = village(1);
    let id = v.docs[0];
    let backup = v.server.doc(&id).unwrap().save();
    v.a.edit(&id, T0, |e| e.put(&path("household.phone"), &"13800000001"))
        .unwrap();
    v.a.sync(&mut v.server).unwrap();
    // The server is restored from a backup taken before that sync.
    let mut restored = MemoryServer::new(actor(0));
    restored.insert_saved(id, &backup).unwrap();
    restored.register("a", Role::Helper, &[actor(1)], [id]);
    v.a.edit(&id, T0 + 1, |e| {
        e.put(&path("household.address"), &"1组1号")
    })
    .unwrap();
    let stats = v.a.sync(&mut restored).unwrap();
    assert!(stats.round_trips <= 3, "{stats:?}");
    let doc = restored.doc(&id).unwrap();
    assert_eq!(
        doc.get_as::<String>(&path("household.phone"))
            .unwrap()
            .as_deref(),
        Some("13800000001")
    );
    assert_eq!(
        doc.get_as::<String>(&path("household.address"))
            .unwrap()
            .as_deref(),
        Some("1组1号")
    );
    assert_eq!(v.a.doc(&id).unwrap().heads(), doc.heads());
    assert!(v.a.refused.is_empty());
}
