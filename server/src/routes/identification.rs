//! Identification over HTTP: proposals and the county's decisions, the flagged
//! households, the pass that flags them, and the monitoring thresholds.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::identification::life::{Proposal, Step};
use crate::services::identification::scan::{self, ScanOutcome};
use crate::services::identification::threshold_edits::{self, ThresholdEdit, ThresholdsView};
use crate::services::identification::thresholds::ThresholdKind;
use crate::services::identification::{self, FlagView, ProposalView, proposals};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{MonitorCategory, RiskType, Role};

/// Which proposals or flags.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
    /// Proposals: `PROPOSED`, `APPROVED`, `REJECTED` or `WITHDRAWN`; flags: `all` to
    /// include cleared ones.
    pub status: Option<String>,
}

/// The proposals of a region, newest first.
#[utoipa::path(get, path = "/api/v1/identifications", params(ListQuery),
    responses((status = 200, body = [ProposalView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/identifications")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<ProposalView>>, ApiError> {
    Ok(web::Json(
        identification::list(
            &state,
            &user,
            query.region.as_deref(),
            query.status.as_deref(),
        )
        .await?,
    ))
}

/// A proposal to monitor a household.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewProposal {
    /// The household document.
    pub household: String,
    /// `UNSTABLE_LIFTED`, `MARGINAL` or `SUDDEN_HARDSHIP`.
    pub category: String,
    /// One to five `RiskType` codes.
    pub risk_types: Vec<String>,
    /// Why.
    pub reason: String,
}

/// Parses a monitoring category.
pub fn category(code: &str) -> Result<MonitorCategory, ApiError> {
    MonitorCategory::from_code(code).ok_or_else(|| {
        ApiError::BadRequest(
            "category-invalid",
            format!("`{code}`: UNSTABLE_LIFTED, MARGINAL or SUDDEN_HARDSHIP"),
        )
    })
}

/// Parses risk type codes (duplicates dropped).
pub fn risk_types(codes: &[String]) -> Result<Vec<RiskType>, ApiError> {
    let mut risks = Vec::new();
    for code in codes {
        let risk = RiskType::from_code(code.trim()).ok_or_else(|| {
            ApiError::BadRequest("risk-type-invalid", format!("`{code}` is not a risk type"))
        })?;
        if !risks.contains(&risk) {
            risks.push(risk);
        }
    }
    Ok(risks)
}

/// Parses a household document id (404 for anything else, as for an unknown household).
pub fn household(text: &str) -> Result<DocId, ApiError> {
    DocId::parse(text.trim()).ok_or_else(|| ApiError::NotFound(format!("household {text}")))
}

/// Proposes a household for identification (helpers and township supervisors of its
/// village).
#[utoipa::path(post, path = "/api/v1/identifications", request_body = NewProposal,
    responses((status = 201, body = ProposalView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/identifications")]
pub async fn propose(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewProposal>,
) -> Result<HttpResponse, ApiError> {
    user.require(identification::life::PROPOSERS)?;
    let doc = household(&body.household)?;
    let proposal = Proposal {
        category: Some(category(&body.category)?),
        risk_types: risk_types(&body.risk_types)?,
        reason: body.reason.clone(),
    };
    let view = proposals::propose(&state, &user, &doc, proposal).await?;
    Ok(HttpResponse::Created().json(view))
}

/// The county's decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// `APPROVED` or `REJECTED`.
    pub decision: String,
    /// The category to monitor the household as (default: the one proposed).
    pub category: Option<String>,
    /// Why.
    pub note: Option<String>,
}

/// The county's step from a decision code (`APPROVED`, `REJECTED`) and an optional category.
pub fn decision(code: &str, category_code: Option<&str>) -> Result<Step, ApiError> {
    let approve = match code {
        "APPROVED" => true,
        "REJECTED" => false,
        other => {
            return Err(ApiError::BadRequest(
                "decision-invalid",
                format!("`{other}`: APPROVED or REJECTED"),
            ));
        }
    };
    let category = category_code.map(category).transpose()?;
    Ok(Step::Decide { approve, category })
}

/// Decides a proposal (county officers); approving writes the household's category,
/// risk types and month of identification.
#[utoipa::path(post, path = "/api/v1/identifications/{id}/decision", params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = ProposalView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/identifications/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: web::Json<Decision>,
) -> Result<web::Json<ProposalView>, ApiError> {
    let step = decision(&body.decision, body.category.as_deref())?;
    Ok(web::Json(
        proposals::take(&state, &user, *id, step, body.note.clone()).await?,
    ))
}

/// Why a proposal is taken back.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Withdrawal {
    /// Why.
    pub note: Option<String>,
}

