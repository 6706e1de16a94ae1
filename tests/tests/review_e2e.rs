//! Reviewing visits end to end: a visit recorded on a tablet opens its round's review,
//! which moves from village review to township verification (the record pinned, byte for
//! byte reproducible) to county acceptance; every step is refused out of role, scope or
//! order and while conflicts, errors or unacknowledged warnings stand; a return reaches the
//! tablet as a task until the household is visited again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::{Value, json};
use zoufang_e2e::{HttpTablet, TestApp, on_both_databases};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{EntryId, EntryStatus, Quarter, Visit};
use zoufang_sync::{DocPath, EntrySection};

const ROUND: &str = "2026Q4";

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

/// The tablet records a visit of the round to `household` and syncs it.
async fn visit(tablet: &mut HttpTablet, household: &DocId, day: u32) {
    let visit = Visit {
        status: EntryStatus::Active,
        quarter: Quarter::parse(ROUND).unwrap(),
        visited_on: chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        visitor: Some("阿依古丽".into()),
        notes: None,
        photos: Default::default(),
    };
    let key = EntryId::from_random_bits(u128::from(day) << 64 | 0x5151);
    tablet
        .tablet
        .edit(household, 1_800_000_000 + i64::from(day), |e| {
            e.insert_entry(EntrySection::Visits, key.as_str(), &visit)
        })
        .unwrap();
    tablet.sync().await.unwrap();
}

async fn step(
    app: &TestApp,
    token: &str,
    household: &DocId,
    action: &str,
    reason: Option<&str>,
) -> (u16, Value) {
    app.post(
        token,
        &format!("/api/v1/reviews/{household}/{ROUND}"),
        &json!({ "action": action, "reason": reason }),
    )
    .await
}

/// Acknowledges every warning of the household for the round.
async fn acknowledge_warnings(app: &TestApp, token: &str, household: &DocId) {
    let (_, detail) = app
        .get(token, &format!("/api/v1/households/{household}"))
        .await;
    for finding in detail["findings"].as_array().unwrap() {
        if finding["severity"] == "WARNING" {
            let (status, _) = app
                .post(
                    token,
                    &format!("/api/v1/reviews/{household}/{ROUND}/acknowledge"),
                    &json!({ "code": finding["code"], "path": finding["path"] }),
                )
                .await;
            assert_eq!(status, 204);
        }
    }
}

