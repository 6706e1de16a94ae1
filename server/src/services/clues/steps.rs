//! Taking a step on a clue: the role and scope checked before the clue is used, the
//! transition of [`super::life`], the task of the village updated (closed once the helper
//! has reported back), and the step audited, in one transaction.

use super::life::{self, Step};
use super::{ClueView, clue_task, deadlines};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::clues::{self, FOUND};
use crate::store::{now, tasks};
use zoufang_schemas::VerifyStatus;

/// Takes `step` on clue `id` as `user`.
pub async fn take(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    step: Step,
) -> Result<ClueView, ApiError> {
    user.require(step.roles())?;
    let txn = crate::store::begin_write(&state.db).await?;
    let mut clue = clues::clue(&txn, id)
        .await?
        .filter(|c| user.sees(&c.region_code))
        .ok_or_else(|| ApiError::NotFound(format!("clue {id}")))?;
    let next = life::next(&clue.status, &step, user.role).map_err(|r| {
        if r.role {
            ApiError::Forbidden(r.code, r.message)
        } else {
            ApiError::Conflict(r.code, r.message)
        }
    })?;
    let who = format!("user:{}", user.name);
    let detail;
    match &step {
        Step::Find {
            finding,
            suggestion,
        } => {
            clue.finding = Some(finding.trim().chars().take(2000).collect());
            clue.suggestion = suggestion.map(|s| s.code().to_owned());
            clue.found_by = Some(who.clone());
            clue.found_at = Some(now());
            detail = serde_json::json!({ "suggestion": clue.suggestion });
        }
        Step::Decide { decision, note } => {
            clue.decision = Some(decision.code().to_owned());
            clue.decision_note = note.as_ref().map(|n| n.trim().chars().take(2000).collect());
            clue.decided_by = Some(who.clone());
            clue.decided_at = Some(now());
            detail = serde_json::json!({ "decision": decision.code() });
        }
        Step::Report => {
            clue.reported_by = Some(who.clone());
            clue.reported_at = Some(now());
            detail = serde_json::json!({});
        }
    }
    clue.status = next.to_owned();
    if next == FOUND {
        // The door was knocked on: the tablets drop the task.
        let due = deadlines::of_month(&clue.month, &state.settings.workflow).map(|d| d.verify);
        tasks::put(&txn, &clue.region_code, &clue_task(&clue, "", due), true).await?;
    }
    let clue = clues::save_clue(&txn, clue).await?;
    let mut detail = detail;
    if matches!(
        step,
        Step::Decide {
            decision: VerifyStatus::Included,
            ..
        }
    ) {
        // 纳入: the household is proposed for identification; the county decides.
        let opened =
            crate::services::identification::proposals::open_from_clue(&txn, &clue).await?;
        detail["proposal"] = serde_json::json!(opened.map(|p| p.id));
    }
    audit::append(
        &txn,
        Event {
            actor: who,
            action: step.action(),
            subject: format!("clue/{}", clue.id),
            detail,
        },
    )
    .await?;
    txn.commit().await?;
    let today = super::day(None)?;
    Ok(ClueView::of(
        clue,
        user.role,
        &state.settings.workflow,
        today,
    ))
}

/// Parses a decision or suggestion code.
pub fn verify_status(code: &str) -> Result<VerifyStatus, ApiError> {
    VerifyStatus::from_code(code).ok_or_else(|| {
        ApiError::BadRequest(
            "decision-invalid",
            format!("`{code}`: INCLUDED, NOT_ELIGIBLE or ALREADY_COVERED"),
        )
    })
}

/// Reports every decided clue of a month in a region of the county officer's scope;
/// returns how many were reported.
pub async fn report_month(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    month: &str,
) -> Result<usize, ApiError> {
    user.require(Step::Report.roles())?;
    let region = crate::services::review::region_in_scope(user, region)?;
    let decided: Vec<i64> = clues::clues_under(&state.db, region, Some(month))
        .await?
        .into_iter()
        .filter(|c| c.status == clues::DECIDED)
        .map(|c| c.id)
        .collect();
    for id in &decided {
        take(state, user, *id, Step::Report).await?;
    }
    Ok(decided.len())
}
