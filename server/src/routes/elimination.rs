//! Risk elimination over HTTP: nominations, the steps after them, one case with its
//! history, and the printable public notice.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::elimination::cases::{self, Nomination};
use crate::services::elimination::life::Step;
use crate::services::elimination::{self, CaseView, notice};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use zoufang_schemas::EliminationMode;

/// Which cases.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CaseQuery {
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
    /// `NOMINATED`, `VERIFIED`, `CONFIRMED`, `MARKED`, `WITHDRAWN` or `ROLLED_BACK`.
    pub status: Option<String>,
}

/// The cases of a region, newest first.
#[utoipa::path(get, path = "/api/v1/eliminations", params(CaseQuery),
    responses((status = 200, body = [CaseView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/eliminations")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<CaseQuery>,
) -> Result<web::Json<Vec<CaseView>>, ApiError> {
    Ok(web::Json(
        elimination::list(
            &state,
            &user,
            query.region.as_deref(),
            query.status.as_deref(),
        )
        .await?,
    ))
}

/// A nomination.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewNomination {
    /// The household document.
    pub household: String,
    /// `ASSISTED` 帮扶消除 or `NATURAL` 自然消除.
    pub mode: String,
    /// Why the risk is gone.
    pub reason: String,
}

/// Nominates a monitored household (helpers and township supervisors of its village); the
/// public notice starts today.
#[utoipa::path(post, path = "/api/v1/eliminations", request_body = NewNomination,
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/eliminations")]
pub async fn nominate(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewNomination>,
) -> Result<HttpResponse, ApiError> {
    user.require(elimination::life::NOMINATORS)?;
    let household = crate::routes::identification::household(&body.household)?;
    let mode = EliminationMode::from_code(body.mode.trim()).ok_or_else(|| {
        ApiError::BadRequest(
            "mode-invalid",
            format!("`{}`: ASSISTED or NATURAL", body.mode),
        )
    })?;
    let nomination = Nomination {
        household,
        mode,
        reason: body.reason.clone(),
    };
    let today = crate::services::clues::day(None)?;
    let view = cases::nominate(&state, &user, nomination, today).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Which region's notice.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NoticeQuery {
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
}

/// The public notice of the nominated households as XLSX, numbers masked.
#[utoipa::path(get, path = "/api/v1/eliminations/notice.xlsx", params(NoticeQuery),
    responses((status = 200, description = "XLSX"), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/eliminations/notice.xlsx")]
pub async fn notice_xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, ApiError> {
    notice_download(&state, &user, query.region.as_deref()).await
}

/// The notice as a download (the API's and the console's).
pub async fn notice_download(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let lines = notice::lines(state, user, region).await?;
    let bytes = notice::xlsx(&lines)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "content-disposition",
            "attachment; filename=\"elimination-notice.xlsx\"",
        ))
        .insert_header(("cache-control", "no-store"))
        .body(bytes))
}

/// One case with its steps.
#[utoipa::path(get, path = "/api/v1/eliminations/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/eliminations/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<CaseView>, ApiError> {
    Ok(web::Json(elimination::show(&state, &user, *id).await?))
}

/// A step's note.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StepNote {
    /// Why.
    pub note: Option<String>,
}

/// Parses a step as the path names it (404 for anything else).
pub fn step_of(text: &str) -> Result<Step, ApiError> {
    Step::parse(text).ok_or_else(|| ApiError::NotFound(format!("step {text}")))
}

/// Takes a step on a case: `verify` (township, after the notice), `confirm` and `mark`
/// (county), `withdraw` (its helper, the township or the county, before marking),
/// `rollback` (county, after marking).
#[utoipa::path(post, path = "/api/v1/eliminations/{id}/{step}", params(("id" = i64, Path), ("step" = String, Path)),
    request_body = StepNote,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/eliminations/{id}/{step}")]
pub async fn step(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, String)>,
    body: web::Json<StepNote>,
) -> Result<web::Json<CaseView>, ApiError> {
    let (id, step) = path.into_inner();
    let step = step_of(&step)?;
    let today = crate::services::clues::day(None)?;
    Ok(web::Json(
        cases::take(&state, &user, id, step, body.note.clone(), today).await?,
    ))
}
