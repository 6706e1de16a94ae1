//! Account management: administrators and county officers list, add and disable the
//! accounts they manage, and list and revoke their devices.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::account_admin::{self, ManagedDevice, NewAccount, UserView};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};

/// The accounts in the caller's scope.
#[utoipa::path(get, path = "/api/v1/users",
    responses((status = 200, body = [UserView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/users")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Vec<UserView>>, ApiError> {
    Ok(web::Json(account_admin::list(&state, &user).await?))
}

/// Adds an account the caller manages.
#[utoipa::path(post, path = "/api/v1/users", request_body = NewAccount,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/users")]
pub async fn add(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewAccount>,
) -> Result<HttpResponse, ApiError> {
    let created = account_admin::add(&state, &user, &body).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Disables an account the caller manages: it cannot sign in and its sessions end.
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", params(("username" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/users/{username}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    user: AuthUser,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    account_admin::disable(&state, &user, &username).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The devices of the accounts in the caller's scope.
#[utoipa::path(get, path = "/api/v1/users/devices",
    responses((status = 200, body = [ManagedDevice]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/users/devices")]
pub async fn devices(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Vec<ManagedDevice>>, ApiError> {
    Ok(web::Json(account_admin::devices(&state, &user).await?))
}

/// Revokes a device of an account the caller manages: its next sync is refused and the
/// tablet wipes its data.
#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/devices/{id}/revoke")]
pub async fn revoke_device(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    account_admin::revoke_device(&state, &user, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
