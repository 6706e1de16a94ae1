use crate::error::{ApiError, ErrorBody};
use crate::services::sessions::{self, TokenPair};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, post, web};
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

/// The client's address: the peer, or the first `X-Forwarded-For` hop when the server is
/// configured to trust its proxy.
pub fn client_address(state: &AppState, req: &HttpRequest) -> Option<std::net::IpAddr> {
    if state.settings.server.trust_forwarded_for
        && let Some(forwarded) = req.connection_info().realip_remote_addr()
        && let Ok(ip) = forwarded.trim().parse()
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

/// Log in: an access token (JWT, 15 minutes) and a refresh token. Failed logins are
/// throttled per account and per address: 429 `login-throttled` with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    let address = client_address(&state, &req);
    Ok(web::Json(
        sessions::login(&state, &body.username, &body.password, address).await?,
    ))
}

/// Exchange a refresh token for a new pair (the old one stops working; presenting a spent
/// one again ends the whole session: 401 `refresh-token-reused`).
#[utoipa::path(post, path = "/api/v1/auth/refresh", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
#[post("/api/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    Ok(web::Json(
        sessions::refresh(&state, &body.refresh_token).await?,
    ))
}

/// End the session the refresh token belongs to.
#[utoipa::path(post, path = "/api/v1/auth/logout", request_body = RefreshRequest, responses((status = 204)))]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    sessions::logout(&state, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}
