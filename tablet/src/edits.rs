//! Offline edits: each one is a single automerge change signed with the tablet's actor,
//! written to the store at once and sent at the next sync.

use crate::error::TabletError;
use crate::store::now;
use crate::tablet::Tablet;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::path::Path;
use zoufang_schemas::validate::Severity;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{
    EntryId, EntryStatus, Measure, Member, NaturalChange, NaturalChangeKind, PhotoHash, PhotoRef,
    PhotoSubject, Quarter, Relation, Sex, Visit,
};
use zoufang_sync::{DocPath, EntrySection, HouseholdDoc};

/// What `set` wrote, with what validation says about the household now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetOutcome {
    /// The household.
    pub household: String,
    /// The field.
    pub path: String,
    /// The value as stored.
    pub value: Json,
    /// Whether the document changed (writing the value already shown changes nothing).
    pub changed: bool,
    /// Validation findings on this field after the edit: (severity, code, message).
    pub issues: Vec<(String, String, String)>,
}

/// A new member.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberInput {
    /// Name.
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Relation to the head of household.
    pub relation: Relation,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// ID number.
    pub id_number: Option<String>,
}

impl MemberInput {
    fn to_member(&self) -> Member {
        let mut member = Member::new(&self.name, self.sex, self.relation);
        member.birth_date = self.birth_date;
        member.id_number = self.id_number.clone();
        member
    }
}

/// A natural increase or decrease.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeInput {
    /// Birth, death, marriage in or out, move in or out.
    pub kind: NaturalChangeKind,
    /// The member leaving (decreases).
    pub member: Option<String>,
    /// The new member (increases).
    pub new_member: Option<MemberInput>,
    /// When it happened.
    pub date: Option<NaiveDate>,
    /// A note.
    pub note: Option<String>,
}

fn fresh_id() -> EntryId {
    EntryId::from_random_bits(uuid::Uuid::new_v4().as_u128())
}

fn entry_id(text: &str) -> Result<EntryId, TabletError> {
    EntryId::parse(text).map_err(|e| TabletError::Invalid(e.to_string()))
}

/// The JSON values `text` may mean, most specific first: a quoted JSON string is only a
/// string; `true`, `12`, `null` may be a boolean, number or null, or else the text itself.
fn candidates(text: &str) -> Vec<Json> {
    match serde_json::from_str::<Json>(text) {
        Ok(Json::String(s)) => vec![Json::String(s)],
        // A decimal field gets a float even when written as `12000`; a count field takes
        // the integer when the float is refused.
        Ok(Json::Number(n)) => {
            let mut out: Vec<Json> = n
                .as_f64()
                .and_then(serde_json::Number::from_f64)
                .map(Json::Number)
                .into_iter()
                .collect();
            out.extend([Json::Number(n), Json::String(text.to_owned())]);
            out
        }
        Ok(scalar @ (Json::Bool(_) | Json::Null)) => vec![scalar, Json::String(text.to_owned())],
        _ => vec![Json::String(text.to_owned())],
    }
}

/// Whether the form has the field at `path` and `value` has its type (the same check the
/// server runs on every change); the error says what is wrong.
fn form_accepts(path: &DocPath, value: &Json) -> Result<(), String> {
    zoufang_schemas::form::form()
        .check_value(path.keys(), zoufang_schemas::form::Scalar::from_json(value))
        .map_err(|e| e.to_string())
}

impl Tablet {
    pub(crate) async fn edit_doc<O>(
        &self,
        household: &str,
        f: impl FnOnce(&mut HouseholdDoc) -> Result<O, TabletError>,
    ) -> Result<(DocId, O), TabletError> {
        let (_, actor) = self.identity().await?;
        let id = self.store.resolve(household).await?;
        let mut doc = self.store.doc(&id, &actor).await?;
        let out = f(&mut doc)?;
        self.store.save_doc(&id, &doc).await?;
        Ok((id, out))
    }

