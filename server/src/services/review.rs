//! Reviewing visits: each household's round moves through the state machine
//! ([`crate::review::machine`]) by the reviewers of its region, one household or a whole
//! village at a time; verification pins the record; a return becomes a task on the
//! village's tablets. Every step checks role and scope first, is recorded in the review's
//! history (the county's feed) and audited.

use crate::auth::AuthUser;
use crate::error::{ApiError, StoreError};
use crate::masking::{self, Exposure};
use crate::review::machine::{Action, Effect, Facts, Refusal, State, transition};
use crate::services::documents::load_at;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::review;
use crate::store::{conflicts, findings, reviews, tasks};
use serde::{Deserialize, Serialize};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{Quarter, Task, TaskKind};
use zoufang_sync::HouseholdDoc;

/// Roles that read reviews, coverage and findings (a department does not).
pub const REVIEW_READERS: &[zoufang_schemas::Role] = &[
    zoufang_schemas::Role::Helper,
    zoufang_schemas::Role::TownshipSupervisor,
    zoufang_schemas::Role::CountyOfficer,
    zoufang_schemas::Role::PrefectureOfficer,
    zoufang_schemas::Role::Admin,
];

/// A review as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewView {
    /// The household.
    pub household: String,
    /// The round (`2022Q1`).
    pub round: String,
    /// Its village.
    pub region_code: String,
    /// `SUBMITTED`, `VILLAGE_REVIEWED`, `TOWNSHIP_VERIFIED`, `COUNTY_ACCEPTED`, `RETURNED`.
    pub state: String,
    /// The state in Chinese.
    pub state_zh: String,
    /// Why it was returned.
    pub reason: Option<String>,
    /// Who reviewed it for the village, and when.
    pub village_reviewed_by: Option<String>,
    /// When.
    pub village_reviewed_at: Option<i64>,
    /// Who verified it, and when.
    pub verified_by: Option<String>,
    /// When.
    pub verified_at: Option<i64>,
    /// Who accepted it for the county, and when.
    pub accepted_by: Option<String>,
    /// When.
    pub accepted_at: Option<i64>,
    /// The record changed after it was verified.
    pub changed_since_verification: bool,
}

impl From<review::Model> for ReviewView {
    fn from(r: review::Model) -> Self {
        let state = State::from_code(&r.state);
        Self {
            household: r.doc_id,
            round: r.round,
            region_code: r.region_code,
            state_zh: state.map_or("", State::label_zh).to_owned(),
            state: r.state,
            reason: r.reason,
            village_reviewed_by: r.village_reviewed_by,
            village_reviewed_at: r.village_reviewed_at,
            verified_by: r.verified_by,
            verified_at: r.verified_at,
            accepted_by: r.accepted_by,
            accepted_at: r.accepted_at,
            changed_since_verification: r.changed_since_verification,
        }
    }
}

/// A step a reviewer takes.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    /// `village-review`, `township-verify`, `county-accept` or `return`.
    pub action: String,
    /// For a return: why (the helpers see it).
    pub reason: Option<String>,
}

impl Step {
    /// The action, or a 400 with a code.
    pub fn action(&self) -> Result<Action, ApiError> {
        match self.action.as_str() {
            "village-review" => Ok(Action::VillageReview),
            "township-verify" => Ok(Action::TownshipVerify),
            "county-accept" => Ok(Action::CountyAccept),
            "return" => Ok(Action::Return {
                reason: self.reason.clone().unwrap_or_default(),
            }),
            other => Err(ApiError::BadRequest(
                "review-action-invalid",
                format!(
                    "`{other}` is not a review step (village-review, township-verify, county-accept, return)"
                ),
            )),
        }
    }
}

/// A round: `2022Q1`.
pub fn parse_round(round: &str) -> Result<Quarter, ApiError> {
    Quarter::parse(round).map_err(|e| ApiError::BadRequest("round-invalid", e.to_string()))
}

