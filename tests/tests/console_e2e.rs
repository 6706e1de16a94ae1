//! The web console over HTTP, as a browser uses it: sessions by cookie, forms with their
//! CSRF token, the same roles and scopes as the API, personal data as the role may see
//! it, and every page under a strict policy with nothing loaded from elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use zoufang_e2e::console::{Console, Page};
use zoufang_e2e::{HttpTablet, PASSWORD, TestApp, on_both_databases};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{
    EntryId, EntryStatus, PhotoRef, PhotoSubject, Quarter, RegionCode, Role, Visit,
};
use zoufang_sync::{DocPath, EntrySection};

const ROUND: &str = "2026Q4";

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

/// Two helpers write the phone of `id` concurrently: one open conflict.
async fn conflict_on_phone(app: &TestApp, id: &DocId) -> (HttpTablet, HttpTablet) {
    let mut a = app.tablet("helper_a").await;
    let mut a2 = app.tablet("helper_a2").await;
    a.sync().await.unwrap();
    a2.sync().await.unwrap();
    a.tablet
        .edit(id, 1_800_000_001, |e| {
            e.put(&path("household.phone"), &"13800000001")
        })
        .unwrap();
    a2.tablet
        .edit(id, 1_800_000_002, |e| {
            e.put(&path("household.phone"), &"13800000002")
        })
        .unwrap();
    a.sync().await.unwrap();
    a2.sync().await.unwrap();
    (a, a2)
}

/// The tablet records a visit of the round and syncs it.
async fn visit(tablet: &mut HttpTablet, household: &DocId, day: u32) {
    let visit = Visit {
        status: EntryStatus::Active,
        quarter: Quarter::parse(ROUND).unwrap(),
        visited_on: chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        visitor: Some("阿依古丽".into()),
        notes: Some("入户核实".into()),
        photos: Default::default(),
    };
    let key = EntryId::from_random_bits(u128::from(day) << 64 | 0x7777);
    tablet
        .tablet
        .edit(household, 1_800_000_000 + i64::from(day), |e| {
            e.insert_entry(EntrySection::Visits, key.as_str(), &visit)
        })
        .unwrap();
    tablet.sync().await.unwrap();
}

