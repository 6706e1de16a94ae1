//! The reference tablet's command line end to end against the real server: two tablets in
//! conflict and a supervisor's resolution, a week offline, a server killed mid-sync, a
//! household leaving the village, a revoked device.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::proxy::{Mode, Proxy};
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_server::store::entities::doc_change;
use zoufang_sync::DocPath;

async fn server_record(app: &TestApp, id: &str) -> Value {
    let county = app.token("county").await;
    let (status, body) = app.get(&county, &format!("/api/v1/households/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["record"].clone()
}

async fn change_rows(app: &TestApp) -> u64 {
    doc_change::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

/// A member id of the household as the tablet shows it.
async fn some_member(tablet: &CliTablet, id: &str) -> String {
    let shown = tablet.ok(&["show", id]).await;
    shown["record"]["members"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, m)| m["relation"] != "SELF")
        .map(|(k, _)| k.clone())
        .unwrap()
}

on_both_databases! {
    async fn the_reference_tablet_asks_for_compressed_replies(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let proxy = Proxy::start(&app.address).await;
        let tablet = CliTablet::new();
        tablet.login(&proxy.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let codings = proxy.reply_codings();
        assert!(codings.contains(&"gzip".to_owned()), "the village arrived gzip-compressed: {codings:?}");
        let list = tablet.ok(&["list"]).await;
        assert_eq!(list.as_array().unwrap().len(), 3, "and decoded whole: {list}");
        // With nothing new, the reply is a few bytes: it goes out as it is, not gzip's
        // header and trailer around it.
        tablet.ok(&["sync"]).await;
        let codings = proxy.reply_codings();
        assert_eq!(codings.last().map(String::as_str), Some("identity"), "{codings:?}");
        app.teardown().await;
    }

    async fn two_cli_tablets_conflict_and_converge_on_the_supervisors_choice(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let (a, b) = (CliTablet::new(), CliTablet::new());
        let login = a.login(&app.address, "helper_a").await;
        assert_eq!(login["scope"], "652822100201");
        b.login(&app.address, "helper_a2").await;

        let first = a.ok(&["sync"]).await;
        assert_eq!(first["docs_received"], 3, "{first}");
        assert_eq!(first["round_trips"], 1);
        assert!(first["bytes_down"].as_u64().unwrap() > first["bytes_up"].as_u64().unwrap());
        b.ok(&["sync"]).await;
        let list = a.ok(&["list"]).await;
        assert_eq!(list.as_array().unwrap().len(), 3);
        assert!(list.as_array().unwrap().iter().all(|r| r["visit_status"] == "not_visited"));

        let id = app.village_a[0].to_string();
        let short = &id[..8];
        let set = a.ok(&["set", short, "household.phone", "13800000001"]).await;
        assert_eq!(set["value"], "13800000001", "a phone stays text: {set}");
        assert_eq!(set["changed"], true);
        b.ok(&["set", &id, "household.phone", "13800000002"]).await;
        // Different fields merge silently.
        b.ok(&["set", &id, "income.wage", "12000"]).await;

        let sent = a.ok(&["sync"]).await;
        assert_eq!(sent["docs_sent"], 1);
        assert_eq!(sent["conflicts"], 0);
        let clashed = b.ok(&["sync"]).await;
        assert_eq!(clashed["docs_sent"], 1);
        assert_eq!(clashed["conflicts"], 1, "b receives a's phone and sees the clash: {clashed}");
        a.ok(&["sync"]).await;
        let shown = a.ok(&["show", &id]).await;
        assert_eq!(shown["conflicts"][0]["path"], "household.phone");
        assert_eq!(shown["record"]["income"]["wage"], 12000.0);

        let supervisor = app.token("supervisor").await;
        let (_, conflicts) = app.get(&supervisor, "/api/v1/conflicts?status=OPEN").await;
        let conflict = &conflicts.as_array().unwrap()[0];
        let chosen = conflict["candidates"].as_array().unwrap().iter()
            .position(|c| c["value"] == "13800000001").unwrap();
        let (status, _) = app.post(&supervisor, &format!("/api/v1/conflicts/{}/resolve", conflict["id"]),
            &json!({ "candidate": chosen })).await;
        assert_eq!(status, 200);

        for tablet in [&a, &b] {
            tablet.ok(&["sync"]).await;
            let shown = tablet.ok(&["show", &id]).await;
            assert_eq!(shown["record"]["household"]["phone"], "13800000001");
            assert_eq!(shown["conflicts"], json!([]));
            assert_eq!(shown["pending_changes"], 0);
        }
        let (ra, rb) = (a.ok(&["show", &id]).await, b.ok(&["show", &id]).await);
        assert_eq!(ra["record"], rb["record"], "both tablets hold the same household");
        assert_eq!(server_record(&app, &id).await, ra["record"]);
        app.teardown().await;
    }

    async fn a_week_offline_then_one_sync_sends_every_edit_and_photo(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut proxy = Proxy::start(&app.address).await;
        let tablet = CliTablet::new();
        tablet.login(&proxy.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        proxy.go_offline();

        let offline = tablet.run(&["sync"], "").await;
        assert_eq!(offline.status, 3, "{}", offline.err);
        assert_eq!(offline.code(), "server-unreachable");

        let photo = tablet.home().join("house.jpg");
        std::fs::write(&photo, b"\xff\xd8\xff\xe0 a housing photo").unwrap();
        let mut expected_phones = Vec::new();
        for (day, id) in app.village_a.iter().cycle().take(7).enumerate() {
            let id = id.to_string();
            let phone = format!("1390000000{day}");
            tablet.ok(&["set", &id, "household.phone", &phone]).await;
            tablet.ok(&["set", &id, "housing.floor_area", &format!("{}", 60 + day)]).await;
            tablet.ok(&["visit", "record", &id, "--notes", &format!("第{day}天入户核实")]).await;
            expected_phones.push((id, phone));
        }
        let birth_home = app.village_a[1].to_string();
        let born = tablet.ok(&["change", "record", &birth_home, "BIRTH", "--name", "阿依古丽",
            "--sex", "女", "--relation", "GRANDDAUGHTER", "--birth-date", "2026-11-20"]).await;
        let left = some_member(&tablet, &app.village_a[2].to_string()).await;
        tablet.ok(&["change", "record", &app.village_a[2].to_string(), "MOVE_OUT", "--member", &left,
            "--date", "2026-11-21"]).await;
        let added = tablet.ok(&["photo", "add", &birth_home, "HOUSING", photo.to_str().unwrap()]).await;
        std::fs::remove_file(&photo).unwrap();

        let status = tablet.ok(&["status"]).await;
        assert_eq!(status["pending_documents"], 3, "{status}");
        assert!(status["pending_changes"].as_u64().unwrap() >= 23, "{status}");
        assert_eq!(status["pending_photos"], 1);
        let again = tablet.run(&["sync"], "").await;
        assert_eq!(again.code(), "server-unreachable", "still offline, still nothing lost");
        assert_eq!(tablet.ok(&["status"]).await["pending_changes"], status["pending_changes"]);

        proxy.go_online().await;
        let synced = tablet.ok(&["sync"]).await;
        assert_eq!(synced["docs_sent"], 3, "{synced}");
        let status = tablet.ok(&["status"]).await;
        assert_eq!(status["pending_changes"], 0, "{status}");
        assert!(status["last_sync"]["at"].as_i64().unwrap() > 0);

        let (id, phone) = expected_phones.last().unwrap();
        let record = server_record(&app, id).await;
        assert_eq!(&record["household"]["phone"], phone);
        let visits = server_record(&app, &birth_home).await["visits"].as_object().unwrap().len();
        assert!(visits >= 2, "every day's visit arrived: {visits}");
        let record = server_record(&app, &birth_home).await;
        let member = &record["members"][born["member"].as_str().unwrap()];
        assert_eq!(member["name"], "阿依古丽");
        assert_eq!(record["events"][born["event"].as_str().unwrap()]["kind"], "BIRTH");
        assert!(record["housing"]["photos"][added["id"].as_str().unwrap()] == true);
        let moved = server_record(&app, &app.village_a[2].to_string()).await;
        assert_eq!(moved["members"][&left]["status"], "REMOVED");
        let list = tablet.ok(&["list"]).await;
        assert!(list.as_array().unwrap().iter().any(|r| r["visit_status"] == "visited"));
        app.teardown().await;
    }

    async fn killing_the_server_mid_sync_loses_nothing_and_the_next_sync_resumes(backend: Backend) {
        let Some(mut app) = TestApp::spawn(backend).await else { return };
        let proxy = Proxy::start(&app.address).await;
        let tablet = CliTablet::new();
        tablet.login(&proxy.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        for round in 0..40 {
            for id in &app.village_a {
                let id = id.to_string();
                tablet.ok(&["set", &id, "household.address", &format!("幸福路{round}号 {}", "某".repeat(round))]).await;
            }
        }
        let pending = tablet.ok(&["status"]).await["pending_changes"].as_u64().unwrap();
        assert_eq!(pending, 120);
        let rows_before = change_rows(&app).await;

        // The server dies while the request is on its way.
        proxy.set_mode(Mode::CutRequestAfter(1_000)).await;
        let cut = tablet.run(&["sync"], "").await;
        assert_eq!(cut.status, 3, "{}", cut.err);
        app.kill().await;
        assert_eq!(change_rows(&app).await, rows_before, "a half-received request stores nothing");
        assert_eq!(tablet.ok(&["status"]).await["pending_changes"], pending);

        // Restarted; this time the server does the work but dies before its reply arrives.
        app.restart().await;
        proxy.set_mode(Mode::DropReply).await;
        let lost = tablet.run(&["sync"], "").await;
        assert_eq!(lost.status, 3, "{}", lost.err);
        app.kill().await;
        let stored = change_rows(&app).await;
        assert_eq!(stored, rows_before + 120, "the server stored the changes before dying");
        assert_eq!(tablet.ok(&["status"]).await["pending_changes"], pending,
            "the tablet never heard back, so it still counts them as unsent");

        app.restart().await;
        proxy.set_mode(Mode::Pass).await;
        let resumed = tablet.ok(&["sync"]).await;
        assert_eq!(resumed["docs_sent"], 3);
        assert_eq!(change_rows(&app).await, stored, "resending stored nothing twice");
        assert_eq!(tablet.ok(&["status"]).await["pending_changes"], 0);
        let id = app.village_a[0].to_string();
        let expected = format!("幸福路39号 {}", "某".repeat(39));
        assert_eq!(server_record(&app, &id).await["household"]["address"], expected.as_str());
        app.teardown().await;
    }

    async fn a_household_leaving_the_village_is_uploaded_first_then_purged(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let helper = CliTablet::new();
        helper.login(&app.address, "helper_a").await;
        helper.ok(&["sync"]).await;
        let id = app.village_a[0];
        helper.ok(&["set", &id.to_string(), "household.phone", "13912345678"]).await;

        // Meanwhile the county moves the household to the neighbouring village.
        let mut county = app.tablet("county").await;
        county.sync().await.unwrap();
        let region = DocPath::parse("household.region_code").unwrap();
        county.tablet.edit(&id, 1_800_000_000, |e| e.put(&region, &"652822100202")).unwrap();
        county.sync().await.unwrap();

        let synced = helper.ok(&["sync"]).await;
        assert_eq!(synced["docs_sent"], 1, "{synced}");
        assert_eq!(synced["docs_purged"], 1, "{synced}");
        assert_eq!(synced["refused"], 0, "the last upload is accepted: {synced}");
        let list = helper.ok(&["list"]).await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        let gone = helper.run(&["show", &id.to_string()], "").await;
        assert_eq!(gone.code(), "household-unknown");
        let record = server_record(&app, &id.to_string()).await;
        assert_eq!(record["household"]["phone"], "13912345678");
        assert_eq!(record["household"]["region_code"], "652822100202");

        let neighbour = CliTablet::new();
        neighbour.login(&app.address, "helper_b").await;
        assert_eq!(neighbour.ok(&["sync"]).await["docs_received"], 3, "it arrives in its new village");
        app.teardown().await;
    }

    async fn a_revoked_device_wipes_its_store(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tablet = CliTablet::new();
        let login = tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let photo = tablet.home().join("water.png");
        std::fs::write(&photo, b"\x89PNG a water photo").unwrap();
        tablet.ok(&["photo", "add", &app.village_a[0].to_string(), "WATER", photo.to_str().unwrap()]).await;
        zoufang_server::services::accounts::revoke_device(&app.state, "test", login["device_id"].as_str().unwrap())
            .await
            .unwrap();

        let refused = tablet.run(&["sync"], "").await;
        assert_eq!(refused.status, 4, "{}", refused.err);
        assert_eq!(refused.code(), "device-revoked");
        let status = tablet.ok(&["status"]).await;
        assert_eq!(status["username"], Value::Null);
        assert_eq!(status["documents"], 0);
        assert_eq!(status["pending_photos"], 0);
        assert_eq!(std::fs::read_dir(tablet.home().join("photos")).unwrap().count(), 0);
        let list = tablet.run(&["list"], "").await;
        assert_eq!(list.code(), "not-logged-in");
        app.teardown().await;
    }

    async fn bad_edits_are_refused_with_a_code_and_change_nothing(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tablet = CliTablet::new();
        let not_yet = tablet.run(&["sync"], "").await;
        assert_eq!(not_yet.code(), "not-logged-in");
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let id = app.village_a[0].to_string();
        for (path, value) in [
            ("household.no_such_field", "1"),
            ("housing.floor_area", "很大"),
            ("household.hh_type", "NOT_A_TYPE"),
            ("members", "x"),
        ] {
            let ran = tablet.run(&["set", &id, path, value], "").await;
            assert_eq!(ran.code(), "edit-refused", "{path}={value}: {}", ran.err);
        }
        let unknown = tablet.run(&["show", "ffffffff"], "").await;
        assert_eq!(unknown.code(), "household-unknown");
        let wrong_kind = tablet.run(&["change", "record", &id, "ELOPED"], "").await;
        assert_eq!(wrong_kind.code(), "invalid-argument");
        let no_member = tablet.run(&["change", "record", &id, "DEATH"], "").await;
        assert_eq!(no_member.code(), "invalid-argument");
        assert_eq!(tablet.ok(&["status"]).await["pending_changes"], 0, "nothing was written");
        let warned = tablet.ok(&["set", &id, &format!("members.{}.id_number", some_member(&tablet, &id).await), "110101199003071234"]).await;
        assert!(warned["issues"].as_array().unwrap().iter().any(|i| i[0] == "error"),
            "a wrong check digit is reported: {warned}");
        app.teardown().await;
    }
}
