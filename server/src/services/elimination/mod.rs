//! Risk elimination (风险消除) in the plan's four steps: the village nominates a monitored
//! household with a public notice, the township verifies it once the notice has run, the
//! county confirms it and marks the household (the server writes `monitoring.*`); a case
//! can be withdrawn before marking and rolled back after, with every step kept. A household
//! without labour force is never marked.

pub mod cases;
pub mod life;
pub mod notice;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::elimination as store;
use crate::store::entities::{elimination_case, elimination_step};
use serde::Serialize;
use zoufang_schemas::{EliminationMode, Role};

/// Roles that see the cases of their region.
pub const READERS: &[Role] = crate::services::REGION_ROLES;

/// A case as the roles of its region see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// Case id.
    pub id: i64,
    /// Household document.
    pub household: String,
    /// Village.
    pub region_code: String,
    /// The head's name.
    pub head_name: Option<String>,
    /// `ASSISTED` 帮扶消除 or `NATURAL` 自然消除.
    pub mode: String,
    /// Its Chinese label.
    pub mode_label: String,
    /// Why the risk is gone.
    pub reason: String,
    /// `NOMINATED`, `VERIFIED`, `CONFIRMED`, `MARKED`, `WITHDRAWN` or `ROLLED_BACK`.
    pub status: String,
    /// Who nominated (`user:name`).
    pub nominated_by: String,
    /// The day of the nomination.
    pub nominated_on: String,
    /// The public notice's last day; the township verifies from the day after.
    pub notice_ends: String,
    /// The month the household was marked.
    pub marked_month: Option<String>,
    /// Every step, in order (in a case's own view).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepView>,
}

/// A step taken on a case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// `NOMINATE`, `VERIFY`, `CONFIRM`, `MARK`, `WITHDRAW` or `ROLL_BACK`.
    pub step: String,
    /// The state it led to.
    pub status: String,
    /// Who took it.
    pub actor: String,
    /// The day.
    pub day: String,
    /// Why.
    pub note: Option<String>,
}

impl CaseView {
    fn of(
        m: elimination_case::Model,
        head_name: Option<String>,
        steps: Vec<elimination_step::Model>,
    ) -> Self {
        let mode_label = EliminationMode::from_code(&m.mode)
            .map_or_else(|| m.mode.clone(), |e| e.label_zh().to_owned());
        Self {
            id: m.id,
            household: m.doc_id,
            region_code: m.region_code,
            head_name,
            mode: m.mode,
            mode_label,
            reason: m.reason,
            status: m.status,
            nominated_by: m.nominated_by,
            nominated_on: m.nominated_on,
            notice_ends: m.notice_ends,
            marked_month: m.marked_month,
            steps: steps
                .into_iter()
                .map(|s| StepView {
                    step: s.step,
                    status: s.status,
                    actor: s.actor,
                    day: s.day,
                    note: s.note,
                })
                .collect(),
        }
    }
}

/// The cases of a region in the caller's scope (default: all of it), optionally in one
/// state, newest first.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<CaseView>, ApiError> {
    user.require(READERS)?;
    let scope = crate::services::review::region_in_scope(user, region)?;
    let known = [
        life::NOMINATED,
        life::VERIFIED,
        life::CONFIRMED,
        life::MARKED,
        life::WITHDRAWN,
        life::ROLLED_BACK,
    ];
    if let Some(s) = status
        && !known.contains(&s)
    {
        return Err(ApiError::BadRequest(
            "status-invalid",
            format!("`{s}`: one of {}", known.join(", ")),
        ));
    }
    let names = crate::store::documents::head_names(&state.db, scope).await?;
    Ok(store::cases_under(&state.db, scope, status)
        .await?
        .into_iter()
        .map(|c| {
            let name = names.get(&c.doc_id).cloned();
            CaseView::of(c, name, Vec::new())
        })
        .collect())
}

/// One case with its steps, if in the caller's scope (404 otherwise).
pub async fn show(state: &AppState, user: &AuthUser, id: i64) -> Result<CaseView, ApiError> {
    user.require(READERS)?;
    let case = store::case(&state.db, id)
        .await?
        .filter(|c| user.sees(&c.region_code))
        .ok_or_else(|| ApiError::NotFound(format!("case {id}")))?;
    let head = crate::store::identification::household(&state.db, &case.doc_id)
        .await?
        .and_then(|h| h.head_name);
    let steps = store::steps_of(&state.db, id).await?;
    Ok(CaseView::of(case, head, steps))
}