/// A region prefix inside the caller's scope (the scope itself when none is given).
pub fn region_in_scope<'a>(
    user: &'a AuthUser,
    region: Option<&'a str>,
) -> Result<&'a str, ApiError> {
    match region {
        Some(r) if user.sees(r) && r.bytes().all(|b| b.is_ascii_digit()) => Ok(r),
        Some(_) => Err(ApiError::Forbidden(
            "region-out-of-scope",
            "that region is outside your scope".into(),
        )),
        None => Ok(user.scope.as_str()),
    }
}

fn refusal(err: Refusal) -> ApiError {
    match err {
        Refusal::RoleNotAllowed { .. } => ApiError::Forbidden(err.code(), err.to_string()),
        other => ApiError::Conflict(other.code(), other.to_string()),
    }
}

/// The review of a household's round, if in the caller's scope (404 otherwise, as if
/// there were none).
async fn in_scope(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    round: &str,
) -> Result<review::Model, ApiError> {
    reviews::find(&state.db, doc, round)
        .await?
        .filter(|r| user.sees(&r.region_code))
        .ok_or_else(|| ApiError::NotFound(format!("no review of household {doc} for {round}")))
}

/// Reviews under a region for a round.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    round: &str,
    state_filter: Option<&str>,
) -> Result<Vec<ReviewView>, ApiError> {
    let prefix = region_in_scope(user, region)?;
    let round = parse_round(round)?;
    if let Some(s) = state_filter
        && State::from_code(s).is_none()
    {
        return Err(ApiError::BadRequest(
            "state-invalid",
            format!("`{s}` is not a review state"),
        ));
    }
    Ok(
        reviews::list(&state.db, prefix, round.as_str(), state_filter, 5000)
            .await?
            .into_iter()
            .map(ReviewView::from)
            .collect(),
    )
}

/// One review.
pub async fn show(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    round: &str,
) -> Result<ReviewView, ApiError> {
    parse_round(round)?;
    Ok(in_scope(state, user, doc, round).await?.into())
}

/// The facts of a household for a transition.
async fn facts(state: &AppState, doc: &DocId, review: &review::Model) -> Result<Facts, ApiError> {
    let open = conflicts::open_for(&state.db, std::iter::once(*doc)).await?;
    let (errors, unacknowledged_warnings) =
        findings::open_counts(&state.db, doc, &review.round).await?;
    Ok(Facts {
        open_conflicts: open.get(doc).map_or(0, Vec::len),
        errors,
        unacknowledged_warnings,
        changed_since_verification: review.changed_since_verification,
    })
}

/// Takes a reviewer's step on a household's round.
pub async fn act(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    round: &str,
    action: &Action,
) -> Result<ReviewView, ApiError> {
    parse_round(round)?;
    for _ in 0..4 {
        match try_act(state, user, doc, round, action).await {
            Err(ApiError::Unavailable(_)) => continue,
            other => return other,
        }
    }
    Err(ApiError::Unavailable("review contention".into()))
}

