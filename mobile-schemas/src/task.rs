//! Tasks the server hands to a tablet: risk clues to verify, returned visits, visits due.

use crate::enums::{ClueSource, ClueType, Department, TaskKind, VerifyStatus};
use crate::values::Quarter;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// A task for the helpers of a village. Field names are part of the protocol.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Task {
    /// Server-assigned task id.
    pub id: String,
    /// What kind of work.
    pub kind: TaskKind,
    /// The household document it concerns (hyphenated UUID).
    pub household: Option<String>,
    /// Short title for the task list.
    pub title: String,
    /// Details, e.g. the reason a visit was returned.
    pub detail: Option<String>,
    /// Deadline.
    pub due: Option<NaiveDate>,
    /// The quarter, for visit tasks.
    pub quarter: Option<Quarter>,
    /// The risk clue, for verification tasks.
    pub clue: Option<RiskClue>,
    /// Done or withdrawn: the tablet drops it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
}

/// A risk clue pushed by a department or found on a visit.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RiskClue {
    /// Where it came from.
    pub source: ClueSource,
    /// The pushing department.
    pub dept: Option<Department>,
    /// What kind of risk.
    pub clue_type: ClueType,
    /// Masked ID number of the person concerned.
    pub id_number_masked: Option<String>,
    /// Amount concerned (yuan), e.g. out-of-pocket medical cost.
    pub amount: Option<f64>,
    /// Verification outcome.
    pub verify_status: VerifyStatus,
}
