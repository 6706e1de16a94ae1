//! Proposing a household for identification and deciding it: the role and scope checked
//! before anything is loaded, the transition of [`super::life`], the flags the proposal
//! takes up (closing the village's task), and, when the county approves, the category,
//! risk types and month of identification written into the household's document by the
//! server, all audited.

use super::life::{self, Proposal, Step};
use super::{ProposalView, scan};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::services::server_write::{self, WrittenBy};
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::{clue, household, identification};
use crate::store::identification::{self as store, FLAG_CLEARED, FLAG_OPEN, FLAG_PROPOSED};
use crate::store::{now, tasks};
use sea_orm::ConnectionTrait;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{ClueType, Department, HouseholdType, RiskType, Role};
use zoufang_sync::DocPath;

fn monitored(h: &household::Model) -> bool {
    h.monitor_category.is_some() && h.risk_eliminated != Some(true)
}

fn codes(risks: &[RiskType]) -> String {
    risks.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

/// The household, if in the caller's scope (404 as if there were none otherwise), and
/// open to a new proposal (409 when monitored already or a proposal waits).
async fn household_open_to_proposal<C: ConnectionTrait>(
    db: &C,
    doc: &str,
    visible: impl Fn(&str) -> bool,
) -> Result<household::Model, ApiError> {
    let h = store::household(db, doc)
        .await?
        .filter(|h| visible(&h.region_code))
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))?;
    if monitored(&h) {
        return Err(ApiError::Conflict(
            "household-monitored",
            "the household is monitored already".into(),
        ));
    }
    if store::open_proposal_of(db, doc).await?.is_some() {
        return Err(ApiError::Conflict(
            "proposal-open",
            "a proposal for this household is waiting for the county".into(),
        ));
    }
    Ok(h)
}

/// The household's open flags are taken up by a proposal: the village's task closes.
async fn take_up_flags<C: ConnectionTrait>(db: &C, h: &household::Model) -> Result<(), ApiError> {
    if store::move_flags(db, &h.doc_id, FLAG_OPEN, FLAG_PROPOSED).await? > 0 {
        tasks::put(db, &h.region_code, &scan::flag_task(&h.doc_id, &[]), true).await?;
    }
    Ok(())
}

