use crate::error::{ApiError, ErrorBody};
use crate::services::accounts::{self, TokenPair};
use crate::state::AppState;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

/// Username and password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A refresh token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from login or an earlier refresh.
    pub refresh_token: String,
}

/// Log in: an access token (JWT, 15 minutes) and a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    Ok(web::Json(
        accounts::login(&state, &body.username, &body.password).await?,
    ))
}

/// Exchange a refresh token for a new pair (the old one stops working).
#[utoipa::path(post, path = "/api/v1/auth/refresh", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
#[post("/api/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    Ok(web::Json(
        accounts::refresh(&state, &body.refresh_token).await?,
    ))
}

/// Revoke a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", request_body = RefreshRequest, responses((status = 204)))]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts::logout(&state, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}
