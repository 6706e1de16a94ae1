//! What an imported household does to the server's copy: a new record, or the edits that
//! bring an existing one to the file — only where the file changed since the household's
//! last import (its baseline), so that a helper's correction on the tablet is not undone by
//! a file that still carries the old value, and importing the same file twice writes
//! nothing. Every value is checked against the form first.

use super::columns::{Kind, Owner};
use super::grouping::{ImportedHousehold, ImportedMember, kind_of};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use zoufang_schemas::form::{Scalar, form};
use zoufang_schemas::{EntryId, HouseholdRecord, Member};
use zoufang_sync::{DocError, DocPath, Editor};

/// The values a household's last import wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Household paths and values.
    pub household: BTreeMap<String, Value>,
    /// Members by key (ID number, or name and relation).
    pub members: BTreeMap<String, BaselineMember>,
}

/// A member's entry and the values its last import wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BaselineMember {
    /// The member's entry id in the document.
    pub entry: String,
    /// Member fields and values.
    pub values: BTreeMap<String, Value>,
}

/// One edit of an existing household.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// A scalar written at a path.
    Put(String, Value),
    /// A set value turned on or off.
    Flag(String, String, bool),
    /// A new member.
    AddMember(EntryId, Box<Member>),
}

/// Why a household cannot be imported: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// The member's row, when a member is at fault.
    pub row: Option<u64>,
}

fn refusal(code: &str, message: impl Into<String>, row: Option<u64>) -> Refusal {
    Refusal {
        code: code.to_owned(),
        message: message.into(),
        row,
    }
}

/// Checks a value against the form at `path` (a set: each of its values).
fn check(path: &str, value: &Value, row: Option<u64>) -> Result<(), Refusal> {
    let keys: Vec<&str> = path.split('.').collect();
    let bad = |e: zoufang_schemas::form::FormError| refusal(e.code(), e.to_string(), row);
    match value {
        Value::Object(set) => {
            for (code, on) in set {
                let mut at = keys.clone();
                at.push(code);
                form()
                    .check_value(&at, Scalar::from_json(on))
                    .map_err(bad)?;
            }
            Ok(())
        }
        scalar => form()
            .check_value(&keys, Scalar::from_json(scalar))
            .map_err(bad),
    }
}

fn fresh_entry() -> EntryId {
    EntryId::from_random_bits(rand::random())
}

fn member_json(values: &BTreeMap<&'static str, Value>) -> Value {
    let mut object = Map::new();
    object.insert("status".into(), json!("ACTIVE"));
    for (field, value) in values {
        object.insert((*field).to_owned(), value.clone());
    }
    Value::Object(object)
}

fn new_member(member: &ImportedMember) -> Result<Member, Refusal> {
    serde_json::from_value(member_json(&member.values))
        .map_err(|e| refusal("record-invalid", e.to_string(), Some(member.row)))
}

fn set_at(root: &mut Value, path: &str, value: Value) {
    let mut node = root;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if keys.peek().is_none() {
            if let Value::Object(map) = node {
                map.insert(key.to_owned(), value);
            }
            return;
        }
        node = &mut node[key];
    }
}

fn get_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(root, |node, key| node.get(key))
        .filter(|v| !v.is_null())
}