async fn try_act(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    round: &str,
    action: &Action,
) -> Result<ReviewView, ApiError> {
    let review = in_scope(state, user, doc, round).await?;
    let from = State::from_code(&review.state)
        .ok_or_else(|| ApiError::Internal(format!("review state {}", review.state)))?;
    let facts = facts(state, doc, &review).await?;
    let (to, effects) = transition(from, action, user.role, facts).map_err(refusal)?;
    let loaded = load_at(state, &state.db, doc, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))?;
    let actor = format!("user:{}", user.name);
    let mut moved = moved_review(&review, to, action, &actor);
    let txn = crate::store::begin_write(&state.db).await?;
    for effect in &effects {
        match effect {
            Effect::PinRecord => {
                // Pinned as the document stands; the version check below makes sure the
                // facts above were about this very record.
                let doc = HouseholdDoc::from_automerge(loaded.doc.clone());
                let heads = doc.heads();
                let record = doc.to_json(Some(&zoufang_sync::heads::from_wire(&heads)));
                moved.verified_heads = Some(crate::store::documents::heads_to_text(&heads));
                moved.verified_record = Some(record.to_string());
                moved.changed_since_verification = false;
            }
            Effect::OpenReturnTask(reason) => {
                tasks::put(
                    &txn,
                    &review.region_code,
                    &return_task(&review, Some(reason)),
                    false,
                )
                .await?;
            }
            Effect::CloseReturnTask => {
                tasks::put(&txn, &review.region_code, &return_task(&review, None), true).await?;
            }
        }
    }
    crate::store::documents::still_at(&txn, doc, loaded.version)
        .await
        .map_err(contention)?;
    reviews::save_moved(&txn, moved.clone(), &review.state)
        .await
        .map_err(contention)?;
    let reason = match action {
        Action::Return { reason } => Some(reason.trim()),
        _ => None,
    };
    reviews::record_step(
        &txn,
        reviews::Step {
            doc,
            round,
            region: &review.region_code,
            action: action.code(),
            state: to.code(),
            actor: &actor,
            reason,
        },
    )
    .await?;
    audit::append(
        &txn,
        Event {
            actor,
            action: "review.step",
            subject: format!("{doc}/{round}"),
            detail: serde_json::json!({ "step": action.code(), "from": from.code(), "to": to.code(), "reason": reason }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(moved.into())
}

fn contention(err: StoreError) -> ApiError {
    match err {
        StoreError::Contention => ApiError::Unavailable("review contention".into()),
        other => other.into(),
    }
}

/// The review after a step.
fn moved_review(review: &review::Model, to: State, action: &Action, actor: &str) -> review::Model {
    let at = Some(crate::store::now());
    let by = Some(actor.to_owned());
    let mut moved = review::Model {
        state: to.code().to_owned(),
        ..review.clone()
    };
    match action {
        Action::VillageReview => {
            moved.village_reviewed_by = by;
            moved.village_reviewed_at = at;
        }
        Action::TownshipVerify => {
            moved.verified_by = by;
            moved.verified_at = at;
        }
        Action::CountyAccept => {
            moved.accepted_by = by;
            moved.accepted_at = at;
        }
        Action::Return { reason } => {
            moved.returned_by = by;
            moved.returned_at = at;
            moved.reason = Some(reason.trim().to_owned());
        }
        Action::Resubmit => moved.reason = None,
    }
    moved
}

/// The task a return gives the village's tablets (the same id when it is closed).
pub fn return_task(review: &review::Model, reason: Option<&str>) -> Task {
    Task {
        id: format!("visit-returned:{}:{}", review.doc_id, review.round),
        kind: TaskKind::VisitReturned,
        household: Some(review.doc_id.clone()),
        title: format!("{} 走访被退回,请重新走访", review.round),
        detail: reason.map(str::to_owned),
        due: None,
        quarter: Quarter::parse(&review.round).ok(),
        clue: None,
        closed: reason.is_none(),
    }
}

/// What a step on a whole village came to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VillageOutcome {
    /// Households the step was taken on.
    pub done: Vec<String>,
    /// Households it was refused for, with the code.
    pub refused: Vec<RefusedHousehold>,
}

/// A household a village step was refused for.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefusedHousehold {
    /// The household.
    pub household: String,
    /// Why: the stable code.
    pub code: String,
}

/// Takes a step on every review of a village's round that is in the state it starts from.
pub async fn act_on_village(
    state: &AppState,
    user: &AuthUser,
    village: &str,
    round: &str,
    action: &Action,
) -> Result<VillageOutcome, ApiError> {
    let prefix = region_in_scope(user, Some(village))?;
    if prefix.len() != 12 {
        return Err(ApiError::BadRequest(
            "village-invalid",
            "give a village code (12 digits)".into(),
        ));
    }
    let round = parse_round(round)?;
    let mut outcome = VillageOutcome::default();
    for review in reviews::list(&state.db, prefix, round.as_str(), None, 5000).await? {
        let Some(doc) = DocId::parse(&review.doc_id) else {
            continue;
        };
        let starts_here =
            State::from_code(&review.state).is_some_and(|s| action.starts_from().contains(&s));
        if !starts_here {
            continue;
        }
        match act(state, user, &doc, round.as_str(), action).await {
            Ok(_) => outcome.done.push(review.doc_id),
            Err(err @ (ApiError::Conflict(..) | ApiError::Forbidden(..))) => {
                outcome.refused.push(RefusedHousehold {
                    household: review.doc_id,
                    code: err.code().to_owned(),
                })
            }
            Err(other) => return Err(other),
        }
    }
    Ok(outcome)
}

