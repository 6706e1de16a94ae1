#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
use chrono::NaiveDate;
use zoufang_schemas::id_number::compose_resident_id;
use zoufang_schemas::validate::Severity;
use zoufang_schemas::*;

fn id(n: u8) -> EntryId {
    EntryId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02x}")).unwrap()
}

fn person(name: &str, sex: Sex, relation: Relation, birth: (i32, u32, u32), seq: u16) -> Member {
    let birth = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap();
    let mut m = Member::new(name, sex, relation);
    m.birth_date = Some(birth);
    m.id_number = compose_resident_id("652822", birth, seq);
    m.education = Some(Education::Junior);
    m
}

fn valid_household() -> HouseholdRecord {
    let mut r = HouseholdRecord::new(
        RegionCode::parse("652822100201").unwrap(),
        HouseholdType::Lifted,
    );
    r.members.insert(
        id(1),
        person("买买提·吐尔逊", Sex::Male, Relation::Head, (1975, 4, 2), 11),
    );
    r.members.insert(
        id(2),
        person(
            "阿依古丽·买买提",
            Sex::Female,
            Relation::Spouse,
            (1978, 9, 15),
            22,
        ),
    );
    let mut child = person("艾力·买买提", Sex::Male, Relation::Son, (2012, 1, 20), 33);
    child.education = None;
    child.school_status = Some(SchoolStatus::JuniorSchool);
    r.members.insert(id(3), child);
    r
}

#[test]
fn a_complete_household_is_valid_without_warnings() {
    let report = validate(&valid_household());
    assert!(report.is_valid(), "{:?}", report.issues);
    assert_eq!(report.warnings().count(), 0, "{:?}", report.issues);
}

#[test]
fn a_wrong_check_digit_is_an_error_located_at_the_member() {
    let mut r = valid_household();
    let m = r.members.get_mut(&id(2)).unwrap();
    let mut number = m.id_number.clone().unwrap();
    let last = number.pop().unwrap();
    number.push(if last == '1' { '2' } else { '1' });
    m.id_number = Some(number);
    let report = validate(&r);
    let issue = report
        .errors()
        .find(|i| i.code == "id-check-digit")
        .unwrap();
    assert_eq!(issue.path, format!("members.{}.id_number", id(2)));
    assert!(issue.message_zh.contains("校验位"));
}

#[test]
fn id_number_must_agree_with_birth_date_and_sex() {
    let mut r = valid_household();
    r.members.get_mut(&id(1)).unwrap().birth_date = NaiveDate::from_ymd_opt(1975, 4, 3);
    r.members.get_mut(&id(2)).unwrap().sex = Sex::Male;
    let report = validate(&r);
    assert!(report.has("id-birth-date-mismatch"));
    assert!(report.has("id-sex-mismatch"));
    assert!(!report.is_valid());
}

#[test]
fn exactly_one_head_and_at_most_one_spouse() {
    let mut r = valid_household();
    r.members.get_mut(&id(1)).unwrap().relation = Relation::Son;
    assert!(validate(&r).has("head-count"));

    let mut r = valid_household();
    r.members.insert(
        id(4),
        person("古丽·艾力", Sex::Female, Relation::Spouse, (1980, 1, 1), 44),
    );
    let report = validate(&r);
    assert!(report.has("spouse-count"));
    assert!(!report.has("head-count"));
}

#[test]
fn removed_members_do_not_count_for_relations() {
    let mut r = valid_household();
    let mut second_head = person("吐尔逊·买买提", Sex::Male, Relation::Head, (1950, 1, 1), 55);
    second_head.status = EntryStatus::Removed;
    r.members.insert(id(5), second_head);
    assert!(validate(&r).is_valid());
}

#[test]
fn education_and_school_status_are_exclusive() {
    let mut r = valid_household();
    r.members.get_mut(&id(3)).unwrap().education = Some(Education::Primary);
    let report = validate(&r);
    let issue = report
        .errors()
        .find(|i| i.code == "education-and-school-status")
        .unwrap();
    assert_eq!(issue.path, format!("members.{}.education", id(3)));
}

#[test]
fn disability_certificates_have_twenty_or_twenty_two_characters() {
    let mut r = valid_household();
    let m = r.members.get_mut(&id(2)).unwrap();
    m.id_type = IdType::DisabilityCert;
    let base = m.id_number.clone().unwrap();
    m.id_number = Some(format!("{base}43"));
    assert!(validate(&r).is_valid());
    r.members.get_mut(&id(2)).unwrap().id_number = Some(format!("{base}4"));
    assert!(validate(&r).has("disability-cert-length"));
}

#[test]
fn the_same_id_number_twice_is_an_error() {
    let mut r = valid_household();
    let number = r.members[&id(1)].id_number.clone();
    r.members.get_mut(&id(2)).unwrap().id_number = number;
    assert!(validate(&r).has("id-number-duplicate"));
}