    /// Sets one field (`household.phone`, `members.<id>.education`, `income.wages`,
    /// `housing.danger_grade`, `household.risk_types.DISABILITY`).
    pub async fn set(
        &self,
        household: &str,
        path: &str,
        value: &str,
    ) -> Result<SetOutcome, TabletError> {
        let path = DocPath::parse(path).map_err(|e| TabletError::Invalid(e.to_string()))?;
        let (id, (value, changed, issues)) = self
            .edit_doc(household, |doc| {
                let mut last_error = None;
                for candidate in candidates(value) {
                    if let Err(refused) = form_accepts(&path, &candidate) {
                        last_error.get_or_insert(refused);
                        continue;
                    }
                    let mut trial = doc.clone();
                    match trial.edit(now(), |e| e.put(&path, &candidate)) {
                        Ok((_, head)) => {
                            *doc = trial;
                            let issues = field_issues(doc, &path);
                            return Ok((candidate, head.is_some(), issues));
                        }
                        Err(err) => last_error = Some(err.to_string()),
                    }
                }
                Err(TabletError::Edit(last_error.unwrap_or_else(|| {
                    format!("{path} is not a field of the form, or {value} is not a value it takes")
                })))
            })
            .await?;
        Ok(SetOutcome {
            household: id.to_string(),
            path: path.to_string(),
            value,
            changed,
            issues,
        })
    }

    /// Adds a member; returns the new member's id.
    pub async fn add_member(
        &self,
        household: &str,
        member: &MemberInput,
    ) -> Result<EntryId, TabletError> {
        let member_id = fresh_id();
        let member = member.to_member();
        self.edit_doc(household, |doc| {
            doc.edit(now(), |e| e.add_member(&member_id, &member))?;
            Ok(())
        })
        .await?;
        Ok(member_id)
    }

