//! Rows into households: the national export has one row per member with the household's
//! columns repeated; the rows of one household (one 户编号) come together. Each cell is read
//! by its column; a bad cell rejects its row (a member) or, for the household's own columns,
//! every row of the household.

use super::columns::{self, Column, Kind, Owner};
use super::table::Row;
use crate::store::imports::Rejected;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// A member as a row gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMember {
    /// Its row.
    pub row: u64,
    /// How it is matched on a later import: its ID number, or name and relation.
    pub key: String,
    /// Member fields (`name`, `sex`, ...).
    pub values: BTreeMap<&'static str, Value>,
}

/// A household as its rows give it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedHousehold {
    /// Its rows.
    pub rows: Vec<u64>,
    /// 户编号.
    pub national_number: String,
    /// Household paths (`household.phone`, `income.wage`) and values.
    pub values: BTreeMap<&'static str, Value>,
    /// Its members.
    pub members: Vec<ImportedMember>,
}

impl ImportedHousehold {
    /// The village code.
    pub fn region(&self) -> Option<&str> {
        self.values
            .get("household.region_code")
            .and_then(Value::as_str)
    }
}

/// The columns of a file: for each cell position, the column it fills (if any) and its
/// header as written.
#[derive(Debug, Clone)]
pub struct Layout {
    columns: Vec<(Option<&'static Column>, String)>,
}

impl Layout {
    /// The layout of a header row; the headers nobody reads are returned too.
    pub fn of(headers: &[String]) -> (Layout, Vec<String>) {
        let mut seen = HashSet::new();
        let mut ignored = Vec::new();
        let columns = headers
            .iter()
            .map(|h| {
                let column = columns::column_for(h).filter(|c| seen.insert(c.field));
                if column.is_none() && !h.trim().is_empty() {
                    ignored.push(h.clone());
                }
                (column, h.clone())
            })
            .collect();
        (Layout { columns }, ignored)
    }

    /// Whether a field has a column.
    pub fn has(&self, field: &str) -> bool {
        self.columns
            .iter()
            .any(|(c, _)| c.is_some_and(|c| c.field == field))
    }

    fn header_of(&self, field: &str) -> String {
        self.columns
            .iter()
            .find(|(c, _)| c.is_some_and(|c| c.field == field))
            .map_or_else(|| field.to_owned(), |(_, h)| h.clone())
    }
}

/// Groups rows into households, reporting rejected rows.
#[derive(Debug)]
pub struct Grouper {
    layout: Layout,
    current: Option<ImportedHousehold>,
    /// Rows of the current household whose household cells were bad: the household is
    /// rejected as a whole when it closes.
    current_bad: Vec<Rejected>,
    done_numbers: super::numbers::NumberSet,
}

fn reject(
    row: u64,
    column: &str,
    code: &str,
    message: impl Into<String>,
    value: Option<&str>,
) -> Rejected {
    Rejected {
        row: row as i64,
        column: column.to_owned(),
        code: code.to_owned(),
        message: message.into(),
        value: value.map(str::to_owned),
    }
}

/// What a row gave.
struct Read {
    household: BTreeMap<&'static str, Value>,
    member: BTreeMap<&'static str, Value>,
    member_bad: Vec<Rejected>,
    household_bad: Vec<Rejected>,
}

impl Grouper {
    /// A grouper for files of this layout.
    pub fn new(layout: Layout) -> Self {
        Self {
            layout,
            current: None,
            current_bad: Vec::new(),
            done_numbers: super::numbers::NumberSet::default(),
        }
    }

    /// The file's header of a field's column (the usual header when the file has none).
    pub fn header_of(&self, field: &str) -> String {
        self.layout.header_of(field)
    }

    /// Whether the file can be imported at all: the columns every household needs.
    pub fn missing_columns(&self) -> Vec<&'static str> {
        ["household.national_number", "household.region_code"]
            .into_iter()
            .filter(|f| !self.layout.has(f))
            .collect()
    }

