//! Real data in, end to end: the national system's export as Excel writes it (CSV in UTF-8
//! with a BOM or GB 18030, XLSX) uploaded over the API, imported once whatever the encoding,
//! reconciled a quarter later with the tablets' edits, refused rows downloadable; the region
//! tree; and what the import endpoints refuse.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use calamine::Reader;
use serde_json::{Value, json};
use zoufang_e2e::console::Console;
use zoufang_e2e::import_files::{NATIONAL_HEADERS, Sheet, bad_check_digit, id_number};
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_schemas::wire::DocId;
use zoufang_sync::{DocPath, HouseholdDoc};

async fn upload(app: &TestApp, token: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
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

/// Uploads a household file and waits for its run to end.
async fn import_households(app: &TestApp, token: &str, name: &str, body: Vec<u8>) -> Value {
    let (status, run) = upload(
        app,
        token,
        &format!("/api/v1/imports/households?file_name={name}"),
        body,
    )
    .await;
    assert_eq!(status, 202, "{run}");
    let id = run["id"].as_i64().unwrap();
    for _ in 0..600 {
        let (status, run) = app.get(token, &format!("/api/v1/imports/{id}")).await;
        assert_eq!(status, 200, "{run}");
        if run["status"] != "RUNNING" {
            return run;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} did not end");
}

fn counts(run: &Value) -> [i64; 6] {
    [
        "rows",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "absent",
    ]
    .map(|k| run[k].as_i64().unwrap_or(-1))
}

/// The stored household of a 户编号: its document id and its record as JSON.
async fn household(app: &TestApp, number: &str) -> (DocId, Value) {
    let known =
        zoufang_server::store::imports::by_national_numbers(&app.state.db, vec![number.to_owned()])
            .await
            .unwrap();
    let id = DocId::parse(&known[number].doc_id).unwrap();
    let loaded = zoufang_server::store::documents::load(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    (id, HouseholdDoc::from_automerge(loaded.doc).to_json(None))
}

fn member_names(record: &Value) -> Vec<String> {
    let mut names: Vec<String> = record["members"]
        .as_object()
        .unwrap()
        .values()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// The third quarter's export: two good households, one member with a wrong check digit,
/// a household of another county, one with an unknown household type, a row without 户编号.
fn third_quarter() -> Sheet {
    let mut sheet = Sheet::new(NATIONAL_HEADERS);
    let head = id_number(1980, 1);
    let spouse = id_number(1982, 2);
    let son = bad_check_digit(&id_number(2010, 3));
    let ma = id_number(1975, 5);
    sheet
        .row(&[
            "N001",
            "652822100201",
            "一般户",
            "13900000001",
            "艾力.买买提",
            "男",
            &head,
            "户主",
            "维吾尔族",
        ])
        .row(&[
            "N001",
            "652822100201",
            "一般户",
            "13900000001",
            "阿依古丽",
            "女",
            &spouse,
            "配偶",
            "维吾尔族",
        ])
        .row(&[
            "N001",
            "652822100201",
            "一般户",
            "13900000001",
            "小艾力",
            "男",
            &son,
            "之子",
            "维吾尔族",
        ])
        .row(&[
            "N002",
            "652822100202",
            "脱贫户",
            "13900000002",
            "马建国",
            "男",
            &ma,
            "户主",
            "回族",
        ])
        .row(&[
            "N003",
            "652823100201",
            "一般户",
            "13900000003",
            "张三",
            "男",
            &id_number(1970, 7),
            "户主",
            "汉族",
        ])
        .row(&[
            "N004",
            "652822100201",
            "富裕户",
            "13900000004",
            "李四",
            "男",
            &id_number(1971, 8),
            "户主",
            "汉族",
        ])
        .row(&[
            "",
            "652822100201",
            "一般户",
            "13900000005",
            "王五",
            "男",
            &id_number(1972, 9),
            "户主",
            "汉族",
        ]);
    sheet
}

on_both_databases! {
    async fn a_household_met_again_further_down_the_file_is_refused(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let county = app.token("county").await;
        let mut sheet = Sheet::new(NATIONAL_HEADERS);
        sheet
            .row(&["N001", "652822100201", "一般户", "13900000001", "艾力·买买提", "男", &id_number(1980, 1), "户主", "维吾尔族"])
            .row(&["N002", "652822100202", "脱贫户", "13900000002", "马建国", "男", &id_number(1975, 5), "户主", "回族"])
            .row(&["N001", "652822100201", "一般户", "13900000001", "阿依古丽", "女", &id_number(1982, 2), "配偶", "维吾尔族"]);
        let run = import_households(&app, &county, "split.csv", sheet.csv_utf8_bom()).await;
        assert_eq!(counts(&run), [3, 2, 0, 0, 1, 0], "{run}");
        let id = run["id"].as_i64().unwrap();
        let text = app.client.get(app.url(&format!("/api/v1/imports/{id}/rejects")))
            .bearer_auth(&county).send().await.unwrap().text().await.unwrap();
        assert!(text.contains("4,户编号,household-rows-apart"), "{text}");
        let (_, record) = household(&app, "N001").await;
        assert_eq!(member_names(&record), ["艾力·买买提"], "the first group stands, nothing merged");
        let numbered = zoufang_server::store::imports::numbered_under(&app.state.db, "652822").await.unwrap();
        assert_eq!(numbered.iter().filter(|k| k.national_number.as_deref() == Some("N001")).count(), 1, "no second N001");
        app.teardown().await;
    }

    async fn a_national_export_goes_in_once_whatever_its_encoding(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let county = app.token("county").await;
        let sheet = third_quarter();

        let run = import_households(&app, &county, "2026Q3.csv", sheet.csv_utf8_bom()).await;
        assert_eq!(run["status"], "DONE", "{run}");
        assert_eq!(run["region"], "652822");
        // rows, created, updated, unchanged, rejected, absent
        assert_eq!(counts(&run), [7, 2, 0, 0, 4, 0], "{run}");

        let (first_id, record) = household(&app, "N001").await;
        assert_eq!(record["household"]["region_code"], "652822100201");
        assert_eq!(record["household"]["hh_type"], "GENERAL");
        assert_eq!(record["household"]["phone"], "13900000001");
        assert_eq!(member_names(&record), ["艾力·买买提", "阿依古丽"], "names normalised, the bad row left out");
        let head = record["members"].as_object().unwrap().values().find(|m| m["relation"] == "SELF").unwrap();
        assert_eq!(head["id_number"], id_number(1980, 1));
        assert_eq!(head["sex"], "MALE");
        assert_eq!(head["ethnicity"], "UYGHUR");
        let (_, ma) = household(&app, "N002").await;
        assert_eq!(ma["household"]["hh_type"], "LIFTED");
        assert_eq!(ma["household"]["region_code"], "652822100202");

        // Every refused row with its row number, column and code.
        let id = run["id"].as_i64().unwrap();
        let response = app.client.get(app.url(&format!("/api/v1/imports/{id}/rejects")))
            .bearer_auth(&county).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = response.text().await.unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let mut lines: Vec<&str> = text.lines().skip(1).collect();
        lines.sort();
        let located: Vec<String> = lines.iter().map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",")).collect();
        assert_eq!(located, [
            "4,证件号码,id-number-invalid",
            "6,行政区划代码,region-out-of-scope",
            "7,户类型,value-invalid",
            "8,户编号,national-number-missing",
        ], "{text}");
        let response = app.client.get(app.url(&format!("/api/v1/imports/{id}/rejects?format=xlsx")))
            .bearer_auth(&county).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.height(), 5, "a header and four refused rows");
        assert_eq!(range.get((0, 0)).unwrap().to_string(), "行号");
        let (status, body) = app.get(&county, &format!("/api/v1/imports/{id}/rejects?format=pdf")).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("format-invalid")));

        // The same export again, as GB 18030 CSV and as XLSX: nothing changes.
        let loaded = |id: DocId| {
            let db = app.state.db.clone();
            async move {
                zoufang_server::store::documents::load(&db, &id).await.unwrap().unwrap().doc.get_heads()
            }
        };
        let heads = loaded(first_id).await;
        for (name, body) in [("2026Q3-gbk.csv", sheet.csv_gb18030()), ("2026Q3.xlsx", sheet.xlsx())] {
            let again = import_households(&app, &county, name, body).await;
            assert_eq!(again["status"], "DONE", "{again}");
            assert_eq!(counts(&again), [7, 0, 0, 2, 4, 0], "{name}: {again}");
            assert_ne!(again["file_sha256"], run["file_sha256"]);
        }
        assert_eq!(loaded(first_id).await, heads, "a repeated file writes no change");
        let (status, runs) = app.get(&county, "/api/v1/imports").await;
        assert_eq!(status, 200);
        assert_eq!(runs.as_array().unwrap().len(), 3);
        assert_eq!(runs[0]["file_name"], "2026Q3.xlsx", "newest first");
        app.teardown().await;
    }

    async fn a_later_quarter_merges_with_the_tablets_and_flags_who_is_gone(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let county = app.token("county").await;
        let mut q3 = Sheet::new(NATIONAL_HEADERS);
        let head = id_number(1980, 1);
        let spouse = id_number(1982, 2);
        let son = id_number(2010, 3);
        q3.row(&["N001", "652822100201", "一般户", "13900000001", "艾力·买买提", "男", &head, "户主", "维吾尔族"])
            .row(&["N001", "652822100201", "一般户", "13900000001", "阿依古丽", "女", &spouse, "配偶", "维吾尔族"])
            .row(&["N002", "652822100202", "脱贫户", "13900000002", "马建国", "男", &id_number(1975, 5), "户主", "回族"])
            .row(&["N005", "652822100201", "一般户", "13900000005", "努尔", "女", &id_number(1990, 6), "户主", "维吾尔族"]);
        let run = import_households(&app, &county, "2026Q3.csv", q3.csv_utf8_bom()).await;
        assert_eq!(counts(&run), [4, 3, 0, 0, 0, 0], "{run}");
        let (n001, _) = household(&app, "N001").await;
        let (n005, _) = household(&app, "N005").await;

        // A helper corrects two households at the door before the next file arrives.
        let mut tablet = app.tablet("helper_a").await;
        tablet.sync().await.unwrap();
        tablet.tablet.edit(&n001, 1, |e| e.put(&DocPath::parse("household.address").unwrap(), &"幸福路1号")).unwrap();
        tablet.tablet.edit(&n005, 2, |e| e.put(&DocPath::parse("household.phone").unwrap(), &"13600000000")).unwrap();
        tablet.sync().await.unwrap();

        // The fourth quarter: N001's phone changed and a son born; N002 gone; N005 as it
        // was; N006 new.
        let mut q4 = Sheet::new(NATIONAL_HEADERS);
        q4.row(&["N001", "652822100201", "一般户", "13900000009", "艾力·买买提", "男", &head, "户主", "维吾尔族"])
            .row(&["N001", "652822100201", "一般户", "13900000009", "阿依古丽", "女", &spouse, "配偶", "维吾尔族"])
            .row(&["N001", "652822100201", "一般户", "13900000009", "小艾力", "男", &son, "之子", "维吾尔族"])
            .row(&["N005", "652822100201", "一般户", "13900000005", "努尔", "女", &id_number(1990, 6), "户主", "维吾尔族"])
            .row(&["N006", "652822100202", "一般户", "13900000006", "古丽", "女", &id_number(1995, 4), "户主", "维吾尔族"]);
        let run = import_households(&app, &county, "2026Q4.xlsx", q4.xlsx()).await;
        assert_eq!(run["status"], "DONE", "{run}");
        assert_eq!(counts(&run), [5, 1, 1, 1, 0, 1], "{run}");

        let (_, record) = household(&app, "N001").await;
        assert_eq!(record["household"]["phone"], "13900000009", "the file's change");
        assert_eq!(record["household"]["address"], "幸福路1号", "the helper's edit kept");
        assert_eq!(member_names(&record), ["小艾力", "艾力·买买提", "阿依古丽"]);
        let (_, record) = household(&app, "N005").await;
        assert_eq!(record["household"]["phone"], "13600000000", "a value the file did not change stays the helper's");

        // The household the file no longer lists is flagged, not deleted.
        let id = run["id"].as_i64().unwrap();
        let (status, absent) = app.get(&county, &format!("/api/v1/imports/{id}/absent")).await;
        assert_eq!(status, 200);
        assert_eq!(absent.as_array().unwrap().len(), 1, "{absent}");
        assert_eq!(absent[0]["national_number"], "N002");
        let (n002, _) = household(&app, "N002").await;
        let (status, _) = app.get(&county, &format!("/api/v1/households/{n002}")).await;
        assert_eq!(status, 200, "still there");

        // The tablet receives the server's changes merged with its own.
        tablet.sync().await.unwrap();
        let doc = tablet.tablet.doc(&n001).unwrap();
        let phone = DocPath::parse("household.phone").unwrap();
        assert_eq!(doc.get_as::<String>(&phone).unwrap().as_deref(), Some("13900000009"));
        assert_eq!(member_names(&doc.to_json(None)).len(), 3);
        app.teardown().await;
    }

    async fn a_region_tree_goes_in_with_its_codes_checked(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let county = app.token("county").await;
        let mut sheet = Sheet::new(&["区划代码", "名称", "级别", "上级代码"]);
        sheet
            .row(&["652822101", "群巴克镇", "乡镇", "652822"])
            .row(&["652822101201", "群巴克一村", "村", "652822101"])
            .row(&["65282210120", "短码村", "村", "652822101"])
            .row(&["652822102201", "无乡村", "村", ""])
            .row(&["652822101202", "错上级村", "村", "652822100"])
            .row(&["652823101", "尉犁的乡", "乡镇", "652823"]);
        let (status, run) = upload(&app, &county, "/api/v1/imports/regions?file_name=regions.csv", sheet.csv_gb18030()).await;
        assert_eq!(status, 200, "{run}");
        assert_eq!((run["created"].as_i64(), run["rejected"].as_i64()), (Some(2), Some(4)), "{run}");
        let id = run["id"].as_i64().unwrap();
        let csv = app.client.get(app.url(&format!("/api/v1/imports/{id}/rejects"))).bearer_auth(&county)
            .send().await.unwrap().text().await.unwrap();
        for expected in ["4,区划代码,region-invalid", "5,上级代码,parent-unknown", "6,上级代码,parent-mismatch", "7,区划代码,region-out-of-scope"] {
            assert!(csv.contains(expected), "{expected} in {csv}");
        }
        // Households of the new village can now be imported.
        let mut people = Sheet::new(NATIONAL_HEADERS);
        people.row(&["N101", "652822101201", "一般户", "13900000101", "热合曼", "男", &id_number(1966, 11), "户主", "维吾尔族"]);
        let run = import_households(&app, &county, "new-village.csv", people.csv_utf8_bom()).await;
        assert_eq!(counts(&run), [1, 1, 0, 0, 0, 0], "{run}");
        // Repeating the region file creates nothing.
        let (_, again) = upload(&app, &county, "/api/v1/imports/regions", sheet.xlsx()).await;
        assert_eq!(again["created"].as_i64(), Some(0), "{again}");
        app.teardown().await;
    }

    async fn a_failed_import_resumes_where_it_stopped(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut sheet = Sheet::new(NATIONAL_HEADERS);
        for n in 0..5u16 {
            let number = format!("R{n:03}");
            sheet.row(&[&number, "652822100201", "一般户", "", &format!("户主{n}"), "男", &id_number(1960, 100 + n), "户主", "汉族"]);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = Sheet::save(dir.path(), "resume.csv", &sheet.csv_utf8_bom());
        let importer = zoufang_server::services::imports::Importer::cli("652822").unwrap();
        // Rows 2–4 went in with a run that then failed: resuming from row 5 writes the rest,
        // and the households before the resume point are not taken for absent.
        let mut first = sheet.clone();
        first.rows.truncate(3);
        let first_path = Sheet::save(dir.path(), "first.csv", &first.csv_utf8_bom());
        let run = zoufang_server::services::imports::households::import(&app.state, &importer, &first_path, "first.csv", None, &mut |_| {}).await.unwrap();
        assert_eq!((run.created, run.status.as_str()), (3, "DONE"));
        let run = zoufang_server::services::imports::households::import(&app.state, &importer, &path, "resume.csv", Some(5), &mut |_| {}).await.unwrap();
        let absent = zoufang_server::store::imports::absent_page(&app.state.db, run.id, "", 100).await.unwrap();
        let absent: Vec<_> = absent.iter().map(|k| k.national_number.clone()).collect();
        assert_eq!((run.rows, run.created, run.unchanged, run.absent), (2, 2, 0, 0), "{run:?} {absent:?}");
        let numbers: Vec<String> = (0..5).map(|n| format!("R{n:03}")).collect();
        let known = zoufang_server::store::imports::by_national_numbers(&app.state.db, numbers).await.unwrap();
        assert_eq!(known.len(), 5);
        app.teardown().await;
    }

    async fn import_endpoints_refuse_out_of_role_scope_and_shape(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.workflow.max_file_bytes = 4096).await else { return };
        let county = app.token("county").await;
        let body = third_quarter().csv_utf8_bom();
        for who in ["helper_a", "supervisor"] {
            let token = app.token(who).await;
            let (status, answer) = upload(&app, &token, "/api/v1/imports/households", body.clone()).await;
            assert_eq!(status, 403, "{who}: {answer}");
            let (status, _) = app.get(&token, "/api/v1/imports").await;
            assert_eq!(status, 403, "{who}");
        }
        let (status, answer) = upload(&app, "not-a-token", "/api/v1/imports/households", body.clone()).await;
        assert_eq!(status, 401, "{answer}");
        // Another county's region, or the whole prefecture.
        for region in ["652823", "6528", "65282310"] {
            let (status, answer) = upload(&app, &county, &format!("/api/v1/imports/households?region={region}"), body.clone()).await;
            assert!(matches!(status, 400 | 403), "{region}: {status} {answer}");
            assert!(answer["code"].is_string(), "{answer}");
        }
        // Not a table, no 户编号 column, too large.
        let (status, answer) = upload(&app, &county, "/api/v1/imports/households", b"PK\x03\x04garbage".to_vec()).await;
        assert_eq!(status, 400, "{answer}");
        let mut no_number = Sheet::new(&["姓名", "性别"]);
        no_number.row(&["张三", "男"]);
        let (status, answer) = upload(&app, &county, "/api/v1/imports/households", no_number.csv_utf8_bom()).await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("columns-missing")), "{answer}");
        let (status, answer) = upload(&app, &county, "/api/v1/imports/households", vec![b'a'; 5000]).await;
        assert_eq!((status, answer["code"].as_str()), (413, Some("file-too-large")), "{answer}");
        let (status, _) = app.get(&county, "/api/v1/imports").await;
        assert_eq!(status, 200);

        // Another county's officer sees neither the run nor its rows.
        let run = import_households(&app, &county, "q3.csv", body).await;
        let id = run["id"].as_i64().unwrap();
        zoufang_server::services::accounts::add_user(&app.state, "test", "other_county", zoufang_e2e::PASSWORD,
            zoufang_schemas::Role::CountyOfficer, &zoufang_schemas::RegionCode::parse("652823").unwrap()).await.unwrap();
        let other = app.token("other_county").await;
        for path in [format!("/api/v1/imports/{id}"), format!("/api/v1/imports/{id}/rejects"), format!("/api/v1/imports/{id}/absent")] {
            let (status, _) = app.get(&other, &path).await;
            assert_eq!(status, 404, "{path}");
        }
        let (_, runs) = app.get(&other, "/api/v1/imports").await;
        assert_eq!(runs, json!([]));
        app.teardown().await;
    }

    async fn the_console_imports_for_county_officers_only_and_with_its_token(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let county = Console::signed_in(&app, "county").await;
        let page = county.get("/console/imports").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"import-file\""));
        let file = ("2026Q3.csv", third_quarter().csv_gb18030());
        let fields = [("kind", "households"), ("region", "652822")];

        // Without the form's token nothing is imported.
        let page = county.upload("/console/imports", "/console/imports", &fields, file.clone(), false).await;
        assert_eq!(page.status, 403, "{}", page.body);
        // A supervisor has no imports page and cannot post one.
        let supervisor = Console::signed_in(&app, "supervisor").await;
        assert_eq!(supervisor.get("/console/imports").await.status, 403);
        let page = supervisor.upload("/console/reviews", "/console/imports", &fields, file.clone(), true).await;
        assert_eq!(page.status, 403, "{}", page.body);
        // Another county's region.
        let page = county.upload("/console/imports", "/console/imports", &[("kind", "households"), ("region", "652823")], file.clone(), true).await;
        assert!(matches!(page.status, 400 | 403), "{}", page.body);
        let (_, runs) = app.get(&app.token("county").await, "/api/v1/imports").await;
        assert_eq!(runs, json!([]), "nothing was imported");

        let page = county.upload("/console/imports", "/console/imports", &fields, file, true).await;
        assert_eq!((page.status, page.location()), (303, Some("/console/imports")), "{}", page.body);
        let token = app.token("county").await;
        let mut run = Value::Null;
        for _ in 0..200 {
            let (_, runs) = app.get(&token, "/api/v1/imports").await;
            run = runs[0].clone();
            if run["status"] != "RUNNING" { break }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(counts(&run), [7, 2, 0, 0, 4, 0], "{run}");
        assert_eq!(run["file_name"], "2026Q3.csv");
        let page = county.get("/console/imports").await;
        assert!(page.body.contains("2026Q3.csv"), "the run is listed");
        let id = run["id"].as_i64().unwrap();
        let (status, headers, body) = county.download(&format!("/console/imports/{id}/rejects?format=xlsx")).await;
        assert_eq!(status, 200);
        assert!(headers["content-disposition"].to_str().unwrap().contains(".xlsx"));
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body)).unwrap();
        assert_eq!(book.worksheet_range_at(0).unwrap().unwrap().height(), 5);
        let (status, _, _) = supervisor.download(&format!("/console/imports/{id}/rejects")).await;
        assert_eq!(status, 403);
        app.teardown().await;
    }
}

