//! Nominating a household and taking the steps after: the role and scope checked before the
//! household is loaded, the rules of [`super::life`] on the household's current record, and
//! for marking and rolling back the household's `monitoring` written by the server, all in
//! one transaction with the step kept and audited.

use super::CaseView;
use super::life::{self, Household, Step};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::services::server_write::{self, WrittenBy};
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::elimination::{self as store, NewCase, NewStep};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{EliminationMode, HouseholdRecord};
use zoufang_sync::DocPath;

/// The household's current record.
async fn record(state: &AppState, doc: &DocId) -> Result<HouseholdRecord, ApiError> {
    let loaded = crate::services::documents::load_at(state, &state.db, doc, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))?;
    zoufang_sync::read_record(&loaded.doc)
        .map_err(|e| ApiError::Conflict("record-unreadable", e.to_string()))
}

/// A nomination.
#[derive(Debug, Clone)]
pub struct Nomination {
    /// The household.
    pub household: DocId,
    /// `ASSISTED` or `NATURAL`.
    pub mode: EliminationMode,
    /// Why the risk is gone.
    pub reason: String,
}

/// Nominates a monitored household of the caller's village or township on `today`, with a
/// public notice of `workflow.elimination_notice_days`.
pub async fn nominate(
    state: &AppState,
    user: &AuthUser,
    nomination: Nomination,
    today: NaiveDate,
) -> Result<CaseView, ApiError> {
    user.require(life::NOMINATORS)?;
    let reason = nomination.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::BadRequest(
            "reason-missing",
            "say why the risk is gone (at most 2000 characters)".into(),
        ));
    }
    let doc = nomination.household.to_string();
    let h = crate::store::identification::household(&state.db, &doc)
        .await?
        .filter(|h| user.sees(&h.region_code))
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))?;
    let facts = Household::of(&record(state, &nomination.household).await?);
    life::check_nomination(user.role, facts, nomination.mode).map_err(ApiError::from)?;
    let who = format!("user:{}", user.name);
    let day = today.to_string();
    let ends = life::notice_ends(today, state.settings.workflow.elimination_notice_days);
    let txn = crate::store::begin_write(&state.db).await?;
    if store::has_open_case(&txn, &doc).await? {
        return Err(ApiError::Conflict(
            "case-open",
            "the household is nominated already".into(),
        ));
    }
    let case = store::insert_case(
        &txn,
        NewCase {
            doc_id: doc.clone(),
            region_code: h.region_code.clone(),
            mode: nomination.mode.code().to_owned(),
            reason: reason.to_owned(),
            nominated_by: who.clone(),
            nominated_on: day.clone(),
            notice_ends: ends.to_string(),
        },
    )
    .await?;
    let step = NewStep {
        step: "NOMINATE",
        status: life::NOMINATED,
        actor: &who,
        day: &day,
        note: Some(reason),
    };
    store::add_step(&txn, case.id, step).await?;
    audit::append(
        &txn,
        Event {
            actor: who.clone(),
            action: "elimination.nominate",
            subject: format!("elimination/{}", case.id),
            detail: serde_json::json!({ "household": doc, "mode": case.mode, "notice_ends": case.notice_ends }),
        },
    )
    .await?;
    txn.commit().await?;
    super::show(state, user, case.id).await
}

/// Takes `step` on case `id` as `user` on `today`, with a note.
pub async fn take(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    step: Step,
    note: Option<String>,
    today: NaiveDate,
) -> Result<CaseView, ApiError> {
    user.require(step.roles())?;
    let (case, doc, facts) = case_in_scope(state, user, id).await?;
    let who = format!("user:{}", user.name);
    let mode = EliminationMode::from_code(&case.mode).unwrap_or(EliminationMode::Assisted);
    let notice_ends = NaiveDate::parse_from_str(&case.notice_ends, "%Y-%m-%d")
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let view = life::Case {
        status: &case.status,
        mode,
        notice_ends,
        own: case.nominated_by == who,
    };
    let next = life::next(view, step, user.role, today, facts).map_err(ApiError::from)?;
    let note = note
        .map(|n| n.trim().chars().take(2000).collect::<String>())
        .filter(|n| !n.is_empty());
    let day = today.to_string();
    let month = today.format("%Y-%m").to_string();
    let record_step = NewStep {
        step: step.code(),
        status: next,
        actor: &who,
        day: &day,
        note: note.as_deref(),
    };
    let marked = (step == Step::Mark).then_some(month.as_str());
    let event = Event {
        actor: who.clone(),
        action: step.action(),
        subject: format!("elimination/{id}"),
        detail: serde_json::json!({ "household": case.doc_id, "status": next, "note": note }),
    };
    let advance = async |txn: &crate::store::WriteTxn| -> Result<(), ApiError> {
        if store::advance(txn, id, &case.status, record_step, marked).await? {
            Ok(())
        } else {
            Err(ApiError::Conflict(
                "case-out-of-order",
                "another step was taken on the case meanwhile".into(),
            ))
        }
    };
    match step {
        Step::Mark | Step::RollBack => {
            server_write::write(
                state,
                &doc,
                WrittenBy {
                    user_id: Some(user.id),
                },
                monitoring_edit(step == Step::Mark, mode, &month),
                async |txn, _| advance(txn).await,
                event,
            )
            .await?;
        }
        _ => {
            let txn = crate::store::begin_write(&state.db).await?;
            advance(&txn).await?;
            audit::append(&txn, event).await?;
            txn.commit().await?;
        }
    }
    super::show(state, user, id).await
}

/// The case, if in the caller's scope (404 otherwise), its household and what the rules
/// read of it now.
async fn case_in_scope(
    state: &AppState,
    user: &AuthUser,
    id: i64,
) -> Result<
    (
        crate::store::entities::elimination_case::Model,
        DocId,
        Household,
    ),
    ApiError,
> {
    let case = store::case(&state.db, id)
        .await?
        .filter(|c| user.sees(&c.region_code))
        .ok_or_else(|| ApiError::NotFound(format!("case {id}")))?;
    let doc =
        DocId::parse(&case.doc_id).ok_or_else(|| ApiError::Internal("bad document id".into()))?;
    let facts = Household::of(&record(state, &doc).await?);
    Ok((case, doc, facts))
}

/// The edit marking a household eliminated (with the mode and month) or returning it to
/// monitoring.
fn monitoring_edit(
    eliminated: bool,
    mode: EliminationMode,
    month: &str,
) -> impl Fn(&mut zoufang_sync::Editor<'_, '_>) -> Result<(), zoufang_sync::DocError> {
    move |e| {
        e.put(
            &DocPath::from_keys(["monitoring", "risk_eliminated"]),
            &eliminated,
        )?;
        if eliminated {
            e.put(
                &DocPath::from_keys(["monitoring", "elimination_mode"]),
                &mode,
            )?;
            e.put(
                &DocPath::from_keys(["monitoring", "eliminated_month"]),
                &month,
            )?;
        }
        Ok(())
    }
}

/// A household identified again returns to monitoring: its marked case is rolled back,
/// inside the identification's transaction.
pub async fn roll_back_on_identification<C: ConnectionTrait>(
    db: &C,
    doc_id: &str,
    actor: &str,
    today: NaiveDate,
) -> Result<(), ApiError> {
    if let Some(case) = store::marked_case_of(db, doc_id).await? {
        let day = today.to_string();
        let step = NewStep {
            step: Step::RollBack.code(),
            status: life::ROLLED_BACK,
            actor,
            day: &day,
            note: Some("重新识别为监测对象"),
        };
        store::advance(db, case.id, life::MARKED, step, None).await?;
    }
    Ok(())
}
