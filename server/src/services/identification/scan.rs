//! The pass that judges households against their thresholds: for every household of a
//! region it works out what the household crosses this year ([`super::flags`]), raises a
//! flag and a task for its village where one is new, clears what no longer holds (closing
//! the task), and leaves alone what a proposal already took up. Run by the server every
//! `workflow.flag_scan_secs`, after a threshold changes, and on request.

use super::flags::{self, Crossing, FlagKind, Standing};
use super::thresholds::{self, YearRows};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::entities::{household, identification_flag};
use crate::store::identification::{self as store, FLAG_CLEARED, FLAG_OPEN, FLAG_PROPOSED};
use crate::store::{now, tasks};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use zoufang_schemas::{Department, HouseholdType, Task, TaskKind};

/// Households read and written per transaction.
const PAGE: u64 = 1000;

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScanOutcome {
    /// The year judged.
    pub year: i32,
    /// Households judged.
    pub households: u64,
    /// Households with an open flag after the pass.
    pub flagged: u64,
    /// Flags raised (or raised again) by this pass.
    pub opened: u64,
    /// Flags cleared by this pass.
    pub cleared: u64,
}

/// The task a flagged household gives its village (closed with the same id).
pub fn flag_task(doc: &str, crossings: &[Crossing]) -> Task {
    let labels: Vec<&str> = crossings.iter().map(|c| c.kind.label()).collect();
    let detail: Vec<String> = crossings
        .iter()
        .map(|c| match c.kind {
            FlagKind::IncomeBelow => format!(
                "人均纯收入 {:.0} 元，监测标准 {:.0} 元",
                c.value, c.threshold
            ),
            FlagKind::MedicalSpending => format!(
                "合规自付医疗支出 {:.0} 元，标准 {:.0} 元",
                c.value, c.threshold
            ),
            FlagKind::EducationSpending => {
                format!("教育支出 {:.0} 元，标准 {:.0} 元", c.value, c.threshold)
            }
        })
        .collect();
    Task {
        id: format!("identify:{doc}"),
        kind: TaskKind::CheckIdentification,
        household: Some(doc.to_owned()),
        title: format!("核查是否纳入监测：{}", labels.join("、")),
        detail: (!detail.is_empty()).then(|| detail.join("；")),
        due: None,
        quarter: None,
        clue: None,
        closed: false,
    }
}

/// What the pass knows besides the households.
struct Context {
    year: i32,
    rows: YearRows,
    education: BTreeMap<String, f64>,
    proposed: BTreeSet<String>,
    existing: BTreeMap<(String, String), identification_flag::Model>,
}

/// Judges every household under `scope` (a region prefix; `""` for all) for `year`.
pub async fn run(state: &AppState, scope: &str, year: i32) -> Result<ScanOutcome, ApiError> {
    let db = &state.db;
    let context = Context {
        year,
        rows: thresholds::year_rows(&store::thresholds_of_year(db, year).await?),
        education: store::ledger_sums(db, Department::Education.code(), year, scope).await?,
        proposed: store::docs_with_open_proposals(db, scope)
            .await?
            .into_iter()
            .collect(),
        existing: store::flags_of_year(db, scope, year).await?,
    };
    let mut outcome = ScanOutcome {
        year,
        ..ScanOutcome::default()
    };
    let mut after = String::new();
    loop {
        let page = store::households_page(db, scope, &after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.doc_id.clone();
        let txn = crate::store::begin_write(db).await?;
        for h in &page {
            judge(&txn, state, &context, h, &mut outcome).await?;
        }
        txn.commit().await?;
        outcome.households += page.len() as u64;
    }
    Ok(outcome)
}

fn standing(h: &household::Model, education: Option<f64>) -> Standing {
    Standing {
        lifted: h.hh_type == HouseholdType::Lifted.code(),
        monitored: h.monitor_category.is_some() && h.risk_eliminated != Some(true),
        per_capita_net: h.per_capita_net,
        out_of_pocket: h.out_of_pocket,
        education_cost: education,
    }
}

/// The status a household's flag of one kind moves to, from whether the household crosses
/// the line now, the flag's status before, and whether the household is already proposed
/// for identification; `None` when there is neither a crossing nor a live flag.
fn next_status(crossing: bool, before: Option<&str>, proposed: bool) -> Option<&'static str> {
    match (crossing, before) {
        (false, None | Some(FLAG_CLEARED)) => None,
        (false, Some(_)) => Some(FLAG_CLEARED),
        (true, Some(FLAG_PROPOSED)) => Some(FLAG_PROPOSED),
        (true, _) if proposed => Some(FLAG_PROPOSED),
        (true, _) => Some(FLAG_OPEN),
    }
}

