//! Photo uploads (resumable, in chunks) and photo reads for the households in scope.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::photos::storage::Variant;
use crate::services::photos::{self, PhotoView, UploadStatus, Uploader};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use futures_util::StreamExt;
use serde::Deserialize;

/// Starting an upload.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StartUpload {
    /// SHA-256 of the photo's bytes, lowercase hex.
    pub hash: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Where a chunk starts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChunkQuery {
    /// Byte offset of the chunk; must equal the upload's current offset.
    pub offset: u64,
}

/// The device an upload request names (`X-Zoufang-Device`), if any.
fn device_of(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(super::sync::DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
}

/// Starts an upload, or tells where the caller's earlier one stands; `complete` when the
/// server has the photo and the caller may read it (it is never sent again). An upload
/// belongs to the user, and to the device named by `X-Zoufang-Device` if one is.
#[utoipa::path(post, path = "/api/v1/photos/uploads", request_body = StartUpload,
    responses((status = 200, body = UploadStatus), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/photos/uploads")]
pub async fn start(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: web::Json<StartUpload>,
) -> Result<web::Json<UploadStatus>, ApiError> {
    let who = Uploader {
        user: &user,
        device: device_of(&req),
    };
    Ok(web::Json(
        photos::start(&state, who, &body.hash, body.size).await?,
    ))
}

/// Where an upload stands: the offset the next chunk starts at.
#[utoipa::path(get, path = "/api/v1/photos/uploads/{hash}", params(("hash" = String, Path)),
    responses((status = 200, body = UploadStatus), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/photos/uploads/{hash}")]
pub async fn status(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    hash: web::Path<String>,
) -> Result<web::Json<UploadStatus>, ApiError> {
    let who = Uploader {
        user: &user,
        device: device_of(&req),
    };
    Ok(web::Json(photos::status(&state, who, &hash).await?))
}

/// Appends one chunk (the raw bytes as the body) at `offset`.
#[utoipa::path(put, path = "/api/v1/photos/uploads/{hash}", params(("hash" = String, Path), ChunkQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = UploadStatus), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
#[put("/api/v1/photos/uploads/{hash}")]
pub async fn append(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    hash: web::Path<String>,
    query: web::Query<ChunkQuery>,
    mut payload: web::Payload,
) -> Result<web::Json<UploadStatus>, ApiError> {
    let max = state.settings.photos.max_chunk_bytes;
    let mut chunk = Vec::new();
    while let Some(part) = payload.next().await {
        let part = part.map_err(|e| ApiError::BadRequest("body-unreadable", e.to_string()))?;
        if chunk.len() + part.len() > max {
            return Err(ApiError::TooLarge(
                "chunk-too-large",
                format!("a chunk may carry at most {max} bytes"),
            ));
        }
        chunk.extend_from_slice(&part);
    }
    let who = Uploader {
        user: &user,
        device: device_of(&req),
    };
    Ok(web::Json(
        photos::append(&state, who, &hash, query.offset, chunk).await?,
    ))
}

/// Finishes an upload: the hash is verified, the image checked and decoded under limits,
/// the thumbnail and preview made and EXIF read.
#[utoipa::path(post, path = "/api/v1/photos/uploads/{hash}/finish", params(("hash" = String, Path)),
    responses((status = 200, body = PhotoView), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/photos/uploads/{hash}/finish")]
pub async fn finish(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    hash: web::Path<String>,
) -> Result<web::Json<PhotoView>, ApiError> {
    let who = Uploader {
        user: &user,
        device: device_of(&req),
    };
    Ok(web::Json(photos::finish(&state, who, &hash).await?))
}

/// A photo's record with its EXIF facts, for a household in the caller's scope.
#[utoipa::path(get, path = "/api/v1/photos/{hash}", params(("hash" = String, Path)),
    responses((status = 200, body = PhotoView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/photos/{hash}")]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    hash: web::Path<String>,
) -> Result<web::Json<PhotoView>, ApiError> {
    Ok(web::Json(photos::view(&state, &user, &hash).await?))
}

/// The image: `original` (byte for byte), `thumbnail` (~256 px) or `preview` (~1280 px).
#[utoipa::path(get, path = "/api/v1/photos/{hash}/{variant}", params(("hash" = String, Path), ("variant" = String, Path)),
    responses((status = 200, description = "The image bytes"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/photos/{hash}/{variant}")]
pub async fn image(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (hash, variant_name) = path.into_inner();
    let variant = match variant_name.as_str() {
        "original" => Variant::Original,
        "thumbnail" => Variant::Thumbnail,
        "preview" => Variant::Preview,
        other => {
            return Err(ApiError::NotFound(format!(
                "{other}: use original, thumbnail or preview"
            )));
        }
    };
    let (bytes, media_type) = photos::image(&state, &user, &hash, variant).await?;
    let extension = match media_type.as_str() {
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "jpg",
    };
    // The original is evidence to download, never a page to render: a file that is both
    // an image and HTML is served as an attachment under a policy that runs nothing.
    let disposition = match variant {
        Variant::Original => "attachment",
        _ => "inline",
    };
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((
            "content-disposition",
            format!(
                "{disposition}; filename=\"{}-{variant_name}.{extension}\"",
                &hash[..16.min(hash.len())]
            ),
        ))
        .insert_header(("content-security-policy", "default-src 'none'; sandbox"))
        .insert_header(("cache-control", "private, no-store"))
        .body(bytes))
}
