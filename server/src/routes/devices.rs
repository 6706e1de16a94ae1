use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::accounts::{self, DeviceRegistration, DeviceView};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};

/// Register a device with the automerge actor ids it will sign changes with.
#[utoipa::path(post, path = "/api/v1/devices", request_body = DeviceRegistration,
    responses((status = 201, body = DeviceView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/devices")]
pub async fn register(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<DeviceRegistration>,
) -> Result<HttpResponse, ApiError> {
    let device = accounts::register_device(&state, &user, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(device))
}

/// The caller's devices.
#[utoipa::path(get, path = "/api/v1/devices", responses((status = 200, body = [DeviceView])), security(("bearer" = [])))]
#[get("/api/v1/devices")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Vec<DeviceView>>, ApiError> {
    Ok(web::Json(accounts::list_devices(&state, &user).await?))
}