on_both_databases! {
    async fn a_visit_goes_from_submitted_to_accepted_and_its_verified_record_stays_as_pinned(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let id = app.village_a[0];
        visit(&mut helper, &id, 3).await;
        let (supervisor, county) = (app.token("supervisor").await, app.token("county").await);
        let (status, list) = app.get(&supervisor, &format!("/api/v1/reviews?round={ROUND}")).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["state"], "SUBMITTED");
        assert_eq!(list[0]["state_zh"], "已提交");

        let (status, body) = step(&app, &helper.token, &id, "village-review", None).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("VILLAGE_REVIEWED")), "{body}");
        acknowledge_warnings(&app, &supervisor, &id).await;
        let (status, body) = step(&app, &supervisor, &id, "township-verify", None).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("TOWNSHIP_VERIFIED")), "{body}");
        let verified_url = format!("/api/v1/reviews/{id}/{ROUND}/verified");
        let pinned = app.client.get(app.url(&verified_url)).bearer_auth(&county).send().await.unwrap().bytes().await.unwrap();
        let (status, body) = step(&app, &county, &id, "county-accept", None).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("COUNTY_ACCEPTED")), "{body}");

        // A later edit changes the household, not the verified record.
        helper.tablet.edit(&id, 1_800_000_100, |e| e.put(&path("household.phone"), &"13700001111")).unwrap();
        helper.sync().await.unwrap();
        let again = app.client.get(app.url(&verified_url)).bearer_auth(&county).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(pinned, again, "the verified record is the same, byte for byte");
        let (_, review) = app.get(&county, &format!("/api/v1/reviews/{id}/{ROUND}")).await;
        assert_eq!(review["changed_since_verification"], true);
        let (_, changes) = app.get(&county, &format!("/api/v1/reviews/{id}/{ROUND}/changes")).await;
        let changed: Vec<&str> = changes.as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
        assert_eq!(changed, ["household.phone"], "{changes}");
        assert_eq!(changes[0]["now"], "13700001111");

        // Reproducible from the pinned heads.
        let row = zoufang_server::store::reviews::find(&app.state.db, &id, ROUND).await.unwrap().unwrap();
        let heads = zoufang_server::store::documents::heads_from_text(row.verified_heads.as_deref().unwrap()).unwrap();
        let stored = zoufang_server::store::documents::load(&app.state.db, &id).await.unwrap().unwrap();
        let rebuilt = zoufang_sync::HouseholdDoc::from_automerge(stored.doc).to_json(Some(&zoufang_sync::heads::from_wire(&heads))).to_string();
        assert_eq!(rebuilt.as_bytes(), &pinned[..]);

        let (status, feed) = app.get(&county, "/api/v1/feed/verified?after=0").await;
        assert_eq!(status, 200);
        let states: Vec<&str> = feed.as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["TOWNSHIP_VERIFIED", "COUNTY_ACCEPTED"]);
        let last = feed[1]["seq"].as_i64().unwrap();
        let (_, rest) = app.get(&county, &format!("/api/v1/feed/verified?after={last}")).await;
        assert_eq!(rest.as_array().unwrap().len(), 0, "read on from the cursor");
        let report = zoufang_server::store::audit::verify(&app.state.db, app.state.digest.as_ref()).await.unwrap();
        assert!(report.is_intact());
        app.teardown().await;
    }

    async fn each_step_is_refused_out_of_role_scope_or_order_and_while_the_record_is_not_ready(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        let mut other = app.tablet("helper_a2").await;
        helper.sync().await.unwrap();
        other.sync().await.unwrap();
        let id = app.village_a[1];
        visit(&mut helper, &id, 4).await;
        let supervisor = app.token("supervisor").await;
        let county = app.token("county").await;
        let outsider = app.token("other_supervisor").await;
        let code = |body: &Value| body["code"].as_str().unwrap_or_default().to_owned();

        let (status, body) = step(&app, &helper.token, &id, "township-verify", None).await;
        assert_eq!((status, code(&body)), (403, "review-role-not-allowed".into()));
        let (status, body) = step(&app, &county, &id, "county-accept", None).await;
        assert_eq!((status, code(&body)), (409, "review-state-invalid".into()));
        let (status, _) = step(&app, &outsider, &id, "village-review", None).await;
        assert_eq!(status, 404, "another township's review reads as none");
        let (status, body) = step(&app, &supervisor, &id, "return", Some("  ")).await;
        assert_eq!((status, code(&body)), (409, "review-reason-required".into()));
        let (status, body) = step(&app, &supervisor, &id, "publish", None).await;
        assert_eq!((status, code(&body)), (400, "review-action-invalid".into()));
        let (status, body) = app.post(&supervisor, &format!("/api/v1/reviews/{id}/2026Q5"), &json!({ "action": "village-review" })).await;
        assert_eq!((status, code(&body)), (400, "round-invalid".into()));
        let (status, _) = step(&app, &helper.token, &id, "village-review", None).await;
        assert_eq!(status, 200);

        // An open conflict blocks verification.
        helper.tablet.edit(&id, 1_800_000_001, |e| e.put(&path("household.phone"), &"13800000001")).unwrap();
        other.tablet.edit(&id, 1_800_000_002, |e| e.put(&path("household.phone"), &"13800000002")).unwrap();
        helper.sync().await.unwrap();
        other.sync().await.unwrap();
        acknowledge_warnings(&app, &supervisor, &id).await;
        let (status, body) = step(&app, &supervisor, &id, "township-verify", None).await;
        assert_eq!((status, code(&body)), (409, "review-open-conflicts".into()));
        let (_, conflicts) = app.get(&supervisor, "/api/v1/conflicts?status=OPEN").await;
        let conflict = conflicts[0]["id"].as_i64().unwrap();
        app.post(&supervisor, &format!("/api/v1/conflicts/{conflict}/resolve"), &json!({ "candidate": 0 })).await;

        // A validation error blocks it too.
        let (_, detail) = app.get(&supervisor, &format!("/api/v1/households/{id}")).await;
        let member = detail["record"]["members"].as_object().unwrap().keys().next().unwrap().clone();
        helper.sync().await.unwrap();
        helper.tablet.edit(&id, 1_800_000_003, |e| e.put(&path(&format!("members.{member}.id_number")), &"652822199001011230")).unwrap();
        helper.sync().await.unwrap();
        let (status, body) = step(&app, &supervisor, &id, "township-verify", None).await;
        assert_eq!((status, code(&body)), (409, "review-validation-errors".into()));
        let (_, findings) = app.get(&supervisor, "/api/v1/findings?severity=ERROR").await;
        assert!(findings.as_array().unwrap().iter().any(|f| f["household"] == id.to_string()), "{findings}");
        let good = detail["record"]["members"][&member]["id_number"].clone();
        helper.tablet.edit(&id, 1_800_000_004, |e| e.put(&path(&format!("members.{member}.id_number")), &good)).unwrap();
        helper.sync().await.unwrap();

        // And an unacknowledged warning.
        helper.tablet.edit(&id, 1_800_000_005, |e| e.put(&path("housing.danger_grade"), &"D")).unwrap();
        helper.sync().await.unwrap();
        let (status, body) = step(&app, &supervisor, &id, "township-verify", None).await;
        assert_eq!((status, code(&body)), (409, "review-warnings-unacknowledged".into()));
        acknowledge_warnings(&app, &supervisor, &id).await;
        let (status, body) = step(&app, &supervisor, &id, "township-verify", None).await;
        assert_eq!(status, 200, "{body}");

        // Changed after verification: the county does not accept it.
        helper.sync().await.unwrap();
        helper.tablet.edit(&id, 1_800_000_006, |e| e.put(&path("housing.fuel"), &"煤")).unwrap();
        helper.sync().await.unwrap();
        let (status, body) = step(&app, &county, &id, "county-accept", None).await;
        assert_eq!((status, code(&body)), (409, "review-changed-since-verification".into()));
        app.teardown().await;
    }

    async fn a_returned_visit_reaches_the_tablet_as_a_task_until_it_is_visited_again(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let id = app.village_a[2];
        visit(&mut helper, &id, 5).await;
        let supervisor = app.token("supervisor").await;
        let (status, body) = step(&app, &supervisor, &id, "return", Some("饮水照片看不清,请补拍")).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("RETURNED")), "{body}");
        let tasks = |reply: &[u8]| zoufang_e2e::hostile::reply(reply).tasks;
        let (request, held) = helper.tablet.request();
        let (_, body) = helper.post_sync(zoufang_sync::codec::encode(&request)).await;
        let received = tasks(&body);
        helper.tablet.receive(&request, &held, &body).unwrap();
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(received[0].kind, zoufang_schemas::TaskKind::VisitReturned);
        assert_eq!(received[0].detail.as_deref(), Some("饮水照片看不清,请补拍"));
        assert!(!received[0].closed);
        // Another device of the village learns of it at its first sync too.
        let mut colleague = app.tablet("helper_a2").await;
        let (request, _) = colleague.tablet.request();
        let (_, body) = colleague.post_sync(zoufang_sync::codec::encode(&request)).await;
        assert_eq!(tasks(&body).len(), 1);
        colleague.sync().await.unwrap();

        visit(&mut helper, &id, 6).await;
        let (_, review) = app.get(&supervisor, &format!("/api/v1/reviews/{id}/{ROUND}")).await;
        assert_eq!(review["state"], "SUBMITTED", "visited again");
        let (request, _) = colleague.tablet.request();
        let (_, body) = colleague.post_sync(zoufang_sync::codec::encode(&request)).await;
        let closed = tasks(&body);
        assert_eq!(closed.len(), 1);
        assert!(closed[0].closed, "the task is withdrawn from the tablets");
        app.teardown().await;
    }

    async fn a_whole_village_is_reviewed_at_once_and_refusals_are_listed(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        for (day, id) in app.village_a.clone().iter().enumerate() {
            visit(&mut helper, id, day as u32 + 10).await;
        }
        let supervisor = app.token("supervisor").await;
        let url = format!("/api/v1/villages/652822100201/reviews/{ROUND}");
        let (status, outcome) = app.post(&helper.token, &url, &json!({ "action": "village-review" })).await;
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(outcome["done"].as_array().unwrap().len(), 3);
        let (_, outcome) = app.post(&supervisor, &url, &json!({ "action": "township-verify" })).await;
        let done = outcome["done"].as_array().unwrap().len();
        let refused = outcome["refused"].as_array().unwrap();
        assert_eq!(done + refused.len(), 3, "{outcome}");
        assert!(refused.iter().all(|r| r["code"] == "review-warnings-unacknowledged"), "{outcome}");
        let (status, _) = app.post(&supervisor, "/api/v1/villages/652822100202/reviews/2026Q4", &json!({ "action": "village-review" })).await;
        assert_eq!(status, 200, "the township's other village");
        let (status, body) = app.post(&helper.token, "/api/v1/villages/652822100202/reviews/2026Q4", &json!({ "action": "village-review" })).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("region-out-of-scope")));
        let (_, coverage) = app.get(&supervisor, &format!("/api/v1/coverage?round={ROUND}")).await;
        let village = coverage.as_array().unwrap().iter().find(|r| r["region_code"] == "652822100201").unwrap();
        assert_eq!((village["households"].as_i64(), village["visited"].as_i64(), village["verified"].as_i64()), (Some(3), Some(3), Some(done as i64)));
        let township = coverage.as_array().unwrap().iter().find(|r| r["region_code"] == "652822100").unwrap();
        assert_eq!(township["households"], 5);
        assert_eq!(township["level"], "TOWNSHIP");
        app.teardown().await;
    }
}
