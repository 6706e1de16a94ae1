//! Assistance measures end to end, on SQLite and PostgreSQL: a helper adds a measure on the
//! reference tablet (department, months, funds, progress), moves it on and records the
//! quarter's implementation check, offline, and the server has it all after the sync; what
//! the tablet refuses before anything is kept.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::{Value, json};
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::console::Console;
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
        // Evidence: a photo of the measure.
        let photo = tablet.home().join("wage-slip.jpg");
        std::fs::write(&photo, zoufang_e2e::images::jpeg(64, 48, 7)).unwrap();
        let photo_path = photo.to_str().unwrap();
        assert_ne!(tablet.run(&["photo", "add", &doc, "OTHER", photo_path, "--measure", "00000000-0000-4000-8000-000000000000"], "").await.status, 0, "no such measure");
        let added_photo = tablet.ok(&["photo", "add", &doc, "OTHER", photo_path, "--measure", &key]).await;
        let hash = added_photo["id"].as_str().unwrap().to_owned();
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
        assert_eq!(measure["photos"][&hash], true, "the photo evidences the measure: {measure}");
        assert_eq!(synced["photos_uploaded"], 1, "{synced}");
        let county = app.token("county").await;
        let (status, _) = app.get(&county, &format!("/api/v1/photos/{hash}")).await;
        assert_eq!(status, 200, "the county sees the evidence");

        // An upgraded database projects its households again from their documents.
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        use zoufang_server::store::entities::household;
        let row = || async { household::Entity::find_by_id(doc.clone()).one(&app.state.db).await.unwrap().unwrap() };
        assert_eq!((row().await.measures_active, row().await.measures_checked_through), (1, Some("2026Q4".to_owned())));
        household::Entity::update_many()
            .col_expr(household::Column::MeasuresActive, Expr::value(0))
            .col_expr(household::Column::MeasuresCheckedThrough, Expr::value(Option::<String>::None))
            .filter(household::Column::RegionCode.starts_with("652822"))
            .exec(&app.state.db).await.unwrap();
        let done = zoufang_server::services::projection::reproject_all(&app.state, "652822").await.unwrap();
        assert_eq!(done, 5);
        assert_eq!((row().await.measures_active, row().await.measures_checked_through), (1, Some("2026Q4".to_owned())));
        app.teardown().await;
    }

    async fn the_township_and_county_edit_measures_at_the_desk(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let doc = app.village_a[1].to_string();
        let supervisor = app.token("supervisor").await;
        let county = app.token("county").await;
        let path = format!("/api/v1/households/{doc}/measures");
        for (token, body, status, code) in [
            (app.token("helper_a").await, json!({ "kind": "HOUSING" }), 403, "role-not-allowed"),
            (app.token("other_supervisor").await, json!({ "kind": "HOUSING" }), 404, "not-found"),
            (supervisor.clone(), json!({ "kind": "CHARITY" }), 400, "value-invalid"),
            (supervisor.clone(), json!({ "kind": "HOUSING", "progress": "SOON" }), 400, "value-invalid"),
            (supervisor.clone(), json!({ "kind": "HOUSING", "funds": -1.0 }), 400, "value-invalid"),
            (supervisor.clone(), json!({ "kind": "HOUSING", "planned_end": "2026-13" }), 400, "value-invalid"),
            (supervisor.clone(), json!({ "kind": "HOUSING", "department": "BANK" }), 400, "value-invalid"),
        ] {
            let (got, answer) = app.post(&token, &path, &body).await;
            assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{body}");
        }
        let (status, added) = app.post(&supervisor, &path, &json!({
            "kind": "HOUSING", "progress": "IN_PROGRESS", "funds": 25000.0, "department": "HOUSING",
            "description": "危房改造", "start_month": "2026-09", "planned_end": "2026-12"
        })).await;
        assert_eq!(status, 201, "{added}");
        let key = added["id"].as_str().unwrap().to_owned();
        let (status, _) = app.put(&county, &format!("{path}/{key}"), &json!({ "progress": "DONE", "funds": 26000.0 })).await;
        assert_eq!(status, 204);
        let (status, answer) = app.put(&county, &format!("{path}/00000000-0000-4000-8000-000000000000"), &json!({ "progress": "DONE" })).await;
        assert_eq!((status, answer["code"].as_str()), (404, Some("not-found")));
        let measure = measure_on_server(&app, &doc, &key).await;
        assert_eq!((measure["progress"].as_str(), measure["funds"].as_f64(), measure["description"].as_str()), (Some("DONE"), Some(26000.0), Some("危房改造")));
        // The village's tablets receive it.
        let tablet = CliTablet::new();
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let shown = tablet.ok(&["show", &doc]).await;
        assert_eq!(shown["record"]["measures"][&key]["progress"], "DONE");

        // The console: the county's household page edits them; a forged form does nothing.
        let officer = Console::signed_in(&app, "county").await;
        let page = officer.get(&format!("/console/households/{doc}")).await;
        assert!(page.body.contains("id=\"measure-add\"") && page.body.contains(&key), "{}", page.body);
        let helper = Console::signed_in(&app, "helper_a").await;
        assert!(!helper.get(&format!("/console/households/{doc}")).await.body.contains("id=\"measure-add\""), "helpers edit on the tablet");
        let page = officer.post(&format!("/console/households/{doc}/measures"), &[("csrf", "forged"), ("kind", "WATER")]).await;
        assert_eq!(page.status, 403);
        let page = officer.submit(&format!("/console/households/{doc}"), &format!("/console/households/{doc}/measures"),
            &[("kind", "WATER"), ("progress", "PLANNED"), ("department", ""), ("funds", "1200"), ("description", "改水入户")]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let page = officer.submit(&format!("/console/households/{doc}"), &format!("/console/households/{doc}/measures/{key}"),
            &[("progress", "IN_PROGRESS"), ("funds", ""), ("planned_end", "2027-03")]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let county_view = app.get(&county, &format!("/api/v1/households/{doc}")).await.1;
        let measures: Vec<&Value> = county_view["record"]["measures"].as_object().unwrap().values().collect();
        assert!(measures.iter().any(|m| m["kind"] == "WATER" && m["funds"] == 1200.0 && m["description"] == "改水入户"), "{measures:?}");
        let housing = &county_view["record"]["measures"][&key];
        assert_eq!((housing["progress"].as_str(), housing["planned_end"].as_str(), housing["funds"].as_f64()), (Some("IN_PROGRESS"), Some("2027-03"), Some(26000.0)));
        let page = officer.submit(&format!("/console/households/{doc}"), &format!("/console/households/{doc}/measures/{key}"), &[("funds", "lots")]).await;
        assert_eq!(page.status, 400);
        app.teardown().await;
    }
}
