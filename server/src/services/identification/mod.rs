//! Identification of the 三类户: the monitoring thresholds per year and region, the flags
//! raised for households that cross them (a task for the village, a list for the county),
//! and the proposals a helper, a township or an included risk clue opens and the county
//! decides, after which the server writes the household's category and monitoring status.

pub mod flags;
pub mod life;
pub mod proposals;
pub mod scan;
pub mod threshold_edits;
pub mod thresholds;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::entities::{identification, identification_flag};
use crate::store::identification as store;
use serde::Serialize;
use std::collections::BTreeMap;
use zoufang_schemas::{MonitorCategory, Role};

/// Roles that see the proposals and flags of their region.
pub const READERS: &[Role] = crate::services::REGION_ROLES;

/// An identification proposal as the roles of its region see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    /// Proposal id.
    pub id: i64,
    /// Household document.
    pub household: String,
    /// Village.
    pub region_code: String,
    /// The head's name.
    pub head_name: Option<String>,
    /// `MonitorCategory` code proposed, or decided once approved.
    pub category: Option<String>,
    /// Its Chinese label.
    pub category_label: Option<String>,
    /// `RiskType` codes.
    pub risk_types: Vec<String>,
    /// Why.
    pub reason: String,
    /// `HELPER`, `TOWNSHIP` or `CLUE`.
    pub source: String,
    /// The included risk clue it came from.
    pub clue_id: Option<i64>,
    /// `PROPOSED`, `APPROVED`, `REJECTED` or `WITHDRAWN`.
    pub status: String,
    /// Who proposed (`user:name`, or `clue:id`).
    pub proposed_by: String,
    /// Proposed (Unix seconds).
    pub proposed_at: i64,
    /// Who decided or withdrew.
    pub decided_by: Option<String>,
    /// When (Unix seconds).
    pub decided_at: Option<i64>,
    /// The county's note.
    pub decision_note: Option<String>,
    /// The month the household was identified (approved proposals).
    pub identified_month: Option<String>,
}

impl ProposalView {
    /// The view of a proposal, with the head's name when known.
    pub fn of(m: identification::Model, head_name: Option<String>) -> Self {
        let category_label = m
            .category
            .as_deref()
            .and_then(MonitorCategory::from_code)
            .map(|c| c.label_zh().to_owned());
        Self {
            id: m.id,
            household: m.doc_id,
            region_code: m.region_code,
            head_name,
            category: m.category,
            category_label,
            risk_types: split_codes(&m.risk_types),
            reason: m.reason,
            source: m.source,
            clue_id: m.clue_id,
            status: m.status,
            proposed_by: m.proposed_by,
            proposed_at: m.proposed_at,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            decision_note: m.decision_note,
            identified_month: m.identified_month,
        }
    }
}

/// Codes stored comma-separated.
pub fn split_codes(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A household flagged for identification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagView {
    /// Household document.
    pub household: String,
    /// Village.
    pub region_code: String,
    /// The head's name.
    pub head_name: Option<String>,
    /// The year judged.
    pub year: i32,
    /// `INCOME_BELOW`, `MEDICAL_SPENDING` or `EDUCATION_SPENDING`.
    pub kind: String,
    /// Its Chinese label.
    pub label: String,
    /// The household's figure (yuan).
    pub value: f64,
    /// The threshold it crossed (yuan).
    pub threshold: f64,
    /// `OPEN` (the village checks it), `PROPOSED` (a proposal took it up) or `CLEARED`.
    pub status: String,
}

impl FlagView {
    fn of(m: identification_flag::Model, head_name: Option<String>) -> Self {
        let label = flags::FlagKind::from_code(&m.kind)
            .map_or_else(|| m.kind.clone(), |k| k.label().to_owned());
        Self {
            household: m.doc_id,
            region_code: m.region_code,
            head_name,
            year: m.year,
            kind: m.kind,
            label,
            value: m.value,
            threshold: m.threshold,
            status: m.status,
        }
    }
}

async fn heads(state: &AppState, scope: &str) -> Result<BTreeMap<String, String>, ApiError> {
    Ok(crate::store::documents::head_names(&state.db, scope).await?)
}

/// The proposals of a region in the caller's scope (default: all of it), optionally in one
/// state, newest first.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<ProposalView>, ApiError> {
    user.require(READERS)?;
    let scope = crate::services::review::region_in_scope(user, region)?;
    if let Some(s) = status
        && ![
            life::PROPOSED,
            life::APPROVED,
            life::REJECTED,
            life::WITHDRAWN,
        ]
        .contains(&s)
    {
        return Err(ApiError::BadRequest(
            "status-invalid",
            format!("`{s}`: PROPOSED, APPROVED, REJECTED or WITHDRAWN"),
        ));
    }
    let rows = store::proposals_under(&state.db, scope, status).await?;
    let names = heads(state, scope).await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let name = names.get(&p.doc_id).cloned();
            ProposalView::of(p, name)
        })
        .collect())
}

/// The flagged households of a region in the caller's scope: open and taken-up flags, or
/// with `all` the cleared ones too.
pub async fn flagged(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    all: bool,
) -> Result<Vec<FlagView>, ApiError> {
    user.require(READERS)?;
    let scope = crate::services::review::region_in_scope(user, region)?;
    let statuses: &[&str] = if all {
        &[store::FLAG_OPEN, store::FLAG_PROPOSED, store::FLAG_CLEARED]
    } else {
        &[store::FLAG_OPEN, store::FLAG_PROPOSED]
    };
    let rows = store::flags_under(&state.db, scope, statuses).await?;
    let names = heads(state, scope).await?;
    Ok(rows
        .into_iter()
        .map(|f| {
            let name = names.get(&f.doc_id).cloned();
            FlagView::of(f, name)
        })
        .collect())
}

/// The current year in China Standard Time.
pub fn this_year() -> Result<i32, ApiError> {
    use chrono::Datelike;
    Ok(crate::services::clues::day(None)?.year())
}
