//! The columns a household file may have: the Chinese headers of the national system's and
//! the regional platform's exports with their common variants, the record field each one
//! fills, and how a cell is read (codes or their Chinese labels, yes/no, numbers, dates, ID
//! numbers checked against GB 11643, names normalised).

use serde_json::{Value, json};
use zoufang_schemas::id_number::parse_resident_id;
use zoufang_schemas::names::normalize_name;

/// How a cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// A person's name (dots normalised).
    Name,
    /// A code of an enumeration, written as its code or its Chinese label.
    Code(&'static str),
    /// Several codes of an enumeration separated by 、,;/ or spaces.
    Codes(&'static str),
    /// 低保 / 特困: RURAL, URBAN or NONE; 是 reads as RURAL, 否 as NONE.
    Scope,
    /// A number (yuan, m², mu).
    Number,
    /// A whole number.
    Integer,
    /// 是/否, yes/no, true/false, 1/0.
    Bool,
    /// A date: 2022-03-01, 2022/3/1, 20220301.
    Date,
    /// An 18-character resident ID number, check digit verified.
    IdNumber,
    /// A 12-digit village code.
    Village,
}

/// Whose field a column fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The household's: a path from the record's root.
    Household,
    /// The member's of the row: a field of the member entry.
    Member,
}

/// A column of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Whose field.
    pub owner: Owner,
    /// The record path (`household.phone`, `income.wage`) or the member field (`name`).
    pub field: &'static str,
    /// How the cell is read.
    pub kind: Kind,
    /// The headers that name it, the usual one first.
    pub headers: &'static [&'static str],
}

