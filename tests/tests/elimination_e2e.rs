//! Risk elimination in four steps end to end, on SQLite and PostgreSQL: a monitored
//! household nominated by the village with its public notice (printable, numbers masked),
//! verified by the township only after the notice has run (a fixed clock), confirmed and
//! marked by the county (the server writes the household's monitoring status, which the
//! tablets receive), rolled back when the household is identified again; a household without
//! labour force never marked; withdrawal; every step out of role, scope or order refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use calamine::Reader;
use chrono::{Days, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use zoufang_e2e::console::Console;
use zoufang_e2e::import_files::Sheet;
use zoufang_e2e::workflows;
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_schemas::wire::DocId;
use zoufang_server::auth::AuthUser;
use zoufang_server::services::elimination::cases;
use zoufang_server::services::elimination::life::Step;
use zoufang_server::store::entities::{audit_entry, member};
use zoufang_sync::DocPath;

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

/// The caller as the services see it, for steps taken on a fixed day.
async fn as_user(app: &TestApp, name: &str) -> AuthUser {
    let user = zoufang_server::store::users::find_by_username(&app.state.db, name)
        .await
        .unwrap()
        .unwrap();
    AuthUser {
        id: user.id,
        name: user.username.clone(),
        role: user.role.parse().unwrap(),
        scope: zoufang_schemas::RegionCode::parse(&user.scope).unwrap(),
        family: String::new(),
    }
}

async fn monitoring(app: &TestApp, doc: &DocId) -> Value {
    let county = app.token("county").await;
    let (_, household) = app.get(&county, &format!("/api/v1/households/{doc}")).await;
    household["record"]["monitoring"].clone()
}

async fn audited(app: &TestApp, prefix: &str) -> u64 {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.starts_with(prefix))
        .count(&app.state.db)
        .await
        .unwrap()
}

fn today() -> NaiveDate {
    zoufang_server::services::clues::day(None).unwrap()
}

