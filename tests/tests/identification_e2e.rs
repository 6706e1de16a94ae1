//! Identification of the 三类户 end to end, on SQLite and PostgreSQL: the monitoring
//! threshold set per year by the nation, the prefecture and the county (each overriding the
//! one above, each audited, each only at its own level); households flagged at the
//! boundary values, with a task on the village's tablets that closes when the household no
//! longer crosses its line or a proposal takes it up; proposals by a helper or a township,
//! decided by the county, after which only the server has written the household's category;
//! and what is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::console::Console;
use zoufang_e2e::import_files::Sheet;
use zoufang_e2e::{PASSWORD, TestApp, on_both_databases};
use zoufang_schemas::{Department, RegionCode, Role};
use zoufang_server::services::accounts;
use zoufang_server::services::identification::this_year;
use zoufang_server::store::entities::{audit_entry, member};

async fn account(app: &TestApp, name: &str, role: Role, scope: &str) -> String {
    accounts::add_user(
        &app.state,
        "test",
        name,
        PASSWORD,
        role,
        &RegionCode::parse(scope).unwrap(),
    )
    .await
    .unwrap();
    app.token(name).await
}

async fn audited(app: &TestApp, action: &str) -> u64 {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .count(&app.state.db)
        .await
        .unwrap()
}

/// The household row's category as the county's list shows it (the projection).
async fn listed_category(app: &TestApp, token: &str, doc: &str) -> Value {
    let (_, listed) = app.get(token, "/api/v1/households?limit=2000").await;
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == doc)
        .unwrap()["monitor_category"]
        .clone()
}

fn income_line(view: &Value) -> (f64, String) {
    let line = view["effective"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "INCOME")
        .unwrap();
    (
        line["amount"].as_f64().unwrap(),
        line["level"].as_str().unwrap().to_owned(),
    )
}

/// Sets fields of a household on a reference tablet and syncs.
async fn set(tablet: &CliTablet, doc: &str, fields: &[(&str, &str)]) {
    for (field, value) in fields {
        tablet.ok(&["set", doc, field, value]).await;
    }
    tablet.ok(&["sync"]).await;
}

async fn identify_tasks(tablet: &CliTablet) -> Vec<Value> {
    tablet.ok(&["sync"]).await;
    tablet
        .ok(&["tasks"])
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "CHECK_IDENTIFICATION")
        .cloned()
        .collect()
}