const fn household(field: &'static str, kind: Kind, headers: &'static [&'static str]) -> Column {
    Column {
        owner: Owner::Household,
        field,
        kind,
        headers,
    }
}

const fn member(field: &'static str, kind: Kind, headers: &'static [&'static str]) -> Column {
    Column {
        owner: Owner::Member,
        field,
        kind,
        headers,
    }
}

/// Every column a household file may have.
pub const COLUMNS: &[Column] = &[
    household(
        "household.national_number",
        Kind::Text,
        &["户编号", "户码", "户编码", "家庭编号", "农户编号"],
    ),
    household(
        "household.region_code",
        Kind::Village,
        &[
            "区划代码",
            "行政区划代码",
            "村代码",
            "村区划代码",
            "所在村代码",
        ],
    ),
    household(
        "household.address",
        Kind::Text,
        &["住址", "家庭住址", "地址", "详细地址", "家庭地址"],
    ),
    household(
        "household.phone",
        Kind::Text,
        &["联系电话", "户联系电话", "家庭联系电话", "户主联系电话"],
    ),
    household(
        "household.hh_type",
        Kind::Code("HouseholdType"),
        &["户类型", "户类别", "农户类型", "户属性"],
    ),
    household(
        "household.monitor_category",
        Kind::Code("MonitorCategory"),
        &["监测对象类别", "监测类型", "监测对象类型", "三类户类别"],
    ),
    household(
        "household.risk_types",
        Kind::Codes("RiskType"),
        &["风险类型", "致贫返贫风险", "返贫致贫风险", "主要风险类型"],
    ),
    household(
        "household.no_labour",
        Kind::Bool,
        &["整户无劳动能力", "是否整户无劳动能力"],
    ),
    household(
        "household.relocation_site",
        Kind::Bool,
        &["易地搬迁安置", "是否易地搬迁", "是否易地搬迁户"],
    ),
    household(
        "household.dibao",
        Kind::Scope,
        &["低保", "是否低保", "低保户", "享受低保"],
    ),
    household(
        "household.tekun",
        Kind::Scope,
        &["特困供养", "特困", "是否特困", "是否特困供养"],
    ),
    household(
        "household.bank_name",
        Kind::Text,
        &["开户银行", "银行名称", "开户行"],
    ),
    household(
        "household.bank_account",
        Kind::Text,
        &["银行账号", "银行卡号", "账号"],
    ),
    household("income.wage", Kind::Number, &["工资性收入"]),
    household(
        "income.business",
        Kind::Number,
        &["生产经营性收入", "经营性收入"],
    ),
    household("income.property", Kind::Number, &["财产性收入"]),
    household("income.transfer", Kind::Number, &["转移性收入"]),
    household("income.business_cost", Kind::Number, &["生产经营性支出"]),
    household(
        "income.household_net",
        Kind::Number,
        &["家庭纯收入", "家庭年纯收入"],
    ),
    household(
        "income.per_capita_net",
        Kind::Number,
        &["人均纯收入", "家庭人均纯收入"],
    ),
    household("income.insurance_payouts", Kind::Number, &["理赔收入"]),
    household(
        "income.compliant_out_of_pocket",
        Kind::Number,
        &["合规自付支出", "合规自付费用"],
    ),
    member(
        "name",
        Kind::Name,
        &["姓名", "成员姓名", "人员姓名", "家庭成员姓名"],
    ),
    member("sex", Kind::Code("Sex"), &["性别"]),
    member("birth_date", Kind::Date, &["出生日期", "出生年月日"]),
    member("id_type", Kind::Code("IdType"), &["证件类型"]),
    member(
        "id_number",
        Kind::IdNumber,
        &[
            "证件号码",
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "身份证件号码",
        ],
    ),
    member("ethnicity", Kind::Code("Ethnicity"), &["民族"]),
    member(
        "relation",
        Kind::Code("Relation"),
        &["与户主关系", "与户主的关系", "家庭关系"],
    ),
    member("person_number", Kind::Text, &["人员编号", "成员编号"]),
    member(
        "political_status",
        Kind::Code("PoliticalStatus"),
        &["政治面貌"],
    ),
    member("education", Kind::Code("Education"), &["文化程度", "学历"]),
    member(
        "school_status",
        Kind::Code("SchoolStatus"),
        &["在校生状况", "在校生情况"],
    ),
    member("health", Kind::Codes("Health"), &["健康状况"]),
    member(
        "disability_category",
        Kind::Code("DisabilityCategory"),
        &["残疾类别"],
    ),
    member("labour_skill", Kind::Code("LabourSkill"), &["劳动技能"]),
    member("work_place", Kind::Text, &["务工地点", "务工地"]),
    member(
        "months_worked",
        Kind::Integer,
        &["务工时间", "务工月数", "务工时间月"],
    ),
    member("employer", Kind::Text, &["务工单位", "务工企业名称"]),
    member(
        "phone",
        Kind::Text,
        &["本人联系电话", "成员联系电话", "本人电话"],
    ),
    member(
        "speaks_putonghua",
        Kind::Bool,
        &["是否会讲普通话", "会讲普通话"],
    ),
];

/// A header as compared: without spaces, full-width brackets made half-width, a unit in
/// brackets ("(元)", "（亩）") dropped.
pub fn normalize_header(header: &str) -> String {
    let folded: String = header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect();
    match folded.find('(') {
        Some(i) if folded.ends_with(')') => folded[..i].to_owned(),
        _ => folded,
    }
}

/// The column a header names (by any of its Chinese headers or by its field name).
pub fn column_for(header: &str) -> Option<&'static Column> {
    let wanted = normalize_header(header);
    COLUMNS.iter().find(|c| {
        c.headers.iter().any(|h| normalize_header(h) == wanted)
            || c.field == wanted
            || c.field.rsplit('.').next() == Some(wanted.as_str()) && c.owner == Owner::Member
    })
}

/// Why a cell was refused: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// Stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

fn refused(code: &'static str, message: impl Into<String>) -> CellError {
    CellError {
        code,
        message: message.into(),
    }
}

fn boolean(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "是" | "有" | "y" | "yes" | "true" | "1" | "√" => Some(true),
        "否" | "无" | "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn code(enumeration: &str, text: &str) -> Option<&'static str> {
    zoufang_schemas::code_of(enumeration, text).or_else(|| {
        // 维吾尔 for 维吾尔族; 之子 / 子 for SON.
        match enumeration {
            "Ethnicity" => zoufang_schemas::code_of(enumeration, &format!("{text}族")),
            "Relation" => zoufang_schemas::code_of(enumeration, &format!("之{text}")),
            _ => None,
        }
    })
}

/// Parses a date as Chinese spreadsheets write them.
pub fn date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(text, f).ok())
}

