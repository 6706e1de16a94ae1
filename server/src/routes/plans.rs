//! Assistance plans over HTTP: the plans of a region, and the pass that brings plans and
//! the quarter's implementation checks up to date now.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::plans::pass::{self, PassOutcome};
use crate::services::plans::{self, PlanView};
use crate::state::AppState;
use actix_web::{get, post, web};
use serde::Deserialize;
use zoufang_schemas::Role;

/// Which plans.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PlanQuery {
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
    /// The year.
    pub year: Option<i32>,
}

/// The plans of a region: household, year, kind, whether measures are drawn up.
#[utoipa::path(get, path = "/api/v1/plans", params(PlanQuery),
    responses((status = 200, body = [PlanView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/plans")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PlanQuery>,
) -> Result<web::Json<Vec<PlanView>>, ApiError> {
    Ok(web::Json(
        plans::list(&state, &user, query.region.as_deref(), query.year).await?,
    ))
}

/// Which households to bring up to date.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PassRequest {
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
}

/// Opens this year's plans, closes those drawn up, and asks for the quarter's
/// implementation checks, now (county and prefecture officers, administrators).
#[utoipa::path(post, path = "/api/v1/plans/pass", request_body = PassRequest,
    responses((status = 200, body = PassOutcome), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/plans/pass")]
pub async fn run_pass(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<PassRequest>,
) -> Result<web::Json<PassOutcome>, ApiError> {
    user.require(&[Role::CountyOfficer, Role::PrefectureOfficer, Role::Admin])?;
    let region = crate::services::review::region_in_scope(&user, body.region.as_deref())?;
    let today = crate::services::clues::day(None)?;
    Ok(web::Json(pass::run(&state, region, today).await?))
}