on_both_databases! {
    async fn thresholds_override_downwards_and_flag_households_at_the_boundary(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let year = this_year().unwrap();
        let county = app.token("county").await;
        let prefecture = account(&app, "prefecture", Role::PrefectureOfficer, "6528").await;
        let admin = account(&app, "admin", Role::Admin, "65").await;
        let helper = app.token("helper_a").await;
        let (status, view) = app.get(&county, "/api/v1/thresholds").await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(income_line(&view), (6000.0, "DEFAULT".into()), "the configured default");
        assert_eq!(view["editable"], "652822");

        let line = |region: &str, amount: Value| json!({ "year": year, "region": region, "kind": "INCOME", "amount": amount });
        let (status, body) = app.put(&admin, "/api/v1/thresholds", &line("", json!(6500))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(income_line(&app.get(&county, "/api/v1/thresholds").await.1), (6500.0, "NATIONAL".into()));
        app.put(&prefecture, "/api/v1/thresholds", &line("6528", json!(6800))).await;
        assert_eq!(income_line(&app.get(&county, "/api/v1/thresholds").await.1), (6800.0, "PREFECTURE".into()));
        let (status, body) = app.put(&county, "/api/v1/thresholds", &line("652822", json!(6900))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(income_line(&body["thresholds"]), (6900.0, "COUNTY".into()));
        assert!(body["scan"]["households"].as_u64().unwrap() >= 5, "the county's households judged again: {body}");
        let (_, other) = app.get(&prefecture, "/api/v1/thresholds?region=652823").await;
        assert_eq!(income_line(&other), (6800.0, "PREFECTURE".into()), "another county keeps the prefecture's");
        let (_, last_year) = app.get(&county, &format!("/api/v1/thresholds?year={}", year - 1)).await;
        assert_eq!(income_line(&last_year).1, "DEFAULT", "a threshold is per year");
        assert_eq!(audited(&app, "threshold.set").await, 3);

        // Each sets its own level only.
        for (token, region, code) in [
            (&county, "652823", "threshold-not-yours"),
            (&county, "6528", "threshold-not-yours"),
            (&prefecture, "", "threshold-not-yours"),
            (&prefecture, "652822", "threshold-not-yours"),
            (&helper, "652822", "role-not-allowed"),
        ] {
            let (status, body) = app.put(token, "/api/v1/thresholds", &line(region, json!(1))).await;
            assert_eq!((status, body["code"].as_str()), (403, Some(code)), "{region}");
        }
        for (body, code) in [
            (line("652822", json!(-1)), "amount-invalid"),
            (line("6528221", json!(1)), "region-invalid"),
            (json!({ "year": year, "region": "652822", "kind": "SALARY", "amount": 1 }), "kind-invalid"),
            (json!({ "year": 1999, "region": "652822", "kind": "INCOME", "amount": 1 }), "year-invalid"),
        ] {
            let (status, answer) = app.put(&county, "/api/v1/thresholds", &body).await;
            assert_eq!((status, answer["code"].as_str()), (400, Some(code)), "{body}");
        }
        assert_eq!(audited(&app, "threshold.set").await, 3, "nothing refused was audited");
        let (status, _) = app.get(&county, "/api/v1/thresholds?region=652823").await;
        assert_eq!(status, 403, "another county's region");

        // Incomes and spending at the boundaries.
        let a = CliTablet::new();
        a.login(&app.address, "helper_a").await;
        a.ok(&["sync"]).await;
        let b = CliTablet::new();
        b.login(&app.address, "helper_b").await;
        b.ok(&["sync"]).await;
        let [at_line, below, medical] = [0, 1, 2].map(|i| app.village_a[i].to_string());
        set(&a, &at_line, &[("income.per_capita_net", "6900"), ("income.compliant_out_of_pocket", "0")]).await;
        set(&a, &below, &[("income.per_capita_net", "6899.99"), ("income.compliant_out_of_pocket", "0")]).await;
        set(&a, &medical, &[("household.hh_type", "LIFTED"), ("income.per_capita_net", "50000"), ("income.compliant_out_of_pocket", "5000")]).await;
        for doc in &app.village_b {
            set(&b, &doc.to_string(), &[("household.hh_type", "LIFTED"), ("income.per_capita_net", "90000"), ("income.compliant_out_of_pocket", "4999.99")]).await;
        }
        let (status, outcome) = app.post(&county, "/api/v1/identification/flags/scan", &json!({})).await;
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(outcome["flagged"].as_u64(), Some(2), "{outcome}");
        let (_, flags) = app.get(&county, "/api/v1/identification/flags").await;
        let mut seen: Vec<(String, String, f64, f64)> = flags.as_array().unwrap().iter()
            .map(|f| (f["household"].as_str().unwrap().to_owned(), f["kind"].as_str().unwrap().to_owned(), f["value"].as_f64().unwrap(), f["threshold"].as_f64().unwrap()))
            .collect();
        seen.sort_by(|x, y| x.partial_cmp(y).unwrap());
        let mut expected = vec![
            (below.clone(), "INCOME_BELOW".to_owned(), 6899.99, 6900.0),
            (medical.clone(), "MEDICAL_SPENDING".to_owned(), 5000.0, 5000.0),
        ];
        expected.sort_by(|x, y| x.partial_cmp(y).unwrap());
        assert_eq!(seen, expected);
        let (_, again) = app.post(&county, "/api/v1/identification/flags/scan", &json!({})).await;
        assert_eq!(
            (again["flagged"].as_u64(), again["opened"].as_u64(), again["cleared"].as_u64()),
            (Some(2), Some(0), Some(0)),
            "a second pass changes nothing"
        );

        // The village's tablets get a task per flagged household; the other village none.
        let tasks = identify_tasks(&a).await;
        let mut households: Vec<&str> = tasks.iter().map(|t| t["household"].as_str().unwrap()).collect();
        households.sort();
        let mut flagged = vec![below.as_str(), medical.as_str()];
        flagged.sort();
        assert_eq!(households, flagged);
        let income_task = tasks.iter().find(|t| t["household"] == below.as_str()).unwrap();
        assert!(income_task["detail"].as_str().unwrap().contains("6900"), "{income_task}");
        assert!(identify_tasks(&b).await.is_empty());
        let (_, helpers_view) = app.get(&helper, "/api/v1/identification/flags").await;
        assert_eq!(helpers_view.as_array().unwrap().len(), 2, "the village's helper sees them too");
        let (status, _) = app.get(&app.token("other_supervisor").await, "/api/v1/identification/flags?region=652822").await;
        assert_eq!(status, 403);

        // Income recorded above the line again: the flag clears and the task goes.
        set(&a, &below, &[("income.per_capita_net", "6900")]).await;
        let (_, outcome) = app.post(&county, "/api/v1/identification/flags/scan", &json!({})).await;
        assert_eq!(outcome["cleared"].as_u64(), Some(1), "{outcome}");
        let left: Vec<String> = identify_tasks(&a).await.iter().map(|t| t["household"].as_str().unwrap().to_owned()).collect();
        assert_eq!(left, vec![medical.clone()]);

        // Raising the county's line a cent flags the household at 6900 at once.
        let (_, body) = app.put(&county, "/api/v1/thresholds", &line("652822", json!(6900.01))).await;
        assert_eq!(body["scan"]["opened"].as_u64(), Some(2), "{body}");
        // Removing the county's row falls back to the prefecture's 6800: cleared again.
        let (_, body) = app.put(&county, "/api/v1/thresholds", &line("652822", Value::Null)).await;
        assert_eq!(income_line(&body["thresholds"]), (6800.0, "PREFECTURE".into()));
        assert_eq!(body["scan"]["cleared"].as_u64(), Some(2), "{body}");

        // A proposal takes the open flag up: the task closes.
        let (status, proposal) = app.post(&helper, "/api/v1/identifications", &json!({
            "household": medical, "category": "UNSTABLE_LIFTED", "risk_types": ["ILLNESS"], "reason": "住院自付 5000 元"
        })).await;
        assert_eq!(status, 201, "{proposal}");
        assert!(identify_tasks(&a).await.is_empty(), "the proposal took the household's task");
        let (_, flags) = app.get(&county, "/api/v1/identification/flags").await;
        assert_eq!(flags[0]["status"], "PROPOSED", "{flags}");
        let (_, outcome) = app.post(&county, "/api/v1/identification/flags/scan", &json!({})).await;
        assert_eq!(outcome["opened"].as_u64(), Some(0), "a pass does not reopen what a proposal took up");

        // At the door, offline: the reference tablet keeps a proposal and sends it after the sync.
        let short = &at_line[..8];
        for bad in [
            vec!["propose", short, "--category", "POOR", "--risk", "ILLNESS", "--reason", "x"],
            vec!["propose", short, "--category", "MARGINAL", "--risk", "FLU", "--reason", "x"],
            vec!["propose", short, "--category", "MARGINAL", "--risk", "ILLNESS", "--reason", " "],
        ] {
            assert_ne!(a.run(&bad, "").await.status, 0, "{bad:?} refused on the tablet");
        }
        a.ok(&["propose", short, "--category", "MARGINAL", "--risk", "ILLNESS", "--risk", "LACK_LABOR", "--reason", "户主患慢性病，缺劳动力"]).await;
        let (_, before) = app.get(&county, "/api/v1/identifications").await;
        assert_eq!(before.as_array().unwrap().len(), 1, "nothing sent before the sync");
        let synced = a.ok(&["sync"]).await;
        assert_eq!(synced["proposals_sent"], 1, "{synced}");
        let (_, after) = app.get(&county, "/api/v1/identifications").await;
        let sent = after.as_array().unwrap().iter().find(|p| p["household"] == at_line.as_str()).expect("the tablet's proposal");
        assert_eq!((sent["source"].as_str(), sent["proposed_by"].as_str()), (Some("HELPER"), Some("user:helper_a")));
        assert_eq!(sent["risk_types"], json!(["ILLNESS", "LACK_LABOR"]));
        // The same household again: the server refuses, the tablet says so and forgets it.
        a.ok(&["propose", short, "--category", "MARGINAL", "--risk", "ILLNESS", "--reason", "再次"]).await;
        let synced = a.ok(&["sync"]).await;
        assert_eq!(synced["proposals_sent"], 0, "{synced}");
        assert!(synced.to_string().contains("proposal-open"), "{synced}");
        let synced = a.ok(&["sync"]).await;
        assert!(!synced.to_string().contains("proposal-open"), "offered once: {synced}");
        app.teardown().await;
    }

    async fn the_county_decides_a_proposal_and_only_the_server_writes_the_category(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let helper = app.token("helper_a").await;
        let supervisor = app.token("supervisor").await;
        let county = app.token("county").await;
        let far_county = account(&app, "far_county", Role::CountyOfficer, "652823").await;
        let [first, second, third] = [0, 1, 2].map(|i| app.village_a[i].to_string());
        let propose = |doc: &str, category: &str, risks: Value| json!({ "household": doc, "category": category, "risk_types": risks, "reason": "家中主要劳动力因病住院" });

        for (token, body, status, code) in [
            (&county, propose(&first, "MARGINAL", json!(["ILLNESS"])), 403, "role-not-allowed"),
            (&helper, propose(&first, "POOR", json!(["ILLNESS"])), 400, "category-invalid"),
            (&helper, propose(&first, "MARGINAL", json!(["FLU"])), 400, "risk-type-invalid"),
            (&helper, propose(&first, "MARGINAL", json!([])), 400, "risk-types-missing"),
            (&helper, propose(&first, "MARGINAL", json!(["ILLNESS", "DISABILITY", "EDUCATION", "DISASTER", "ACCIDENT", "OTHER"])), 400, "risk-types-too-many"),
            (&helper, json!({ "household": first, "category": "MARGINAL", "risk_types": ["ILLNESS"], "reason": " " }), 400, "reason-missing"),
            (&helper, propose(&app.village_b[0].to_string(), "MARGINAL", json!(["ILLNESS"])), 404, "not-found"),
            (&helper, propose("not-a-household", "MARGINAL", json!(["ILLNESS"])), 404, "not-found"),
        ] {
            let (got, answer) = app.post(token, "/api/v1/identifications", &body).await;
            assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{body}");
        }
        let (status, proposed) = app.post(&helper, "/api/v1/identifications", &propose(&first, "MARGINAL", json!(["ILLNESS", "ILLNESS"]))).await;
        assert_eq!(status, 201, "{proposed}");
        assert_eq!((proposed["status"].as_str(), proposed["source"].as_str()), (Some("PROPOSED"), Some("HELPER")));
        assert_eq!(proposed["risk_types"], json!(["ILLNESS"]));
        let (status, answer) = app.post(&supervisor, "/api/v1/identifications", &propose(&first, "MARGINAL", json!(["ILLNESS"]))).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("proposal-open")));
        let (_, listed) = app.get(&supervisor, "/api/v1/identifications?status=PROPOSED").await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let (_, listed) = app.get(&app.token("other_supervisor").await, "/api/v1/identifications").await;
        assert_eq!(listed, json!([]), "another township sees none");
        let (status, _) = app.get(&supervisor, "/api/v1/identifications?status=DONE").await;
        assert_eq!(status, 400);

        let id = proposed["id"].as_i64().unwrap();
        let decide = format!("/api/v1/identifications/{id}/decision");
        for (token, status, code) in [(&helper, 403, "role-not-allowed"), (&supervisor, 403, "role-not-allowed"), (&far_county, 404, "not-found")] {
            let (got, answer) = app.post(token, &decide, &json!({ "decision": "APPROVED" })).await;
            assert_eq!((got, answer["code"].as_str()), (status, Some(code)));
        }
        let (status, answer) = app.post(&county, &decide, &json!({ "decision": "MAYBE" })).await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("decision-invalid")));
        let (status, decided) = app.post(&county, &decide, &json!({ "decision": "APPROVED", "category": "SUDDEN_HARDSHIP", "note": "县级审定" })).await;
        assert_eq!(status, 200, "{decided}");
        let month = zoufang_server::services::clues::day(None).unwrap().format("%Y-%m").to_string();
        assert_eq!(decided["status"], "APPROVED");
        assert_eq!(decided["category"], "SUDDEN_HARDSHIP");
        assert_eq!(decided["identified_month"], month.as_str());
        let (status, answer) = app.post(&county, &decide, &json!({ "decision": "REJECTED" })).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("proposal-closed")));

        // The server wrote the household: the tablet receives it, the projection shows it.
        let tablet = CliTablet::new();
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let shown = tablet.ok(&["show", &first]).await;
        let record = if shown["record"].is_object() { &shown["record"] } else { &shown };
        assert_eq!(record["household"]["monitor_category"], "SUDDEN_HARDSHIP", "{shown}");
        assert_eq!(record["household"]["risk_types"]["ILLNESS"], true, "{record}");
        assert_eq!(record["monitoring"]["identified_month"], month.as_str());
        let (_, household) = app.get(&county, &format!("/api/v1/households/{first}")).await;
        assert_eq!(household["record"]["household"]["monitor_category"], "SUDDEN_HARDSHIP", "{household}");
        assert_eq!(listed_category(&app, &county, &first).await, "SUDDEN_HARDSHIP");
        // The helper's tablet may not change it back.
        let ran = tablet.run(&["set", &first, "household.monitor_category", "MARGINAL"], "").await;
        if ran.status == 0 {
            let synced = tablet.ok(&["sync"]).await;
            assert!(synced.to_string().contains("field-not-writable"), "{synced}");
        }
        assert_eq!(listed_category(&app, &county, &first).await, "SUDDEN_HARDSHIP");
        let (status, answer) = app.post(&helper, "/api/v1/identifications", &propose(&first, "MARGINAL", json!(["ILLNESS"]))).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("household-monitored")));

        // Withdrawn by the township (not by another helper), then closed to decisions.
        let (_, second_proposal) = app.post(&helper, "/api/v1/identifications", &propose(&second, "MARGINAL", json!(["EMPLOYMENT_UNSTABLE"]))).await;
        let second_id = second_proposal["id"].as_i64().unwrap();
        let withdraw = format!("/api/v1/identifications/{second_id}/withdraw");
        let (status, answer) = app.post(&app.token("helper_a2").await, &withdraw, &json!({})).await;
        assert_eq!((status, answer["code"].as_str()), (403, Some("role-not-allowed")));
        let (status, withdrawn) = app.post(&supervisor, &withdraw, &json!({ "note": "已就业" })).await;
        assert_eq!((status, withdrawn["status"].as_str()), (200, Some("WITHDRAWN")), "{withdrawn}");
        let (status, _) = app.post(&county, &format!("/api/v1/identifications/{second_id}/decision"), &json!({ "decision": "APPROVED" })).await;
        assert_eq!(status, 409);

        // Rejected: the household is left as it was.
        let (_, third_proposal) = app.post(&supervisor, "/api/v1/identifications", &propose(&third, "MARGINAL", json!(["DISASTER"]))).await;
        assert_eq!(third_proposal["source"], "TOWNSHIP");
        let third_id = third_proposal["id"].as_i64().unwrap();
        let (status, rejected) = app.post(&county, &format!("/api/v1/identifications/{third_id}/decision"), &json!({ "decision": "REJECTED", "note": "收入稳定" })).await;
        assert_eq!((status, rejected["status"].as_str()), (200, Some("REJECTED")));
        assert_eq!(listed_category(&app, &county, &third).await, Value::Null);

        for (action, count) in [("identification.propose", 3), ("identification.approve", 1), ("identification.withdraw", 1), ("identification.reject", 1)] {
            assert_eq!(audited(&app, action).await, count, "{action}");
        }
        app.teardown().await;
    }

    async fn the_console_page_checks_role_scope_and_token(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let year = this_year().unwrap().to_string();
        let target = app.village_a[1].to_string();
        let helper = Console::signed_in(&app, "helper_a").await;
        let page = helper.get("/console/identification").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"propose-form\""), "a helper proposes");
        assert!(!page.body.contains("id=\"threshold-form\""), "a helper sets no threshold");
        let page = helper.submit("/console/identification", "/console/identification/thresholds", &[("year", &year), ("kind", "INCOME"), ("amount", "1")]).await;
        assert_eq!(page.status, 403);
        let propose = [("household", target.as_str()), ("category", "MARGINAL"), ("risk_types", "ILLNESS"), ("risk_types", "DISABILITY"), ("reason", "因病致残")];
        let mut forged = vec![("csrf", "forged")];
        forged.extend_from_slice(&propose);
        assert_eq!(helper.post("/console/identification/proposals", &forged).await.status, 403, "no token, no proposal");
        let page = helper.submit("/console/identification", "/console/identification/proposals", &[("household", &app.village_b[0].to_string()), ("category", "MARGINAL"), ("risk_types", "ILLNESS"), ("reason", "x")]).await;
        assert_eq!(page.status, 404, "another village's household");
        let page = helper.submit("/console/identification", "/console/identification/proposals", &propose).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let county = app.token("county").await;
        let (_, listed) = app.get(&county, "/api/v1/identifications").await;
        assert_eq!(listed[0]["risk_types"], json!(["ILLNESS", "DISABILITY"]), "both boxes ticked");
        let id = listed[0]["id"].as_i64().unwrap();
        let page = helper.submit("/console/identification", &format!("/console/identification/{id}/decision"), &[("decision", "APPROVED")]).await;
        assert_eq!(page.status, 403, "a helper does not decide");

        let officer = Console::signed_in(&app, "county").await;
        let page = officer.submit("/console/identification", "/console/identification/thresholds", &[("year", &year), ("kind", "INCOME"), ("amount", "lots")]).await;
        assert_eq!(page.status, 400);
        let page = officer.submit("/console/identification", "/console/identification/thresholds", &[("year", &year), ("kind", "EDUCATION"), ("amount", "12000")]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let page = officer.get("/console/identification").await;
        assert!(page.body.contains("12000"), "the county's own row shows");
        let page = officer.submit("/console/identification", &format!("/console/identification/{id}/decision"), &[("decision", "REJECTED"), ("note", "收入稳定")]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let (_, listed) = app.get(&county, "/api/v1/identifications").await;
        assert_eq!(listed[0]["status"], "REJECTED");
        let page = officer.submit("/console/identification", &format!("/console/identification/{id}/launch"), &[]).await;
        assert_eq!(page.status, 404);

        accounts::add_user(&app.state, "test", "health", PASSWORD, Role::Department, &RegionCode::parse("652822").unwrap()).await.unwrap();
        let department = Console::signed_in(&app, "health").await;
        assert_eq!(department.get("/console/identification").await.status, 403);
        app.teardown().await;
    }

    async fn education_costs_in_the_departments_ledger_flag_above_the_line(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let year = this_year().unwrap();
        // A member of each of two households of village A, by ID number.
        let mut people = Vec::new();
        for doc in &app.village_a[..2] {
            let member = member::Entity::find()
                .filter(member::Column::DocId.eq(doc.to_string()))
                .filter(member::Column::IdNumber.is_not_null())
                .one(&app.state.db).await.unwrap().unwrap();
            people.push((doc.to_string(), member.id_number.unwrap(), member.name));
        }
        let mut ledger = Sheet::new(&["证件号码", "姓名", "政策项目", "金额（元）"]);
        ledger
            .row(&[&people[0].1, &people[0].2, "高中教育净支出", "10000"])
            .row(&[&people[1].1, &people[1].2, "职业教育净支出", "6000"])
            .row(&[&people[1].1, &people[1].2, "住宿费", "4000.01"]);
        accounts::add_user(&app.state, "test", "education", PASSWORD, Role::Department, &RegionCode::parse("652822").unwrap()).await.unwrap();
        accounts::set_department(&app.state, "test", "education", Department::Education).await.unwrap();
        let education = app.token("education").await;
        let response = app.client.post(app.url(&format!("/api/v1/departments/uploads?kind=ledger&period={year}Q3")))
            .bearer_auth(&education).body(ledger.csv_utf8_bom()).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let county = app.token("county").await;
        let (_, outcome) = app.post(&county, "/api/v1/identification/flags/scan", &json!({ "region": "652822100201" })).await;
        assert_eq!(outcome["households"].as_u64(), Some(3), "only the village asked for: {outcome}");
        let (_, flags) = app.get(&county, "/api/v1/identification/flags").await;
        let education_flags: Vec<&Value> = flags.as_array().unwrap().iter().filter(|f| f["kind"] == "EDUCATION_SPENDING").collect();
        assert_eq!(education_flags.len(), 1, "10000 is not above the line, 10000.01 over two rows is: {flags}");
        assert_eq!(education_flags[0]["household"], people[1].0.as_str());
        assert!((education_flags[0]["value"].as_f64().unwrap() - 10000.01).abs() < 1e-6);
        assert_eq!(education_flags[0]["threshold"], 10000.0);
        app.teardown().await;
    }
}
