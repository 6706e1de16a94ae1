//! Assistance plans end to end, on SQLite and PostgreSQL, with a fixed clock: a 脱贫户's
//! annual consolidation plan asks the village for measures until one is drawn up on the
//! reference tablet; the quarter's implementation check is a task until every measure is
//! checked; the next year and quarter start again; identification opens a 三类户's plan at
//! once; and who may run the pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use chrono::NaiveDate;
use serde_json::{Value, json};
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::console::Console;
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_server::services::plans::pass;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn tasks_of(tablet: &CliTablet, kind: &str) -> Vec<Value> {
    tablet.ok(&["sync"]).await;
    tablet
        .ok(&["tasks"])
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == kind)
        .cloned()
        .collect()
}

on_both_databases! {
    async fn plans_and_quarterly_checks_ask_the_village_until_done(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let a = CliTablet::new();
        a.login(&app.address, "helper_a").await;
        a.ok(&["sync"]).await;
        let b = CliTablet::new();
        b.login(&app.address, "helper_b").await;
        b.ok(&["sync"]).await;
        let lifted = app.village_a[0].to_string();
        for (i, doc) in app.village_a.iter().enumerate() {
            a.ok(&["set", &doc.to_string(), "household.hh_type", if i == 0 { "LIFTED" } else { "GENERAL" }]).await;
        }
        for doc in &app.village_b {
            b.ok(&["set", &doc.to_string(), "household.hh_type", "GENERAL"]).await;
        }
        a.ok(&["sync"]).await;
        b.ok(&["sync"]).await;

        let outcome = pass::run(&app.state, "652822", day(2026, 11, 30)).await.unwrap();
        assert_eq!((outcome.households, outcome.plans_opened, outcome.checks_due), (5, 1, 0), "{outcome:?}");
        let tasks = tasks_of(&a, "PLAN_MEASURES").await;
        assert_eq!(tasks.len(), 1);
        assert_eq!((tasks[0]["household"].as_str(), tasks[0]["due"].as_str()), (Some(lifted.as_str()), Some("2026-12-31")));
        assert!(tasks[0]["title"].as_str().unwrap().contains("2026年度巩固帮扶计划"));
        assert!(tasks_of(&b, "PLAN_MEASURES").await.is_empty(), "一般户 get no plan");
        let again = pass::run(&app.state, "652822", day(2026, 11, 30)).await.unwrap();
        assert_eq!(again.plans_opened, 0, "one plan a year");

        // A measure drawn up door to door: the plan is drawn, the check becomes due.
        let added = a.ok(&["measure", "add", &lifted, "INDUSTRY", "--progress", "IN_PROGRESS", "--start", "2026-11", "--funds", "8000"]).await;
        let measure = added["id"].as_str().unwrap().to_owned();
        a.ok(&["sync"]).await;
        let outcome = pass::run(&app.state, "652822", day(2026, 11, 30)).await.unwrap();
        assert_eq!((outcome.plans_drawn, outcome.checks_due), (1, 1), "{outcome:?}");
        assert!(tasks_of(&a, "PLAN_MEASURES").await.is_empty(), "the plan's task is done");
        let checks = tasks_of(&a, "CHECK_MEASURES").await;
        assert_eq!(checks.len(), 1);
        assert_eq!((checks[0]["quarter"].as_str(), checks[0]["due"].as_str()), (Some("2026Q4"), Some("2026-12-31")));
        let county = app.token("county").await;
        let (_, plans) = app.get(&county, "/api/v1/plans?year=2026").await;
        assert_eq!(plans.as_array().unwrap().len(), 1);
        assert_eq!((plans[0]["kind"].as_str(), plans[0]["status"].as_str()), (Some("CONSOLIDATION"), Some("DRAWN")));

        // Checked for the quarter: the task goes; the next quarter asks again.
        a.ok(&["measure", "check", &lifted, &measure, "--quarter", "2026Q4", "--carried-out"]).await;
        a.ok(&["sync"]).await;
        let outcome = pass::run(&app.state, "652822", day(2026, 12, 1)).await.unwrap();
        assert_eq!(outcome.checks_due, 0);
        assert!(tasks_of(&a, "CHECK_MEASURES").await.is_empty());
        let next = pass::run(&app.state, "652822", day(2027, 1, 15)).await.unwrap();
        assert_eq!((next.plans_opened, next.checks_due), (1, 1), "2027's plan (drawn: a measure is under way) and 2027Q1's check: {next:?}");
        assert!(tasks_of(&a, "PLAN_MEASURES").await.is_empty(), "drawn already");
        let checks = tasks_of(&a, "CHECK_MEASURES").await;
        assert_eq!(checks[0]["quarter"], "2027Q1");

        // Identification opens a 三类户's plan at once.
        let helper = app.token("helper_a").await;
        let target = app.village_a[1].to_string();
        let (_, proposal) = app.post(&helper, "/api/v1/identifications", &json!({
            "household": target, "category": "MARGINAL", "risk_types": ["ILLNESS"], "reason": "因病"
        })).await;
        let (status, _) = app.post(&county, &format!("/api/v1/identifications/{}/decision", proposal["id"]), &json!({ "decision": "APPROVED" })).await;
        assert_eq!(status, 200);
        let tasks = tasks_of(&a, "PLAN_MEASURES").await;
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0]["household"], target.as_str());
        assert!(tasks[0]["title"].as_str().unwrap().contains("一户一册"));
        let (_, plans) = app.get(&county, "/api/v1/plans").await;
        assert!(plans.as_array().unwrap().iter().any(|p| p["household"] == target.as_str() && p["kind"] == "MONITORING" && p["status"] == "OPEN"), "{plans}");

        let (status, _) = app.post(&helper, "/api/v1/plans/pass", &json!({})).await;
        assert_eq!(status, 403);
        let (status, _) = app.get(&app.token("other_supervisor").await, "/api/v1/plans?region=652822").await;
        assert_eq!(status, 403);
        let (status, outcome) = app.post(&county, "/api/v1/plans/pass", &json!({})).await;
        assert_eq!((status, outcome["households"].as_u64()), (200, Some(5)), "{outcome}");

        // The console lists the year's plans; the county brings them up to date.
        let officer = Console::signed_in(&app, "county").await;
        let page = officer.get("/console/plans?year=2026").await;
        assert!(page.body.contains("一户一册") && page.body.contains("脱贫户年度巩固计划"), "{}", page.body);
        assert!(page.body.contains("id=\"plans-open\">1<"), "the 三类户's plan waits: {}", page.body);
        assert_eq!(officer.post("/console/plans/pass", &[("csrf", "forged")]).await.status, 403);
        assert_eq!(officer.submit("/console/plans", "/console/plans/pass", &[]).await.status, 303);
        let helper = Console::signed_in(&app, "helper_a").await;
        assert!(!helper.get("/console/plans").await.body.contains("id=\"plans-pass\""));
        assert_eq!(helper.submit("/console/plans", "/console/plans/pass", &[]).await.status, 403);
        app.teardown().await;
    }
}
