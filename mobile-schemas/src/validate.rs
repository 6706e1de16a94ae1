//! Validation of a household record: errors reject the record, warnings are the consistency
//! rules of county data checks (疑点数据) and are reported, never enforced.

use crate::enums::{DangerGrade, EliminationMode, IdType, MeasureKind, Relation, RiskType};
use crate::id_number::{IdNumberError, parse_resident_id};
use crate::member::Member;
use crate::names::{is_normalized, normalize_name};
use crate::record::HouseholdRecord;
use crate::values::EntryId;
use serde::Serialize;
use std::collections::BTreeMap;

/// The most risk types a household may carry.
pub const MAX_RISK_TYPES: usize = 5;

/// How serious an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The record is wrong and is not accepted as it is.
    Error,
    /// Doubtful data for review.
    Warning,
}

/// One finding, located by its document path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine code, kebab-case.
    pub code: &'static str,
    /// Dotted path in the document (`members.<id>.id_number`).
    pub path: String,
    /// Message for users.
    pub message_zh: String,
    /// Message for developers and logs.
    pub message_en: String,
}

/// All findings for one record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Every finding, errors first in the order found.
    pub issues: Vec<Issue>,
}

impl Report {
    /// Findings that reject the record.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }
    /// Findings for review.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }
    /// No errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }
    /// Whether a finding with this code exists.
    pub fn has(&self, code: &str) -> bool {
        self.issues.iter().any(|i| i.code == code)
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        path: String,
        zh: String,
        en: String,
    ) {
        self.issues.push(Issue {
            severity,
            code,
            path,
            message_zh: zh,
            message_en: en,
        });
    }
    fn error(
        &mut self,
        code: &'static str,
        path: String,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.push(Severity::Error, code, path, zh.into(), en.into());
    }
    fn warn(
        &mut self,
        code: &'static str,
        path: String,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.push(Severity::Warning, code, path, zh.into(), en.into());
    }
}

/// Validates a whole record.
pub fn validate(record: &HouseholdRecord) -> Report {
    let mut report = Report::default();
    check_household(record, &mut report);
    check_relations(record, &mut report);
    for (id, member) in record.active_members() {
        check_member(id, member, &mut report);
    }
    check_duplicate_ids(record, &mut report);
    check_consistency(record, &mut report);
    report
}

fn check_household(record: &HouseholdRecord, report: &mut Report) {
    if !record.household.region_code.is_village() {
        report.error(
            "region-not-village",
            "household.region_code".into(),
            "户所在地区代码须为12位村级代码",
            "a household's region code must be a 12-digit village code",
        );
    }
    if record.household.risk_types.len() > MAX_RISK_TYPES {
        report.error(
            "too-many-risk-types",
            "household.risk_types".into(),
            format!(
                "风险类型最多{MAX_RISK_TYPES}项,现有{}项",
                record.household.risk_types.len()
            ),
            format!(
                "at most {MAX_RISK_TYPES} risk types, found {}",
                record.household.risk_types.len()
            ),
        );
    }
    if record.household.monitor_category.is_some() && record.household.risk_types.is_empty() {
        report.warn(
            "monitored-without-risk",
            "household.risk_types".into(),
            "监测户未填写风险类型",
            "a monitored household has no risk type",
        );
    }
}

fn check_relations(record: &HouseholdRecord, report: &mut Report) {
    let count = |rel: Relation| {
        record
            .active_members()
            .filter(|(_, m)| m.relation == rel)
            .count()
    };
    let heads = count(Relation::Head);
    if heads != 1 {
        report.error(
            "head-count",
            "members".into(),
            format!("户主须有且仅有1人,现有{heads}人"),
            format!("exactly one member must be the head (SELF), found {heads}"),
        );
    }
    let spouses = count(Relation::Spouse);
    if spouses > 1 {
        report.error(
            "spouse-count",
            "members".into(),
            format!("配偶最多1人,现有{spouses}人"),
            format!("at most one member may be the spouse, found {spouses}"),
        );
    }
}

fn check_member(id: &EntryId, member: &Member, report: &mut Report) {
    let at = |field: &str| format!("members.{id}.{field}");
    if normalize_name(&member.name).is_empty() {
        report.error("name-empty", at("name"), "姓名不能为空", "name is empty");
    } else if !is_normalized(&member.name) {
        report.warn(
            "name-not-normalized",
            at("name"),
            format!("姓名应写作「{}」", normalize_name(&member.name)),
            format!("name should be written `{}`", normalize_name(&member.name)),
        );
    }
    if member.education.is_some() && member.school_status.is_some() {
        report.error(
            "education-and-school-status",
            at("education"),
            "文化程度与在校生状况只能填写其一",
            "education and school status are mutually exclusive",
        );
    }
    if member.education.is_none() && member.school_status.is_none() {
        report.warn(
            "education-missing",
            at("education"),
            "未填写文化程度或在校生状况",
            "neither education nor school status is given",
        );
    }
    check_id_number(member, &at("id_number"), report);
}

