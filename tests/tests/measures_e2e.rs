//! Assistance measures end to end, on SQLite and PostgreSQL: a helper adds a measure on the
//! reference tablet (department, months, funds, progress), moves it on and records the
//! quarter's implementation check, offline, and the server has it all after the sync; what
//! the tablet refuses before anything is kept.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::Value;
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::{TestApp, on_both_databases};

async fn measure_on_server(app: &TestApp, doc: &str, key: &str) -> Value {
    let county = app.token("county").await;
    let (_, household) = app.get(&county, &format!("/api/v1/households/{doc}")).await;
    household["record"]["measures"][key].clone()
}

on_both_databases! {
    async fn a_measure_recorded_door_to_door_reaches_the_server(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tablet = CliTablet::new();
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let doc = app.village_a[0].to_string();
        for bad in [
            vec!["measure", "add", &doc, "CHARITY"],
            vec!["measure", "add", &doc, "EMPLOYMENT", "--progress", "SOON"],
            vec!["measure", "add", &doc, "EMPLOYMENT", "--department", "BANK"],
            vec!["measure", "add", &doc, "EMPLOYMENT", "--start", "2026-13"],
            vec!["measure", "add", &doc, "EMPLOYMENT", "--funds=-5"],
        ] {
            assert_ne!(tablet.run(&bad, "").await.status, 0, "{bad:?} refused on the tablet");
        }
        let added = tablet.ok(&["measure", "add", &doc, "EMPLOYMENT", "--progress", "IN_PROGRESS",
            "--description", "县城纺织厂务工", "--department", "HUMAN_RESOURCES", "--funds", "3000",
            "--start", "2026-10", "--planned-end", "2026-12"]).await;
        let key = added["id"].as_str().unwrap().to_owned();
        let set = tablet.ok(&["measure", "set", &doc, &key, "progress", "DONE"]).await;
        assert_eq!(set["value"], "DONE", "{set}");
        assert_ne!(tablet.run(&["measure", "set", &doc, &key, "progress", "FINISHED"], "").await.status, 0);
        assert_ne!(tablet.run(&["measure", "set", &doc, &key, "colour", "red"], "").await.status, 0);
        assert_ne!(tablet.run(&["measure", "check", &doc, &key, "--quarter", "2026Q5", "--carried-out"], "").await.status, 0);
        assert_ne!(tablet.run(&["measure", "check", &doc, "00000000-0000-4000-8000-000000000000", "--quarter", "2026Q4", "--carried-out"], "").await.status, 0);
        tablet.ok(&["measure", "check", &doc, &key, "--quarter", "2026Q4", "--carried-out", "--note", "已按月发放工资"]).await;
        assert_eq!(measure_on_server(&app, &doc, &key).await, Value::Null, "nothing before the sync");
        let synced = tablet.ok(&["sync"]).await;
        assert_eq!(synced["refused"], 0, "{synced}");
        let measure = measure_on_server(&app, &doc, &key).await;
        for (field, value) in [
            ("kind", "EMPLOYMENT"), ("progress", "DONE"), ("department", "HUMAN_RESOURCES"),
            ("start_month", "2026-10"), ("planned_end", "2026-12"), ("checked_quarter", "2026Q4"),
            ("check_note", "已按月发放工资"), ("description", "县城纺织厂务工"),
        ] {
            assert_eq!(measure[field], value, "{field}: {measure}");
        }
        assert_eq!((measure["funds"].as_f64(), measure["carried_out"].as_bool()), (Some(3000.0), Some(true)));
        app.teardown().await;
    }
}
