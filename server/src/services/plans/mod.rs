//! Assistance plans (一户一策 / 一户一册): a 脱贫户's annual consolidation plan and a
//! 三类户's plan from its identification, open until measures are drawn up, and the
//! quarterly implementation check of the measures — each a task for the village.

pub mod life;
pub mod pass;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{plans as store, tasks};
use chrono::{Datelike, NaiveDate};
use sea_orm::ConnectionTrait;
use serde::Serialize;

/// A plan as the roles of its region see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// Household document.
    pub household: String,
    /// Village.
    pub region_code: String,
    /// The head's name.
    pub head_name: Option<String>,
    /// The year.
    pub year: i32,
    /// `CONSOLIDATION` (脱贫户 巩固计划) or `MONITORING` (三类户 一户一册).
    pub kind: String,
    /// `OPEN` (measures to draw up) or `DRAWN`.
    pub status: String,
}

/// The plans of a region in the caller's scope, optionally of a year.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    year: Option<i32>,
) -> Result<Vec<PlanView>, ApiError> {
    user.require(crate::services::REGION_ROLES)?;
    let scope = crate::services::review::region_in_scope(user, region)?;
    let names = crate::store::documents::head_names(&state.db, scope).await?;
    Ok(store::plans_under(&state.db, scope, year)
        .await?
        .into_iter()
        .map(|p| PlanView {
            head_name: names.get(&p.doc_id).cloned(),
            household: p.doc_id,
            region_code: p.region_code,
            year: p.year,
            kind: p.kind,
            status: p.status,
        })
        .collect())
}

/// An identified household's 一户一册 plan opens at once, with its task, inside the
/// identification's transaction.
pub async fn open_on_identification<C: ConnectionTrait>(
    db: &C,
    doc: &str,
    region: &str,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let year = today.year();
    if store::open(db, doc, region, year, life::MONITORING, life::OPEN).await? {
        let due = life::quarter_of(today).map(|(_, end)| end);
        tasks::put(
            db,
            region,
            &life::plan_task(doc, year, life::MONITORING, due),
            false,
        )
        .await?;
    }
    Ok(())
}