/// Proposes a household (helpers and township supervisors of its village).
pub async fn propose(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    proposal: Proposal,
) -> Result<ProposalView, ApiError> {
    user.require(life::PROPOSERS)?;
    life::check(&proposal).map_err(ApiError::from)?;
    let doc = doc.to_string();
    let txn = crate::store::begin_write(&state.db).await?;
    let h = household_open_to_proposal(&txn, &doc, |r| user.sees(r)).await?;
    let source = match user.role {
        Role::Helper => "HELPER",
        _ => "TOWNSHIP",
    };
    let who = format!("user:{}", user.name);
    let row = store::insert_proposal(
        &txn,
        store::NewProposal {
            doc_id: doc.clone(),
            region_code: h.region_code.clone(),
            category: proposal.category.map(|c| c.code().to_owned()),
            risk_types: codes(&proposal.risk_types),
            reason: proposal.reason.trim().to_owned(),
            source: source.to_owned(),
            clue_id: None,
            proposed_by: who.clone(),
        },
    )
    .await?;
    take_up_flags(&txn, &h).await?;
    audit::append(
        &txn,
        Event {
            actor: who,
            action: "identification.propose",
            subject: format!("identification/{}", row.id),
            detail: serde_json::json!({ "household": doc, "category": row.category, "risk_types": row.risk_types }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ProposalView::of(row, h.head_name))
}

/// Opens the proposal an included risk clue leads to, inside the clue's transaction: the
/// category the clue suggests, its risk, its reason and what was found at the door.
/// Nothing when the household is monitored already or a proposal waits (returns `None`).
pub async fn open_from_clue<C: ConnectionTrait>(
    db: &C,
    clue: &clue::Model,
) -> Result<Option<identification::Model>, ApiError> {
    let Ok(h) = household_open_to_proposal(db, &clue.doc_id, |_| true).await else {
        return Ok(None);
    };
    let clue_type = ClueType::from_code(&clue.clue_type).unwrap_or(ClueType::Other);
    let hh_type = HouseholdType::from_code(&h.hh_type).unwrap_or(HouseholdType::General);
    let department = Department::from_code(&clue.department).map_or("部门", |d| d.label_zh());
    let mut reason = format!(
        "{department}风险线索：{}；{}",
        clue_type.label_zh(),
        clue.reason
    );
    if let Some(finding) = &clue.finding {
        reason.push_str(&format!("；入户核实：{finding}"));
    }
    let row = store::insert_proposal(
        db,
        store::NewProposal {
            doc_id: clue.doc_id.clone(),
            region_code: h.region_code.clone(),
            category: Some(
                life::suggested_category(hh_type, clue_type)
                    .code()
                    .to_owned(),
            ),
            risk_types: life::risk_of(clue_type).code().to_owned(),
            reason: reason.chars().take(life::MAX_TEXT).collect(),
            source: "CLUE".to_owned(),
            clue_id: Some(clue.id),
            proposed_by: format!("clue:{}", clue.id),
        },
    )
    .await?;
    take_up_flags(db, &h).await?;
    Ok(Some(row))
}

fn proposal_of(m: &identification::Model) -> Proposal {
    Proposal {
        category: m
            .category
            .as_deref()
            .and_then(zoufang_schemas::MonitorCategory::from_code),
        risk_types: super::split_codes(&m.risk_types)
            .iter()
            .filter_map(|c| RiskType::from_code(c))
            .collect(),
        reason: m.reason.clone(),
    }
}

/// Takes `step` on proposal `id` as `user`, with the decider's note.
pub async fn take(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    step: Step,
    note: Option<String>,
) -> Result<ProposalView, ApiError> {
    user.require(step.roles())?;
    let row = store::proposal(&state.db, id)
        .await?
        .filter(|p| user.sees(&p.region_code))
        .ok_or_else(|| ApiError::NotFound(format!("proposal {id}")))?;
    let who = format!("user:{}", user.name);
    let proposal = proposal_of(&row);
    let (next, category) = life::next(
        &row.status,
        &proposal,
        &step,
        user.role,
        row.proposed_by == who,
    )
    .map_err(ApiError::from)?;
    let today = crate::services::clues::day(None)?;
    let month = today.format("%Y-%m").to_string();
    let mut decided = row.clone();
    decided.status = next.to_owned();
    decided.decided_by = Some(who.clone());
    decided.decided_at = Some(now());
    decided.decision_note = note.map(|n| n.trim().chars().take(life::MAX_TEXT).collect());
    if let Some(c) = category {
        decided.category = Some(c.code().to_owned());
        decided.identified_month = Some(month.clone());
    }
    let event = Event {
        actor: who.clone(),
        action: step.action(),
        subject: format!("identification/{id}"),
        detail: serde_json::json!({ "household": row.doc_id, "category": decided.category, "note": decided.decision_note }),
    };
    let saved = match category {
        Some(category) => {
            let doc = DocId::parse(&row.doc_id)
                .ok_or_else(|| ApiError::Internal("bad document id".into()))?;
            check_risk_room(state, &doc, &proposal.risk_types).await?;
            let risks = proposal.risk_types.clone();
            server_write::write(
                state,
                &doc,
                WrittenBy {
                    user_id: Some(user.id),
                },
                identification_edit(category, &risks, &month),
                async |txn, _| {
                    let saved = save_if_open(txn, decided.clone()).await?;
                    identified(txn, &row, &who, today).await?;
                    Ok(saved)
                },
                event,
            )
            .await?
        }
        None => {
            let txn = crate::store::begin_write(&state.db).await?;
            let saved = save_if_open(&txn, decided).await?;
            audit::append(&txn, event).await?;
            txn.commit().await?;
            saved
        }
    };
    let head = store::household(&state.db, &saved.doc_id)
        .await?
        .and_then(|h| h.head_name);
    Ok(ProposalView::of(saved, head))
}

/// The edit identifying a household: its category, its risk types added, the month, and
/// no longer marked eliminated.
fn identification_edit<'a>(
    category: zoufang_schemas::MonitorCategory,
    risks: &'a [RiskType],
    month: &'a str,
) -> impl Fn(&mut zoufang_sync::Editor<'_, '_>) -> Result<(), zoufang_sync::DocError> + 'a {
    move |e| {
        e.put(
            &DocPath::from_keys(["household", "monitor_category"]),
            &category,
        )?;
        for risk in risks {
            e.set_flag(
                &DocPath::from_keys(["household", "risk_types"]),
                risk.code(),
                true,
            )?;
        }
        e.put(
            &DocPath::from_keys(["monitoring", "identified_month"]),
            &month,
        )?;
        e.put(
            &DocPath::from_keys(["monitoring", "risk_eliminated"]),
            &false,
        )
    }
}

/// What identification starts, in the approval's transaction: the flags it took up are
/// cleared, a marked elimination case is rolled back (the household returns to
/// monitoring), and the household's plan opens.
async fn identified<C: ConnectionTrait>(
    txn: &C,
    row: &identification::Model,
    who: &str,
    today: chrono::NaiveDate,
) -> Result<(), ApiError> {
    store::move_flags(txn, &row.doc_id, FLAG_PROPOSED, FLAG_CLEARED).await?;
    crate::services::elimination::cases::roll_back_on_identification(txn, &row.doc_id, who, today)
        .await?;
    crate::services::plans::open_on_identification(txn, &row.doc_id, &row.region_code, today).await
}

/// Saves a decision unless another one landed first (409 `proposal-closed`).
async fn save_if_open<C: ConnectionTrait>(
    db: &C,
    decided: identification::Model,
) -> Result<identification::Model, ApiError> {
    let current = store::proposal(db, decided.id).await?;
    if current.is_none_or(|c| c.status != life::PROPOSED) {
        return Err(ApiError::Conflict(
            "proposal-closed",
            "the proposal was decided meanwhile".into(),
        ));
    }
    Ok(store::save_proposal(db, decided).await?)
}

/// The household's risk types with the proposal's may not exceed five.
async fn check_risk_room(
    state: &AppState,
    doc: &DocId,
    adding: &[RiskType],
) -> Result<(), ApiError> {
    let loaded = crate::services::documents::load_at(state, &state.db, doc, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))?;
    let record = zoufang_sync::read_record(&loaded.doc)
        .map_err(|e| ApiError::Conflict("record-unreadable", e.to_string()))?;
    let mut all: std::collections::BTreeSet<RiskType> =
        record.household.risk_types.iter().copied().collect();
    all.extend(adding.iter().copied());
    if all.len() > life::MAX_RISK_TYPES {
        return Err(ApiError::Conflict(
            "risk-types-too-many",
            format!(
                "the household has {} risk types already; with these it would have more than {}",
                record.household.risk_types.len(),
                life::MAX_RISK_TYPES
            ),
        ));
    }
    Ok(())
}
