//! The natural increase / decrease ledger end to end, on SQLite and PostgreSQL: births,
//! deaths and moves recorded on the reference tablet appear in their village's ledger of
//! the quarter they happened in, with the member, the household, the date and the helper who
//! recorded them; the totals; the XLSX; and what is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use calamine::Reader;
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::console::Console;
use zoufang_e2e::{PASSWORD, TestApp, on_both_databases};
use zoufang_schemas::{RegionCode, Role};

async fn member_of(tablet: &CliTablet, id: &str, relation_is_head: bool) -> (String, String) {
    let shown = tablet.ok(&["show", id]).await;
    shown["record"]["members"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, m)| (m["relation"] == "SELF") == relation_is_head)
        .map(|(k, m)| (k.clone(), m["name"].as_str().unwrap().to_owned()))
        .unwrap()
}

on_both_databases! {
    async fn the_quarters_births_deaths_and_moves_make_the_villages_ledger(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tablet = CliTablet::new();
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let [first, second, third] = [0, 1, 2].map(|i| app.village_a[i].to_string());
        tablet.ok(&["change", "record", &first, "BIRTH", "--name", "阿依古丽·艾力", "--sex", "女",
            "--relation", "GRANDDAUGHTER", "--birth-date", "2026-11-20", "--date", "2026-11-20", "--note", "顺产"]).await;
        let (gone, gone_name) = member_of(&tablet, &second, false).await;
        tablet.ok(&["change", "record", &second, "DEATH", "--member", &gone, "--date", "2026-10-02"]).await;
        let (moved, _) = member_of(&tablet, &third, false).await;
        tablet.ok(&["change", "record", &third, "MOVE_OUT", "--member", &moved, "--date", "2026-09-30"]).await;
        tablet.ok(&["sync"]).await;

        let supervisor = app.token("supervisor").await;
        let (status, ledger) = app.get(&supervisor, "/api/v1/natural-changes?region=652822100201&round=2026Q4").await;
        assert_eq!(status, 200, "{ledger}");
        assert_eq!((ledger["increase"].as_u64(), ledger["decrease"].as_u64()), (Some(1), Some(1)), "the September move is Q3's: {ledger}");
        let lines = ledger["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "DEATH", "by date");
        assert_eq!(lines[0]["member_name"], gone_name.as_str(), "a removed member keeps its name");
        assert_eq!(lines[0]["household"], second.as_str());
        assert_eq!(lines[1]["kind_label"], "出生");
        assert_eq!(lines[1]["member_name"], "阿依古丽·艾力");
        assert_eq!(lines[1]["note"], "顺产");
        assert_eq!(lines[1]["date"], "2026-11-20");
        for line in lines {
            assert_eq!(line["recorded_by"], "helper_a", "{line}");
        }
        let (_, township) = app.get(&supervisor, "/api/v1/natural-changes?round=2026Q4").await;
        assert_eq!(township["lines"].as_array().unwrap().len(), 2, "the township's is its villages'");
        let (_, q3) = app.get(&supervisor, "/api/v1/natural-changes?region=652822100201&round=2026Q3").await;
        assert_eq!((q3["increase"].as_u64(), q3["decrease"].as_u64()), (Some(0), Some(1)));

        let response = app.client.get(app.url("/api/v1/natural-changes.xlsx?region=652822100201&round=2026Q4")).bearer_auth(&supervisor).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap().to_vec();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let cell = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
        assert_eq!((cell(0, 0), cell(0, 7)), ("村".into(), "登记人".into()));
        assert_eq!((cell(1, 0), cell(1, 3), cell(1, 4)), ("一村".into(), "死亡".into(), "减少".into()));
        assert_eq!((cell(2, 2), cell(2, 7)), ("阿依古丽·艾力".into(), "helper_a".into()));
        assert_eq!((cell(4, 0), cell(4, 1)), ("增加(人)".into(), "1".into()));

        let county = app.token("county").await;
        for (token, path, status, code) in [
            (&county, "/api/v1/natural-changes?region=652822&round=2026Q4", 400, "region-too-large"),
            (&county, "/api/v1/natural-changes?region=652822100201&round=2026Q5", 400, "round-invalid"),
            (&app.token("helper_b").await, "/api/v1/natural-changes?region=652822100201&round=2026Q4", 403, "region-out-of-scope"),
        ] {
            let (got, body) = app.get(token, path).await;
            assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{path}");
        }
        zoufang_server::services::accounts::add_user(&app.state, "test", "health", PASSWORD, Role::Department, &RegionCode::parse("652822").unwrap()).await.unwrap();
        let (status, _) = app.get(&app.token("health").await, "/api/v1/natural-changes?region=652822100201&round=2026Q4").await;
        assert_eq!(status, 403, "a department reads no ledger");

        // The console: the helper's own village by default, the township's on asking.
        let helper = Console::signed_in(&app, "helper_a").await;
        let page = helper.get("/console/natural-changes?round=2026Q4").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("阿依古丽·艾力") && page.body.contains("id=\"ledger-increase\">1<"), "{}", page.body);
        let officer = Console::signed_in(&app, "county").await;
        let page = officer.get("/console/natural-changes?round=2026Q4").await;
        assert!(!page.body.contains("id=\"ledger\""), "a county names a village or township first");
        let page = officer.get("/console/natural-changes?round=2026Q4&region=652822100").await;
        assert!(page.body.contains("id=\"ledger-decrease\">1<"), "{}", page.body);
        let (status, _, body) = officer.download("/console/natural-changes.xlsx?round=2026Q4&region=652822100").await;
        assert_eq!(status, 200);
        assert!(body.starts_with(b"PK"), "an XLSX");
        assert_eq!(helper.get("/console/natural-changes?round=2026Q4&region=652822100202").await.status, 403);
        app.teardown().await;
    }
}
