use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use sea_orm::ConnectionTrait;
use zoufang_schemas::Role;

/// The process is up.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The database is reachable.
#[utoipa::path(get, path = "/readyz", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.db.get_database_backend();
    let ping = state
        .db
        .execute_raw(sea_orm::Statement::from_string(backend, "SELECT 1"))
        .await;
    match ping {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(e) => {
            // The reason goes to the log, not to whoever asks.
            tracing::warn!(error = %e, "not ready: database unreachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "code": "database-unreachable",
                "message": "the database is unreachable",
                "message_zh": "数据库暂不可用",
            }))
        }
    }
}

/// Prometheus metrics, for the scraper's bearer token (`telemetry.metrics_token`) or an
/// admin's access token.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format"), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let expected = state.settings.telemetry.metrics_token.expose();
    let scraper = !expected.is_empty()
        && crate::crypto::constant_time_eq(bearer.as_bytes(), expected.as_bytes());
    if !scraper {
        let user = AuthUser::extract(&req).await?;
        user.require(&[Role::Admin])?;
    }
    ::metrics::gauge!("zoufang_documents_cached").set(state.docs.len() as f64);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()))
}