/// Judges one household and writes what changed.
async fn judge(
    txn: &crate::store::WriteTxn,
    state: &AppState,
    context: &Context,
    h: &household::Model,
    outcome: &mut ScanOutcome,
) -> Result<(), ApiError> {
    let lines = thresholds::all_effective(
        &context.rows,
        &h.region_code,
        &state.settings.workflow.thresholds,
    );
    let crossings = flags::crossings(
        &standing(h, context.education.get(&h.doc_id).copied()),
        &lines,
    );
    let proposed = context.proposed.contains(&h.doc_id);
    let mut had_open = false;
    let mut open = Vec::new();
    let mut changed = false;
    for kind in FlagKind::ALL {
        let key = (h.doc_id.clone(), kind.code().to_owned());
        let before = context.existing.get(&key);
        had_open |= before.is_some_and(|f| f.status == FLAG_OPEN);
        let crossing = crossings.iter().find(|c| c.kind == kind);
        let Some(status) = next_status(
            crossing.is_some(),
            before.map(|f| f.status.as_str()),
            proposed,
        ) else {
            continue;
        };
        if status == FLAG_OPEN {
            open.extend(crossing.copied());
        }
        let (value, threshold) = crossing.map_or_else(
            || before.map_or((0.0, 0.0), |f| (f.value, f.threshold)),
            |c| (c.value, c.threshold),
        );
        let unchanged = before.is_some_and(|f| {
            f.status == status
                && f.value == value
                && f.threshold == threshold
                && f.region_code == h.region_code
        });
        if unchanged {
            continue;
        }
        changed = true;
        match status {
            FLAG_OPEN if before.is_none_or(|f| f.status != FLAG_OPEN) => outcome.opened += 1,
            FLAG_CLEARED => outcome.cleared += 1,
            _ => {}
        }
        store::put_flag(
            txn,
            identification_flag::Model {
                id: 0,
                doc_id: h.doc_id.clone(),
                region_code: h.region_code.clone(),
                year: context.year,
                kind: kind.code().to_owned(),
                value,
                threshold,
                status: status.to_owned(),
                created_at: before.map_or_else(now, |f| f.created_at),
                updated_at: now(),
            },
        )
        .await?;
    }
    if !open.is_empty() {
        outcome.flagged += 1;
    }
    if changed {
        put_task(txn, h, &open, had_open).await?;
    }
    Ok(())
}

/// The household's flag task: put while a flag is open, closed when the last open one
/// cleared.
async fn put_task(
    txn: &crate::store::WriteTxn,
    h: &household::Model,
    open: &[Crossing],
    had_open: bool,
) -> Result<(), ApiError> {
    if !open.is_empty() {
        tasks::put(txn, &h.region_code, &flag_task(&h.doc_id, open), false).await?;
    } else if had_open {
        tasks::put(txn, &h.region_code, &flag_task(&h.doc_id, &[]), true).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_opens_on_a_crossing_and_clears_when_the_crossing_is_gone() {
        assert_eq!(next_status(true, None, false), Some(FLAG_OPEN));
        assert_eq!(
            next_status(true, Some(FLAG_CLEARED), false),
            Some(FLAG_OPEN)
        );
        assert_eq!(
            next_status(false, Some(FLAG_OPEN), false),
            Some(FLAG_CLEARED)
        );
        assert_eq!(
            next_status(false, Some(FLAG_PROPOSED), false),
            Some(FLAG_CLEARED)
        );
    }

    #[test]
    fn nothing_to_keep_without_a_crossing_or_a_live_flag() {
        assert_eq!(next_status(false, None, false), None);
        assert_eq!(next_status(false, Some(FLAG_CLEARED), true), None);
    }

    #[test]
    fn a_proposed_household_s_crossing_stays_proposed() {
        assert_eq!(
            next_status(true, Some(FLAG_PROPOSED), false),
            Some(FLAG_PROPOSED)
        );
        assert_eq!(next_status(true, None, true), Some(FLAG_PROPOSED));
        assert_eq!(
            next_status(true, Some(FLAG_OPEN), true),
            Some(FLAG_PROPOSED)
        );
    }
}
