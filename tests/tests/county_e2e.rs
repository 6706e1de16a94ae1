//! What the county pulls, end to end: exports of verified records (CSV with Chinese
//! headers and a BOM, NDJSON, XLSX) with personal numbers masked by role, the scale
//! statistics table against figures counted by hand, and what each role sees of a record.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use calamine::Reader;
use serde_json::json;
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::*;

const ROUND: &str = "2026Q4";

fn member(name: &str, sex: Sex, relation: Relation, id_number: Option<&str>) -> (EntryId, Member) {
    let mut m = Member::new(name, sex, relation);
    m.id_number = id_number.map(str::to_owned);
    let key = EntryId::from_random_bits(name.bytes().fold(7u128, |h, b| {
        h.wrapping_mul(131).wrapping_add(u128::from(b))
    }));
    (key, m)
}

/// A measure at `progress` with `funds`.
fn funded(kind: MeasureKind, progress: MeasureStatus, funds: f64) -> (EntryId, Measure) {
    let key = EntryId::from_random_bits(0x177 + kind as u128);
    let measure = Measure {
        funds: Some(funds),
        ..Measure::new(kind, progress)
    };
    (key, measure)
}

fn event(
    kind: NaturalChangeKind,
    member: &EntryId,
    date: (i32, u32, u32),
    n: u128,
) -> (EntryId, NaturalChange) {
    (
        EntryId::from_random_bits(0x9000 + n),
        NaturalChange {
            status: EntryStatus::Active,
            kind,
            member: member.clone(),
            date: chrono::NaiveDate::from_ymd_opt(date.0, date.1, date.2),
            note: None,
        },
    )
}

/// A household of the fixture with its visit of the round.
fn household(
    village: &str,
    hh_type: HouseholdType,
    people: &[(&str, Sex, Relation)],
    n: u128,
) -> HouseholdRecord {
    let mut record = HouseholdRecord::new(RegionCode::parse(village).unwrap(), hh_type);
    for (name, sex, relation) in people {
        let (key, m) = member(name, *sex, *relation, None);
        record.members.insert(key, m);
    }
    record.household.phone = Some("13812345678".into());
    record.visits.insert(
        EntryId::from_random_bits(0x5000 + n),
        Visit {
            status: EntryStatus::Active,
            quarter: Quarter::parse(ROUND).unwrap(),
            visited_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            visitor: None,
            notes: None,
            photos: Default::default(),
        },
    );
    record
}

/// The ID number of household A's head (a valid one, born 1980-01-01, male).
fn head_id() -> String {
    zoufang_schemas::id_number::compose_resident_id(
        "652822",
        chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
        13,
    )
    .unwrap()
}

/// Four households counted by hand below.
fn fixture() -> Vec<HouseholdRecord> {
    use Relation::*;
    use Sex::*;
    // A: 一般户, 3 people, not monitored.
    let mut a = household(
        "652822100201",
        HouseholdType::General,
        &[("阿依古丽", Female, Spouse), ("小艾力", Male, Son)],
        1,
    );
    let (head, mut m) = member("艾力·买买提", Male, Head, Some(&head_id()));
    m.birth_date = chrono::NaiveDate::from_ymd_opt(1980, 1, 1);
    a.members.insert(head, m);
    a.measures.extend([funded(
        MeasureKind::Employment,
        MeasureStatus::InProgress,
        2000.0,
    )]);
    // B: 脱贫户, 5 people, 脱贫不稳定户, risk eliminated (assisted) in 2026-11, identified 2025-03.
    let mut b = household(
        "652822100201",
        HouseholdType::Lifted,
        &[
            ("巴特尔", Male, Head),
            ("其其格", Female, Spouse),
            ("巴图", Male, Son),
            ("萨仁", Female, Daughter),
            ("老巴特尔", Male, Father),
        ],
        2,
    );
    b.household.monitor_category = Some(MonitorCategory::UnstableLifted);
    b.household.risk_types = [RiskType::Illness].into_iter().collect();
    b.measures
        .extend([funded(MeasureKind::Health, MeasureStatus::Done, 5000.0)]);
    b.monitoring.identified_month = Some(YearMonth::parse("2025-03").unwrap());
    b.monitoring.risk_eliminated = Some(true);
    b.monitoring.elimination_mode = Some(EliminationMode::Assisted);
    b.monitoring.eliminated_month = Some(YearMonth::parse("2026-11").unwrap());
    // C: 一般户, 2 people, 边缘易致贫户 identified 2026-10, not eliminated.
    let mut c = household(
        "652822100202",
        HouseholdType::General,
        &[("马建国", Male, Head), ("马秀兰", Female, Spouse)],
        3,
    );
    c.household.monitor_category = Some(MonitorCategory::Marginal);
    c.household.risk_types = [RiskType::Education].into_iter().collect();
    c.measures.extend([
        funded(MeasureKind::Education, MeasureStatus::Done, 3000.0),
        funded(MeasureKind::Industry, MeasureStatus::InProgress, 10000.0),
    ]);
    c.monitoring.identified_month = Some(YearMonth::parse("2026-10").unwrap());
    // D: 脱贫户, 4 people; a birth and a death in the quarter, a move in before it.
    let mut d = household(
        "652822100202",
        HouseholdType::Lifted,
        &[
            ("吐尔逊", Male, Head),
            ("帕提古丽", Female, Spouse),
            ("艾克拜尔", Male, Son),
            ("小吐尔逊", Male, Grandson),
        ],
        4,
    );
    let someone = d.members.keys().next().unwrap().clone();
    d.events.extend([
        event(NaturalChangeKind::Birth, &someone, (2026, 11, 5), 1),
        event(NaturalChangeKind::Death, &someone, (2026, 12, 1), 2),
        event(NaturalChangeKind::MoveIn, &someone, (2026, 1, 1), 3),
    ]);
    vec![a, b, c, d]
}