/// Acknowledges a warning of a household for a round (reviewers above the village).
pub async fn acknowledge(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    round: &str,
    code: &str,
    path: &str,
) -> Result<(), ApiError> {
    parse_round(round)?;
    user.require(&[
        zoufang_schemas::Role::TownshipSupervisor,
        zoufang_schemas::Role::CountyOfficer,
        zoufang_schemas::Role::PrefectureOfficer,
        zoufang_schemas::Role::Admin,
    ])?;
    in_scope(state, user, doc, round).await?;
    let exists = findings::of_household(&state.db, doc)
        .await?
        .into_iter()
        .any(|f| f.severity == "WARNING" && f.code == code && f.path == path);
    if !exists {
        return Err(ApiError::NotFound(format!("no warning {code} at {path}")));
    }
    let txn = crate::store::begin_write(&state.db).await?;
    let actor = format!("user:{}", user.name);
    findings::acknowledge(&txn, doc, round, code, path, &actor).await?;
    audit::append(
        &txn,
        Event {
            actor,
            action: "finding.acknowledge",
            subject: format!("{doc}/{round}"),
            detail: serde_json::json!({ "code": code, "path": path }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The record as verified (pinned), as the caller's role may see it; unmasked reads are
/// audited.
pub async fn verified_record(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    round: &str,
) -> Result<String, ApiError> {
    parse_round(round)?;
    let review = in_scope(state, user, doc, round).await?;
    let record = review
        .verified_record
        .filter(|_| State::from_code(&review.state).is_some_and(State::is_verified))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "household {doc} has no verified record for {round}"
            ))
        })?;
    let exposure = Exposure::of(user.role);
    if exposure == Exposure::Full {
        audit_read(
            state,
            user,
            "record.read-verified",
            &format!("{doc}/{round}"),
        )
        .await?;
        return Ok(record);
    }
    let mut json: serde_json::Value =
        serde_json::from_str(&record).map_err(|e| ApiError::Internal(e.to_string()))?;
    masking::apply(exposure, &mut json);
    Ok(json.to_string())
}

/// Audits a read of unmasked personal data.
pub async fn audit_read(
    state: &AppState,
    user: &AuthUser,
    action: &'static str,
    subject: &str,
) -> Result<(), ApiError> {
    audit::append(
        &state.db,
        Event {
            actor: format!("user:{}", user.name),
            action,
            subject: subject.to_owned(),
            detail: serde_json::json!({ "role": user.role.code() }),
        },
    )
    .await?;
    Ok(())
}

/// A field that differs between the verified record and the current one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    /// The field.
    pub path: String,
    /// As verified.
    #[schema(value_type = Object)]
    pub verified: serde_json::Value,
    /// As it stands.
    #[schema(value_type = Object)]
    pub now: serde_json::Value,
}

/// What changed in a household's record since its round was verified.
pub async fn changes_since_verification(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    round: &str,
) -> Result<Vec<FieldChange>, ApiError> {
    parse_round(round)?;
    let review = in_scope(state, user, doc, round).await?;
    let verified: serde_json::Value = match &review.verified_record {
        Some(text) => serde_json::from_str(text).map_err(|e| ApiError::Internal(e.to_string()))?,
        None => {
            return Err(ApiError::NotFound(format!(
                "household {doc} has no verified record for {round}"
            )));
        }
    };
    let loaded = load_at(state, &state.db, doc, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))?;
    let now = HouseholdDoc::from_automerge(loaded.doc).to_json(None);
    let (mut verified, mut now) = (verified, now);
    let exposure = Exposure::of(user.role);
    masking::apply(exposure, &mut verified);
    masking::apply(exposure, &mut now);
    let mut changes = Vec::new();
    diff("", &verified, &now, &mut changes);
    Ok(changes)
}

/// The leaves that differ between two JSON trees, by dotted path.
pub fn diff(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<FieldChange>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff(
                    &child,
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (x, y) if x != y => out.push(FieldChange {
            path: path.to_owned(),
            verified: x.clone(),
            now: y.clone(),
        }),
        _ => {}
    }
}
