//! Entries of a household other than members: assistance measures, natural changes, visits
//! and photo evidence. Field names are part of the protocol.

use crate::enums::{
    Department, EntryStatus, MeasureKind, MeasureStatus, NaturalChangeKind, PhotoSubject,
};
use crate::values::{CodeSet, EntryId, PhotoHash, Quarter, YearMonth};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// An assistance measure (one of the twelve kinds).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Measure {
    /// `ACTIVE` or `REMOVED`.
    pub status: EntryStatus,
    /// Which of the twelve measures.
    pub kind: MeasureKind,
    /// What is done.
    #[schemars(length(max = 500))]
    pub description: Option<String>,
    /// Progress.
    pub progress: MeasureStatus,
    /// Funds in yuan.
    pub funds: Option<f64>,
    /// Month the measure started.
    pub start_month: Option<YearMonth>,
    /// Month it is planned to end.
    pub planned_end: Option<YearMonth>,
    /// The department responsible for it.
    pub department: Option<Department>,
    /// Photos evidencing it.
    #[serde(default)]
    pub photos: CodeSet<PhotoHash>,
    /// The quarter of its last implementation check.
    pub checked_quarter: Option<Quarter>,
    /// Whether the last check found it carried out.
    pub carried_out: Option<bool>,
    /// What the last check found.
    #[schemars(length(max = 500))]
    pub check_note: Option<String>,
}

impl Measure {
    /// An active measure of `kind` at `progress`, nothing else recorded.
    pub fn new(kind: MeasureKind, progress: MeasureStatus) -> Self {
        Self {
            status: EntryStatus::Active,
            kind,
            description: None,
            progress,
            funds: None,
            start_month: None,
            planned_end: None,
            department: None,
            photos: CodeSet::default(),
            checked_quarter: None,
            carried_out: None,
            check_note: None,
        }
    }

    /// Not removed.
    pub fn is_active(&self) -> bool {
        self.status == EntryStatus::Active
    }
}

/// A natural increase / decrease event (自然增减).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NaturalChange {
    /// `ACTIVE` or `REMOVED` (recorded by mistake).
    pub status: EntryStatus,
    /// Birth, death, marriage in/out, move in/out, other.
    pub kind: NaturalChangeKind,
    /// The member added or removed.
    pub member: EntryId,
    /// When it happened.
    pub date: Option<NaiveDate>,
    /// Free-text note.
    #[schemars(length(max = 500))]
    pub note: Option<String>,
}

/// A helper's visit to the household.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Visit {
    /// `ACTIVE` or `REMOVED`.
    pub status: EntryStatus,
    /// The quarter of the sweep this visit belongs to.
    pub quarter: Quarter,
    /// Date of the visit.
    pub visited_on: NaiveDate,
    /// Who visited.
    #[schemars(length(max = 64))]
    pub visitor: Option<String>,
    /// Notes.
    #[schemars(length(max = 2000))]
    pub notes: Option<String>,
    /// Photos taken on the visit.
    #[serde(default)]
    pub photos: CodeSet<PhotoHash>,
}

/// A photo referenced by the household; the blob is stored by the server under its hash.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhotoRef {
    /// `ACTIVE` or `REMOVED`.
    pub status: EntryStatus,
    /// What the photo evidences.
    pub subject: PhotoSubject,
    /// The visit it was taken on.
    pub visit: Option<EntryId>,
    /// Size of the original in bytes.
    pub size: Option<u64>,
    /// When it was taken, as the tablet saw it (RFC 3339).
    #[schemars(length(max = 40))]
    pub taken_at: Option<String>,
    /// Caption.
    #[schemars(length(max = 200))]
    pub caption: Option<String>,
}
