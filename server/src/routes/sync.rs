use crate::auth::UncheckedUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::sync::{self as sync_service, SyncFigures};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, post, web};
use std::time::Instant;

/// The header naming the syncing device.
pub const DEVICE_HEADER: &str = "x-zoufang-device";

/// Sync: a CBOR `SyncRequest` in (optionally gzip/zstd/br compressed), a CBOR `SyncReply`
/// out. The device is named by the `X-Zoufang-Device` header. A revoked device gets 410
/// with code `device-revoked`: the tablet must wipe its data.
#[utoipa::path(post, path = "/api/v1/sync",
    request_body(content = Vec<u8>, content_type = "application/cbor", description = "zoufang_schemas::wire::SyncRequest"),
    responses(
        (status = 200, content_type = "application/cbor", description = "zoufang_schemas::wire::SyncReply"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 410, body = ErrorBody, description = "device revoked: wipe"), (status = 413, body = ErrorBody)),
    params(("X-Zoufang-Device" = String, Header, description = "device id from POST /api/v1/devices")),
    security(("bearer" = [])))]
#[post("/api/v1/sync")]
#[tracing::instrument(skip_all, fields(user = %user.name))]
pub async fn sync(
    state: web::Data<AppState>,
    UncheckedUser(user): UncheckedUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let device = req
        .headers()
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::BadRequest(
                "device-header-missing",
                "send the device id in X-Zoufang-Device".into(),
            )
        })?
        .to_owned();
    let body =
        match super::body::read_limited(&req, payload, state.settings.sync.max_body_bytes).await {
            Ok(body) => body,
            Err(err) => {
                sync_service::observe(started, 0, 0, &SyncFigures::default(), err.code());
                return Err(err);
            }
        };
    match sync_service::sync(&state, &user, &device, &body).await {
        Ok((reply, figures)) => {
            sync_service::observe(started, body.len(), reply.len(), &figures, "ok");
            tracing::info!(
                device,
                merged = figures.merged,
                changes = figures.changes,
                conflicts = figures.conflicts,
                "sync"
            );
            Ok(HttpResponse::Ok()
                .content_type("application/cbor")
                .body(reply))
        }
        Err(err) => {
            sync_service::observe(started, body.len(), 0, &SyncFigures::default(), err.code());
            Err(err)
        }
    }
}
