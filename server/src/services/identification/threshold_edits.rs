//! Reading and setting the monitoring thresholds: a county officer sets their county's, a
//! prefecture officer their prefecture's, an administrator the national row (or any);
//! every change audited with the amount it replaced, and the households of the region
//! judged again at once.

use super::scan::{self, ScanOutcome};
use super::thresholds::{self, Effective, Level, ThresholdKind};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::identification as store;
use serde::Serialize;
use zoufang_schemas::Role;

/// Roles that set thresholds (each at its own level).
pub const EDITORS: &[Role] = &[Role::CountyOfficer, Role::PrefectureOfficer, Role::Admin];

/// A threshold in force.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EffectiveView {
    /// `INCOME`, `MEDICAL_LIFTED`, `MEDICAL_OTHER` or `EDUCATION`.
    pub kind: ThresholdKind,
    /// Chinese label.
    pub label: String,
    /// Yuan.
    pub amount: f64,
    /// Which row sets it: `COUNTY`, `PREFECTURE`, `NATIONAL` or `DEFAULT`.
    pub level: Level,
}

/// A stored threshold row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowView {
    /// `""` for the national row, a prefecture (4 digits) or a county (6).
    pub region_code: String,
    /// Kind code.
    pub kind: String,
    /// Yuan.
    pub amount: f64,
    /// Who set it.
    pub updated_by: String,
    /// When (Unix seconds).
    pub updated_at: i64,
}

/// The thresholds of a year in a region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThresholdsView {
    /// The year.
    pub year: i32,
    /// The region asked about.
    pub region: String,
    /// What is in force there, kind by kind.
    pub effective: Vec<EffectiveView>,
    /// The rows that decide it and those under the region.
    pub rows: Vec<RowView>,
    /// The region code whose rows the caller may set (`""`: national), if any.
    pub editable: Option<String>,
}

/// Checks a year.
pub fn check_year(year: i32) -> Result<i32, ApiError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::BadRequest(
            "year-invalid",
            format!("{year}: a year between 2000 and 2100"),
        ))
    }
}

/// The region whose rows `user` sets: a county officer their county, a prefecture officer
/// their prefecture, an administrator the national row.
pub fn editable_by(user: &AuthUser) -> Option<String> {
    let scope = user.scope.as_str();
    match user.role {
        Role::CountyOfficer if scope.len() == 6 => Some(scope.to_owned()),
        Role::PrefectureOfficer if scope.len() == 4 => Some(scope.to_owned()),
        Role::Admin => Some(String::new()),
        _ => None,
    }
}

/// The thresholds of `year` in force in a region of the caller's scope.
pub async fn show(
    state: &AppState,
    user: &AuthUser,
    year: i32,
    region: Option<&str>,
) -> Result<ThresholdsView, ApiError> {
    let year = check_year(year)?;
    let region = crate::services::review::region_in_scope(user, region)?;
    let stored = store::thresholds_of_year(&state.db, year).await?;
    let rows = thresholds::year_rows(&stored);
    let defaults = &state.settings.workflow.thresholds;
    let effective = thresholds::all_effective(&rows, region, defaults)
        .into_iter()
        .map(|(kind, Effective { amount, level })| EffectiveView {
            kind,
            label: kind.label().to_owned(),
            amount,
            level,
        })
        .collect();
    let relevant = |code: &str| region.starts_with(code) || code.starts_with(region);
    Ok(ThresholdsView {
        year,
        region: region.to_owned(),
        effective,
        rows: stored
            .into_iter()
            .filter(|r| relevant(&r.region_code))
            .map(|r| RowView {
                region_code: r.region_code,
                kind: r.kind,
                amount: r.amount,
                updated_by: r.updated_by,
                updated_at: r.updated_at,
            })
            .collect(),
        editable: editable_by(user),
    })
}

/// What to set.
#[derive(Debug, Clone)]
pub struct ThresholdEdit {
    /// The year.
    pub year: i32,
    /// `""` (national), a prefecture or a county.
    pub region: String,
    /// The kind.
    pub kind: ThresholdKind,
    /// Yuan; `None` removes the row (the level above applies again).
    pub amount: Option<f64>,
}

/// Sets a threshold row at the caller's own level, audits it, and judges the region's
/// households again when the year is the current one.
pub async fn set(
    state: &AppState,
    user: &AuthUser,
    edit: ThresholdEdit,
) -> Result<Option<ScanOutcome>, ApiError> {
    user.require(EDITORS)?;
    let year = check_year(edit.year)?;
    if thresholds::level_of(&edit.region).is_none() {
        return Err(ApiError::BadRequest(
            "region-invalid",
            format!(
                "`{}`: thresholds are set for the nation (\"\"), a prefecture (4 digits) or a county (6)",
                edit.region
            ),
        ));
    }
    let mine = editable_by(user);
    if !(user.role == Role::Admin || mine.as_deref() == Some(edit.region.as_str())) {
        return Err(ApiError::Forbidden(
            "threshold-not-yours",
            format!(
                "a {} sets the thresholds of {} only",
                user.role,
                mine.as_deref().unwrap_or("no region")
            ),
        ));
    }
    if let Some(amount) = edit.amount
        && !thresholds::valid_amount(amount)
    {
        return Err(ApiError::BadRequest(
            "amount-invalid",
            format!("{amount}: an amount in yuan, not negative"),
        ));
    }
    let who = format!("user:{}", user.name);
    let txn = crate::store::begin_write(&state.db).await?;
    let before = store::put_threshold(
        &txn,
        year,
        &edit.region,
        edit.kind.code(),
        edit.amount,
        &who,
    )
    .await?;
    let region_name = if edit.region.is_empty() {
        "national"
    } else {
        edit.region.as_str()
    };
    audit::append(
        &txn,
        Event {
            actor: who,
            action: "threshold.set",
            subject: format!("threshold/{year}/{region_name}/{}", edit.kind.code()),
            detail: serde_json::json!({ "before": before, "after": edit.amount }),
        },
    )
    .await?;
    txn.commit().await?;
    if year == super::this_year()? {
        Ok(Some(scan::run(state, &edit.region, year).await?))
    } else {
        Ok(None)
    }
}