/// The codes a set holds (its keys marked `true`).
fn codes(value: Option<&Value>) -> BTreeSet<String> {
    value
        .and_then(Value::as_object)
        .map(|set| {
            set.iter()
                .filter(|(_, on)| on.as_bool() == Some(true))
                .map(|(code, _)| code.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether two values say the same (numbers compared as numbers, sets by their codes).
fn same(a: Option<&Value>, b: &Value) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (a, Value::Object(_)) => codes(a) == codes(Some(b)),
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

/// A new household's record and baseline.
pub fn create(imported: &ImportedHousehold) -> Result<(HouseholdRecord, Baseline), Refusal> {
    let region = imported
        .region()
        .and_then(|r| zoufang_schemas::RegionCode::parse(r).ok())
        .ok_or_else(|| refusal("region-invalid", "no village code", None))?;
    let hh_type = imported
        .values
        .get("household.hh_type")
        .and_then(Value::as_str)
        .and_then(zoufang_schemas::HouseholdType::from_code)
        .unwrap_or(zoufang_schemas::HouseholdType::General);
    let mut json = serde_json::to_value(HouseholdRecord::new(region, hh_type))
        .map_err(|e| refusal("record-invalid", e.to_string(), None))?;
    let mut baseline = Baseline::default();
    for (path, value) in &imported.values {
        check(path, value, None)?;
        set_at(&mut json, path, value.clone());
        baseline.household.insert((*path).to_owned(), value.clone());
    }
    for member in &imported.members {
        let entry = fresh_entry();
        for (field, value) in &member.values {
            check(&format!("members.{entry}.{field}"), value, Some(member.row))?;
        }
        new_member(member)?;
        json["members"][entry.as_str()] = member_json(&member.values);
        baseline.members.insert(
            member.key.clone(),
            BaselineMember {
                entry: entry.as_str().to_owned(),
                values: member
                    .values
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect(),
            },
        );
    }
    let record: HouseholdRecord =
        serde_json::from_value(json).map_err(|e| refusal("record-invalid", e.to_string(), None))?;
    Ok((record, baseline))
}

/// Edits of one field: nothing when the file did not change it since the baseline or the
/// document already says it.
fn field_edits(
    path: &str,
    kind: Option<Kind>,
    file: &Value,
    base: Option<&Value>,
    current: Option<&Value>,
    edits: &mut Vec<Edit>,
) {
    if base.is_some_and(|b| same(Some(b), file)) || same(current, file) {
        return;
    }
    if matches!(kind, Some(Kind::Codes(_))) {
        let (want, have) = (codes(Some(file)), codes(current));
        for code in want.difference(&have) {
            edits.push(Edit::Flag(path.to_owned(), code.clone(), true));
        }
        for code in have.difference(&want) {
            edits.push(Edit::Flag(path.to_owned(), code.clone(), false));
        }
    } else {
        edits.push(Edit::Put(path.to_owned(), file.clone()));
    }
}

/// The entry of an imported member in the current record: the one its baseline names, or
/// the active member with its ID number (or name and relation).
fn entry_of(member: &ImportedMember, current: &Value, baseline: &Baseline) -> Option<String> {
    let members = current.get("members")?.as_object()?;
    if let Some(known) = baseline.members.get(&member.key)
        && members.contains_key(&known.entry)
    {
        return Some(known.entry.clone());
    }
    members
        .iter()
        .filter(|(_, m)| m["status"] == "ACTIVE")
        .find(|(_, m)| {
            let id = m["id_number"].as_str();
            let name_key = format!(
                "{}|{}",
                m["name"].as_str().unwrap_or(""),
                m["relation"].as_str().unwrap_or("")
            );
            id == Some(member.key.as_str()) || name_key == member.key
        })
        .map(|(entry, _)| entry.clone())
}

/// The edits that bring an existing household (its record as JSON) to the file, and its
/// new baseline.
pub fn update(
    imported: &ImportedHousehold,
    current: &Value,
    baseline: Option<Baseline>,
) -> Result<(Vec<Edit>, Baseline), Refusal> {
    let old = baseline.unwrap_or_default();
    let mut next = Baseline::default();
    let mut edits = Vec::new();
    for (path, value) in &imported.values {
        check(path, value, None)?;
        let kind = kind_of(Owner::Household, path);
        field_edits(
            path,
            kind,
            value,
            old.household.get(*path),
            get_at(current, path),
            &mut edits,
        );
        next.household.insert((*path).to_owned(), value.clone());
    }
    for member in &imported.members {
        let values: BTreeMap<String, Value> = member
            .values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        match entry_of(member, current, &old) {
            Some(entry) => {
                let base = old.members.get(&member.key).filter(|b| b.entry == entry);
                for (field, value) in &member.values {
                    let path = format!("members.{entry}.{field}");
                    check(&path, value, Some(member.row))?;
                    let kind = kind_of(Owner::Member, field);
                    field_edits(
                        &path,
                        kind,
                        value,
                        base.and_then(|b| b.values.get(*field)),
                        get_at(current, &path),
                        &mut edits,
                    );
                }
                next.members
                    .insert(member.key.clone(), BaselineMember { entry, values });
            }
            None => {
                let entry = fresh_entry();
                for (field, value) in &member.values {
                    check(&format!("members.{entry}.{field}"), value, Some(member.row))?;
                }
                edits.push(Edit::AddMember(
                    entry.clone(),
                    Box::new(new_member(member)?),
                ));
                next.members.insert(
                    member.key.clone(),
                    BaselineMember {
                        entry: entry.as_str().to_owned(),
                        values,
                    },
                );
            }
        }
    }
    Ok((edits, next))
}

/// Applies edits in a server edit.
pub fn apply(editor: &mut Editor<'_, '_>, edits: &[Edit]) -> Result<(), DocError> {
    let path = |p: &str| DocPath::parse(p).map_err(|e| DocError::Shape(e.to_string()));
    for edit in edits {
        match edit {
            Edit::Put(at, value) => editor.put(&path(at)?, value)?,
            Edit::Flag(at, code, on) => editor.set_flag(&path(at)?, code, *on)?,
            Edit::AddMember(entry, member) => editor.add_member(entry, member)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported(phone: &str, risks: &[&str], members: Vec<ImportedMember>) -> ImportedHousehold {
        let mut values = BTreeMap::new();
        values.insert("household.national_number", json!("H1"));
        values.insert("household.region_code", json!("652822100201"));
        values.insert("household.hh_type", json!("LIFTED"));
        values.insert("household.phone", json!(phone));
        values.insert("income.wage", json!(1200.0));
        values.insert(
            "household.risk_types",
            Value::Object(
                risks
                    .iter()
                    .map(|r| ((*r).to_owned(), json!(true)))
                    .collect(),
            ),
        );
        ImportedHousehold {
            rows: vec![2],
            national_number: "H1".into(),
            values,
            members,
        }
    }

    fn head(name: &str) -> ImportedMember {
        let id = zoufang_schemas::id_number::compose_resident_id(
            "652822",
            chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
            123,
        )
        .unwrap();
        let mut values = BTreeMap::new();
        values.insert("name", json!(name));
        values.insert("relation", json!("SELF"));
        values.insert("sex", json!("MALE"));
        values.insert("id_type", json!("RESIDENT_ID"));
        values.insert("id_number", json!(id.clone()));
        ImportedMember {
            row: 2,
            key: id,
            values,
        }
    }

    #[test]
    fn a_new_household_becomes_a_valid_record_with_its_baseline() {
        let (record, baseline) =
            create(&imported("13800000001", &["ILLNESS"], vec![head("张三")])).unwrap();
        assert_eq!(record.household.national_number.as_deref(), Some("H1"));
        assert_eq!(record.household.phone.as_deref(), Some("13800000001"));
        assert_eq!(record.members.len(), 1);
        assert_eq!(baseline.members.len(), 1);
        assert_eq!(baseline.household["income.wage"], json!(1200.0));
    }

    #[test]
    fn only_what_the_file_changed_since_its_last_import_is_written() {
        let (record, baseline) =
            create(&imported("13800000001", &["ILLNESS"], vec![head("张三")])).unwrap();
        let mut current = serde_json::to_value(&record).unwrap();
        // Importing the same file again writes nothing.
        let (edits, again) = update(
            &imported("13800000001", &["ILLNESS"], vec![head("张三")]),
            &current,
            Some(baseline.clone()),
        )
        .unwrap();
        assert!(edits.is_empty(), "{edits:?}");
        assert_eq!(again, baseline);
        // A helper corrects the phone; an unchanged file leaves the correction alone.
        current["household"]["phone"] = json!("13900000009");
        let (edits, _) = update(
            &imported("13800000001", &["ILLNESS"], vec![head("张三")]),
            &current,
            Some(baseline.clone()),
        )
        .unwrap();
        assert!(edits.is_empty(), "{edits:?}");
        // A later file that changes the phone and the risks is written; a new member added.
        let mut spouse = head("阿依古丽");
        spouse.key = "阿依古丽|SPOUSE".into();
        spouse.values.insert("relation", json!("SPOUSE"));
        spouse.values.insert("sex", json!("FEMALE"));
        spouse.values.remove("id_number");
        let (edits, next) = update(
            &imported(
                "13700000000",
                &["DISABILITY"],
                vec![head("张三·新"), spouse],
            ),
            &current,
            Some(baseline),
        )
        .unwrap();
        let entry = next
            .members
            .values()
            .find(|m| m.values["relation"] == "SELF")
            .unwrap()
            .entry
            .clone();
        assert_eq!(
            edits[..4],
            [
                Edit::Put("household.phone".into(), json!("13700000000")),
                Edit::Flag("household.risk_types".into(), "DISABILITY".into(), true),
                Edit::Flag("household.risk_types".into(), "ILLNESS".into(), false),
                Edit::Put(format!("members.{entry}.name"), json!("张三·新")),
            ]
        );
        assert!(matches!(&edits[4], Edit::AddMember(_, m) if m.name == "阿依古丽"));
        assert_eq!(edits.len(), 5);
    }

    #[test]
    fn values_the_form_refuses_refuse_the_household() {
        let refused = create(&imported(&"9".repeat(40), &[], vec![])).unwrap_err();
        assert_eq!(refused.code, "value-invalid", "{refused:?}");
    }
}