/// Reads a cell; `Ok(None)` for an empty cell (or one saying there is nothing: 无).
pub fn read(kind: Kind, text: &str) -> Result<Option<Value>, CellError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value =
        match kind {
            Kind::Text => Value::from(text),
            Kind::Name => Value::from(normalize_name(text)),
            Kind::Code(enumeration) => {
                if matches!(text, "无" | "否" | "—" | "-") && enumeration == "MonitorCategory" {
                    return Ok(None);
                }
                Value::from(code(enumeration, text).ok_or_else(|| {
                    refused(
                        "value-invalid",
                        format!("`{text}` is not a value of {enumeration}"),
                    )
                })?)
            }
            Kind::Codes(enumeration) => {
                let mut set = serde_json::Map::new();
                for part in text
                    .split(['、', ',', '，', ';', '；', '/', ' '])
                    .filter(|p| !p.trim().is_empty())
                {
                    if matches!(part.trim(), "无" | "否") {
                        continue;
                    }
                    let found = code(enumeration, part).ok_or_else(|| {
                        refused(
                            "value-invalid",
                            format!("`{part}` is not a value of {enumeration}"),
                        )
                    })?;
                    set.insert(found.to_owned(), Value::Bool(true));
                }
                Value::Object(set)
            }
            Kind::Scope => match boolean(text) {
                Some(true) => json!("RURAL"),
                Some(false) => json!("NONE"),
                None => Value::from(code("AssistanceScope", text).ok_or_else(|| {
                    refused("value-invalid", format!("`{text}` is not 农村, 城市 or 否"))
                })?),
            },
            Kind::Number => {
                let number: f64 = text
                    .replace([',', '，'], "")
                    .parse()
                    .map_err(|_| refused("number-invalid", format!("`{text}` is not a number")))?;
                serde_json::Number::from_f64(number)
                    .map(Value::Number)
                    .ok_or_else(|| refused("number-invalid", format!("`{text}` is not a number")))?
            }
            Kind::Integer => Value::from(text.parse::<i64>().map_err(|_| {
                refused("number-invalid", format!("`{text}` is not a whole number"))
            })?),
            Kind::Bool => Value::Bool(
                boolean(text)
                    .ok_or_else(|| refused("value-invalid", format!("`{text}` is not 是 or 否")))?,
            ),
            Kind::Date => Value::from(
                date(text)
                    .ok_or_else(|| refused("date-invalid", format!("`{text}` is not a date")))?
                    .to_string(),
            ),
            Kind::IdNumber => Value::from(
                parse_resident_id(text)
                    .map_err(|e| refused("id-number-invalid", e.to_string()))?
                    .number,
            ),
            Kind::Village => {
                let ok = text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(refused(
                        "region-invalid",
                        format!("`{text}` is not a 12-digit village code"),
                    ));
                }
                Value::from(text)
            }
        };
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_their_variants_units_and_field_names() {
        assert_eq!(
            column_for("户编号").unwrap().field,
            "household.national_number"
        );
        assert_eq!(
            column_for(" 户码 ").unwrap().field,
            "household.national_number"
        );
        assert_eq!(column_for("工资性收入（元）").unwrap().field, "income.wage");
        assert_eq!(
            column_for("人均纯收入(元)").unwrap().field,
            "income.per_capita_net"
        );
        assert_eq!(column_for("\u{feff}身份证号码").unwrap().field, "id_number");
        assert_eq!(column_for("relation").unwrap().field, "relation");
        assert!(column_for("备注").is_none());
        let mut seen = std::collections::BTreeSet::new();
        for column in COLUMNS {
            for header in column.headers {
                assert!(
                    seen.insert(normalize_header(header)),
                    "{header} names two columns"
                );
            }
        }
    }

    #[test]
    fn cells_read_as_the_form_wants_them() {
        assert_eq!(
            read(Kind::Code("HouseholdType"), "脱贫户").unwrap(),
            Some(json!("LIFTED"))
        );
        assert_eq!(
            read(Kind::Code("HouseholdType"), "general").unwrap(),
            Some(json!("GENERAL"))
        );
        assert_eq!(
            read(Kind::Code("Ethnicity"), "维吾尔").unwrap(),
            Some(json!("UYGHUR"))
        );
        assert_eq!(read(Kind::Code("MonitorCategory"), "无").unwrap(), None);
        assert_eq!(read(Kind::Code("Sex"), "男").unwrap(), Some(json!("MALE")));
        assert_eq!(
            read(Kind::Code("Sex"), "男性").unwrap_err().code,
            "value-invalid"
        );
        assert_eq!(
            read(Kind::Codes("Health"), "长期慢性病、残疾").unwrap(),
            Some(json!({"CHRONIC": true, "DISABLED": true}))
        );
        assert_eq!(read(Kind::Scope, "是").unwrap(), Some(json!("RURAL")));
        assert_eq!(read(Kind::Scope, "城市").unwrap(), Some(json!("URBAN")));
        assert_eq!(
            read(Kind::Number, "12,345.5").unwrap(),
            Some(json!(12345.5))
        );
        assert_eq!(
            read(Kind::Number, "很多").unwrap_err().code,
            "number-invalid"
        );
        assert_eq!(read(Kind::Bool, "否").unwrap(), Some(json!(false)));
        assert_eq!(
            read(Kind::Date, "1980/1/2").unwrap(),
            Some(json!("1980-01-02"))
        );
        assert_eq!(
            read(Kind::Date, "1980年01月02日").unwrap(),
            Some(json!("1980-01-02"))
        );
        assert_eq!(
            read(Kind::Name, "买买提•吐尔逊").unwrap(),
            Some(json!("买买提·吐尔逊"))
        );
        assert_eq!(
            read(Kind::IdNumber, "652822198001011231").unwrap_err().code,
            "id-number-invalid"
        );
        assert_eq!(
            read(Kind::Village, "6528221002").unwrap_err().code,
            "region-invalid"
        );
        assert_eq!(read(Kind::Text, "  ").unwrap(), None);
    }
}
