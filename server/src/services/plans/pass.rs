//! The pass that keeps plans and their tasks in step with the households: every 脱贫户 gets
//! its annual consolidation plan and every 三类户 its plan, with a task for the village until
//! measures are drawn up; every household with measures gets the quarter's implementation
//! check as a task until each measure has been checked. Run with the identification pass
//! and on request, on a given day (a fixed clock in tests).

use super::life::{self, Standing};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::entities::household;
use crate::store::{plans as store, tasks};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;
use zoufang_schemas::{HouseholdType, TaskKind};

/// Households read and written per transaction.
const PAGE: u64 = 1000;

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PassOutcome {
    /// Households read.
    pub households: u64,
    /// Plans opened.
    pub plans_opened: u64,
    /// Plans whose measures were drawn up.
    pub plans_drawn: u64,
    /// Implementation checks asked for.
    pub checks_due: u64,
}

fn standing(h: &household::Model) -> Standing<'_> {
    Standing {
        lifted: h.hh_type == HouseholdType::Lifted.code(),
        monitored: h.monitor_category.is_some() && h.risk_eliminated != Some(true),
        measures_active: h.measures_active,
        measures_open: h.measures_open,
        latest_start: h.measure_latest_start.as_deref(),
        checked_through: h.measures_checked_through.as_deref(),
    }
}

/// The open tasks of a kind under the scope, by household.
async fn open_tasks(
    db: &sea_orm::DatabaseConnection,
    scope: &str,
    kind: TaskKind,
) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, doc) in tasks::open_of_kind(db, scope, kind.code()).await? {
        if let Some(doc) = doc {
            out.entry(doc).or_default().push(id);
        }
    }
    Ok(out)
}

/// Runs the pass over the households under `scope` on `today`.
pub async fn run(state: &AppState, scope: &str, today: NaiveDate) -> Result<PassOutcome, ApiError> {
    let db = &state.db;
    let (quarter, quarter_end) = life::quarter_of(today)
        .ok_or_else(|| ApiError::Internal(format!("no quarter for {today}")))?;
    let year = today.year();
    let plans = store::plans_of_year(db, scope, year).await?;
    let plan_tasks = open_tasks(db, scope, TaskKind::PlanMeasures).await?;
    let check_tasks = open_tasks(db, scope, TaskKind::CheckMeasures).await?;
    let mut outcome = PassOutcome::default();
    let mut after = String::new();
    loop {
        let page = crate::store::identification::households_page(db, scope, &after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.doc_id.clone();
        let txn = crate::store::begin_write(db).await?;
        for h in &page {
            let st = standing(h);
            let doc = h.doc_id.as_str();
            let none = Vec::new();
            // The plan of the year, and the task asking for it.
            let kind = life::plan_kind(&st);
            let waiting = match kind {
                Some(kind) => {
                    let plan = plans.get(&(doc.to_owned(), kind.to_owned()));
                    plan_state(
                        &txn,
                        h,
                        plan,
                        kind,
                        life::drawn(&st, year),
                        year,
                        &mut outcome,
                    )
                    .await?
                }
                None => false,
            };
            let task = life::plan_task(
                doc,
                year,
                kind.unwrap_or(life::CONSOLIDATION),
                Some(quarter_end),
            );
            let open = plan_tasks.get(doc).unwrap_or(&none);
            keep_only(&txn, &h.region_code, open, task, waiting).await?;
            // The quarter's implementation check.
            let due = life::check_due(&st, &quarter);
            outcome.checks_due += u64::from(due);
            let task = life::check_task(doc, &quarter, quarter_end);
            let open = check_tasks.get(doc).unwrap_or(&none);
            keep_only(&txn, &h.region_code, open, task, due).await?;
        }
        txn.commit().await?;
        outcome.households += page.len() as u64;
    }
    Ok(outcome)
}

/// Opens the household's plan of the year if it has none, marks it drawn once measures
/// are; returns whether it still waits for measures.
async fn plan_state(
    txn: &crate::store::WriteTxn,
    h: &household::Model,
    plan: Option<&crate::store::entities::assistance_plan::Model>,
    kind: &str,
    drawn: bool,
    year: i32,
    outcome: &mut PassOutcome,
) -> Result<bool, ApiError> {
    Ok(match plan {
        None => {
            let status = if drawn { life::DRAWN } else { life::OPEN };
            if store::open(txn, &h.doc_id, &h.region_code, year, kind, status).await? {
                outcome.plans_opened += 1;
            }
            !drawn
        }
        Some(plan) if plan.status == life::OPEN && drawn => {
            store::set_status(txn, plan.id, life::DRAWN).await?;
            outcome.plans_drawn += 1;
            false
        }
        Some(plan) => plan.status == life::OPEN,
    })
}

/// Leaves `task` open when `wanted` (opening it unless it is open already) and closes every
/// other open task of its kind the household has (`open`: their ids).
async fn keep_only(
    txn: &crate::store::WriteTxn,
    region: &str,
    open: &[String],
    task: zoufang_schemas::Task,
    wanted: bool,
) -> Result<(), ApiError> {
    if wanted && !open.contains(&task.id) {
        tasks::put(txn, region, &task, false).await?;
    }
    for id in open.iter().filter(|id| !wanted || **id != task.id) {
        let stale = zoufang_schemas::Task {
            id: id.clone(),
            ..task.clone()
        };
        tasks::put(txn, region, &stale, true).await?;
    }
    Ok(())
}