on_both_databases! {
    async fn refused_rows_and_absent_households_come_a_page_at_a_time(backend: Backend) {
        use zoufang_server::store::imports::{self as store, Known, Rejected};
        let Some(app) = TestApp::spawn(backend).await else { return };
        let county = app.token("county").await;
        let run = store::start(&app.state.db, "HOUSEHOLDS", "big.csv", "00", "652822", "cli").await.unwrap();
        // 2,601 refusals on 1,301 rows (two per row but the last), stored last row first, so
        // that pages of a thousand end inside a row and the order is the report's to make.
        let rejected: Vec<Rejected> = (0..2601i64).rev().map(|n| Rejected {
            row: 2 + n / 2,
            column: "证件号码".into(),
            code: format!("code-{}", n % 2),
            message: format!("refusal {n}"),
            value: Some(n.to_string()),
        }).collect();
        for chunk in rejected.chunks(700) {
            store::add_rejects(&app.state.db, run.id, chunk).await.unwrap();
        }
        let text = app.client.get(app.url(&format!("/api/v1/imports/{}/rejects", run.id)))
            .bearer_auth(&county).send().await.unwrap().text().await.unwrap();
        let rows: Vec<(i64, String)> = text.trim_start_matches('\u{feff}').lines().skip(1)
            .map(|l| { let cells: Vec<&str> = l.split(',').collect(); (cells[0].parse().unwrap(), cells[4].to_owned()) })
            .collect();
        assert_eq!(rows.len(), 2601, "every refusal once");
        assert!(rows.windows(2).all(|w| w[0].0 <= w[1].0), "in row order");
        // Within a row, in the order they were refused (stored): the odd one came first.
        assert_eq!(rows[0], (2, "1".to_owned()));
        assert_eq!(rows[1], (2, "0".to_owned()));
        let mut values: Vec<i64> = rows.iter().map(|(_, v)| v.parse().unwrap()).collect();
        values.sort();
        assert_eq!(values, (0..2601).collect::<Vec<_>>());
        // The command line's report file is the same as the download.
        let mut file = Vec::new();
        let written = zoufang_server::services::imports::report::write_csv(&app.state.db, run.id, &mut file).await.unwrap();
        assert_eq!((written, String::from_utf8(file).unwrap()), (2601, text.clone()));
        let bytes = app.client.get(app.url(&format!("/api/v1/imports/{}/rejects?format=xlsx", run.id)))
            .bearer_auth(&county).send().await.unwrap().bytes().await.unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.height(), 2602, "a header and every refusal");
        assert_eq!(range.get((2601, 0)).unwrap().to_string(), "1302");

        let absent: Vec<Known> = (0..2345).map(|n| Known {
            doc_id: format!("{n:08}-0000-4000-8000-000000000000"),
            region_code: "652822100201".into(),
            national_number: Some(format!("N{n:05}")),
        }).collect();
        store::add_absent(&app.state.db, run.id, &absent).await.unwrap();
        let (mut after, mut seen, mut pages) = (String::new(), Vec::new(), 0);
        loop {
            let (status, page) = app.get(&county, &format!("/api/v1/imports/{}/absent?limit=1000&after={after}", run.id)).await;
            assert_eq!(status, 200, "{page}");
            let page = page.as_array().unwrap().clone();
            pages += 1;
            let Some(last) = page.last() else { break };
            after = last["household"].as_str().unwrap().to_owned();
            seen.extend(page.iter().map(|h| h["national_number"].as_str().unwrap().to_owned()));
        }
        assert_eq!(pages, 4, "three pages and an empty one");
        let expected: Vec<String> = (0..2345).map(|n| format!("N{n:05}")).collect();
        assert_eq!(seen, expected, "every household once, in order");
        let (_, first) = app.get(&county, &format!("/api/v1/imports/{}/absent", run.id)).await;
        assert_eq!(first.as_array().unwrap().len(), 1000, "a thousand unless asked");
        for limit in ["0", "5001", "x"] {
            let (status, body) = app.get(&county, &format!("/api/v1/imports/{}/absent?limit={limit}", run.id)).await;
            assert_eq!(status, 400, "limit {limit}: {body}");
        }
        let (_, body) = app.get(&county, &format!("/api/v1/imports/{}/absent?limit=0", run.id)).await;
        assert_eq!(body["code"], "limit-invalid");
        app.teardown().await;
    }
}
