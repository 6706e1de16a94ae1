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
            let plan_task_id = format!("plan:{doc}:{year}");
            let open_plan_tasks = plan_tasks.get(doc).unwrap_or(&none);
            let mut plan_task_open = false;
            if let Some(kind) = life::plan_kind(&st) {
                let drawn = life::drawn(&st, year);
                match plans.get(&(doc.to_owned(), kind.to_owned())) {
                    None => {
                        let status = if drawn { life::DRAWN } else { life::OPEN };
                        if store::open(&txn, doc, &h.region_code, year, kind, status).await? {
                            outcome.plans_opened += 1;
                        }
                        plan_task_open = !drawn;
                    }
                    Some(plan) if plan.status == life::OPEN && drawn => {
                        store::set_status(&txn, plan.id, life::DRAWN).await?;
                        outcome.plans_drawn += 1;
                    }
                    Some(plan) => plan_task_open = plan.status == life::OPEN,
                }
                if plan_task_open && !open_plan_tasks.contains(&plan_task_id) {
                    let task = life::plan_task(doc, year, kind, Some(quarter_end));
                    tasks::put(&txn, &h.region_code, &task, false).await?;
                }
            }
            for id in open_plan_tasks
                .iter()
                .filter(|id| !plan_task_open || **id != plan_task_id)
            {
                let task = life::plan_task(doc, year, life::CONSOLIDATION, None);
                tasks::put(
                    &txn,
                    &h.region_code,
                    &zoufang_schemas::Task {
                        id: id.clone(),
                        ..task
                    },
                    true,
                )
                .await?;
            }
            // The quarter's implementation check.
            let check_id = format!("check:{doc}:{}", quarter.as_str());
            let due = life::check_due(&st, &quarter);
            let open_checks = check_tasks.get(doc).unwrap_or(&none);
            if due {
                outcome.checks_due += 1;
                if !open_checks.contains(&check_id) {
                    let task = life::check_task(doc, &quarter, quarter_end);
                    tasks::put(&txn, &h.region_code, &task, false).await?;
                }
            }
            for id in open_checks.iter().filter(|id| !due || **id != check_id) {
                let task = life::check_task(doc, &quarter, quarter_end);
                tasks::put(
                    &txn,
                    &h.region_code,
                    &zoufang_schemas::Task {
                        id: id.clone(),
                        ..task
                    },
                    true,
                )
                .await?;
            }
        }
        txn.commit().await?;
        outcome.households += page.len() as u64;
    }
    Ok(outcome)
}