    /// Marks a member removed (entered by mistake; deaths and moves are `record_change`).
    pub async fn remove_member(&self, household: &str, member: &str) -> Result<(), TabletError> {
        let member = entry_id(member)?;
        self.edit_doc(household, |doc| {
            doc.edit(now(), |e| {
                e.remove_entry(EntrySection::Members, member.as_str())
            })?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Records a birth, death, marriage or move; returns the event id and the member's id.
    pub async fn record_change(
        &self,
        household: &str,
        change: &ChangeInput,
    ) -> Result<(EntryId, EntryId), TabletError> {
        let event_id = fresh_id();
        let (member_id, new_member) = if change.kind.is_increase() {
            let input = change.new_member.as_ref().ok_or_else(|| {
                TabletError::Invalid(format!(
                    "a {} needs the new member's --name, --sex and --relation",
                    change.kind.code()
                ))
            })?;
            (fresh_id(), Some(input.to_member()))
        } else {
            let member = change.member.as_deref().ok_or_else(|| {
                TabletError::Invalid(format!("a {} needs --member ID", change.kind.code()))
            })?;
            (entry_id(member)?, None)
        };
        let event = NaturalChange {
            status: EntryStatus::Active,
            kind: change.kind,
            member: member_id.clone(),
            date: change.date,
            note: change.note.clone(),
        };
        self.edit_doc(household, |doc| {
            doc.edit(now(), |e| {
                e.record_natural_change(&event_id, &event, new_member.as_ref())
            })?;
            Ok(())
        })
        .await?;
        Ok((event_id, member_id))
    }

    /// Records this quarter's visit to the household; returns the visit id.
    pub async fn record_visit(
        &self,
        household: &str,
        visited_on: NaiveDate,
        notes: Option<&str>,
    ) -> Result<EntryId, TabletError> {
        let (account, _) = self.identity().await?;
        let visit_id = fresh_id();
        let visit = Visit {
            status: EntryStatus::Active,
            quarter: quarter_of(visited_on)?,
            visited_on,
            visitor: Some(account.username),
            notes: notes.map(str::to_owned),
            photos: Default::default(),
        };
        self.edit_doc(household, |doc| {
            doc.edit(now(), |e| {
                e.insert_entry(EntrySection::Visits, visit_id.as_str(), &visit)
            })?;
            Ok(())
        })
        .await?;
        Ok(visit_id)
    }

    /// Adds a photo of the housing, the water supply or the visit: the file is copied into
    /// the tablet, referenced from the document by its hash and queued for upload.
    pub async fn add_photo(
        &self,
        household: &str,
        subject: PhotoSubject,
        file: &Path,
    ) -> Result<PhotoHash, TabletError> {
        self.add_photo_of(household, subject, file, None).await
    }

    /// Adds a photo as [`Tablet::add_photo`] does, evidencing `measure` when given.
    pub async fn add_photo_of(
        &self,
        household: &str,
        subject: PhotoSubject,
        file: &Path,
        measure: Option<&EntryId>,
    ) -> Result<PhotoHash, TabletError> {
        let bytes = std::fs::read(file)?;
        let hash = PhotoHash::parse(&hex::encode(Sha256::digest(&bytes)))
            .map_err(|e| TabletError::Invalid(e.to_string()))?;
        let (_, actor) = self.identity().await?;
        let id = self.store.resolve(household).await?;
        let doc = self.store.doc(&id, &actor).await?;
        let visit = match subject {
            PhotoSubject::Visit => Some(latest_visit(&doc)?.ok_or_else(|| {
                TabletError::Invalid("record the visit first (`visit record`)".into())
            })?),
            _ => None,
        };
        if let Some(m) = measure
            && !doc.read()?.measures.get(m).is_some_and(Measure::is_active)
        {
            return Err(TabletError::Invalid(format!(
                "the household has no measure {}",
                m.as_str()
            )));
        }
        let link = match (&subject, &visit) {
            _ if measure.is_some() => {
                measure.map(|m| DocPath::from_keys(["measures", m.as_str(), "photos"]))
            }
            (PhotoSubject::Housing, _) => Some(DocPath::from_keys(["housing", "photos"])),
            (PhotoSubject::Water, _) => Some(DocPath::from_keys(["water", "photos"])),
            (PhotoSubject::Visit, Some(v)) => {
                Some(DocPath::from_keys(["visits", v.as_str(), "photos"]))
            }
            _ => None,
        };
        let photo = PhotoRef {
            status: EntryStatus::Active,
            subject,
            visit,
            size: Some(bytes.len() as u64),
            taken_at: None,
            caption: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        };
        // The bytes first: a queued photo always has its file.
        let target = self.store.photo_path(hash.as_str());
        if !target.exists() {
            let partial = target.with_extension("part");
            std::fs::write(&partial, &bytes)?;
            std::fs::rename(&partial, &target)?;
        }
        self.edit_doc(&id.to_string(), |doc| {
            if doc
                .get(&DocPath::from_keys(["evidence", hash.as_str()]))?
                .is_none()
            {
                doc.edit(now(), |e| e.add_photo(&hash, &photo, link.as_ref()))?;
            }
            Ok(())
        })
        .await?;
        self.store
            .queue_photo(
                hash.as_str(),
                &id.to_string(),
                subject.code(),
                bytes.len() as u64,
            )
            .await?;
        Ok(hash)
    }
}

/// The quarter a date falls in.
pub(crate) fn quarter_of(date: NaiveDate) -> Result<Quarter, TabletError> {
    use chrono::Datelike;
    let text = format!("{:04}Q{}", date.year(), date.month0() / 3 + 1);
    Quarter::parse(&text).map_err(|e| TabletError::Invalid(e.to_string()))
}

/// The most recent active visit of the household.
fn latest_visit(doc: &HouseholdDoc) -> Result<Option<EntryId>, TabletError> {
    let record = doc.read()?;
    Ok(record
        .visits
        .iter()
        .filter(|(_, v)| v.status == EntryStatus::Active)
        .max_by_key(|(_, v)| v.visited_on)
        .map(|(id, _)| id.clone()))
}

fn field_issues(doc: &HouseholdDoc, path: &DocPath) -> Vec<(String, String, String)> {
    let Ok(record) = doc.read() else {
        return Vec::new();
    };
    let text = path.to_string();
    zoufang_schemas::validate(&record)
        .issues
        .into_iter()
        .filter(|i| i.path == text || text.starts_with(&format!("{}.", i.path)))
        .map(|i| {
            let severity = match i.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            (severity.to_owned(), i.code.to_owned(), i.message_zh)
        })
        .collect()
}
