//! The collection form's fields with their Chinese and English labels, and values shown as
//! people read them: codes as their labels, yes/no, sets as lists.

use super::i18n::Lang;
use serde_json::Value;
use zoufang_schemas::form::{Format, Lookup, ValueSpec, form};

const LABELS: &[(&str, &str, &str)] = &[
    ("national_number", "户编号", "National number"),
    ("region_code", "区划代码", "Region code"),
    ("address", "住址", "Address"),
    ("phone", "联系电话", "Phone"),
    ("hh_type", "户类型", "Household type"),
    ("monitor_category", "监测对象类别", "Monitoring category"),
    ("risk_types", "风险类型", "Risk types"),
    ("disaster_subtype", "灾害类型", "Disaster"),
    ("no_labour", "整户无劳动能力", "No labour force"),
    ("relocation_site", "易地搬迁安置", "Relocation site"),
    ("dibao", "低保", "Dibao"),
    ("tekun", "特困供养", "Tekun"),
    ("bank_name", "开户银行", "Bank"),
    ("bank_account", "银行账号", "Bank account"),
    ("head_signed", "户主已签字", "Head signed"),
    ("form_filler", "填表人", "Form filler"),
    ("form_date", "填表日期", "Form date"),
    ("wage", "工资性收入", "Wages"),
    ("business", "生产经营性收入", "Business income"),
    ("property", "财产性收入", "Property income"),
    ("transfer", "转移性收入", "Transfer income"),
    ("business_cost", "生产经营性支出", "Business cost"),
    ("household_net", "家庭纯收入", "Household net income"),
    ("per_capita_net", "人均纯收入", "Per-capita net income"),
    ("insurance_payouts", "理赔收入", "Insurance payouts"),
    (
        "compliant_out_of_pocket",
        "合规自付支出",
        "Out-of-pocket spending",
    ),
    ("housing_unsafe", "住房不安全", "Housing unsafe"),
    (
        "child_out_of_school",
        "适龄儿童失学辍学",
        "Child out of school",
    ),
    (
        "member_without_medical_insurance",
        "有成员未参加医保",
        "Member without medical insurance",
    ),
    ("water_unsafe", "饮水不安全", "Water unsafe"),
    ("danger_grade", "房屋危险等级", "Danger grade"),
    ("floor_area", "住房面积(平方米)", "Floor area (m²)"),
    ("electricity", "通生活用电", "Electricity"),
    ("road_type", "入户路类型", "Road"),
    ("fuel", "主要燃料", "Fuel"),
    ("cultivated_land", "耕地面积(亩)", "Cultivated land (mu)"),
    ("forest_land", "林地面积(亩)", "Forest land (mu)"),
    ("grassland", "草场面积(亩)", "Grassland (mu)"),
    ("cooperative", "加入合作社", "Cooperative member"),
    ("safe", "饮水安全", "Water safe"),
    ("supply", "供水方式", "Supply"),
    ("source", "水源", "Source"),
    ("quantity_ok", "水量达标", "Quantity"),
    ("quality_ok", "水质达标", "Quality"),
    ("convenience_ok", "取水方便", "Convenience"),
    ("reliability_ok", "供水有保障", "Reliability"),
    ("identified_month", "识别月份", "Identified"),
    ("risk_eliminated", "风险已消除", "Risk eliminated"),
    ("elimination_mode", "消除方式", "Elimination mode"),
    ("eliminated_month", "消除月份", "Eliminated"),
    ("contact", "联系人", "Contact"),
    ("status", "状态", "Status"),
    ("name", "姓名", "Name"),
    ("sex", "性别", "Sex"),
    ("birth_date", "出生日期", "Birth date"),
    ("id_type", "证件类型", "ID type"),
    ("id_number", "证件号码", "ID number"),
    ("ethnicity", "民族", "Ethnicity"),
    ("relation", "与户主关系", "Relation"),
    ("political_status", "政治面貌", "Political status"),
    ("education", "文化程度", "Education"),
    ("school_status", "在校生状况", "School"),
    ("dropout_reason", "失学辍学原因", "Dropout reason"),
    ("health", "健康状况", "Health"),
    ("disability_category", "残疾类别", "Disability"),
    ("labour_skill", "劳动技能", "Labour skill"),
    ("work_place", "务工地点", "Work place"),
    ("months_worked", "务工时间(月)", "Months worked"),
    ("employer", "务工单位", "Employer"),
    ("abroad", "出国务工", "Abroad"),
    ("public_welfare_post", "公益性岗位", "Public-welfare post"),
    ("insurance", "参保情况", "Insurance"),
    ("medical_aid", "医疗救助", "Medical aid"),
    ("speaks_putonghua", "会讲普通话", "Speaks Putonghua"),
    ("person_number", "人员编号", "Person number"),
    ("change_event", "增减事件", "Change event"),
    ("kind", "类别", "Kind"),
    ("description", "措施内容", "Description"),
    ("progress", "进度", "Progress"),
    ("funds", "资金(元)", "Funds (yuan)"),
    ("start_month", "开始月份", "Start"),
    ("member", "成员", "Member"),
    ("date", "日期", "Date"),
    ("note", "备注", "Note"),
    ("quarter", "季度", "Quarter"),
    ("visited_on", "走访日期", "Visited on"),
    ("visitor", "走访人", "Visitor"),
    ("notes", "走访情况", "Notes"),
    ("photos", "照片", "Photos"),
];

