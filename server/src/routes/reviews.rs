//! Reviewing visits: list and show reviews, take a step on one household or a whole
//! village, acknowledge warnings, read the verified record and what changed since.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::review::REVIEW_READERS;
use crate::services::review::{self, FieldChange, ReviewView, Step, VillageOutcome};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use zoufang_schemas::wire::DocId;

/// Filters of the review list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReviewQuery {
    /// The round, `2022Q1`.
    pub round: String,
    /// A region inside the caller's scope (default: the whole scope).
    pub region: Option<String>,
    /// Only reviews in this state.
    pub state: Option<String>,
}

fn household(id: &str) -> Result<DocId, ApiError> {
    DocId::parse(id).ok_or_else(|| ApiError::NotFound(format!("household {id}")))
}

/// Reviews of a round in the caller's scope.
#[utoipa::path(get, path = "/api/v1/reviews", params(ReviewQuery),
    responses((status = 200, body = [ReviewView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/reviews")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ReviewQuery>,
) -> Result<web::Json<Vec<ReviewView>>, ApiError> {
    user.require(REVIEW_READERS)?;
    Ok(web::Json(
        review::list(
            &state,
            &user,
            query.region.as_deref(),
            &query.round,
            query.state.as_deref(),
        )
        .await?,
    ))
}

/// One household's review of a round.
#[utoipa::path(get, path = "/api/v1/reviews/{household}/{round}", params(("household" = String, Path), ("round" = String, Path)),
    responses((status = 200, body = ReviewView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/reviews/{household}/{round}")]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<web::Json<ReviewView>, ApiError> {
    user.require(REVIEW_READERS)?;
    let (id, round) = path.into_inner();
    Ok(web::Json(
        review::show(&state, &user, &household(&id)?, &round).await?,
    ))
}

/// Takes a step: `village-review`, `township-verify`, `county-accept` or `return` (with a
/// reason). Refused with a stable code when the role, the state or the record does not
/// allow it (`review-open-conflicts`, `review-validation-errors`, ...).
#[utoipa::path(post, path = "/api/v1/reviews/{household}/{round}", params(("household" = String, Path), ("round" = String, Path)),
    request_body = Step,
    responses((status = 200, body = ReviewView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/reviews/{household}/{round}")]
pub async fn act(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<Step>,
) -> Result<web::Json<ReviewView>, ApiError> {
    let (id, round) = path.into_inner();
    let action = body.action()?;
    Ok(web::Json(
        review::act(&state, &user, &household(&id)?, &round, &action).await?,
    ))
}

/// Takes a step on every review of a village's round that is where the step starts.
#[utoipa::path(post, path = "/api/v1/villages/{village}/reviews/{round}", params(("village" = String, Path), ("round" = String, Path)),
    request_body = Step,
    responses((status = 200, body = VillageOutcome), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/villages/{village}/reviews/{round}")]
pub async fn act_on_village(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<Step>,
) -> Result<web::Json<VillageOutcome>, ApiError> {
    let (village, round) = path.into_inner();
    let action = body.action()?;
    Ok(web::Json(
        review::act_on_village(&state, &user, &village, &round, &action).await?,
    ))
}

/// A warning to acknowledge.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Acknowledgement {
    /// The finding's code.
    pub code: String,
    /// The finding's path.
    pub path: String,
}

/// Acknowledges a doubtful-data warning for the round (verification needs every warning
/// acknowledged).
#[utoipa::path(post, path = "/api/v1/reviews/{household}/{round}/acknowledge", params(("household" = String, Path), ("round" = String, Path)),
    request_body = Acknowledgement, responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/reviews/{household}/{round}/acknowledge")]
pub async fn acknowledge(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<Acknowledgement>,
) -> Result<HttpResponse, ApiError> {
    let (id, round) = path.into_inner();
    review::acknowledge(
        &state,
        &user,
        &household(&id)?,
        &round,
        &body.code,
        &body.path,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The record as verified: byte for byte what was pinned (masked for roles that may not
/// see personal numbers).
#[utoipa::path(get, path = "/api/v1/reviews/{household}/{round}/verified", params(("household" = String, Path), ("round" = String, Path)),
    responses((status = 200, description = "the record as JSON"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/reviews/{household}/{round}/verified")]
pub async fn verified(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(REVIEW_READERS)?;
    let (id, round) = path.into_inner();
    let record = review::verified_record(&state, &user, &household(&id)?, &round).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(record))
}

/// What changed in the record since the round was verified.
#[utoipa::path(get, path = "/api/v1/reviews/{household}/{round}/changes", params(("household" = String, Path), ("round" = String, Path)),
    responses((status = 200, body = [FieldChange]), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/reviews/{household}/{round}/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Vec<FieldChange>>, ApiError> {
    user.require(REVIEW_READERS)?;
    let (id, round) = path.into_inner();
    Ok(web::Json(
        review::changes_since_verification(&state, &user, &household(&id)?, &round).await?,
    ))
}