/// Withdraws a waiting proposal (its helper, or a township supervisor).
#[utoipa::path(post, path = "/api/v1/identifications/{id}/withdraw", params(("id" = i64, Path)), request_body = Withdrawal,
    responses((status = 200, body = ProposalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/identifications/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: web::Json<Withdrawal>,
) -> Result<web::Json<ProposalView>, ApiError> {
    Ok(web::Json(
        proposals::take(&state, &user, *id, Step::Withdraw, body.note.clone()).await?,
    ))
}

/// The households flagged for identification (open and taken up; `status=all` adds the
/// cleared).
#[utoipa::path(get, path = "/api/v1/identification/flags", params(ListQuery),
    responses((status = 200, body = [FlagView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/identification/flags")]
pub async fn flags(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<FlagView>>, ApiError> {
    let all = query.status.as_deref() == Some("all");
    Ok(web::Json(
        identification::flagged(&state, &user, query.region.as_deref(), all).await?,
    ))
}

/// Which households to judge.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ScanRequest {
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
}

/// Judges the households of a region against this year's thresholds now (county and
/// prefecture officers, administrators).
#[utoipa::path(post, path = "/api/v1/identification/flags/scan", request_body = ScanRequest,
    responses((status = 200, body = ScanOutcome), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/identification/flags/scan")]
pub async fn scan_now(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ScanRequest>,
) -> Result<web::Json<ScanOutcome>, ApiError> {
    user.require(&[Role::CountyOfficer, Role::PrefectureOfficer, Role::Admin])?;
    let region = crate::services::review::region_in_scope(&user, body.region.as_deref())?;
    let year = identification::this_year()?;
    Ok(web::Json(scan::run(&state, region, year).await?))
}

/// Which thresholds.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ThresholdQuery {
    /// The year (default: this year).
    pub year: Option<i32>,
    /// A region in the caller's scope (default: the scope).
    pub region: Option<String>,
}

/// The thresholds of a year in force in a region, and the rows that set them.
#[utoipa::path(get, path = "/api/v1/thresholds", params(ThresholdQuery),
    responses((status = 200, body = ThresholdsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/thresholds")]
pub async fn thresholds(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ThresholdQuery>,
) -> Result<web::Json<ThresholdsView>, ApiError> {
    let year = match query.year {
        Some(y) => y,
        None => identification::this_year()?,
    };
    Ok(web::Json(
        threshold_edits::show(&state, &user, year, query.region.as_deref()).await?,
    ))
}

/// A threshold to set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SetThreshold {
    /// The year.
    pub year: i32,
    /// `""` (national, administrators), a prefecture (4 digits) or a county (6).
    pub region: String,
    /// `INCOME`, `MEDICAL_LIFTED`, `MEDICAL_OTHER` or `EDUCATION`.
    pub kind: String,
    /// Yuan; `null` removes the row.
    pub amount: Option<f64>,
}

/// What setting a threshold did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThresholdSet {
    /// The thresholds now in force in the region.
    pub thresholds: ThresholdsView,
    /// The pass over the region's households (this year's thresholds only).
    pub scan: Option<ScanOutcome>,
}

/// Sets a threshold at the caller's own level (county, prefecture, national), audited.
#[utoipa::path(put, path = "/api/v1/thresholds", request_body = SetThreshold,
    responses((status = 200, body = ThresholdSet), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[put("/api/v1/thresholds")]
pub async fn set_threshold(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<SetThreshold>,
) -> Result<web::Json<ThresholdSet>, ApiError> {
    user.require(threshold_edits::EDITORS)?;
    let kind = ThresholdKind::from_code(&body.kind).ok_or_else(|| {
        ApiError::BadRequest(
            "kind-invalid",
            format!(
                "`{}`: INCOME, MEDICAL_LIFTED, MEDICAL_OTHER or EDUCATION",
                body.kind
            ),
        )
    })?;
    let edit = ThresholdEdit {
        year: body.year,
        region: body.region.trim().to_owned(),
        kind,
        amount: body.amount,
    };
    let region = edit.region.clone();
    let scan = threshold_edits::set(&state, &user, edit).await?;
    let shown = if region.is_empty() || !user.sees(&region) {
        None
    } else {
        Some(region.as_str())
    };
    let now_in_force = threshold_edits::show(&state, &user, body.year, shown).await?;
    Ok(web::Json(ThresholdSet {
        thresholds: now_in_force,
        scan,
    }))
}
