//! The columns of an export: one row per household and one per member, with Chinese
//! headers and labels, from a verified record as the caller's role may see it.

use crate::masking::{self, Exposure};
use zoufang_schemas::{CodeEnum, HouseholdRecord};

/// Household columns.
pub const HOUSEHOLD_HEADERS: [&str; 18] = [
    "户ID",
    "户编号",
    "区划代码",
    "户主姓名",
    "户类型",
    "监测对象类别",
    "家庭人口数",
    "联系电话",
    "家庭纯收入(元)",
    "人均纯收入(元)",
    "风险类型",
    "住房安全等级",
    "饮水安全",
    "是否风险消除",
    "风险消除方式",
    "审核状态",
    "核实人",
    "核实时间",
];

/// Member columns.
pub const MEMBER_HEADERS: [&str; 11] = [
    "户ID",
    "户编号",
    "成员ID",
    "姓名",
    "性别",
    "证件号码",
    "与户主关系",
    "出生日期",
    "民族",
    "劳动技能",
    "健康状况",
];

/// The review facts a row carries besides the record.
#[derive(Debug, Clone, Default)]
pub struct ReviewFacts {
    /// The household.
    pub doc_id: String,
    /// The review's state label.
    pub state: String,
    /// Who verified.
    pub verified_by: String,
    /// When (RFC 3339).
    pub verified_at: String,
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

fn number(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.2}")).unwrap_or_default()
}

fn yes_no(value: Option<bool>) -> String {
    match value {
        Some(true) => "是".into(),
        Some(false) => "否".into(),
        None => String::new(),
    }
}

fn label<T: CodeEnum>(value: Option<T>) -> String {
    value.map(|v| v.label_zh().to_owned()).unwrap_or_default()
}

fn masked(exposure: Exposure, value: Option<&str>, mask: fn(&str) -> String) -> String {
    match (exposure, value) {
        (_, None) => String::new(),
        (Exposure::Full, Some(v)) => v.to_owned(),
        (_, Some(v)) => mask(v),
    }
}

/// A household's row.
pub fn household_row(
    facts: &ReviewFacts,
    record: &HouseholdRecord,
    exposure: Exposure,
) -> Vec<String> {
    let h = &record.household;
    let head = record
        .active_members()
        .find(|(_, m)| m.relation == zoufang_schemas::Relation::Head)
        .map(|(_, m)| m.name.clone())
        .unwrap_or_default();
    let risks: Vec<&str> = h.risk_types.iter().map(|r| r.label_zh()).collect();
    vec![
        facts.doc_id.clone(),
        text(h.national_number.as_deref()),
        h.region_code.as_str().to_owned(),
        head,
        h.hh_type.label_zh().to_owned(),
        label(h.monitor_category),
        record.active_members().count().to_string(),
        masked(exposure, h.phone.as_deref(), masking::mask_phone),
        number(record.income.household_net),
        number(record.income.per_capita_net),
        risks.join("、"),
        label(record.housing.danger_grade),
        yes_no(record.water.safe),
        yes_no(record.monitoring.risk_eliminated),
        label(record.monitoring.elimination_mode),
        facts.state.clone(),
        facts.verified_by.clone(),
        facts.verified_at.clone(),
    ]
}

/// The rows of a household's members (removed members left out).
pub fn member_rows(
    facts: &ReviewFacts,
    record: &HouseholdRecord,
    exposure: Exposure,
) -> Vec<Vec<String>> {
    let national = text(record.household.national_number.as_deref());
    record
        .active_members()
        .map(|(id, m)| {
            let health: Vec<&str> = m.health.iter().map(|h| h.label_zh()).collect();
            vec![
                facts.doc_id.clone(),
                national.clone(),
                id.as_str().to_owned(),
                m.name.clone(),
                m.sex.label_zh().to_owned(),
                masked(
                    exposure,
                    m.id_number.as_deref(),
                    zoufang_schemas::id_number::mask_id_number,
                ),
                m.relation.label_zh().to_owned(),
                m.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                label(m.ethnicity),
                label(m.labour_skill),
                health.join("、"),
            ]
        })
        .collect()
}