/// Seeds the fixture and takes every household to township verification.
async fn verified_fixture(app: &TestApp) -> Vec<DocId> {
    let supervisor = app.token("supervisor").await;
    let mut ids = Vec::new();
    for record in fixture() {
        let id = DocId(*uuid::Uuid::new_v4().as_bytes());
        zoufang_server::services::documents::create_household(
            &app.state,
            &app.state.db,
            &id,
            &record,
        )
        .await
        .unwrap();
        ids.push(id);
    }
    for id in &ids {
        let url = format!("/api/v1/reviews/{id}/{ROUND}");
        let (status, body) = app
            .post(&supervisor, &url, &json!({ "action": "village-review" }))
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, detail) = app
            .get(&supervisor, &format!("/api/v1/households/{id}"))
            .await;
        for finding in detail["findings"].as_array().unwrap() {
            assert_eq!(
                finding["severity"], "WARNING",
                "the fixture has no errors: {finding}"
            );
            app.post(
                &supervisor,
                &format!("{url}/acknowledge"),
                &json!({ "code": finding["code"], "path": finding["path"] }),
            )
            .await;
        }
        let (status, body) = app
            .post(&supervisor, &url, &json!({ "action": "township-verify" }))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    ids
}

async fn download(app: &TestApp, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

async fn add_account(app: &TestApp, name: &str, role: Role, scope: &str) -> String {
    zoufang_server::services::accounts::add_user(
        &app.state,
        "test",
        name,
        zoufang_e2e::PASSWORD,
        role,
        &RegionCode::parse(scope).unwrap(),
    )
    .await
    .unwrap();
    app.token(name).await
}

on_both_databases! {
    async fn the_scale_table_counts_what_was_verified_as_counted_by_hand(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        verified_fixture(&app).await;
        let county = app.token("county").await;
        let (status, kind, bytes) = download(&app, &county, &format!("/api/v1/reports/scale?round={ROUND}&region=652822")).await;
        assert_eq!(status, 200);
        assert!(kind.contains("spreadsheetml"));
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("规模统计表").unwrap();
        let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert!(rows[1].contains(&"脱贫不稳定户已消除户数".to_owned()), "{:?}", rows[1]);
        let figures = |code: &str| -> Vec<u64> {
            let row = rows.iter().find(|r| r[0] == code).unwrap_or_else(|| panic!("no row {code}"));
            row[2..].iter().map(|c| c.parse::<f64>().unwrap() as u64).collect()
        };
        // Households, people; 一般户 h/p; 脱贫户 h/p; per category (脱贫不稳定户, 边缘易致贫户,
        // 突发严重困难户) not eliminated h/p, eliminated h/p; identified; eliminated assisted,
        // natural; increase; decrease.
        let total = rows.iter().find(|r| r[1] == "合计").unwrap();
        let total: Vec<u64> = total[2..].iter().map(|c| c.parse::<f64>().unwrap() as u64).collect();
        assert_eq!(total, [4, 14, 2, 5, 2, 9, 0, 0, 1, 5, 1, 2, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1]);
        assert_eq!(figures("652822"), total);
        assert_eq!(figures("652822100"), total);
        assert_eq!(figures("652822100201"), [2, 8, 1, 3, 1, 5, 0, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(figures("652822100202"), [2, 6, 1, 2, 1, 4, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1]);
        let helper = app.token("helper_a").await;
        let (status, _, _) = download(&app, &helper, &format!("/api/v1/reports/scale?round={ROUND}")).await;
        assert_eq!(status, 403, "helpers do not pull reports");
        app.teardown().await;
    }

    async fn the_measure_and_risk_reports_count_the_fixture_by_hand(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        verified_fixture(&app).await;
        let county = app.token("county").await;
        let sheet_rows = |bytes: Vec<u8>, name: &str| -> Vec<Vec<String>> {
            let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
            let sheet = book.worksheet_range(name).unwrap();
            sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
        };
        let numbers = |row: &[String], from: usize| -> Vec<f64> { row[from..].iter().map(|c| c.parse::<f64>().unwrap()).collect() };

        // 帮扶措施落实情况统计表. A (一般户, 3 people): EMPLOYMENT in progress 2000; B
        // (脱贫不稳定户, 5): HEALTH done 5000; C (边缘易致贫户, 2): EDUCATION done 3000 and
        // INDUSTRY in progress 10000; D (脱贫户) none. Columns: measures; households by group
        // (一般户, 脱贫户, 脱贫不稳定户, 边缘易致贫户, 突发严重困难户, total); people likewise;
        // done, in progress, planned; funds.
        let (status, _, bytes) = download(&app, &county, &format!("/api/v1/reports/measures?round={ROUND}&region=652822")).await;
        assert_eq!(status, 200);
        let rows = sheet_rows(bytes, "帮扶措施落实情况统计表");
        assert!(rows[0][0].contains("报送期限 2027-01-07"), "five working days after 2026-12-31: {:?}", rows[0]);
        let line = |code: &str, what: &str| -> Vec<f64> {
            let start = rows.iter().position(|r| r[0] == code && r[2] == "小计").unwrap_or_else(|| panic!("no {code}"));
            let row = if what == "小计" { &rows[start] } else {
                rows[start + 1..].iter().take_while(|r| r[2] != "小计").find(|r| r[2] == what).unwrap_or_else(|| panic!("no {what} under {code}"))
            };
            numbers(row, 3)
        };
        assert_eq!(line("", "小计"), [4., 1., 0., 1., 2., 0., 4., 3., 0., 5., 4., 0., 12., 2., 2., 0., 20000.]);
        assert_eq!(line("652822", "小计"), line("", "小计"));
        assert_eq!(line("652822100201", "小计"), [2., 1., 0., 1., 0., 0., 2., 3., 0., 5., 0., 0., 8., 1., 1., 0., 7000.]);
        assert_eq!(line("652822100202", "小计"), [2., 0., 0., 0., 2., 0., 2., 0., 0., 0., 4., 0., 4., 1., 1., 0., 13000.]);
        assert_eq!(line("", MeasureKind::Employment.label_zh()), [1., 1., 0., 0., 0., 0., 1., 3., 0., 0., 0., 0., 3., 0., 1., 0., 2000.]);
        assert_eq!(line("652822100202", MeasureKind::Industry.label_zh()), [1., 0., 0., 0., 1., 0., 1., 0., 0., 0., 2., 0., 2., 0., 1., 0., 10000.]);

        // 风险化解情况报告. B (脱贫不稳定户, ILLNESS) eliminated (ASSISTED, 2026-11); C
        // (边缘易致贫户, EDUCATION) not. By category: eliminated, remaining for each of the
        // three, the totals, then the quarter's eliminations assisted, natural.
        let (status, _, bytes) = download(&app, &county, &format!("/api/v1/reports/risks?round={ROUND}&region=652822")).await;
        assert_eq!(status, 200);
        let by_category = sheet_rows(bytes.clone(), "按监测类别");
        let total = by_category.iter().find(|r| r[1] == "合计").unwrap();
        assert_eq!(numbers(total, 2), [1., 0., 0., 1., 0., 0., 1., 1., 1., 0.]);
        let village = by_category.iter().find(|r| r[0] == "652822100202").unwrap();
        assert_eq!(numbers(village, 2), [0., 0., 0., 1., 0., 0., 0., 1., 0., 0.]);
        let by_risk = sheet_rows(bytes.clone(), "按风险类型");
        assert_eq!(by_risk[1][2], "因病:已消除");
        let total = by_risk.iter().find(|r| r[1] == "合计").unwrap();
        let mut expected = vec![0.; 22];
        expected[0] = 1.; // ILLNESS eliminated
        expected[5] = 1.; // EDUCATION (the third risk type) remaining
        assert_eq!(numbers(total, 2), expected);
        let doubtful = sheet_rows(bytes, "疑点数据");
        let (_, findings) = app.get(&county, "/api/v1/findings?region=652822").await;
        assert_eq!(doubtful.len() - 1, findings.as_array().unwrap().len(), "the doubtful-data list is the findings'");

        // The CLI writes the same workbooks.
        let dir = tempfile::tempdir().unwrap();
        for kind in [zoufang_server::cli_pull::ReportKind::Measures, zoufang_server::cli_pull::ReportKind::Risks] {
            let out = dir.path().join("r.xlsx");
            let args = zoufang_server::cli_pull::ReportArgs { round: ROUND.into(), region: "652822".into(), out: out.clone() };
            zoufang_server::cli_pull::report(&app.state, kind, args).await.unwrap();
            assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
        }
        let helper = app.token("helper_a").await;
        let (status, _, _) = download(&app, &helper, &format!("/api/v1/reports/risks?round={ROUND}")).await;
        assert_eq!(status, 403, "helpers do not pull reports");
        let (status, _, _) = download(&app, &county, &format!("/api/v1/reports/measures?round={ROUND}&region=652823")).await;
        assert_eq!(status, 403, "another county");

        // The training calendar: the plan's months and counties.
        let (status, calendar) = app.get(&county, "/api/v1/reports/training?year=2026").await;
        assert_eq!(status, 200);
        let march: Vec<&str> = calendar["sessions"].as_array().unwrap().iter().filter(|s| s["month"] == "2026-03").map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(march, ["库尔勒市", "博湖县", "轮台县"]);
        let printed = zoufang_server::cli_pull::training_text(&zoufang_server::services::reports::training::calendar(&app.state, 2026).await.unwrap());
        assert!(printed.contains("2026-06  若羌县 (652824)") && printed.contains("培训内容"), "{printed}");
        let luntai = calendar["sessions"].as_array().unwrap().iter().find(|s| s["county"] == "652822").unwrap();
        assert_eq!((luntai["villages"].as_u64(), luntai["min_villages"].as_u64()), (Some(2), Some(2)));

        // The console offers the same.
        let console = zoufang_e2e::console::Console::signed_in(&app, "county").await;
        let page = console.get(&format!("/console/exports?round={ROUND}")).await;
        assert!(page.body.contains("id=\"download-measures\"") && page.body.contains("2027-01-07"), "{}", page.body);
        for report in ["measures", "risks"] {
            let (status, _, body) = console.download(&format!("/console/reports/{report}?round={ROUND}")).await;
            assert_eq!(status, 200, "{report}");
            assert!(body.starts_with(b"PK"));
        }
        assert_eq!(console.download(&format!("/console/reports/wishes?round={ROUND}")).await.0, 404);
        let page = console.get("/console/training?year=2026").await;
        assert!(page.body.contains("库尔勒市") && page.body.contains("2026-09"), "{}", page.body);
        app.teardown().await;
    }

    async fn exports_carry_the_verified_records_masked_by_role(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        verified_fixture(&app).await;
        let county = app.token("county").await;
        let prefecture = add_account(&app, "prefecture", Role::PrefectureOfficer, "6528").await;
        let base = format!("/api/v1/exports/verified?round={ROUND}&region=652822");

        let (status, kind, csv) = download(&app, &county, &format!("{base}&format=csv")).await;
        assert_eq!(status, 200);
        assert!(kind.starts_with("text/csv"));
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with('\u{feff}'), "a byte-order mark for Excel");
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].starts_with("户ID,户编号,区划代码,户主姓名,户类型"), "{}", lines[0]);
        assert_eq!(lines.len(), 5, "a header and four households");
        assert!(text.contains("13812345678"), "the county sees phone numbers");
        let (_, _, masked) = download(&app, &prefecture, &format!("{base}&format=csv")).await;
        let masked = String::from_utf8(masked).unwrap();
        assert!(!masked.contains("13812345678") && masked.contains("138****5678"));

        let (_, _, members) = download(&app, &county, &format!("{base}&format=csv-members")).await;
        let members = String::from_utf8(members).unwrap();
        assert_eq!(members.lines().count(), 1 + 3 + 5 + 2 + 4, "{members}");
        assert!(members.contains(&head_id()));
        let (_, _, members) = download(&app, &prefecture, &format!("{base}&format=csv-members")).await;
        let members = String::from_utf8(members).unwrap();
        assert!(!members.contains(&head_id()));
        assert!(members.contains(&zoufang_schemas::id_number::mask_id_number(&head_id())));

        let (_, kind, ndjson) = download(&app, &county, &format!("{base}&format=ndjson")).await;
        assert_eq!(kind, "application/x-ndjson");
        let records: Vec<serde_json::Value> = String::from_utf8(ndjson).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(records.len(), 4);
        assert!(records.iter().all(|r| r["record"]["household"]["region_code"].as_str().unwrap().starts_with("652822")));

        let (_, _, xlsx) = download(&app, &county, &format!("{base}&format=xlsx")).await;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
        assert_eq!(book.sheet_names(), ["户", "家庭成员"]);
        assert_eq!(book.worksheet_range("户").unwrap().rows().count(), 5);
        assert_eq!(book.worksheet_range("家庭成员").unwrap().rows().count(), 1 + 14);

        let (status, _, _) = download(&app, &county, &format!("/api/v1/exports/verified?round={ROUND}&region=652823&format=csv")).await;
        assert_eq!(status, 403, "outside the county's scope");
        let (status, _, _) = download(&app, &county, &format!("{base}&format=pdf")).await;
        assert_eq!(status, 400);
        let helper = app.token("helper_a").await;
        let (status, _, _) = download(&app, &helper, &format!("{base}&format=csv")).await;
        assert_eq!(status, 403);
        let exports = zoufang_e2e::hostile::audit_entries(&app).await;
        assert!(exports > 0);
        app.teardown().await;
    }

    async fn each_role_sees_what_it_may_of_a_record_and_departments_replicate_nothing(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let ids = verified_fixture(&app).await;
        let prefecture = add_account(&app, "prefecture", Role::PrefectureOfficer, "6528").await;
        let department = add_account(&app, "medical", Role::Department, "6528").await;
        let county = app.token("county").await;
        let url = format!("/api/v1/households/{}", ids[0]);
        let (_, full) = app.get(&county, &url).await;
        assert_eq!(full["masked"], false);
        assert_eq!(full["record"]["household"]["phone"], "13812345678");
        let (_, masked) = app.get(&prefecture, &url).await;
        assert_eq!(masked["masked"], true);
        assert_eq!(masked["record"]["household"]["phone"], "138****5678");
        let ids_shown: Vec<String> = masked["record"]["members"].as_object().unwrap().values().filter_map(|m| m["id_number"].as_str().map(str::to_owned)).collect();
        assert!(ids_shown.iter().all(|n| n.contains("****")), "{ids_shown:?}");
        let (_, limited) = app.get(&department, &url).await;
        assert!(limited["record"].get("income").is_none() && limited["record"].get("visits").is_none());
        assert!(limited["record"]["household"].get("phone").is_none());
        let (status, _) = app.get(&department, &format!("/api/v1/reviews?round={ROUND}")).await;
        assert_eq!(status, 403);
        // A department's device receives no household.
        let mut tablet = zoufang_e2e::HttpTablet::register(&app.address, &department, zoufang_sync::automerge::ActorId::random()).await;
        tablet.sync().await.unwrap();
        assert!(tablet.tablet.doc_ids().is_empty());
        // Unmasked reads are audited.
        let reads = zoufang_server::store::entities::audit_entry::Entity::find()
            .filter(zoufang_server::store::entities::audit_entry::Column::Action.eq("record.read"))
            .all(&app.state.db)
            .await
            .unwrap();
        assert!(reads.iter().any(|r| r.actor == "user:county"));
        app.teardown().await;
    }
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
