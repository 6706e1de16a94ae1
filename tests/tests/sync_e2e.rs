//! The sync endpoint end to end: real server on port 0, fresh database, tablets over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{EntityTrait, PaginatorTrait};
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_schemas::MonitorCategory;
use zoufang_server::store::entities::doc_change;
use zoufang_sync::DocPath;
use zoufang_sync::automerge::ActorId;
use zoufang_sync::codec::encode;

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

async fn change_rows(app: &TestApp) -> u64 {
    doc_change::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

on_both_databases! {
    async fn two_tablets_conflict_and_a_supervisor_resolution_reaches_both(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        let mut a2 = app.tablet("helper_a2").await;
        let first = a.sync().await.unwrap();
        assert_eq!(first.round_trips, 1);
        assert_eq!(first.docs_received, 3, "the village's three households arrive whole");
        a2.sync().await.unwrap();
        let id = app.village_a[0];
        let phone = path("household.phone");
        a.tablet.edit(&id, 1_800_000_001, |e| e.put(&phone, &"13800000001")).unwrap();
        a2.tablet.edit(&id, 1_800_000_002, |e| e.put(&phone, &"13800000002")).unwrap();
        a.sync().await.unwrap();
        a2.sync().await.unwrap();

        let supervisor = app.token("supervisor").await;
        let (status, list) = app.get(&supervisor, "/api/v1/conflicts?status=OPEN&village=652822100201").await;
        assert_eq!(status, 200);
        let conflicts = list.as_array().unwrap();
        assert_eq!(conflicts.len(), 1, "{list}");
        let conflict = &conflicts[0];
        assert_eq!(conflict["path"], "household.phone");
        assert_eq!(conflict["household"], id.to_string());
        let candidates = conflict["candidates"].as_array().unwrap();
        assert_eq!(candidates.len(), 2);
        let users: Vec<&str> = candidates.iter().map(|c| c["username"].as_str().unwrap()).collect();
        assert!(users.contains(&"helper_a") && users.contains(&"helper_a2"), "{users:?}");
        assert!(candidates.iter().all(|c| c["device_id"].is_string() && c["time"].as_i64().unwrap() > 1_800_000_000));

        let conflict_id = conflict["id"].as_i64().unwrap();
        let (status, shown) = app.get(&supervisor, &format!("/api/v1/conflicts/{conflict_id}")).await;
        assert_eq!(status, 200);
        assert_eq!(shown["before"], serde_json::Value::Null, "the sample household had no phone");
        let chosen = candidates.iter().position(|c| c["value"] == "13800000002").unwrap();
        let (status, resolved) = app
            .post(&supervisor, &format!("/api/v1/conflicts/{conflict_id}/resolve"), &serde_json::json!({ "candidate": chosen, "note": "核实" }))
            .await;
        assert_eq!(status, 200, "{resolved}");
        assert_eq!(resolved["status"], "RESOLVED");
        let (status, again) = app
            .post(&supervisor, &format!("/api/v1/conflicts/{conflict_id}/resolve"), &serde_json::json!({ "candidate": 0 }))
            .await;
        assert_eq!((status, again["code"].as_str()), (409, Some("conflict-already-resolved")));

        a.sync().await.unwrap();
        a2.sync().await.unwrap();
        for tablet in [&a, &a2] {
            let doc = tablet.tablet.doc(&id).unwrap();
            assert_eq!(doc.get_as::<String>(&phone).unwrap().as_deref(), Some("13800000002"));
            assert!(zoufang_sync::conflicts::conflict_at_path(doc.automerge(), &phone).is_none());
        }
        assert_eq!(a.tablet.doc(&id).unwrap().heads(), a2.tablet.doc(&id).unwrap().heads());
        let (_, detail) = app.get(&supervisor, &format!("/api/v1/households/{id}")).await;
        assert_eq!(detail["record"]["household"]["phone"], "13800000002");
        let report = zoufang_server::store::audit::verify(&app.state.db, app.state.digest.as_ref()).await.unwrap();
        assert!(report.is_intact() && report.entries > 0);
        app.teardown().await;
    }

    async fn edits_to_different_fields_merge_without_a_conflict(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        let mut a2 = app.tablet("helper_a2").await;
        a.sync().await.unwrap();
        a2.sync().await.unwrap();
        let id = app.village_a[1];
        a.tablet.edit(&id, 1, |e| e.put(&path("housing.fuel"), &"煤")).unwrap();
        a2.tablet.edit(&id, 2, |e| e.put(&path("water.source"), &"井水")).unwrap();
        a.sync().await.unwrap();
        a2.sync().await.unwrap();
        a.sync().await.unwrap();
        let supervisor = app.token("supervisor").await;
        let (_, list) = app.get(&supervisor, "/api/v1/conflicts").await;
        assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
        let record = a.tablet.doc(&id).unwrap().read().unwrap();
        assert_eq!(record.housing.fuel.as_deref(), Some("煤"));
        assert_eq!(record.water.source.as_deref(), Some("井水"));
        assert_eq!(a.tablet.doc(&id).unwrap().heads(), a2.tablet.doc(&id).unwrap().heads());
        app.teardown().await;
    }

    async fn a_helper_cannot_sync_another_villages_household(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut b = app.tablet("helper_b").await;
        let stats = b.sync().await.unwrap();
        assert_eq!(stats.docs_received, 2, "only village b's households");
        assert!(app.state.docs.is_empty(), "a first download sends stored snapshots without loading them");
        assert!(b.tablet.doc(&app.village_a[0]).is_none());
        // helper_b forges an update to a village-a household from a copy it got elsewhere.
        let mut a = app.tablet("helper_a").await;
        a.sync().await.unwrap();
        let id = app.village_a[0];
        let stolen_bytes = a.tablet.doc(&id).unwrap().save();
        let base = a.tablet.doc(&id).unwrap().heads();
        let mut stolen = zoufang_sync::HouseholdDoc::load(&stolen_bytes, b.tablet.actor().clone()).unwrap();
        stolen.edit(5, |e| e.put(&path("household.phone"), &"1")).unwrap();
        let changes = zoufang_sync::memory::changes_since(stolen.automerge(), &base);
        let (request, _) = b.tablet.request();
        let mut request = request;
        let mut held: std::collections::BTreeMap<_, _> = b.tablet.doc_ids().into_iter().map(|d| (d, b.tablet.doc(&d).unwrap().heads())).collect();
        held.insert(id, stolen.heads());
        request.digest = zoufang_sync::heads::held_digest(&held);
        request.updates.push(zoufang_schemas::wire::DocUpdate {
            doc: id,
            heads: stolen.heads(),
            changes: changes.into_iter().map(serde_bytes_buf).collect(),
        });
        let before = change_rows(&app).await;
        let (status, reply) = b.post_sync(encode(&request)).await;
        assert_eq!(status, 200);
        let reply = zoufang_sync::codec::decode_reply(&reply, &Default::default()).unwrap();
        assert_eq!(reply.refused[0].code, "document-out-of-scope");
        assert!(reply.refused[0].server_copy.is_none());
        assert_eq!(change_rows(&app).await, before, "nothing was stored");
        app.teardown().await;
    }

    async fn changes_signed_with_another_devices_actor_are_refused(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let a2 = app.tablet("helper_a2").await;
        let a2_actor = a2.tablet.actor().clone();
        let mut impostor = app.tablet_with_actor("helper_a", ActorId::random(), a2_actor).await;
        impostor.sync().await.unwrap();
        let id = app.village_a[0];
        impostor.tablet.edit(&id, 9, |e| e.put(&path("household.phone"), &"139")).unwrap();
        let before = change_rows(&app).await;
        impostor.sync().await.unwrap();
        assert_eq!(impostor.tablet.refused.last().unwrap().code, "actor-not-of-device");
        assert_eq!(change_rows(&app).await, before);
        let (status, body) = app
            .post(&impostor.token, "/api/v1/devices", &serde_json::json!({ "name": "x", "actors": [a2.tablet.actor().to_hex_string()] }))
            .await;
        assert_eq!((status, body["code"].as_str()), (409, Some("actor-taken")));
        app.teardown().await;
    }

    async fn a_helper_changing_a_protected_field_is_refused(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        a.sync().await.unwrap();
        let id = app.village_a[2];
        let server_heads = a.tablet.doc(&id).unwrap().heads();
        a.tablet.edit(&id, 3, |e| e.put(&path("household.monitor_category"), &MonitorCategory::Marginal)).unwrap();
        a.sync().await.unwrap();
        let refusal = a.tablet.refused.last().unwrap();
        assert_eq!(refusal.code, "field-not-writable");
        assert_eq!(a.tablet.doc(&id).unwrap().heads(), server_heads, "reset to the server's copy");
        for protected in ["monitoring.risk_eliminated", "household.region_code"] {
            a.tablet.edit(&id, 4, |e| e.put(&path(protected), &"652822100202")).unwrap();
            a.sync().await.unwrap();
            assert_eq!(a.tablet.refused.last().unwrap().code, "field-not-writable", "{protected}");
        }
        // Not even a county officer: the category is the outcome of identification, which
        // the server writes when the county decides.
        let mut county = app.tablet("county").await;
        county.sync().await.unwrap();
        county.tablet.edit(&id, 5, |e| e.put(&path("household.monitor_category"), &MonitorCategory::Marginal)).unwrap();
        county.sync().await.unwrap();
        assert_eq!(county.tablet.refused.last().unwrap().code, "field-not-writable");
        a.sync().await.unwrap();
        let category = a.tablet.doc(&id).unwrap().get_as::<MonitorCategory>(&path("household.monitor_category")).unwrap();
        assert_eq!(category, None);
        app.teardown().await;
    }

    async fn replaying_a_sync_changes_nothing(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        let mut a2 = app.tablet("helper_a2").await;
        a.sync().await.unwrap();
        a2.sync().await.unwrap();
        let id = app.village_a[0];
        a.tablet.edit(&id, 1, |e| e.put(&path("household.address"), &"5组9号")).unwrap();
        a2.tablet.edit(&id, 2, |e| e.put(&path("household.address"), &"5组10号")).unwrap();
        a.sync().await.unwrap();
        let (request, _) = a2.tablet.request();
        let bytes = encode(&request);
        let (status, _) = a2.post_sync(bytes.clone()).await;
        assert_eq!(status, 200);
        let rows = change_rows(&app).await;
        let supervisor = app.token("supervisor").await;
        let (_, conflicts) = app.get(&supervisor, "/api/v1/conflicts").await;
        let (status, _) = a2.post_sync(bytes).await;
        assert_eq!(status, 200);
        assert_eq!(change_rows(&app).await, rows);
        let (_, again) = app.get(&supervisor, "/api/v1/conflicts").await;
        assert_eq!(again, conflicts);
        assert_eq!(again.as_array().unwrap().len(), 1);
        // The tablet still converges.
        a2.sync().await.unwrap();
        a.sync().await.unwrap();
        assert_eq!(a.tablet.doc(&id).unwrap().heads(), a2.tablet.doc(&id).unwrap().heads());
        app.teardown().await;
    }

    async fn the_projection_follows_what_a_merge_changed(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        a.sync().await.unwrap();
        let id = app.village_a[0];
        let supervisor = app.token("supervisor").await;
        let row = |list: serde_json::Value| list.as_array().unwrap().iter().find(|h| h["id"] == id.to_string()).cloned().unwrap();
        let before = row(app.get(&supervisor, "/api/v1/households?region=652822100201").await.1);
        a.tablet.edit(&id, 1, |e| e.put(&path("household.national_number"), &"652822100201999999")).unwrap();
        a.sync().await.unwrap();
        let after = row(app.get(&supervisor, "/api/v1/households?region=652822100201").await.1);
        assert_eq!(after["national_number"], "652822100201999999");
        assert_eq!(after["head_name"], before["head_name"], "member columns untouched by a household edit");
        assert_eq!(after["member_count"], before["member_count"]);
        // A merge writing only fields no projection holds leaves the row alone (marked here
        // to tell); one writing a projected field rewrites it.
        let household_row = || async {
            zoufang_server::store::entities::household::Entity::find_by_id(id.to_uuid_string())
                .one(&app.state.db).await.unwrap().unwrap()
        };
        let mut marked: zoufang_server::store::entities::household::ActiveModel = household_row().await.into();
        marked.national_number = sea_orm::Set(Some("marker".into()));
        sea_orm::ActiveModelTrait::update(marked, &app.state.db).await.unwrap();
        a.tablet.edit(&id, 3, |e| e.put(&path("household.phone"), &"13899990000")).unwrap();
        a.tablet.edit(&id, 4, |e| e.put(&path("income.wage"), &1234.0)).unwrap();
        a.sync().await.unwrap();
        assert_eq!(household_row().await.national_number.as_deref(), Some("marker"), "no projected field written");
        let other_type = if household_row().await.hh_type == "LIFTED" { "GENERAL" } else { "LIFTED" };
        a.tablet.edit(&id, 5, |e| e.put(&path("household.hh_type"), &other_type)).unwrap();
        a.sync().await.unwrap();
        let rewritten = household_row().await;
        assert_eq!(rewritten.national_number.as_deref(), Some("652822100201999999"));
        assert_eq!(rewritten.hh_type, other_type);
        let baby = zoufang_schemas::Member::new("艾力", zoufang_schemas::Sex::Male, zoufang_schemas::Relation::Grandson);
        let key = zoufang_schemas::sample::SampleRng::new(77).entry_id();
        a.tablet.edit(&id, 2, |e| e.add_member(&key, &baby)).unwrap();
        a.sync().await.unwrap();
        let grown = row(app.get(&supervisor, "/api/v1/households?region=652822100201").await.1);
        assert_eq!(grown["member_count"].as_i64().unwrap(), before["member_count"].as_i64().unwrap() + 1);
        app.teardown().await;
    }

    async fn many_tablets_syncing_at_once_all_succeed(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Registrations, first downloads and uploads all at once.
        let names = (0..16).map(|n| if n % 2 == 0 { "helper_a" } else { "helper_a2" });
        let mut fleet = futures_util::future::join_all(names.map(|name| app.tablet(name))).await;
        let downloads = futures_util::future::join_all(fleet.iter_mut().map(|t| t.sync())).await;
        assert!(downloads.iter().all(Result::is_ok), "{downloads:?}");
        for (n, tablet) in fleet.iter_mut().enumerate() {
            let id = app.village_a[n % 3];
            let field = ["housing.fuel", "water.source", "household.address", "income.wage"][n % 4];
            tablet.tablet.edit(&id, n as i64, |e| e.put(&path(field), &format!("值{n}"))).unwrap();
        }
        let results = futures_util::future::join_all(fleet.iter_mut().map(|t| t.sync())).await;
        for result in &results {
            assert!(result.is_ok(), "{result:?}");
        }
        for tablet in &mut fleet {
            tablet.sync().await.unwrap();
        }
        for id in &app.village_a {
            let heads = fleet[0].tablet.doc(id).unwrap().heads();
            assert!(fleet.iter().all(|t| t.tablet.doc(id).unwrap().heads() == heads));
        }
        app.teardown().await;
    }

    async fn a_revoked_device_is_told_to_wipe(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        a.sync().await.unwrap();
        zoufang_server::services::accounts::revoke_device(&app.state, "test", a.device_id()).await.unwrap();
        let failure = a.sync().await.unwrap_err();
        assert_eq!(failure.status, 410);
        assert_eq!(failure.code, "device-revoked");
        app.teardown().await;
    }
}

fn serde_bytes_buf(bytes: Vec<u8>) -> serde_bytes::ByteBuf {
    serde_bytes::ByteBuf::from(bytes)
}