on_both_databases! {
    async fn four_steps_in_order_after_the_notice_then_back_to_monitoring(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let doc = app.village_a[0];
        let idle = app.village_a[1];
        workflows::monitored(&app, &doc, true, true).await;
        workflows::monitored(&app, &idle, false, true).await;
        let helper = app.token("helper_a").await;
        let supervisor = app.token("supervisor").await;
        let county = app.token("county").await;
        let nominate = |d: &DocId, mode: &str| json!({ "household": d.to_string(), "mode": mode, "reason": "务工收入稳定，两不愁三保障巩固" });

        let (status, answer) = app.post(&helper, "/api/v1/eliminations", &nominate(&idle, "NATURAL")).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("no-labour-force")), "a household without labour stays monitored");
        let (status, answer) = app.post(&helper, "/api/v1/eliminations", &nominate(&app.village_a[2], "NATURAL")).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("household-not-monitored")));
        for (token, body, status, code) in [
            (&county, nominate(&doc, "ASSISTED"), 403, "role-not-allowed"),
            (&app.token("helper_b").await, nominate(&doc, "ASSISTED"), 404, "not-found"),
            (&helper, nominate(&doc, "SOMEHOW"), 400, "mode-invalid"),
            (&helper, json!({ "household": doc.to_string(), "mode": "ASSISTED", "reason": "" }), 400, "reason-missing"),
        ] {
            let (got, answer) = app.post(token, "/api/v1/eliminations", &body).await;
            assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{body}");
        }
        let (status, case) = app.post(&helper, "/api/v1/eliminations", &nominate(&doc, "ASSISTED")).await;
        assert_eq!(status, 201, "{case}");
        assert_eq!(case["status"], "NOMINATED");
        assert_eq!(case["nominated_on"], today().to_string());
        assert_eq!(case["notice_ends"], (today() + Days::new(5)).to_string(), "five days of notice");
        let (status, answer) = app.post(&supervisor, "/api/v1/eliminations", &nominate(&doc, "ASSISTED")).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("case-open")));
        let id = case["id"].as_i64().unwrap();

        // The public notice: the head, numbers masked.
        let response = app.client.get(app.url("/api/v1/eliminations/notice.xlsx")).bearer_auth(&supervisor).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap().to_vec();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.height(), 2, "a header and the nominated household");
        let row: Vec<String> = (0..10).map(|c| range.get((1, c)).map(|v| v.to_string()).unwrap_or_default()).collect();
        assert_eq!(row[1], "一村");
        assert!(row[3].len() == 18 && row[3].contains("**********"), "ID number masked: {row:?}");
        assert!(row[4].is_empty() || row[4].contains("****"), "phone masked: {row:?}");
        assert_eq!((row[6].as_str(), row[9].as_str()), ("帮扶消除", case["notice_ends"].as_str().unwrap()));

        // The township verifies only after the notice.
        let (status, answer) = app.post(&supervisor, &format!("/api/v1/eliminations/{id}/verify"), &json!({})).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("notice-period-running")));
        let township = as_user(&app, "supervisor").await;
        let last_day = today() + Days::new(5);
        let refused = cases::take(&app.state, &township, id, Step::Verify, None, last_day).await.unwrap_err();
        assert_eq!(refused.code(), "notice-period-running");
        let verified = cases::take(&app.state, &township, id, Step::Verify, Some("核查属实".into()), last_day + Days::new(1)).await.unwrap();
        assert_eq!(verified.status, "VERIFIED");

        for (token, step, status, code) in [
            (&supervisor, "confirm", 403, "role-not-allowed"),
            (&county, "mark", 409, "case-out-of-order"),
            (&county, "rollback", 409, "case-out-of-order"),
        ] {
            let (got, answer) = app.post(token, &format!("/api/v1/eliminations/{id}/{step}"), &json!({})).await;
            assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{step}");
        }
        let (status, answer) = app.post(&county, &format!("/api/v1/eliminations/{id}/skip"), &json!({})).await;
        assert_eq!((status, answer["code"].as_str()), (404, Some("not-found")));
        let far_county = {
            zoufang_server::services::accounts::add_user(&app.state, "test", "far_county", zoufang_e2e::PASSWORD, zoufang_schemas::Role::CountyOfficer, &zoufang_schemas::RegionCode::parse("652823").unwrap()).await.unwrap();
            app.token("far_county").await
        };
        let (status, _) = app.post(&far_county, &format!("/api/v1/eliminations/{id}/confirm"), &json!({})).await;
        assert_eq!(status, 404, "another county");
        let (status, confirmed) = app.post(&county, &format!("/api/v1/eliminations/{id}/confirm"), &json!({ "note": "县级核实" })).await;
        assert_eq!((status, confirmed["status"].as_str()), (200, Some("CONFIRMED")), "{confirmed}");
        assert_eq!(monitoring(&app, &doc).await["risk_eliminated"], false, "not marked before the last step");
        let (status, marked) = app.post(&county, &format!("/api/v1/eliminations/{id}/mark"), &json!({})).await;
        assert_eq!((status, marked["status"].as_str()), (200, Some("MARKED")), "{marked}");
        let month = today().format("%Y-%m").to_string();
        assert_eq!(marked["marked_month"], month.as_str());
        let status_now = monitoring(&app, &doc).await;
        assert_eq!((status_now["risk_eliminated"].clone(), status_now["elimination_mode"].clone(), status_now["eliminated_month"].clone()), (json!(true), json!("ASSISTED"), json!(month)));
        let mut tablet = app.tablet("helper_a").await;
        tablet.sync().await.unwrap();
        assert_eq!(tablet.tablet.doc(&doc).unwrap().get_as::<bool>(&path("monitoring.risk_eliminated")).unwrap(), Some(true), "the tablets receive the mark");
        let (_, shown) = app.get(&helper, &format!("/api/v1/eliminations/{id}")).await;
        let steps: Vec<&str> = shown["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["NOMINATE", "VERIFY", "CONFIRM", "MARK"]);

        // A new risk clue, checked at the door and included by the township: the county
        // identifies the household again, it returns to monitoring and the case is rolled
        // back, its history kept.
        let person = member::Entity::find()
            .filter(member::Column::DocId.eq(doc.to_string()))
            .filter(member::Column::IdNumber.is_not_null())
            .one(&app.state.db).await.unwrap().unwrap();
        zoufang_server::services::accounts::add_user(&app.state, "test", "health", zoufang_e2e::PASSWORD, zoufang_schemas::Role::Department, &zoufang_schemas::RegionCode::parse("652822").unwrap()).await.unwrap();
        zoufang_server::services::accounts::set_department(&app.state, "test", "health", zoufang_schemas::Department::Health).await.unwrap();
        let health = app.token("health").await;
        let mut clues = Sheet::new(&["证件号码", "姓名", "线索类型", "线索描述"]);
        clues.row(&[person.id_number.as_deref().unwrap(), &person.name, "意外事故", "车祸住院"]);
        let response = app.client.post(app.url(&format!("/api/v1/departments/uploads?kind=clues&period={}", today().format("%Y-%m"))))
            .bearer_auth(&health).body(clues.csv_utf8_bom()).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let (_, listed) = app.get(&supervisor, "/api/v1/clues").await;
        let clue = listed[0]["id"].as_i64().unwrap();
        app.post(&helper, &format!("/api/v1/clues/{clue}/finding"), &json!({ "finding": "属实，已住院" })).await;
        let (status, _) = app.post(&supervisor, &format!("/api/v1/clues/{clue}/decision"), &json!({ "decision": "INCLUDED" })).await;
        assert_eq!(status, 200);
        let (_, proposals) = app.get(&county, "/api/v1/identifications?status=PROPOSED").await;
        let proposal = proposals.as_array().unwrap().iter().find(|p| p["household"] == doc.to_string().as_str()).expect("the clue's proposal");
        assert_eq!(proposal["clue_id"].as_i64(), Some(clue));
        app.post(&county, &format!("/api/v1/identifications/{}/decision", proposal["id"]), &json!({ "decision": "APPROVED" })).await;
        assert_eq!(monitoring(&app, &doc).await["risk_eliminated"], false);
        let (_, shown) = app.get(&county, &format!("/api/v1/eliminations/{id}")).await;
        assert_eq!(shown["status"], "ROLLED_BACK");
        assert_eq!(shown["steps"].as_array().unwrap().len(), 5);
        assert_eq!(audited(&app, "elimination.").await, 4, "nominate, verify, confirm, mark");
        app.teardown().await;
    }

    async fn labour_lost_before_marking_stops_the_case_which_is_withdrawn(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let doc = app.village_a[2];
        workflows::monitored(&app, &doc, true, false).await;
        let supervisor = app.token("supervisor").await;
        let county = app.token("county").await;
        let (status, answer) = app.post(&supervisor, "/api/v1/eliminations", &json!({ "household": doc.to_string(), "mode": "ASSISTED", "reason": "收入稳定" })).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("measure-missing")), "ASSISTED needs a measure carried out");
        let (status, case) = app.post(&supervisor, "/api/v1/eliminations", &json!({ "household": doc.to_string(), "mode": "NATURAL", "reason": "收入自然增长" })).await;
        assert_eq!(status, 201, "{case}");
        let id = case["id"].as_i64().unwrap();
        let township = as_user(&app, "supervisor").await;
        cases::take(&app.state, &township, id, Step::Verify, None, today() + Days::new(6)).await.unwrap();
        let (status, _) = app.post(&county, &format!("/api/v1/eliminations/{id}/confirm"), &json!({})).await;
        assert_eq!(status, 200);
        // The only worker can no longer work.
        let mut tablet = app.tablet("helper_a").await;
        tablet.sync().await.unwrap();
        tablet.tablet.edit(&doc, 1_800_000_100, |e| e.put(&path("household.no_labour"), &true)).unwrap();
        tablet.sync().await.unwrap();
        let (status, answer) = app.post(&county, &format!("/api/v1/eliminations/{id}/mark"), &json!({})).await;
        assert_eq!((status, answer["code"].as_str()), (409, Some("no-labour-force")));
        assert_eq!(monitoring(&app, &doc).await["risk_eliminated"], false, "still monitored");
        let (status, answer) = app.post(&app.token("helper_a").await, &format!("/api/v1/eliminations/{id}/withdraw"), &json!({})).await;
        assert_eq!((status, answer["code"].as_str()), (403, Some("role-not-allowed")), "not the helper's nomination");
        let (status, withdrawn) = app.post(&supervisor, &format!("/api/v1/eliminations/{id}/withdraw"), &json!({ "note": "缺劳动力" })).await;
        assert_eq!((status, withdrawn["status"].as_str()), (200, Some("WITHDRAWN")));
        let (_, listed) = app.get(&county, "/api/v1/eliminations?status=WITHDRAWN").await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let (status, _) = app.get(&county, "/api/v1/eliminations?status=GONE").await;
        assert_eq!(status, 400);
        let (_, none) = app.get(&app.token("other_supervisor").await, "/api/v1/eliminations").await;
        assert_eq!(none, json!([]), "another township sees none");
        app.teardown().await;
    }

    async fn the_console_nominates_takes_steps_and_prints_the_notice(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let doc = app.village_a[0];
        workflows::monitored(&app, &doc, true, true).await;
        let helper = Console::signed_in(&app, "helper_a").await;
        let page = helper.get("/console/elimination").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"nominate-form\""));
        let fields = [("household", doc.to_string()), ("mode", "ASSISTED".to_owned()), ("reason", "稳定就业".to_owned())];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut forged = vec![("csrf", "forged")];
        forged.extend_from_slice(&fields);
        assert_eq!(helper.post("/console/elimination/nominations", &forged).await.status, 403);
        let page = helper.submit("/console/elimination", "/console/elimination/nominations", &fields).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let county_token = app.token("county").await;
        let (_, cases) = app.get(&county_token, "/api/v1/eliminations").await;
        let id = cases[0]["id"].as_i64().unwrap();
        let page = helper.get("/console/elimination").await;
        assert!(page.body.contains(&format!("/console/elimination/{id}/withdraw")), "the nominating helper may withdraw");
        assert!(!page.body.contains(&format!("/console/elimination/{id}/verify")), "a helper does not verify");
        let page = helper.submit("/console/elimination", &format!("/console/elimination/{id}/confirm"), &[]).await;
        assert_eq!(page.status, 403);
        let supervisor = Console::signed_in(&app, "supervisor").await;
        let page = supervisor.submit("/console/elimination", &format!("/console/elimination/{id}/verify"), &[]).await;
        assert_eq!(page.status, 409, "the notice is running");
        let (status, headers, body) = supervisor.download("/console/elimination/notice.xlsx").await;
        assert_eq!(status, 200);
        assert!(headers["content-disposition"].to_str().unwrap().contains("elimination-notice.xlsx"));
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body)).unwrap();
        assert_eq!(book.worksheet_range_at(0).unwrap().unwrap().height(), 2);
        let page = helper.submit("/console/elimination", &format!("/console/elimination/{id}/withdraw"), &[("note", "再观察")]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let (_, case) = app.get(&county_token, &format!("/api/v1/eliminations/{id}")).await;
        assert_eq!(case["status"], "WITHDRAWN");
        assert_eq!(case["steps"][1]["note"], "再观察");
        zoufang_server::services::accounts::add_user(&app.state, "test", "health", zoufang_e2e::PASSWORD, zoufang_schemas::Role::Department, &zoufang_schemas::RegionCode::parse("652822").unwrap()).await.unwrap();
        assert_eq!(Console::signed_in(&app, "health").await.get("/console/elimination").await.status, 403);
        app.teardown().await;
    }
}