    fn read(&self, row: &Row) -> Read {
        let mut read = Read {
            household: BTreeMap::new(),
            member: BTreeMap::new(),
            member_bad: Vec::new(),
            household_bad: Vec::new(),
        };
        for (i, (column, header)) in self.layout.columns.iter().enumerate() {
            let Some(column) = column else { continue };
            let text = row.cells.get(i).map_or("", String::as_str);
            match columns::read(column.kind, text) {
                Ok(Some(value)) => match column.owner {
                    Owner::Household => {
                        read.household.insert(column.field, value);
                    }
                    Owner::Member => {
                        read.member.insert(column.field, value);
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    let bad = reject(row.number, header, e.code, e.message, Some(text));
                    match column.owner {
                        Owner::Household => read.household_bad.push(bad),
                        Owner::Member => read.member_bad.push(bad),
                    }
                }
            }
        }
        read
    }

    /// Takes a row; returns a household completed by it (the previous one) and the rows
    /// rejected so far.
    pub fn push(&mut self, row: &Row) -> (Option<ImportedHousehold>, Vec<Rejected>) {
        let read = self.read(row);
        let mut rejected = Vec::new();
        let Some(number) = read
            .household
            .get("household.national_number")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            let header = self.layout.header_of("household.national_number");
            rejected.push(reject(
                row.number,
                &header,
                "national-number-missing",
                "the row has no 户编号",
                None,
            ));
            return (None, rejected);
        };
        let mut closed = None;
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.national_number != number)
        {
            closed = self.close(&mut rejected);
        }
        if self.current.is_none() {
            if self.done_numbers.contains(&number) {
                let header = self.layout.header_of("household.national_number");
                rejected.push(reject(
                    row.number,
                    &header,
                    "household-rows-apart",
                    format!("the rows of household {number} must come together; this one comes after other households"),
                    Some(&number),
                ));
                return (closed, rejected);
            }
            self.current = Some(ImportedHousehold {
                rows: Vec::new(),
                national_number: number.clone(),
                values: BTreeMap::new(),
                members: Vec::new(),
            });
        }
        let Some(household) = self.current.as_mut() else {
            return (closed, rejected);
        };
        household.rows.push(row.number);
        self.current_bad.extend(read.household_bad);
        for (field, value) in read.household {
            match household.values.get(field) {
                None => {
                    household.values.insert(field, value);
                }
                Some(first) if *first == value => {}
                Some(first) => {
                    let header = self.layout.header_of(field);
                    self.current_bad.push(reject(
                        row.number,
                        &header,
                        "household-values-differ",
                        format!("the household's rows disagree: {first} and {value}"),
                        value.as_str(),
                    ));
                }
            }
        }
        if !read.member_bad.is_empty() {
            rejected.extend(read.member_bad);
        } else if !read.member.is_empty() {
            match member(row.number, read.member, &self.layout) {
                Ok(m) => household.members.push(m),
                Err(bad) => rejected.push(bad),
            }
        }
        (closed, rejected)
    }

    /// Closes the last household at the end of the file.
    pub fn finish(&mut self) -> (Option<ImportedHousehold>, Vec<Rejected>) {
        let mut rejected = Vec::new();
        let closed = self.close(&mut rejected);
        (closed, rejected)
    }

    fn close(&mut self, rejected: &mut Vec<Rejected>) -> Option<ImportedHousehold> {
        let household = self.current.take()?;
        self.done_numbers.insert(&household.national_number);
        let mut bad = std::mem::take(&mut self.current_bad);
        if household.region().is_none() && bad.iter().all(|b| b.code != "region-invalid") {
            let header = self.layout.header_of("household.region_code");
            bad.push(reject(
                household.rows[0],
                &header,
                "region-missing",
                "the household has no village code",
                None,
            ));
        }
        if bad.is_empty() {
            return Some(household);
        }
        // The household's own data are wrong: every row of it is refused.
        let first = bad[0].clone();
        for row in &household.rows {
            match bad.iter().find(|b| b.row == *row as i64) {
                Some(b) => rejected.push(b.clone()),
                None => rejected.push(Rejected {
                    row: *row as i64,
                    code: first.code.clone(),
                    message: format!("row {} of this household: {}", first.row, first.message),
                    ..first.clone()
                }),
            }
        }
        None
    }
}

/// A member from its read cells: name, relation and sex needed (sex and birth date read
/// from the ID number when their columns are empty).
fn member(
    row: u64,
    mut values: BTreeMap<&'static str, Value>,
    layout: &Layout,
) -> Result<ImportedMember, Rejected> {
    let missing = |field: &str, code: &str, what: &str| {
        reject(row, &layout.header_of(field), code, what, None)
    };
    let name = values
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| missing("name", "name-missing", "the member has no name"))?;
    let relation = values
        .get("relation")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            missing(
                "relation",
                "relation-missing",
                "the member's relation to the head is missing",
            )
        })?;
    let id = values
        .get("id_number")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(number) = &id
        && let Ok(parsed) = zoufang_schemas::id_number::parse_resident_id(number)
    {
        values
            .entry("sex")
            .or_insert_with(|| Value::from(zoufang_schemas::CodeEnum::code(parsed.sex)));
        values
            .entry("birth_date")
            .or_insert_with(|| Value::from(parsed.birth_date.to_string()));
    }
    if !values.contains_key("sex") {
        return Err(missing(
            "sex",
            "sex-missing",
            "the member's sex is missing (and no ID number tells it)",
        ));
    }
    values
        .entry("id_type")
        .or_insert_with(|| Value::from("RESIDENT_ID"));
    Ok(ImportedMember {
        row,
        key: id.unwrap_or_else(|| format!("{name}|{relation}")),
        values,
    })
}