/// Where a field comes in the form (fields the form does not list come last).
pub fn order(key: &str) -> usize {
    LABELS
        .iter()
        .position(|(k, _, _)| *k == key)
        .unwrap_or(LABELS.len())
}

/// The label of a field.
pub fn label(key: &str, lang: Lang) -> String {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en })
        .unwrap_or(key)
        .to_owned()
}

fn code_label(format: &Format, code: &str, lang: Lang) -> String {
    match format {
        Format::Code { enumeration, .. } if lang == Lang::Zh => {
            zoufang_schemas::label_zh(enumeration, code)
                .unwrap_or(code)
                .to_owned()
        }
        _ => code.to_owned(),
    }
}

/// A value at `path` as people read it.
pub fn display(path: &[&str], value: &Value, lang: Lang) -> String {
    let yes_no = |b: bool| match (b, lang) {
        (true, Lang::Zh) => "是",
        (false, Lang::Zh) => "否",
        (true, Lang::En) => "yes",
        (false, Lang::En) => "no",
    };
    match (form().lookup(path), value) {
        (_, Value::Null) => String::new(),
        (_, Value::Bool(b)) => yes_no(*b).to_owned(),
        (
            Ok(Lookup::Value {
                spec: ValueSpec::Formatted(format),
                ..
            }),
            Value::String(code),
        ) => code_label(format, code, lang),
        (Ok(Lookup::Container(zoufang_schemas::form::Node::Set { key })), Value::Object(set)) => {
            set.iter()
                .filter(|(_, on)| on.as_bool() == Some(true))
                .map(|(code, _)| code_label(key, code, lang))
                .collect::<Vec<_>>()
                .join("、")
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        (_, other) => other.to_string(),
    }
}

/// A value typed into a form for the field at `path` (dotted), as the field's type reads
/// it: numbers for numeric fields, 是/否 (yes/no, true/false) for yes-no fields, nothing
/// for an empty entry of a field that may be empty, and text otherwise. The form checks
/// the result like any other write.
pub fn entered(path: &str, text: &str) -> Value {
    let keys: Vec<&str> = path.split('.').collect();
    let text = text.trim();
    let Ok(Lookup::Value { spec, nullable }) = form().lookup(&keys) else {
        return Value::String(text.to_owned());
    };
    if text.is_empty() && nullable {
        return Value::Null;
    }
    match spec {
        ValueSpec::Integer { .. } => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        ValueSpec::Number { .. } => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_owned())),
        ValueSpec::Boolean => match text.to_lowercase().as_str() {
            "是" | "true" | "yes" | "1" => Value::Bool(true),
            "否" | "false" | "no" | "0" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entered_values_take_the_fields_type() {
        assert_eq!(
            entered("household.phone", " 13800138000 "),
            Value::from("13800138000")
        );
        assert_eq!(entered("income.wage", "1200.5"), serde_json::json!(1200.5));
        assert_eq!(entered("household.no_labour", "是"), Value::Bool(true));
        assert_eq!(entered("household.no_labour", "false"), Value::Bool(false));
        // A wrong entry stays text, and the form refuses it with its code.
        assert_eq!(entered("income.wage", "a lot"), Value::from("a lot"));
        assert_eq!(entered("no.such.field", "x"), Value::from("x"));
    }

    #[test]
    fn values_read_as_labels() {
        assert_eq!(
            display(&["household", "no_labour"], &Value::Bool(true), Lang::Zh),
            "是"
        );
        assert_eq!(
            display(&["household", "no_labour"], &Value::Bool(false), Lang::En),
            "no"
        );
        assert_eq!(
            display(&["household", "hh_type"], &Value::from("LIFTED"), Lang::En),
            "LIFTED"
        );
        assert_eq!(
            display(&["household", "hh_type"], &Value::from("LIFTED"), Lang::Zh),
            "脱贫户"
        );
        assert_eq!(label("hh_type", Lang::Zh), "户类型");
        assert_eq!(
            display(&["income", "wage"], &serde_json::json!(1841.0), Lang::Zh),
            "1841"
        );
        assert_eq!(
            display(&["income", "wage"], &serde_json::json!(1841.5), Lang::Zh),
            "1841.5"
        );
        assert!(order("national_number") < order("phone"));
        assert_eq!(order("unknown_key"), LABELS.len());
        assert_eq!(label("unknown_key", Lang::Zh), "unknown_key");
    }
}