fn open_conflict_ids(app_conflicts: &Page) -> Vec<String> {
    let marker = "id=\"open-conflict-";
    app_conflicts
        .body
        .match_indices(marker)
        .map(|(i, _)| {
            let rest = &app_conflicts.body[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Every page the console shows: its policy, no framing, no caching, nothing from
/// elsewhere.
fn assert_console_page(page: &Page) {
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "no script runs: {csp}"
    );
    assert_eq!(page.headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    assert!(
        !page.body.contains("http://")
            && !page.body.contains("https://")
            && !page.body.contains("//cdn"),
        "nothing loads from elsewhere"
    );
    assert!(!page.body.contains("<script"), "pages run no script");
}

on_both_databases! {
    async fn signing_in_keeps_the_session_in_strict_cookies_and_signing_out_ends_it(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let browser = Console::new(&app);
        let page = browser.get("/console/reviews").await;
        assert_eq!((page.status, page.location()), (303, Some("/console/login")), "no session: sign in first");
        let login = browser.get("/console/login").await;
        assert_eq!(login.status, 200);
        assert_console_page(&login);
        assert!(login.body.contains("登录"), "Chinese first");

        let wrong = browser.post("/console/login", &[("username", "supervisor"), ("password", "wrong password")]).await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("id=\"login-error\""));
        assert!(wrong.cookies().is_empty(), "no session for a wrong password");

        let signed = browser.post("/console/login", &[("username", "supervisor"), ("password", PASSWORD)]).await;
        assert_eq!((signed.status, signed.location()), (303, Some("/console")));
        let cookies = signed.cookies();
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        for cookie in &cookies {
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"), "{cookie}");
        }
        let home = browser.get("/console").await;
        assert_eq!((home.status, home.location()), (303, Some("/console/reviews")));
        let reviews = browser.get("/console/reviews").await;
        assert_eq!(reviews.status, 200, "{}", reviews.body);
        assert_console_page(&reviews);
        assert!(reviews.body.contains("supervisor · 乡镇审核员 · 652822100"));

        // The language switch.
        let switched = browser.get("/console/lang?to=en").await;
        assert_eq!(switched.status, 303);
        let english = browser.get("/console/reviews").await;
        assert!(english.body.contains("Visit review") && english.body.contains("lang=\"en\""), "{}", english.body);
        browser.get("/console/lang?to=zh").await;

        // The stylesheet ships inside the binary.
        let css = browser.get("/console/assets/console.css").await;
        assert_eq!(css.status, 200);
        assert!(css.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
        assert!(!css.body.contains("@import") && !css.body.contains("url(http"), "no external fonts");

        // Signing out needs the form's token, and ends the session everywhere.
        let refused = browser.post("/console/logout", &[("csrf", "0000")]).await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("csrf-token-invalid"));
        let out = browser.submit("/console/reviews", "/console/logout", &[]).await;
        assert_eq!((out.status, out.location()), (303, Some("/console/login")));
        let after = browser.get("/console/reviews").await;
        assert_eq!((after.status, after.location()), (303, Some("/console/login")));
        app.teardown().await;
    }

    async fn a_conflict_is_resolved_from_the_queue_and_a_form_without_its_token_changes_nothing(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let id = app.village_a[0];
        let (mut a, _a2) = conflict_on_phone(&app, &id).await;
        let supervisor = Console::signed_in(&app, "supervisor").await;
        let queue = supervisor.get("/console/conflicts").await;
        assert_eq!(queue.status, 200);
        assert_console_page(&queue);
        let ids = open_conflict_ids(&queue);
        assert_eq!(ids.len(), 1, "{}", queue.body);
        let conflict_path = format!("/console/conflicts/{}", ids[0]);
        let shown = supervisor.get(&conflict_path).await;
        assert_eq!(shown.status, 200);
        for expected in ["13800000001", "13800000002", "helper_a", "helper_a2", "id=\"choose-0\"", "id=\"choose-1\""] {
            assert!(shown.body.contains(expected), "the candidates side by side: {expected}");
        }

        // Another township's supervisor neither lists nor opens it.
        let outsider = Console::signed_in(&app, "other_supervisor").await;
        assert!(open_conflict_ids(&outsider.get("/console/conflicts").await).is_empty());
        assert_eq!(outsider.get(&conflict_path).await.status, 404);
        let forged = outsider.submit("/console/conflicts", &conflict_path, &[("candidate", "0")]).await;
        assert_eq!(forged.status, 404);
        // Nor does a helper.
        let helper = Console::signed_in(&app, "helper_a").await;
        assert_eq!(helper.get("/console/conflicts").await.status, 403);

        // Without the session's token (a form from another site) nothing changes.
        let stale = supervisor.post(&conflict_path, &[("csrf", &"ab".repeat(32)), ("candidate", "0")]).await;
        assert_eq!(stale.status, 403);
        let no_token = supervisor.post(&conflict_path, &[("candidate", "0")]).await;
        assert_eq!(no_token.status, 400);
        let still = supervisor.get(&conflict_path).await;
        assert!(still.body.contains("id=\"entered-value\""), "still open");

        // A value the form refuses is refused with its code; a good one resolves it.
        let bad = supervisor.submit(&conflict_path, &conflict_path, &[("value", &"9".repeat(40))]).await;
        assert!(bad.status == 400 || bad.status == 422, "{} {}", bad.status, bad.body);
        assert!(bad.body.contains("id=\"error-code\""));
        let done = supervisor.submit(&conflict_path, &conflict_path, &[("value", "13912345678")]).await;
        assert_eq!((done.status, done.location()), (303, Some(conflict_path.as_str())));
        let resolved = supervisor.get(&conflict_path).await;
        assert!(resolved.body.contains("id=\"resolved\"") && resolved.body.contains("13912345678"));
        assert!(open_conflict_ids(&supervisor.get("/console/conflicts").await).is_empty());
        a.sync().await.unwrap();
        let record = a.tablet.doc(&id).unwrap().read().unwrap();
        assert_eq!(record.household.phone.as_deref(), Some("13912345678"), "the resolution reaches the tablet");
        app.teardown().await;
    }

    async fn visits_are_reviewed_one_by_one_and_by_village_and_the_exports_download(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        for (day, id) in app.village_a.clone().iter().enumerate() {
            visit(&mut helper, id, day as u32 + 1).await;
        }
        let supervisor = Console::signed_in(&app, "supervisor").await;
        let list = format!("/console/reviews?round={ROUND}");
        let page = supervisor.get(&list).await;
        assert_eq!(page.body.matches("已提交").count(), 3, "{}", page.body);

        // Return one with a reason; a return without one is refused with its code.
        let first = app.village_a[0];
        let step_path = format!("/console/reviews/{first}/{ROUND}");
        let refused = supervisor.submit(&list, &step_path, &[("action", "return"), ("reason", "")]).await;
        assert_eq!(refused.status, 409);
        assert!(refused.body.contains("review-reason-required"));
        let returned = supervisor.submit(&list, &step_path, &[("action", "return"), ("reason", "住房照片不清楚")]).await;
        assert_eq!(returned.status, 303, "{}", returned.body);
        let page = supervisor.get(&list).await;
        assert!(page.body.contains("住房照片不清楚") && page.body.contains("已退回"));

        // The village at once: the others are reviewed, the returned one is left alone.
        let village = format!("/console/villages/652822100201/reviews/{ROUND}");
        let bulk = supervisor.submit(&list, &village, &[("action", "village-review")]).await;
        assert_eq!(bulk.status, 303);
        assert!(bulk.location().unwrap().contains("done=2&refused=0"), "{:?}", bulk.location());
        // Warnings are checked on the household page, then the village is verified.
        for id in &app.village_a[1..] {
            let household = format!("/console/households/{id}?round={ROUND}");
            loop {
                let page = supervisor.get(&household).await;
                let Some(at) = page.body.find("class=\"acknowledge\"") else { break };
                let form_start = page.body[..at].rfind("<form").unwrap();
                let form = &page.body[form_start..at];
                let field = |name: &str| {
                    let marker = format!("name=\"{name}\" value=\"");
                    let start = form.find(&marker).unwrap() + marker.len();
                    form[start..start + form[start..].find('"').unwrap()].replace("&#x2f;", "/")
                };
                let (code, finding_path) = (field("code"), field("path"));
                let done = supervisor
                    .submit(&household, &format!("/console/households/{id}/acknowledge"), &[("round", ROUND), ("code", &code), ("path", &finding_path)])
                    .await;
                assert_eq!(done.status, 303, "{}", done.body);
            }
        }
        let verified = supervisor.submit(&list, &village, &[("action", "township-verify")]).await;
        assert!(verified.location().unwrap().contains("done=2&refused=0"), "{:?}", verified.location());

        // Another township's supervisor cannot act on this village.
        let outsider = Console::signed_in(&app, "other_supervisor").await;
        let forged = outsider.submit("/console/reviews", &village, &[("action", "return")]).await;
        assert_eq!(forged.status, 403);
        assert!(forged.body.contains("region-out-of-scope"));

        // The county downloads the verified records and the scale table.
        let county = Console::signed_in(&app, "county").await;
        let exports = county.get("/console/exports").await;
        assert_eq!(exports.status, 200);
        assert_console_page(&exports);
        let (status, headers, bytes) = county.download(&format!("/console/exports/download?round={ROUND}&region=652822&format=csv")).await;
        assert_eq!(status, 200);
        assert!(headers.get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment"));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'), "Excel reads UTF-8 with the BOM");
        assert_eq!(text.lines().count(), 3, "a header and the two verified households: {text}");
        let (status, _, xlsx) = county.download(&format!("/console/exports/download?round={ROUND}&region=652822&format=xlsx")).await;
        assert_eq!(status, 200);
        assert_eq!(&xlsx[..2], b"PK");
        let (status, _, scale) = county.download(&format!("/console/reports/scale?round={ROUND}")).await;
        assert_eq!((status, &scale[..2]), (200, &b"PK"[..]));
        // Outside the scope, and for a helper, nothing downloads.
        let (status, _, _) = county.download(&format!("/console/exports/download?round={ROUND}&region=652823&format=csv")).await;
        assert_eq!(status, 403);
        let helper_console = Console::signed_in(&app, "helper_a").await;
        let (status, _, _) = helper_console.download(&format!("/console/exports/download?round={ROUND}&format=csv")).await;
        assert_eq!(status, 403);

        // Coverage shows the village with its chart.
        let coverage = county.get(&format!("/console/coverage?round={ROUND}")).await;
        assert_eq!(coverage.status, 200);
        assert!(coverage.body.contains("id=\"coverage-chart\"") && coverage.body.contains("<rect"));
        assert!(coverage.body.contains("<td>652822100201</td><td>一村</td><td>3</td><td>3</td><td>1</td><td>2</td><td>0</td>"), "{}", coverage.body);
        app.teardown().await;
    }

    async fn the_household_page_shows_the_form_in_labels_photos_with_exif_history_and_masks_by_role(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let id = app.village_a[0];
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let photo = zoufang_e2e::images::with_exif(&zoufang_e2e::images::jpeg(320, 240, 7));
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&photo));
        let reference = PhotoRef {
            status: EntryStatus::Active,
            subject: PhotoSubject::Housing,
            visit: None,
            size: Some(photo.len() as u64),
            taken_at: None,
            caption: Some("正房".into()),
        };
        helper.tablet.edit(&id, 1_800_000_010, |e| e.insert_entry(EntrySection::Evidence, &hash, &reference)).unwrap();
        helper.sync().await.unwrap();
        let (status, _) = app.post(&helper.token, "/api/v1/photos/uploads", &serde_json::json!({ "hash": hash, "size": photo.len() })).await;
        assert_eq!(status, 200);
        let put = app.client.put(app.url(&format!("/api/v1/photos/uploads/{hash}?offset=0"))).bearer_auth(&helper.token).body(photo.clone()).send().await.unwrap();
        assert_eq!(put.status(), 200);
        let (status, body) = app.post(&helper.token, &format!("/api/v1/photos/uploads/{hash}/finish"), &serde_json::json!({})).await;
        assert_eq!(status, 200, "{body}");

        let county = Console::signed_in(&app, "county").await;
        let page = county.get(&format!("/console/households/{id}")).await;
        assert_eq!(page.status, 200);
        assert_console_page(&page);
        for label in ["基本信息", "家庭成员", "户类型", "与户主关系", "修改记录", "照片", "住房安全", "正房"] {
            assert!(page.body.contains(label), "label {label}");
        }
        assert!(page.body.contains(&format!("/console/photos/{hash}/thumbnail")));
        assert!(page.body.contains("helper_a"), "the history names who changed the record");
        let (_, detail) = app.get(&app.token("county").await, &format!("/api/v1/households/{id}")).await;
        let id_number = detail["record"]["members"].as_object().unwrap().values().find_map(|m| m["id_number"].as_str()).unwrap().to_owned();
        assert!(page.body.contains(&id_number), "the county officer sees ID numbers whole");

        let photo_page = county.get(&format!("/console/photos/{hash}")).await;
        assert_eq!(photo_page.status, 200);
        assert!(photo_page.body.contains("id=\"photo-exif\""));
        assert!(photo_page.body.contains("2026-11-20"), "EXIF time shown: {}", photo_page.body);
        assert!(photo_page.body.contains("41.76"), "EXIF GPS shown: {}", photo_page.body);
        let (status, headers, thumbnail) = county.download(&format!("/console/photos/{hash}/thumbnail")).await;
        assert_eq!((status, headers.get("content-type").unwrap().to_str().unwrap()), (200, "image/jpeg"));
        assert!(image::load_from_memory(&thumbnail).unwrap().width() <= 256);
        let (status, _, _) = county.download(&format!("/console/photos/{hash}/original")).await;
        assert_eq!(status, 404, "the console serves thumbnails and previews only");

        // An administrator sees numbers masked; another township sees nothing.
        zoufang_server::services::accounts::add_user(&app.state, "test", "admin", PASSWORD, Role::Admin, &RegionCode::parse("65").unwrap()).await.unwrap();
        let admin = Console::signed_in(&app, "admin").await;
        let masked = admin.get(&format!("/console/households/{id}")).await;
        assert_eq!(masked.status, 200);
        assert!(!masked.body.contains(&id_number), "the administrator's page masks ID numbers");
        assert!(masked.body.contains(&zoufang_schemas::id_number::mask_id_number(&id_number)));
        let outsider = Console::signed_in(&app, "other_supervisor").await;
        assert_eq!(outsider.get(&format!("/console/households/{id}")).await.status, 404);
        assert_eq!(outsider.get(&format!("/console/photos/{hash}")).await.status, 403);
        let (status, _, _) = outsider.download(&format!("/console/photos/{hash}/preview")).await;
        assert_eq!(status, 403);
        app.teardown().await;
    }

    async fn accounts_are_added_disabled_and_devices_revoked_only_within_what_the_manager_manages(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut tablet = app.tablet("helper_b").await;
        tablet.sync().await.unwrap();
        let county = Console::signed_in(&app, "county").await;
        let page = county.get("/console/accounts").await;
        assert_eq!(page.status, 200);
        assert_console_page(&page);
        assert!(page.body.contains("id=\"user-helper_b\"") && !page.body.contains("other_supervisor"), "only the county's accounts");
        assert!(!page.body.contains("id=\"disable-county\""), "nobody disables themselves");
        assert!(page.body.contains(tablet.device_id()));

        let add = |name: &'static str, role: &'static str, region: &'static str| {
            let county = &county;
            async move {
                county.submit("/console/accounts", "/console/accounts", &[("username", name), ("password", "a long password"), ("role", role), ("region", region)]).await
            }
        };
        let added = add("helper_c", "HELPER", "652822100202").await;
        assert_eq!(added.status, 303, "{}", added.body);
        assert!(county.get("/console/accounts").await.body.contains("id=\"user-helper_c\""));
        let signed = Console::new(&app).post("/console/login", &[("username", "helper_c"), ("password", "a long password")]).await;
        assert_eq!(signed.status, 303, "the new account signs in");
        for (name, role, region, code) in [
            ("boss", "ADMIN", "652822", "account-out-of-scope"),
            ("far_helper", "HELPER", "652823100201", "account-out-of-scope"),
            ("helper_c", "HELPER", "652822100202", "username-taken"),
            ("x y", "HELPER", "652822100202", "username-invalid"),
            ("nowhere", "HELPER", "652822999201", "region-unknown"),
            ("nobody", "CAPTAIN", "652822100202", "role-invalid"),
        ] {
            let refused = add(name, role, region).await;
            assert!(refused.status >= 400, "{name}: {}", refused.status);
            assert!(refused.body.contains(code), "{name}: {code} in {}", refused.body);
        }
        let short = county.submit("/console/accounts", "/console/accounts", &[("username", "helper_d"), ("password", "short"), ("role", "HELPER"), ("region", "652822100202")]).await;
        assert_eq!(short.status, 400);

        // Disabling: the account's sessions end; the manager's own and out-of-scope ones are refused.
        let helper_b = Console::signed_in(&app, "helper_b").await;
        let disabled = county.submit("/console/accounts", "/console/accounts/helper_b/disable", &[]).await;
        assert_eq!(disabled.status, 303);
        assert_eq!(helper_b.get("/console/reviews").await.status, 303, "the disabled account's session ended");
        let again = Console::new(&app).post("/console/login", &[("username", "helper_b"), ("password", PASSWORD)]).await;
        assert_eq!(again.status, 401);
        assert_eq!(county.submit("/console/accounts", "/console/accounts/county/disable", &[]).await.status, 403);
        assert_eq!(county.submit("/console/accounts", "/console/accounts/other_supervisor/disable", &[]).await.status, 403);

        // Revoking a device: its next sync is refused.
        let mut helper_a = app.tablet("helper_a").await;
        helper_a.sync().await.unwrap();
        let revoked = county.submit("/console/accounts", &format!("/console/devices/{}/revoke", helper_a.device_id()), &[]).await;
        assert_eq!(revoked.status, 303);
        assert!(helper_a.sync().await.is_err(), "a revoked device syncs no more");

        // Supervisors and helpers manage nothing.
        let supervisor = Console::signed_in(&app, "supervisor").await;
        assert_eq!(supervisor.get("/console/accounts").await.status, 403);
        let forged = supervisor.submit("/console/reviews", "/console/accounts", &[("username", "sneaky"), ("password", "a long password"), ("role", "HELPER"), ("region", "652822100201")]).await;
        assert_eq!(forged.status, 403);
        assert!(zoufang_server::store::users::find_by_username(&app.state.db, "sneaky").await.unwrap().is_none());
        app.teardown().await;
    }
}