/// The kind of a column by its field (for writing sets).
pub fn kind_of(owner: Owner, field: &str) -> Option<Kind> {
    columns::COLUMNS
        .iter()
        .find(|c| c.owner == owner && c.field == field)
        .map(|c| c.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&str]) -> (Grouper, Vec<Row>) {
        let headers: Vec<String> = lines[0].split(',').map(str::to_owned).collect();
        let (layout, _) = Layout::of(&headers);
        let data = lines[1..]
            .iter()
            .enumerate()
            .map(|(i, l)| Row {
                number: i as u64 + 2,
                cells: l.split(',').map(str::to_owned).collect(),
            })
            .collect();
        (Grouper::new(layout), data)
    }

    fn group(lines: &[&str]) -> (Vec<ImportedHousehold>, Vec<Rejected>) {
        let (mut grouper, data) = rows(lines);
        let (mut out, mut rejected) = (Vec::new(), Vec::new());
        for row in &data {
            let (closed, bad) = grouper.push(row);
            out.extend(closed);
            rejected.extend(bad);
        }
        let (closed, bad) = grouper.finish();
        out.extend(closed);
        rejected.extend(bad);
        (out, rejected)
    }

    const HEAD: &str = "户编号,区划代码,户类型,姓名,与户主关系,证件号码";

    #[test]
    fn member_rows_group_into_households_with_sex_and_birth_from_the_id_number() {
        let id = zoufang_schemas::id_number::compose_resident_id(
            "652822",
            chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
            123,
        )
        .unwrap();
        let head = format!("H1,652822100201,脱贫户,买买提•吐尔逊,户主,{id}");
        let (households, rejected) = group(&[
            HEAD,
            &head,
            "H1,652822100201,脱贫户,阿依古丽,配偶,",
            "H2,652822100202,一般户,张三,户主,",
        ]);
        assert_eq!(households.len(), 2);
        assert_eq!(
            households[0].members.len(),
            1,
            "the spouse has neither sex nor ID number"
        );
        assert_eq!(rejected.len(), 2, "{rejected:?}");
        assert_eq!(
            (rejected[0].row, rejected[0].code.as_str()),
            (3, "sex-missing")
        );
        let head = &households[0].members[0];
        assert_eq!(head.values["name"], "买买提·吐尔逊");
        assert_eq!(head.values["sex"], "MALE");
        assert_eq!(head.values["birth_date"], "1980-01-01");
        assert_eq!(head.key, id);
        assert_eq!(households[0].values["household.hh_type"], "LIFTED");
        assert_eq!(households[0].rows, [2, 3]);
    }

    #[test]
    fn a_household_with_a_bad_own_cell_is_rejected_row_by_row_and_others_stay() {
        let (households, rejected) = group(&[
            "户编号,区划代码,户类型,姓名,与户主关系,性别",
            "H1,652822100201,富裕户,张三,户主,男",
            "H1,652822100201,富裕户,李四,配偶,女",
            "H2,,一般户,王五,户主,男",
            "H3,652822100201,一般户,赵六,户主,男",
            "H1,652822100201,一般户,孙七,之子,男",
            ",652822100201,一般户,周八,户主,男",
        ]);
        let numbers: Vec<&str> = households
            .iter()
            .map(|h| h.national_number.as_str())
            .collect();
        assert_eq!(numbers, ["H3"]);
        let codes: Vec<(i64, &str)> = rejected.iter().map(|r| (r.row, r.code.as_str())).collect();
        assert_eq!(
            codes,
            [
                (2, "value-invalid"),
                (3, "value-invalid"),
                (4, "region-missing"),
                (6, "household-rows-apart"),
                (7, "national-number-missing")
            ]
        );
        assert_eq!(rejected[0].column, "户类型");
        assert_eq!(rejected[0].value.as_deref(), Some("富裕户"));
    }

    #[test]
    fn the_file_must_name_households_and_villages() {
        let (layout, ignored) = Layout::of(&["姓名".into(), "备注".into()]);
        assert_eq!(ignored, ["备注"]);
        assert_eq!(
            Grouper::new(layout).missing_columns(),
            ["household.national_number", "household.region_code"]
        );
    }
}
