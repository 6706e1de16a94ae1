//! The console in a real headless browser (Debian chromium through chromedriver), clicked
//! through as a township supervisor and a county officer use it: sign in → resolve a
//! conflict → verify a village's visits → download the export. Screenshots of every step
//! are kept under `target/tmp/console-screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::Path;
use zoufang_e2e::browser::Browser;
use zoufang_e2e::import_files::{NATIONAL_HEADERS, Sheet, bad_check_digit, id_number};
use zoufang_e2e::{PASSWORD, TestApp, on_both_databases};
use zoufang_schemas::{EntryId, EntryStatus, Quarter, Visit};
use zoufang_sync::{DocPath, EntrySection};

const ROUND: &str = "2026Q4";

async fn sign_in(browser: &Browser, username: &str) {
    browser.open("/console/login").await;
    browser.type_into("#username", username).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
}

on_both_databases! {
    async fn a_supervisor_resolves_and_verifies_and_the_county_downloads_in_a_real_browser(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Two helpers wrote the same phone number; every household of the village was visited.
        let phone = DocPath::parse("household.phone").unwrap();
        let mut a = app.tablet("helper_a").await;
        let mut a2 = app.tablet("helper_a2").await;
        a.sync().await.unwrap();
        a2.sync().await.unwrap();
        let first = app.village_a[0];
        a.tablet.edit(&first, 1_800_000_001, |e| e.put(&phone, &"13800000001")).unwrap();
        a2.tablet.edit(&first, 1_800_000_002, |e| e.put(&phone, &"13800000002")).unwrap();
        for (day, id) in app.village_a.iter().enumerate() {
            let visit = Visit {
                status: EntryStatus::Active,
                quarter: Quarter::parse(ROUND).unwrap(),
                visited_on: chrono::NaiveDate::from_ymd_opt(2026, 11, day as u32 + 1).unwrap(),
                visitor: Some("阿依古丽".into()),
                notes: None,
                photos: Default::default(),
            };
            let key = EntryId::from_random_bits(day as u128 + 1);
            a.tablet.edit(id, 1_800_000_010, |e| e.insert_entry(EntrySection::Visits, key.as_str(), &visit)).unwrap();
        }
        a.sync().await.unwrap();
        a2.sync().await.unwrap();

        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots").join(format!("{backend:?}").to_lowercase());
        let browser = Browser::start(&app.address, &shots).await;

        // Sign in.
        sign_in(&browser, "supervisor").await;
        assert_eq!(browser.path().await, "/console/reviews");
        assert!(browser.text(".who").await.contains("supervisor"));
        browser.screenshot("signed-in").await;

        // Resolve the conflict: the second helper's number.
        browser.open("/console/conflicts").await;
        browser.screenshot("conflict-queue").await;
        browser.click("a[id^=open-conflict-]").await;
        assert_eq!(browser.count(".candidate").await, 2, "the candidates side by side");
        browser.screenshot("conflict").await;
        let chosen = browser.text(".candidate:nth-child(2) .value").await;
        browser.click("#choose-1").await;
        assert!(browser.text("#resolved").await.contains(&chosen));
        browser.screenshot("conflict-resolved").await;
        browser.open("/console/conflicts").await;
        assert_eq!(browser.count("#no-conflicts").await, 1);

        // Verify the village: review it, check its warnings, verify it.
        browser.open(&format!("/console/reviews?round={ROUND}")).await;
        assert_eq!(browser.count("tr[id^=review-]").await, 3);
        browser.screenshot("reviews").await;
        browser.select("#bulk-action-652822100201", "village-review").await;
        browser.click("#bulk-652822100201").await;
        assert!(browser.text("#outcome").await.contains('3'), "three households reviewed");
        for id in &app.village_a {
            browser.open(&format!("/console/households/{id}?round={ROUND}")).await;
            while browser.count("button.acknowledge").await > 0 {
                browser.click("button.acknowledge").await;
            }
        }
        browser.open(&format!("/console/households/{first}?round={ROUND}")).await;
        assert!(browser.text("main").await.contains(&chosen), "the household shows the resolved value");
        browser.screenshot("household").await;
        browser.open(&format!("/console/reviews?round={ROUND}")).await;
        browser.select("#bulk-action-652822100201", "township-verify").await;
        browser.click("#bulk-652822100201").await;
        let outcome = browser.text("#outcome").await;
        assert!(outcome.contains("已完成: 3") && outcome.contains("未通过: 0"), "{outcome}");
        assert_eq!(browser.text("main").await.matches("乡镇已核实").count(), 3);
        browser.screenshot("village-verified").await;
        browser.click("form[action='/console/logout'] button").await;
        assert_eq!(browser.path().await, "/console/login");

        // The county downloads the verified records.
        sign_in(&browser, "county").await;
        browser.open(&format!("/console/coverage?round={ROUND}")).await;
        assert_eq!(browser.count("#coverage-chart rect").await, 3 * 2, "a bar of three parts per village");
        browser.screenshot("coverage").await;
        browser.open("/console/exports").await;
        browser.type_into("input[name=round]", ROUND).await;
        browser.select("#export-format", "csv").await;
        browser.screenshot("exports").await;
        browser.press("#download-export").await;
        let (name, bytes) = browser.downloaded().await;
        assert_eq!(name, format!("verified-652822-{ROUND}.csv"));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 4, "a header and the village's three verified households");
        assert!(text.contains(&chosen));

        // A tablet-sized window shows the same page.
        browser.client.set_window_size(768, 1024).await.unwrap();
        browser.open(&format!("/console/reviews?round={ROUND}")).await;
        browser.screenshot("reviews-tablet").await;
        let files = std::fs::read_dir(&shots).unwrap().count();
        assert!(files >= 10, "{files} screenshots in {}", shots.display());
        browser.close().await;
        app.teardown().await;
    }

    async fn a_county_officer_imports_the_national_export_in_a_real_browser(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut sheet = Sheet::new(NATIONAL_HEADERS);
        sheet
            .row(&["N001", "652822100201", "一般户", "13900000001", "艾力·买买提", "男", &id_number(1980, 1), "户主", "维吾尔族"])
            .row(&["N001", "652822100201", "一般户", "13900000001", "阿依古丽", "女", &bad_check_digit(&id_number(1982, 2)), "配偶", "维吾尔族"])
            .row(&["N002", "652822100202", "脱贫户", "13900000002", "马建国", "男", &id_number(1975, 5), "户主", "回族"]);
        let dir = tempfile::tempdir().unwrap();
        let file = Sheet::save(dir.path(), "2026Q3.xlsx", &sheet.xlsx());

        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots").join(format!("imports-{backend:?}").to_lowercase());
        let browser = Browser::start(&app.address, &shots).await;
        sign_in(&browser, "county").await;
        browser.click("nav a[href='/console/imports']").await;
        assert_eq!(browser.path().await, "/console/imports");
        browser.attach("#import-file", &file).await;
        browser.screenshot("import-chosen").await;
        browser.click("#start-import").await;
        assert_eq!(browser.path().await, "/console/imports");
        // The run goes on in the background: reload until it is done.
        let mut status = String::new();
        for _ in 0..100 {
            status = browser.text("#import-runs tbody tr .status").await;
            if !status.contains("RUNNING") && !status.contains("进行") { break }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            browser.open("/console/imports").await;
        }
        let row = browser.text("#import-runs tbody tr").await;
        assert!(row.contains("2026Q3.xlsx"), "{row}");
        browser.screenshot("imported").await;
        let token = app.token("county").await;
        let (_, runs) = app.get(&token, "/api/v1/imports").await;
        assert_eq!((runs[0]["status"].as_str(), runs[0]["created"].as_i64(), runs[0]["rejected"].as_i64()), (Some("DONE"), Some(2), Some(1)), "{runs} {status}");

        browser.press("#import-runs .rejects-csv").await;
        let (name, bytes) = browser.downloaded().await;
        assert!(name.ends_with("-rejects.csv"), "{name}");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("3,证件号码,id-number-invalid"), "{text}");
        browser.close().await;
        app.teardown().await;
    }

    async fn identification_from_threshold_to_decision_in_a_real_browser(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots").join(format!("identification-{backend:?}").to_lowercase());
        let target = app.village_a[0].to_string();

        // The township proposes a household, ticking its risks.
        let browser = Browser::start(&app.address, &shots.join("township")).await;
        sign_in(&browser, "supervisor").await;
        browser.click("nav a[href='/console/identification']").await;
        assert_eq!(browser.path().await, "/console/identification");
        browser.type_into("#propose-household", &target).await;
        browser.select("#propose-category", "MARGINAL").await;
        browser.press("#risk-ILLNESS").await;
        browser.press("#risk-EDUCATION").await;
        browser.type_into("#propose-reason", "长子患重病，次子读高中").await;
        browser.screenshot("proposal-filled").await;
        browser.click("#propose-submit").await;
        assert_eq!(browser.path().await, "/console/identification");
        let row = browser.text("#proposals tbody tr").await;
        assert!(row.contains("因病") && row.contains("因学") && row.contains("PROPOSED"), "{row}");
        browser.close().await;

        // The county raises its income line and decides the proposal.
        let browser = Browser::start(&app.address, &shots.join("county")).await;
        sign_in(&browser, "county").await;
        browser.open("/console/identification").await;
        browser.select("#threshold-kind", "INCOME").await;
        browser.type_into("#threshold-amount", "6900").await;
        browser.click("#threshold-save").await;
        let line = browser.text("#threshold-INCOME").await;
        assert!(line.contains("6900") && line.contains("本县"), "{line}");
        browser.select("#proposals .decide select[name='category']", "SUDDEN_HARDSHIP").await;
        browser.screenshot("deciding").await;
        browser.click("#proposals .decide button").await;
        let row = browser.text("#proposals tbody tr").await;
        assert!(row.contains("APPROVED") && row.contains("突发严重困难户"), "{row}");
        browser.screenshot("decided").await;
        browser.close().await;
        let token = app.token("county").await;
        let (_, household) = app.get(&token, &format!("/api/v1/households/{target}")).await;
        assert_eq!(household["record"]["household"]["monitor_category"], "SUDDEN_HARDSHIP");
        app.teardown().await;
    }

    async fn a_township_nominates_a_household_for_risk_elimination_in_a_real_browser(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let target = app.village_a[0];
        zoufang_e2e::workflows::monitored(&app, &target, true, true).await;
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots").join(format!("elimination-{backend:?}").to_lowercase());
        let browser = Browser::start(&app.address, &shots).await;
        sign_in(&browser, "supervisor").await;
        browser.click("nav a[href='/console/elimination']").await;
        assert_eq!(browser.path().await, "/console/elimination");
        browser.type_into("#nominate-household", &target.to_string()).await;
        browser.select("#nominate-mode", "ASSISTED").await;
        browser.type_into("#nominate-reason", "公益性岗位稳定就业，收入超过监测标准").await;
        browser.screenshot("nomination").await;
        browser.click("#nominate-submit").await;
        let row = browser.text("#cases tbody tr").await;
        assert!(row.contains("帮扶消除") && row.contains("NOMINATED"), "{row}");
        browser.screenshot("nominated").await;
        browser.click("#cases .step-withdraw button").await;
        let row = browser.text("#cases tbody tr").await;
        assert!(row.contains("WITHDRAWN"), "{row}");
        browser.close().await;
        app.teardown().await;
    }
}
