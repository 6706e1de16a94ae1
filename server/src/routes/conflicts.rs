use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::conflict_review::{self, ConflictView, Resolution};
use crate::state::AppState;
use actix_web::{get, post, web};
use serde::Deserialize;

/// Filters for the conflict list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ConflictQuery {
    /// A village or township code inside the caller's scope.
    pub village: Option<String>,
    /// `OPEN` or `RESOLVED`.
    pub status: Option<String>,
}

/// Conflicts in the caller's scope.
#[utoipa::path(get, path = "/api/v1/conflicts", params(ConflictQuery),
    responses((status = 200, body = [ConflictView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/conflicts")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ConflictQuery>,
) -> Result<web::Json<Vec<ConflictView>>, ApiError> {
    Ok(web::Json(
        conflict_review::list(
            &state,
            &user,
            query.village.as_deref(),
            query.status.as_deref(),
        )
        .await?,
    ))
}

/// One conflict with every candidate, who wrote it and when, and the value before.
#[utoipa::path(get, path = "/api/v1/conflicts/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ConflictView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/conflicts/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<ConflictView>, ApiError> {
    Ok(web::Json(
        conflict_review::show(&state, &user, id.into_inner()).await?,
    ))
}

/// Resolve by choosing a candidate or entering a value; the server writes it as its own
/// change, which reaches every tablet on its next sync.
#[utoipa::path(post, path = "/api/v1/conflicts/{id}/resolve", params(("id" = i64, Path)), request_body = Resolution,
    responses((status = 200, body = ConflictView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/conflicts/{id}/resolve")]
pub async fn resolve(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: web::Json<Resolution>,
) -> Result<web::Json<ConflictView>, ApiError> {
    Ok(web::Json(
        conflict_review::resolve(&state, &user, id.into_inner(), body.into_inner()).await?,
    ))
}