fn check_id_number(member: &Member, path: &str, report: &mut Report) {
    let Some(number) = member.id_number.as_deref() else {
        report.warn(
            "id-number-missing",
            path.to_owned(),
            "未填写证件号码",
            "no ID number",
        );
        return;
    };
    let resident_part = match member.id_type {
        IdType::ResidentId => number,
        IdType::DisabilityCert => {
            let len = number.chars().count();
            if len != 20 && len != 22 {
                report.error(
                    "disability-cert-length",
                    path.to_owned(),
                    format!("残疾人证号须为20或22位,现为{len}位"),
                    format!("a disability certificate number has 20 or 22 characters, not {len}"),
                );
                return;
            }
            number.get(..18).unwrap_or(number)
        }
        IdType::Military => return,
    };
    match parse_resident_id(resident_part) {
        Ok(id) => {
            if member.birth_date.is_some_and(|b| b != id.birth_date) {
                report.error(
                    "id-birth-date-mismatch",
                    path.to_owned(),
                    format!("身份证号中的出生日期{}与填写的出生日期不符", id.birth_date),
                    format!(
                        "the ID number's birth date {} disagrees with the birth date",
                        id.birth_date
                    ),
                );
            }
            if member.sex != id.sex {
                report.error(
                    "id-sex-mismatch",
                    path.to_owned(),
                    format!("身份证号显示性别为{},与填写的性别不符", id.sex.label_zh()),
                    format!(
                        "the ID number says {}, the member is {}",
                        id.sex, member.sex
                    ),
                );
            }
        }
        Err(err) => {
            let (code, zh) = match &err {
                IdNumberError::Length(_) | IdNumberError::Characters => {
                    ("id-number-format", "身份证号格式错误".to_owned())
                }
                IdNumberError::BirthDate(_) => (
                    "id-number-birth-date",
                    "身份证号中的出生日期无效".to_owned(),
                ),
                IdNumberError::CheckDigit { expected, .. } => (
                    "id-check-digit",
                    format!("身份证号校验位错误,应为{expected}"),
                ),
            };
            report.error(code, path.to_owned(), zh, err.to_string());
        }
    }
}

fn check_duplicate_ids(record: &HouseholdRecord, report: &mut Report) {
    let mut seen: BTreeMap<String, &EntryId> = BTreeMap::new();
    for (id, member) in record.active_members() {
        let Some(number) = member.id_number.as_deref() else {
            continue;
        };
        let key = number.trim().to_ascii_uppercase();
        if let Some(first) = seen.insert(key, id) {
            report.error(
                "id-number-duplicate",
                format!("members.{id}.id_number"),
                "同一证件号码在本户出现两次",
                format!("the same ID number is also used by member {first}"),
            );
        }
    }
}

fn check_consistency(record: &HouseholdRecord, report: &mut Report) {
    let measures: Vec<MeasureKind> = record.active_measures().map(|(_, m)| m.kind).collect();
    let has_any = |kinds: &[MeasureKind]| measures.iter().any(|m| kinds.contains(m));
    let risks = &record.household.risk_types;
    let rules: [(RiskType, &[MeasureKind], &'static str, &str, &str); 4] = [
        (
            RiskType::Illness,
            &[
                MeasureKind::Health,
                MeasureKind::Social,
                MeasureKind::SocialSecurity,
            ],
            "illness-without-health-measure",
            "因病风险应有健康、社会或兜底保障措施",
            "ILLNESS risk needs a HEALTH, SOCIAL or SOCIAL_SECURITY measure",
        ),
        (
            RiskType::Education,
            &[MeasureKind::Education],
            "education-without-education-measure",
            "因学风险应有教育帮扶措施",
            "EDUCATION risk needs an EDUCATION measure",
        ),
        (
            RiskType::HousingUnsafe,
            &[MeasureKind::Housing, MeasureKind::Relocation],
            "housing-risk-without-housing-measure",
            "住房安全风险应有住房保障或搬迁措施",
            "HOUSING_UNSAFE risk needs a HOUSING or RELOCATION measure",
        ),
        (
            RiskType::WaterUnsafe,
            &[MeasureKind::Water],
            "water-risk-without-water-measure",
            "饮水安全风险应有饮水保障措施",
            "WATER_UNSAFE risk needs a WATER measure",
        ),
    ];
    for (risk, needed, code, zh, en) in rules {
        if risks.contains(&risk) && !has_any(needed) {
            report.warn(code, "measures".into(), zh, en);
        }
    }
    let monitored = record.household.monitor_category.is_some();
    let has_labour = record.active_members().any(|(_, m)| m.has_labour());
    if monitored && has_labour && !measures.iter().any(|m| m.is_developmental()) {
        report.warn(
            "labour-without-developmental-measure",
            "measures".into(),
            "有劳动力的监测户应有产业、就业或金融帮扶措施",
            "a monitored household with labour needs an INDUSTRY, EMPLOYMENT or FINANCE measure",
        );
    }
    if record.monitoring.elimination_mode == Some(EliminationMode::Assisted) && measures.is_empty()
    {
        report.warn(
            "assisted-elimination-without-measure",
            "monitoring.elimination_mode".into(),
            "帮扶消除的户应至少有一项帮扶措施",
            "ASSISTED elimination needs at least one measure",
        );
    }
    if record.monitoring.risk_eliminated == Some(true) && record.household.no_labour == Some(true) {
        report.warn(
            "no-labour-household-eliminated",
            "monitoring.risk_eliminated".into(),
            "整户无劳动能力的户不应标注风险消除",
            "a household without labour stays monitored and is not marked eliminated",
        );
    }
    let unsafe_grade = record
        .housing
        .danger_grade
        .is_some_and(DangerGrade::is_unsafe);
    if unsafe_grade && record.guarantees.housing_unsafe != Some(true) {
        report.warn(
            "danger-grade-vs-housing-guarantee",
            "guarantees.housing_unsafe".into(),
            "房屋危险等级为C/D级,但住房安全保障未标注为不安全",
            "danger grade C/D but the housing guarantee is not marked unsafe",
        );
    }
    if record.water.safe == Some(false) && record.guarantees.water_unsafe != Some(true) {
        report.warn(
            "water-check-vs-water-guarantee",
            "guarantees.water_unsafe".into(),
            "饮水核查不安全,但饮水安全保障未标注",
            "the water check failed but the water guarantee is not marked unsafe",
        );
    }
}
