//! Writes inside one transaction: scalars by path, entries under fresh keys, removal by
//! status.

use super::{EntrySection, resolve_map};
use crate::error::DocError;
use crate::path::DocPath;
use crate::value::json_to_scalar;
use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjId, ObjType, ReadDoc, Value};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use zoufang_schemas::names::normalize_name;
use zoufang_schemas::{EntryId, EntryStatus, Member, NaturalChange, PhotoHash, PhotoRef};

/// Typed writes into a household document within one change.
pub struct Editor<'t, 'd> {
    tx: &'t mut Transaction<'d>,
}

impl<'t, 'd> Editor<'t, 'd> {
    pub(super) fn new(tx: &'t mut Transaction<'d>) -> Self {
        Self { tx }
    }

    /// Writes a scalar (anything that serialises to a JSON scalar: strings, numbers,
    /// booleans, codes, dates) into an existing map. Member names are normalised.
    pub fn put<V: Serialize>(&mut self, path: &DocPath, value: &V) -> Result<(), DocError> {
        let json = serde_json::to_value(value).map_err(|e| DocError::Shape(e.to_string()))?;
        let json = match (&json, path.keys()) {
            (Json::String(name), [section, _, field])
                if section == "members" && field == "name" =>
            {
                Json::String(normalize_name(name))
            }
            _ => json,
        };
        let scalar = json_to_scalar(&json).ok_or_else(|| DocError::NotAScalar(path.clone()))?;
        let (last, parent) = path
            .split_last()
            .ok_or_else(|| DocError::NotAScalar(path.clone()))?;
        let obj = resolve_map(&*self.tx, parent, None)?;
        if let Some((Value::Object(_), _)) = self.tx.get(&obj, last.as_str())? {
            return Err(DocError::WouldReplaceContainer(path.clone()));
        }
        // Writing the value already shown (even when several writers agreed on it) changes
        // nothing: no operation, so it cannot be mistaken for a new decision.
        let current = self.tx.get_all(&obj, last.as_str())?;
        let unchanged = !current.is_empty()
            && current
                .iter()
                .all(|(v, _)| matches!(v, Value::Scalar(s) if s.as_ref() == &scalar));
        if !unchanged {
            self.tx.put(&obj, last.as_str(), scalar)?;
        }
        Ok(())
    }

    /// Adds or removes a value of a set (`household.risk_types`, `housing.photos`, ...).
    pub fn set_flag(&mut self, set: &DocPath, code: &str, on: bool) -> Result<(), DocError> {
        self.put(&set.child(code), &on)
    }

    /// Adds an entry under a fresh key. Fails if the key exists.
    pub fn insert_entry<V: Serialize>(
        &mut self,
        section: EntrySection,
        key: &str,
        value: &V,
    ) -> Result<(), DocError> {
        let path = DocPath::from_keys([section.key(), key]);
        let json = serde_json::to_value(value).map_err(|e| DocError::Shape(e.to_string()))?;
        let Json::Object(fields) = json else {
            return Err(DocError::Shape(format!("{path}: an entry is an object")));
        };
        let section_obj = resolve_map(&*self.tx, &path.keys()[..1], None)?;
        if self.tx.get(&section_obj, key)?.is_some() {
            return Err(DocError::EntryExists(path));
        }
        let entry = self.tx.put_object(&section_obj, key, ObjType::Map)?;
        write_object(self.tx, &entry, &fields, &path)
    }

    /// Adds a member.
    pub fn add_member(&mut self, id: &EntryId, member: &Member) -> Result<(), DocError> {
        let mut member = member.clone();
        member.name = normalize_name(&member.name);
        self.insert_entry(EntrySection::Members, id.as_str(), &member)
    }

    /// Adds a photo reference under its hash and links it from `link` (`housing.photos`,
    /// `water.photos`, `visits.<id>.photos`) when given.
    pub fn add_photo(
        &mut self,
        hash: &PhotoHash,
        photo: &PhotoRef,
        link: Option<&DocPath>,
    ) -> Result<(), DocError> {
        self.insert_entry(EntrySection::Evidence, hash.as_str(), photo)?;
        if let Some(set) = link {
            self.set_flag(set, hash.as_str(), true)?;
        }
        Ok(())
    }

    /// Marks an entry removed; it stays in the document's history and tree.
    pub fn remove_entry(&mut self, section: EntrySection, key: &str) -> Result<(), DocError> {
        let entry = DocPath::from_keys([section.key(), key]);
        resolve_map(&*self.tx, entry.keys(), None)?;
        self.put(&entry.child("status"), &EntryStatus::Removed)
    }

    /// Records a natural increase or decrease: adds the event, and adds the new member (for
    /// an increase, `new_member` required) or marks the member removed (for a decrease).
    pub fn record_natural_change(
        &mut self,
        event_id: &EntryId,
        change: &NaturalChange,
        new_member: Option<&Member>,
    ) -> Result<(), DocError> {
        self.insert_entry(EntrySection::Events, event_id.as_str(), change)?;
        let member_path = DocPath::from_keys(["members", change.member.as_str()]);
        if change.kind.is_increase() {
            let member = new_member
                .ok_or_else(|| DocError::Shape("an increase event needs the new member".into()))?;
            let mut member = member.clone();
            member.change_event = Some(event_id.clone());
            self.add_member(&change.member, &member)?;
        } else if change.kind.is_decrease() {
            resolve_map(&*self.tx, member_path.keys(), None)?;
            self.put(&member_path.child("status"), &EntryStatus::Removed)?;
            self.put(&member_path.child("change_event"), event_id)?;
        }
        Ok(())
    }
}

/// Writes a JSON object's fields into an existing map: objects become maps, scalars become
/// scalars. Arrays are refused: the schema has none (sets are maps).
pub(crate) fn write_object(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    fields: &Map<String, Json>,
    at: &DocPath,
) -> Result<(), DocError> {
    for (key, value) in fields {
        let here = at.child(key.as_str());
        match value {
            Json::Object(inner) => {
                let child = tx.put_object(obj, key.as_str(), ObjType::Map)?;
                write_object(tx, &child, inner, &here)?;
            }
            Json::Array(_) => {
                return Err(DocError::Shape(format!(
                    "{here}: arrays are not part of the schema"
                )));
            }
            scalar => {
                let value =
                    json_to_scalar(scalar).ok_or_else(|| DocError::NotAScalar(here.clone()))?;
                tx.put(obj, key.as_str(), value)?;
            }
        }
    }
    Ok(())
}