#[test]
fn more_than_five_risk_types_is_an_error() {
    let mut r = valid_household();
    r.household.risk_types = RiskType::ALL[..6].iter().copied().collect();
    assert!(validate(&r).has("too-many-risk-types"));
    r.household.risk_types = RiskType::ALL[..5].iter().copied().collect();
    assert!(!validate(&r).has("too-many-risk-types"));
}

#[test]
fn a_household_must_sit_in_a_village() {
    let mut r = valid_household();
    r.household.region_code = RegionCode::parse("652822100").unwrap();
    assert!(validate(&r).has("region-not-village"));
}

#[test]
fn consistency_rules_are_warnings_not_errors() {
    let mut r = valid_household();
    r.household.monitor_category = Some(MonitorCategory::Marginal);
    r.household.risk_types = [
        RiskType::Illness,
        RiskType::WaterUnsafe,
        RiskType::HousingUnsafe,
        RiskType::Education,
    ]
    .into_iter()
    .collect();
    r.members.get_mut(&id(1)).unwrap().labour_skill = Some(LabourSkill::Ordinary);
    r.monitoring.elimination_mode = Some(EliminationMode::Assisted);
    r.housing.danger_grade = Some(DangerGrade::D);
    r.water.safe = Some(false);
    let report = validate(&r);
    assert!(report.is_valid(), "{:?}", report.issues);
    for code in [
        "illness-without-health-measure",
        "education-without-education-measure",
        "housing-risk-without-housing-measure",
        "water-risk-without-water-measure",
        "labour-without-developmental-measure",
        "assisted-elimination-without-measure",
        "danger-grade-vs-housing-guarantee",
        "water-check-vs-water-guarantee",
    ] {
        let issue = report
            .issues
            .iter()
            .find(|i| i.code == code)
            .unwrap_or_else(|| panic!("{code}"));
        assert_eq!(issue.severity, Severity::Warning);
    }
}

#[test]
fn measures_satisfy_the_consistency_rules() {
    let mut r = valid_household();
    r.household.monitor_category = Some(MonitorCategory::Marginal);
    r.household.risk_types = [RiskType::Illness, RiskType::WaterUnsafe]
        .into_iter()
        .collect();
    r.members.get_mut(&id(1)).unwrap().labour_skill = Some(LabourSkill::Skilled);
    for (n, kind) in [
        (10, MeasureKind::Health),
        (11, MeasureKind::Water),
        (12, MeasureKind::Employment),
    ] {
        r.measures
            .insert(id(n), Measure::new(kind, MeasureStatus::InProgress));
    }
    let report = validate(&r);
    assert_eq!(report.warnings().count(), 0, "{:?}", report.issues);
    // A removed measure no longer counts.
    r.measures.get_mut(&id(11)).unwrap().status = EntryStatus::Removed;
    assert!(validate(&r).has("water-risk-without-water-measure"));
}

#[test]
fn a_no_labour_household_marked_eliminated_is_flagged() {
    let mut r = valid_household();
    r.household.no_labour = Some(true);
    r.monitoring.risk_eliminated = Some(true);
    assert!(validate(&r).has("no-labour-household-eliminated"));
}

#[test]
fn names_with_dot_variants_get_a_warning_with_the_normal_form() {
    let mut r = valid_household();
    r.members.get_mut(&id(1)).unwrap().name = "买买提•吐尔逊".into();
    let report = validate(&r);
    let issue = report
        .warnings()
        .find(|i| i.code == "name-not-normalized")
        .unwrap();
    assert!(issue.message_zh.contains("买买提·吐尔逊"));
    r.members.get_mut(&id(1)).unwrap().name = " ".into();
    assert!(validate(&r).has("name-empty"));
}

#[test]
fn records_round_trip_through_json() {
    let r = valid_household();
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["household"]["risk_types"].is_object());
    assert!(json["members"].is_object());
    assert!(
        json["household"].get("phone").is_none(),
        "absent values are not written"
    );
    let back: HouseholdRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn the_committed_json_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/household.schema.json");
    let current = household_json_schema();
    if std::env::var_os("ZOUFANG_WRITE_SCHEMA").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(path)
        .expect("schema/household.schema.json missing: run with ZOUFANG_WRITE_SCHEMA=1");
    assert_eq!(
        committed, current,
        "run the tests with ZOUFANG_WRITE_SCHEMA=1 and commit the schema"
    );
    let parsed: serde_json::Value = serde_json::from_str(&current).unwrap();
    assert!(parsed["properties"]["members"].is_object());
    assert!(parsed["$id"].as_str().unwrap().ends_with("/v1.json"));
}
