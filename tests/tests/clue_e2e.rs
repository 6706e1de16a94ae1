//! Department ledgers and monthly risk clues end to end, on SQLite and PostgreSQL: a
//! department uploads its file (GB 18030 CSV or XLSX, Chinese headers), rows are matched by
//! ID number with every other row reported, the same file again changes nothing; a matched
//! clue reaches the village's tablets as a task, the helper records the finding on the
//! reference tablet, the township decides, the county reports the month and downloads it
//! as XLSX; the plan's deadlines and overdue lists on fixed days; and what is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use calamine::Reader;
use serde_json::{Value, json};
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::console::Console;
use zoufang_e2e::import_files::{NATIONAL_HEADERS, Sheet, bad_check_digit, id_number};
use zoufang_e2e::{PASSWORD, TestApp, on_both_databases};
use zoufang_schemas::{Department, RegionCode, Role};
use zoufang_server::services::accounts;
use zoufang_server::services::imports::{Importer, households};

const MONTH: &str = "2026-11";

/// Households with known ID numbers: N001 in village A, N002 in village B, N900 in the
/// other county.
async fn people(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let mut sheet = Sheet::new(NATIONAL_HEADERS);
    sheet
        .row(&[
            "N001",
            "652822100201",
            "一般户",
            "13900000001",
            "艾力·买买提",
            "男",
            &id_number(1980, 1),
            "户主",
            "维吾尔族",
        ])
        .row(&[
            "N002",
            "652822100202",
            "脱贫户",
            "13900000002",
            "马建国",
            "男",
            &id_number(1975, 5),
            "户主",
            "回族",
        ]);
    let file = Sheet::save(dir.path(), "q.csv", &sheet.csv_utf8_bom());
    let run = households::import(
        &app.state,
        &Importer::cli("652822").unwrap(),
        &file,
        "q.csv",
        None,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(run.created, 2);
    let mut other = Sheet::new(NATIONAL_HEADERS);
    let far = zoufang_schemas::id_number::compose_resident_id(
        "652823",
        chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
        9,
    )
    .unwrap();
    other.row(&[
        "N900",
        "652823100201",
        "一般户",
        "",
        "张三",
        "男",
        &far,
        "户主",
        "汉族",
    ]);
    let file = Sheet::save(dir.path(), "o.csv", &other.csv_utf8_bom());
    let run = households::import(
        &app.state,
        &Importer::cli("652823").unwrap(),
        &file,
        "o.csv",
        None,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(run.created, 1);
}

fn far_id() -> String {
    zoufang_schemas::id_number::compose_resident_id(
        "652823",
        chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
        9,
    )
    .unwrap()
}

/// A health department account of the county.
async fn department(app: &TestApp, name: &str, dept: Option<Department>) -> String {
    accounts::add_user(
        &app.state,
        "test",
        name,
        PASSWORD,
        Role::Department,
        &RegionCode::parse("652822").unwrap(),
    )
    .await
    .unwrap();
    if let Some(dept) = dept {
        accounts::set_department(&app.state, "test", name, dept)
            .await
            .unwrap();
    }
    app.token(name).await
}

fn clue_file() -> Sheet {
    let mut sheet = Sheet::new(&["证件号码", "姓名", "线索类型", "线索描述", "自付费用"]);
    sheet
        .row(&[
            &id_number(1980, 1),
            "艾力·买买提",
            "新患大病",
            "2026年10月住院, 个人自付较高",
            "23000",
        ])
        .row(&[
            &bad_check_digit(&id_number(1975, 5)),
            "马建国",
            "医疗自付费用高",
            "",
            "8000",
        ])
        .row(&[&id_number(1999, 77), "无此人", "医疗自付费用高", "", "5000"])
        .row(&[&far_id(), "张三", "医疗自付费用高", "", "9000"])
        .row(&[&id_number(1975, 5), "马建国", "天灾", "", ""]);
    sheet
}

async fn send(app: &TestApp, token: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn a_departments_clue_goes_to_the_door_and_back_to_the_county(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        people(&app).await;
        let health = department(&app, "health", Some(Department::Health)).await;

        let path = format!("/api/v1/departments/uploads?kind=clues&period={MONTH}&file_name=11月线索.csv");
        let (status, upload) = send(&app, &health, &path, clue_file().csv_gb18030()).await;
        assert_eq!(status, 201, "{upload}");
        assert_eq!(
            [&upload["rows"], &upload["matched"], &upload["unmatched"], &upload["rejected"]],
            [&json!(5), &json!(1), &json!(2), &json!(2)],
            "{upload}"
        );
        let id = upload["id"].as_i64().unwrap();
        let (status, detail) = app.get(&health, &format!("/api/v1/departments/uploads/{id}")).await;
        assert_eq!(status, 200);
        let outcomes: Vec<(i64, String, Option<String>)> = detail["rows"].as_array().unwrap().iter()
            .map(|r| (r["row"].as_i64().unwrap(), r["outcome"].as_str().unwrap().to_owned(), r["code"].as_str().map(str::to_owned)))
            .collect();
        assert_eq!(outcomes, [
            (2, "MATCHED".into(), None),
            (3, "INVALID".into(), Some("id-number-invalid".into())),
            (4, "UNMATCHED".into(), Some("member-unknown".into())),
            (5, "UNMATCHED".into(), Some("member-unknown".into())),
            (6, "INVALID".into(), Some("value-invalid".into())),
        ]);
        assert_eq!(detail["next_after"], json!(null), "one page holds them all");
        // A page at a time: each starts after the last row of the one before.
        let mut pages = Vec::new();
        let mut after = None::<i64>;
        loop {
            let path = match after {
                Some(row) => format!("/api/v1/departments/uploads/{id}?limit=2&after={row}"),
                None => format!("/api/v1/departments/uploads/{id}?limit=2"),
            };
            let (status, page) = app.get(&health, &path).await;
            assert_eq!(status, 200, "{page}");
            pages.push(page["rows"].as_array().unwrap().iter().map(|r| r["row"].as_i64().unwrap()).collect::<Vec<_>>());
            after = page["next_after"].as_i64();
            if after.is_none() {
                break;
            }
        }
        assert_eq!(pages, [vec![2, 3], vec![4, 5], vec![6]]);
        for bad in ["limit=0", "limit=5001"] {
            let (status, body) = app.get(&health, &format!("/api/v1/departments/uploads/{id}?{bad}")).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("limit-invalid")), "{bad}: {body}");
        }
        let (status, body) = app.get(&health, &format!("/api/v1/departments/uploads/{id}?after=x")).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("query-invalid")), "{body}");
        // An officer of another county sees the rows matched to no one, not the one matched
        // in this county, and pages count only what it sees.
        accounts::add_user(&app.state, "test", "county_far", PASSWORD, Role::CountyOfficer, &RegionCode::parse("652823").unwrap())
            .await
            .unwrap();
        let far = app.token("county_far").await;
        let (status, page) = app.get(&far, &format!("/api/v1/departments/uploads/{id}?limit=3")).await;
        assert_eq!(status, 200, "{page}");
        let rows: Vec<i64> = page["rows"].as_array().unwrap().iter().map(|r| r["row"].as_i64().unwrap()).collect();
        assert_eq!((rows, page["next_after"].as_i64()), (vec![3, 4, 5], Some(5)));
        let (_, page) = app.get(&far, &format!("/api/v1/departments/uploads/{id}?limit=3&after=5")).await;
        let rows: Vec<i64> = page["rows"].as_array().unwrap().iter().map(|r| r["row"].as_i64().unwrap()).collect();
        assert_eq!((rows, page["next_after"].as_i64()), (vec![6], None));
        let text = detail.to_string();
        assert!(!text.contains(&id_number(1980, 1)), "a department sees ID numbers masked: {text}");
        assert!(!text.contains(&far_id()), "nor learns of people outside its scope");

        // The same file again, as XLSX or the same bytes: nothing changes.
        let (status, again) = send(&app, &health, &path, clue_file().csv_gb18030()).await;
        assert_eq!((status, again["id"].as_i64()), (200, Some(id)), "{again}");
        let (_, uploads) = app.get(&health, "/api/v1/departments/uploads").await;
        assert_eq!(uploads.as_array().unwrap().len(), 1);
        let (status, _) = app.get(&health, "/api/v1/clues").await;
        assert_eq!(status, 403, "a department does not read the clues' households");

        // The helper of the household's village gets the task on the reference tablet.
        let tablet = CliTablet::new();
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let tasks = tablet.ok(&["tasks"]).await;
        let task = tasks.as_array().unwrap().iter().find(|t| t["kind"] == "VERIFY_RISK_CLUE").expect("a clue task").clone();
        assert_eq!(task["due"], "2026-11-20");
        assert_eq!(task["clue"]["dept"], "HEALTH");
        assert_eq!(task["clue"]["clue_type"], "NEW_SERIOUS_ILLNESS");
        assert_eq!(task["clue"]["amount"], 23000.0);
        assert!(task["title"].as_str().unwrap().contains("艾力·买买提"), "{task}");
        let other = CliTablet::new();
        other.login(&app.address, "helper_b").await;
        other.ok(&["sync"]).await;
        assert!(other.ok(&["tasks"]).await.as_array().unwrap().iter().all(|t| t["kind"] != "VERIFY_RISK_CLUE"));

        let supervisor = app.token("supervisor").await;
        let (_, listed) = app.get(&supervisor, &format!("/api/v1/clues?month={MONTH}")).await;
        let clue = listed[0]["id"].as_i64().unwrap();
        let decide = format!("/api/v1/clues/{clue}/decision");
        let (status, body) = app.post(&supervisor, &decide, &json!({ "decision": "INCLUDED" })).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("clue-not-checked")), "not before the door");
        let helper_b = app.token("helper_b").await;
        let (status, _) = app.post(&helper_b, &format!("/api/v1/clues/{clue}/finding"), &json!({ "finding": "x" })).await;
        assert_eq!(status, 404, "another village's helper");

        // At the door, offline: the finding is kept and sent at the next sync.
        let task_id = task["id"].as_str().unwrap();
        let ran = tablet.run(&["clue", task_id, "--finding", " ", "--suggest", "INCLUDED"], "").await;
        assert_ne!(ran.status, 0, "an empty finding is refused on the tablet");
        let ran = tablet.run(&["clue", task_id, "--finding", "属实", "--suggest", "MAYBE"], "").await;
        assert_ne!(ran.status, 0, "an unknown suggestion is refused on the tablet");
        tablet.ok(&["clue", task_id, "--finding", "住院自付 2.3 万元, 家庭收入下降", "--suggest", "INCLUDED"]).await;
        let (_, before) = app.get(&supervisor, &format!("/api/v1/clues?month={MONTH}")).await;
        assert_eq!(before[0]["status"], "PUSHED", "nothing sent before the sync");
        let synced = tablet.ok(&["sync"]).await;
        assert_eq!(synced["findings_sent"], 1, "{synced}");
        tablet.ok(&["sync"]).await;
        assert!(tablet.ok(&["tasks"]).await.as_array().unwrap().iter().all(|t| t["id"] != task_id), "the task is done");
        let (_, found) = app.get(&supervisor, &format!("/api/v1/clues?month={MONTH}")).await;
        assert_eq!(found[0]["status"], "FOUND");
        assert_eq!(found[0]["suggestion"], "INCLUDED");
        assert_eq!(found[0]["found_by"], "user:helper_a");

        // The township decides; only once, and only the township.
        let helper = app.token("helper_a").await;
        let (status, body) = app.post(&helper, &decide, &json!({ "decision": "INCLUDED" })).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("role-not-allowed")));
        let (status, body) = app.post(&supervisor, &decide, &json!({ "decision": "MAYBE" })).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("decision-invalid")));
        let other_supervisor = app.token("other_supervisor").await;
        let (status, _) = app.post(&other_supervisor, &decide, &json!({ "decision": "INCLUDED" })).await;
        assert_eq!(status, 404, "another township");
        let (status, body) = app.post(&supervisor, &decide, &json!({ "decision": "INCLUDED", "note": "纳入监测" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["decision"], "INCLUDED");
        let (status, body) = app.post(&supervisor, &decide, &json!({ "decision": "NOT_ELIGIBLE" })).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("clue-already-decided")));

        // 纳入 opens an identification proposal for the county, with what the clue suggests.
        let county = app.token("county").await;
        let (_, proposals) = app.get(&county, "/api/v1/identifications?status=PROPOSED").await;
        assert_eq!(proposals.as_array().unwrap().len(), 1, "{proposals}");
        let proposal = &proposals[0];
        assert_eq!((proposal["source"].as_str(), proposal["clue_id"].as_i64()), (Some("CLUE"), Some(clue)));
        assert_eq!(proposal["category"], "SUDDEN_HARDSHIP", "a general household's new serious illness");
        assert_eq!(proposal["risk_types"], json!(["ILLNESS"]));
        assert!(proposal["reason"].as_str().unwrap().contains("住院自付 2.3 万元"), "{proposal}");

        // The county: overdue on the 26th, reported, downloaded.
        let (_, late) = app.get(&county, &format!("/api/v1/clues/overdue?month={MONTH}&on=2026-11-26")).await;
        assert_eq!(late["report"].as_array().unwrap().len(), 1, "{late}");
        assert_eq!(late["verify"], json!([]));
        let missing: Vec<&str> = late["departments_missing"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
        assert!(!missing.contains(&"HEALTH") && missing.contains(&"EDUCATION"), "{missing:?}");
        let (status, body) = app.post(&supervisor, "/api/v1/clues/report", &json!({ "month": MONTH })).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("role-not-allowed")));
        let (status, body) = app.post(&county, "/api/v1/clues/report", &json!({ "month": MONTH })).await;
        assert_eq!((status, body["reported"].as_u64()), (200, Some(1)), "{body}");
        let (_, late) = app.get(&county, &format!("/api/v1/clues/overdue?month={MONTH}&on=2026-11-26")).await;
        assert_eq!(late["report"], json!([]));
        let response = app.client.get(app.url(&format!("/api/v1/clues/report.xlsx?month={MONTH}"))).bearer_auth(&county).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap().to_vec();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.height(), 2, "a header and the one verified clue");
        let row: Vec<String> = (0..12).map(|c| range.get((1, c)).map(|v| v.to_string()).unwrap_or_default()).collect();
        assert_eq!(row[0], MONTH);
        assert_eq!(row[1], "轮台镇");
        assert_eq!(row[2], "一村");
        assert_eq!(row[3], "艾力·买买提");
        assert_eq!(row[5], "卫健");
        assert_eq!(row[6], "新患大病");
        assert_eq!(row[8], "23000");
        assert_eq!(row[10], "纳入");
        let (status, _) = app.get(&health, &format!("/api/v1/clues/report.xlsx?month={MONTH}")).await;
        assert_eq!(status, 403);
        app.teardown().await;
    }

    async fn deadlines_make_clues_overdue_the_day_after(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        people(&app).await;
        let health = department(&app, "health", Some(Department::Health)).await;
        let (status, _) = send(&app, &health, &format!("/api/v1/departments/uploads?kind=clues&period={MONTH}"), clue_file().xlsx()).await;
        assert_eq!(status, 201);
        let supervisor = app.token("supervisor").await;
        let overdue = |on: &'static str| {
            let (app, supervisor) = (&app, supervisor.clone());
            async move { app.get(&supervisor, &format!("/api/v1/clues/overdue?month={MONTH}&on={on}")).await.1 }
        };
        let on_time = overdue("2026-11-20").await;
        assert_eq!(on_time["verify"], json!([]), "{on_time}");
        assert_eq!(on_time["deadlines"], json!({ "push": "2026-11-05", "verify": "2026-11-20", "report": "2026-11-25" }));
        let late = overdue("2026-11-21").await;
        assert_eq!(late["verify"].as_array().unwrap().len(), 1, "{late}");
        assert_eq!(late["verify"][0]["overdue"], "VERIFY");
        let early = overdue("2026-11-05").await;
        assert_eq!(early["departments_missing"], json!([]), "nobody is late on the 5th");
        let (status, body) = app.get(&supervisor, "/api/v1/clues/overdue?month=2026-13").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("month-invalid")));
        let (status, body) = app.get(&supervisor, "/api/v1/clues/overdue?month=2026-11&on=yesterday").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("date-invalid")));
        app.teardown().await;
    }

    async fn department_uploads_refuse_what_they_must(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.workflow.max_file_bytes = 16384).await else { return };
        people(&app).await;
        let body = clue_file().csv_utf8_bom();
        let path = format!("/api/v1/departments/uploads?kind=clues&period={MONTH}");
        // Not a department, or a department account without its department.
        for who in ["helper_a", "supervisor", "county"] {
            let token = app.token(who).await;
            let (status, answer) = send(&app, &token, &path, body.clone()).await;
            assert_eq!((status, answer["code"].as_str()), (403, Some("role-not-allowed")), "{who}");
        }
        let nobody = department(&app, "nobody", None).await;
        let (status, answer) = send(&app, &nobody, &path, body.clone()).await;
        assert_eq!((status, answer["code"].as_str()), (403, Some("department-missing")));
        let health = department(&app, "health", Some(Department::Health)).await;
        for (query, code) in [
            ("kind=clues&period=2026-13", "period-invalid"),
            ("kind=clues&period=2026Q4", "period-invalid"),
            ("kind=ledger&period=2026-11", "period-invalid"),
            ("kind=gossip&period=2026-11", "upload-kind-invalid"),
        ] {
            let (status, answer) = send(&app, &health, &format!("/api/v1/departments/uploads?{query}"), body.clone()).await;
            assert_eq!((status, answer["code"].as_str()), (400, Some(code)), "{query}");
        }
        let mut headless = Sheet::new(&["姓名", "金额"]);
        headless.row(&["张三", "1"]);
        let (status, answer) = send(&app, &health, &path, headless.csv_utf8_bom()).await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("columns-missing")));
        let (status, answer) = send(&app, &health, &path, vec![b'x'; 20000]).await;
        assert_eq!((status, answer["code"].as_str()), (413, Some("file-too-large")));
        let (status, _) = send(&app, "forged", &path, body.clone()).await;
        assert_eq!(status, 401);

        // A ledger goes in the same way; another department does not see it.
        let mut ledger = Sheet::new(&["身份证号码", "政策项目", "金额(元)"]);
        ledger.row(&[&id_number(1980, 1), "医疗救助", "1200"]).row(&[&id_number(1975, 5), "", "100"]);
        let (status, upload) = send(&app, &health, "/api/v1/departments/uploads?kind=ledger&period=2026Q4", ledger.xlsx()).await;
        assert_eq!(status, 201, "{upload}");
        assert_eq!((upload["matched"].as_i64(), upload["rejected"].as_i64()), (Some(1), Some(1)), "{upload}");
        let education = department(&app, "education", Some(Department::Education)).await;
        let (_, seen) = app.get(&education, "/api/v1/departments/uploads").await;
        assert_eq!(seen, json!([]));
        let id = upload["id"].as_i64().unwrap();
        let (status, _) = app.get(&education, &format!("/api/v1/departments/uploads/{id}")).await;
        assert_eq!(status, 404);
        let helper = app.token("helper_a").await;
        let (status, _) = app.get(&helper, &format!("/api/v1/departments/uploads/{id}")).await;
        assert_eq!(status, 404);
        let (status, _) = app.post(&helper, "/api/v1/clues/999999/finding", &json!({ "finding": "x" })).await;
        assert_eq!(status, 404);
        app.teardown().await;
    }

    async fn the_console_carries_a_clue_from_the_department_to_the_county(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        people(&app).await;
        department(&app, "health", Some(Department::Health)).await;
        let health = Console::signed_in(&app, "health").await;
        let home = health.get("/console").await;
        assert_eq!(home.location(), Some("/console/departments"));
        let page = health.get("/console/departments").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"upload-file\""));
        let fields = [("kind", "clues"), ("period", MONTH)];
        let file = ("11月线索.xlsx", clue_file().xlsx());
        let page = health.upload("/console/departments", "/console/departments", &fields, file.clone(), false).await;
        assert_eq!(page.status, 403, "no token, no upload");
        let page = health.upload("/console/departments", "/console/departments", &fields, file, true).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let page = health.get("/console/departments").await;
        assert!(page.body.contains("11月线索.xlsx"), "{}", page.body);
        assert_eq!(health.get("/console/clues").await.status, 403, "a department has no clue list");

        let helper = app.token("helper_a").await;
        let supervisor = Console::signed_in(&app, "supervisor").await;
        let page = supervisor.get(&format!("/console/clues?month={MONTH}&on=2026-11-21")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("艾力·买买提") && page.body.contains("新患大病"), "{}", page.body);
        assert!(page.body.contains("id=\"overdue-verify\">1<"), "overdue on the 21st");
        let clue = page.body.split("<tr id=\"clue-").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let (status, _) = app.post(&helper, &format!("/api/v1/clues/{clue}/finding"), &json!({ "finding": "属实" })).await;
        assert_eq!(status, 200);
        let decide = format!("/console/clues/{clue}/decision");
        let page = supervisor.post(&decide, &[("csrf", "forged"), ("decision", "INCLUDED")]).await;
        assert_eq!(page.status, 403);
        let page = supervisor.submit("/console/clues", &decide, &[("decision", "ALREADY_COVERED"), ("note", "已享受医疗救助")]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let page = supervisor.get(&format!("/console/clues?month={MONTH}")).await;
        assert!(page.body.contains("已帮扶"), "{}", page.body);

        let county = Console::signed_in(&app, "county").await;
        let page = county.submit(&format!("/console/clues?month={MONTH}"), "/console/clues/report", &[("month", MONTH)]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let (status, headers, body) = county.download(&format!("/console/clues/report.xlsx?month={MONTH}")).await;
        assert_eq!(status, 200);
        assert!(headers["content-disposition"].to_str().unwrap().contains("clues-2026-11.xlsx"));
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body)).unwrap();
        assert_eq!(book.worksheet_range_at(0).unwrap().unwrap().height(), 2);
        let county_token = app.token("county").await;
        let (_, listed) = app.get(&county_token, &format!("/api/v1/clues?month={MONTH}")).await;
        assert_eq!(listed[0]["status"], "REPORTED");
        app.teardown().await;
    }
}
