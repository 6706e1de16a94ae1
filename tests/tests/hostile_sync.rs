//! Hostile sync requests from holders of valid accounts: widening the scope with `held`,
//! probing other villages, values the form does not have, moving households out of reach,
//! and devices registered with actors that are not theirs. Each is refused with its code,
//! changes nothing the server stores, and leaves the server serving.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeMap;
use zoufang_e2e::hostile::{
    assert_healthy, audit_entries, forge, reply, request, server_copy, stored, update,
};
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_schemas::wire::DocId;
use zoufang_sync::automerge::transaction::Transactable;
use zoufang_sync::automerge::{ROOT, ReadDoc, ScalarValue};

/// Puts `value` at `household.<field>`.
fn put_household(
    field: &'static str,
    value: ScalarValue,
) -> impl FnOnce(&mut zoufang_sync::automerge::transaction::Transaction<'_>) {
    move |tx| {
        let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
        tx.put(&household, field, value).unwrap();
    }
}

on_both_databases! {
    async fn a_foreign_household_listed_as_held_is_refused_and_nothing_is_stored(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let foreign = app.village_b[0];
        let before = stored(&app).await;
        // A change made by hand on the seeding actor's objects, signed with the helper's
        // own registered actor, for a household the helper never had.
        let actor = helper.tablet.actor().clone();
        let (changes, heads) = forge(&app, &foreign, &actor, put_household("phone", "13000000000".into())).await;
        let mut held: BTreeMap<DocId, _> = app.village_a.iter().map(|id| (*id, helper.tablet.doc(id).unwrap().heads())).collect();
        held.insert(foreign, heads.clone());
        let (status, body) = helper.post_sync(request(&held, vec![update(foreign, heads, changes)])).await;
        assert_eq!(status, 200);
        let answer = reply(&body);
        assert_eq!(answer.refused.len(), 1);
        assert_eq!(answer.refused[0].code, "document-out-of-scope");
        assert!(answer.refused[0].server_copy.is_none(), "no copy of a foreign household");
        assert!(answer.changes.iter().all(|c| c.doc != foreign) && answer.resend.is_empty());
        assert_eq!(stored(&app).await, before, "nothing stored");
        let county = app.token("county").await;
        let (_, record) = app.get(&county, &format!("/api/v1/households/{foreign}")).await;
        assert_ne!(record["record"]["household"]["phone"], "13000000000");
        assert_healthy(&app).await;
        app.teardown().await;
    }

    async fn an_unknown_dependency_reveals_nothing_of_a_foreign_household(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let foreign = app.village_b[0];
        // A change whose dependency the server never saw.
        let actor = helper.tablet.actor().clone();
        let mut first = zoufang_sync::automerge::Automerge::new().with_actor(actor.clone());
        let mut tx = first.transaction();
        tx.put(ROOT, "x", 1).unwrap();
        tx.commit();
        let mut second = first.fork().with_actor(actor);
        let mut tx = second.transaction();
        tx.put(ROOT, "y", 2).unwrap();
        tx.commit();
        let changes: Vec<Vec<u8>> = second.get_changes(&first.get_heads()).into_iter().map(|mut c| c.bytes().into_owned()).collect();
        let heads = zoufang_sync::heads::to_wire(&second.get_heads());
        let mut held: BTreeMap<DocId, _> = app.village_a.iter().map(|id| (*id, helper.tablet.doc(id).unwrap().heads())).collect();
        held.insert(foreign, heads.clone());
        let (_, body) = helper.post_sync(request(&held, vec![update(foreign, heads, changes)])).await;
        let server_heads = zoufang_sync::heads::to_wire(&server_copy(&app, &foreign).await.get_heads());
        for head in &server_heads {
            assert!(!body.windows(32).any(|w| w == head.0), "the reply carries a head of the foreign household");
        }
        assert_eq!(reply(&body).refused[0].code, "document-out-of-scope");
        app.teardown().await;
    }

    async fn an_out_of_scope_name_gets_the_answer_of_a_nonexistent_one(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let actor = helper.tablet.actor().clone();
        let (changes, heads) = forge(&app, &app.village_b[0], &actor, put_household("phone", "1".into())).await;
        let held: BTreeMap<DocId, _> = app.village_a.iter().map(|id| (*id, helper.tablet.doc(id).unwrap().heads())).collect();
        let mut answers = Vec::new();
        for id in [app.village_b[0], DocId([9; 16])] {
            let (status, body) = helper.post_sync(request(&held, vec![update(id, heads.clone(), changes.clone())])).await;
            let refusal = reply(&body).refused[0].clone();
            answers.push((status, refusal.code, refusal.message, refusal.server_copy.is_some()));
        }
        assert_eq!(answers[0], answers[1]);
        app.teardown().await;
    }

    async fn naming_many_out_of_scope_households_is_refused_whole_and_cheaply(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let actor = helper.tablet.actor().clone();
        let (changes, heads) = forge(&app, &app.village_b[0], &actor, put_household("phone", "1".into())).await;
        let held: BTreeMap<DocId, _> = app.village_a.iter().map(|id| (*id, helper.tablet.doc(id).unwrap().heads())).collect();
        let updates = (0..20_000u32)
            .map(|n| {
                let mut id = [0u8; 16];
                id[..4].copy_from_slice(&n.to_be_bytes());
                update(DocId(id), heads.clone(), changes.clone())
            })
            .collect();
        let before = (stored(&app).await, audit_entries(&app).await);
        let (status, body) = helper.post_sync(request(&held, updates)).await;
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, error["code"].as_str()), (403, Some("scope-exceeded")));
        assert!(body.len() < 1024, "a small answer: {} bytes", body.len());
        assert_eq!((stored(&app).await, audit_entries(&app).await), before, "nothing stored, not even an audit entry per name");
        assert_healthy(&app).await;
        app.teardown().await;
    }

    async fn values_the_form_does_not_have_are_refused_and_later_requests_still_work(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        let mut other = app.tablet("helper_a2").await;
        helper.sync().await.unwrap();
        other.sync().await.unwrap();
        let id = app.village_a[0];
        let actor = helper.tablet.actor().clone();
        let cases: [(&str, ScalarValue, &str); 5] = [
            ("hh_type", 42.into(), "value-invalid"),
            ("injected_field", "x".into(), "field-unknown"),
            ("address", ScalarValue::counter(3), "value-invalid"),
            ("phone", "1".repeat(200).into(), "value-invalid"),
            ("form_date", "2022-02-30".into(), "value-invalid"),
        ];
        for (field, value, code) in cases {
            let before = stored(&app).await;
            let (changes, heads) = forge(&app, &id, &actor, put_household(field, value)).await;
            let held: BTreeMap<DocId, _> = app.village_a.iter().map(|d| (*d, if *d == id { heads.clone() } else { helper.tablet.doc(d).unwrap().heads() })).collect();
            let (status, body) = helper.post_sync(request(&held, vec![update(id, heads, changes)])).await;
            assert_eq!(status, 200);
            let answer = reply(&body);
            assert_eq!(answer.refused[0].code, code, "{field}");
            assert!(answer.refused[0].server_copy.is_some(), "the tablet gets the server's copy to reset to");
            assert_eq!(stored(&app).await, before, "{field}: nothing stored");
        }
        // A conflict on the same household resolves normally; a resolution of the wrong
        // type is refused with a code.
        let phone = zoufang_sync::DocPath::parse("household.phone").unwrap();
        helper.tablet.edit(&id, 1_800_000_001, |e| e.put(&phone, &"13800000001")).unwrap();
        other.tablet.edit(&id, 1_800_000_002, |e| e.put(&phone, &"13800000002")).unwrap();
        helper.sync().await.unwrap();
        other.sync().await.unwrap();
        let supervisor = app.token("supervisor").await;
        let (_, list) = app.get(&supervisor, "/api/v1/conflicts?status=OPEN").await;
        let conflict = list[0]["id"].as_i64().unwrap();
        let resolve = format!("/api/v1/conflicts/{conflict}/resolve");
        let (status, body) = app.post(&supervisor, &resolve, &serde_json::json!({ "value": 42 })).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("value-invalid")), "{body}");
        let (status, body) = app.post(&supervisor, &resolve, &serde_json::json!({ "value": "13900000000" })).await;
        assert_eq!(status, 200, "{body}");
        assert_healthy(&app).await;
        app.teardown().await;
    }

    async fn a_change_that_makes_automerge_fail_part_way_is_refused_and_the_household_read_again(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let id = app.village_a[0];
        let phone = zoufang_sync::DocPath::parse("household.phone").unwrap();
        // Merged once, so the server holds the household in its cache.
        helper.tablet.edit(&id, 1_800_000_001, |e| e.put(&phone, &"13800000001")).unwrap();
        helper.sync().await.unwrap();
        let before = stored(&app).await;
        // An honest edit moved onto an object of an actor the household never saw:
        // automerge panics while applying it, after changing the document in place.
        let actor = helper.tablet.actor().clone();
        let (changes, _) = forge(&app, &id, &actor, put_household("phone", "13800000002".into())).await;
        let mut expanded = zoufang_sync::automerge::Change::try_from(&changes[0][..]).unwrap().decode();
        expanded.operations[0].obj = zoufang_sync::automerge::legacy::ObjectId::Id(
            zoufang_sync::automerge::legacy::OpId(1, zoufang_sync::automerge::ActorId::from([9u8; 16])),
        );
        let mut crafted = zoufang_sync::automerge::Change::from(expanded);
        let heads = vec![zoufang_schemas::wire::Head(crafted.hash().0)];
        let held: BTreeMap<DocId, _> = app.village_a.iter().map(|d| (*d, if *d == id { heads.clone() } else { helper.tablet.doc(d).unwrap().heads() })).collect();
        let (status, body) = helper.post_sync(request(&held, vec![update(id, heads, vec![crafted.bytes().into_owned()])])).await;
        assert_eq!(status, 200);
        let answer = reply(&body);
        assert_eq!(answer.refused[0].code, "change-invalid");
        let copy = answer.refused[0].server_copy.as_ref().expect("the server's copy to reset to");
        assert_eq!(copy.heads, zoufang_sync::heads::to_wire(&server_copy(&app, &id).await.get_heads()), "the copy is the stored household");
        assert_eq!(stored(&app).await, before, "nothing stored");
        // The household was read again, not kept as the failed merge left it: the next
        // honest edit merges onto it.
        helper.tablet.edit(&id, 1_800_000_003, |e| e.put(&phone, &"13800000003")).unwrap();
        helper.sync().await.unwrap();
        let merged = server_copy(&app, &id).await;
        assert_eq!(zoufang_sync::heads::to_wire(&merged.get_heads()), helper.tablet.doc(&id).unwrap().heads());
        let (_, household) = merged.get(ROOT, "household").unwrap().unwrap();
        let (value, _) = merged.get(&household, "phone").unwrap().unwrap();
        assert_eq!(value.as_str(), Some("13800000003"));
        assert_healthy(&app).await;
        app.teardown().await;
    }

    async fn a_household_moves_only_to_an_existing_village_in_the_writers_scope(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut county = app.tablet("county").await;
        county.sync().await.unwrap();
        let id = app.village_a[0];
        let region = zoufang_sync::DocPath::parse("household.region_code").unwrap();
        for (target, code) in [
            ("652823100201", "region-invalid"), // another county
            ("65", "region-invalid"),           // not a village
            ("652822100299", "region-invalid"), // no such village
            ("6528221002", "value-invalid"),    // not a region code
        ] {
            let before = stored(&app).await;
            county.tablet.edit(&id, 1_800_000_000, |e| e.put(&region, &target)).unwrap();
            county.sync().await.unwrap();
            let refusal = county.tablet.refused.last().unwrap();
            assert_eq!(refusal.code, code, "{target}");
            assert_eq!(stored(&app).await, before, "{target}: nothing stored");
            let shown = county.tablet.doc(&id).unwrap();
            assert_eq!(shown.get_as::<String>(&region).unwrap().as_deref(), Some("652822100201"), "reset to the server's copy");
        }
        county.tablet.edit(&id, 1_800_000_000, |e| e.put(&region, &"652822100202")).unwrap();
        county.sync().await.unwrap();
        let supervisor = app.token("supervisor").await;
        let (_, moved) = app.get(&supervisor, &format!("/api/v1/households/{id}")).await;
        assert_eq!(moved["record"]["household"]["region_code"], "652822100202");
        app.teardown().await;
    }

    async fn devices_cannot_register_repeated_or_server_actors(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let token = app.token("helper_a").await;
        let actor = zoufang_sync::automerge::ActorId::random().to_hex_string();
        let (status, body) = app.post(&token, "/api/v1/devices", &serde_json::json!({ "name": "平板", "actors": [actor, actor] })).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("actor-repeated")), "{body}");
        let server = app.state.server_actor.to_hex_string();
        let (status, body) = app.post(&token, "/api/v1/devices", &serde_json::json!({ "name": "平板", "actors": [server] })).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("actor-taken")), "{body}");
        // The actors that signed the seeded households are the server's.
        let seeded = server_copy(&app, &app.village_a[0]).await;
        let seeding_actor = seeded.get_changes(&[])[0].actor_id().to_hex_string();
        let (status, _) = app.post(&token, "/api/v1/devices", &serde_json::json!({ "name": "平板", "actors": [seeding_actor] })).await;
        assert_eq!(status, 409);
        let (status, devices) = app.get(&token, "/api/v1/devices").await;
        assert_eq!((status, devices.as_array().map(Vec::len)), (200, Some(0)), "nothing registered");
        app.teardown().await;
    }
}
