//! Photo uploads: start (or resume) an upload for a hash and size, ask its offset, append
//! chunks strictly in order, finish. Finishing verifies the hash, checks and decodes the
//! image under limits, stores the original byte for byte with a thumbnail and a preview,
//! and records the EXIF facts. Bytes in flight are staged in `data_dir/uploads`; a photo
//! that fails any check is removed with its staging, so nothing is left half-stored.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::photos::process::{DecodeLimits, PhotoRejection, process};
use crate::photos::storage::Variant;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::blob;
use crate::store::{now, photos};
use sea_orm::IntoActiveModel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use zoufang_schemas::PhotoHash;

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadStatus {
    /// SHA-256 of the photo, lowercase hex.
    pub hash: String,
    /// Its size in bytes.
    pub size: u64,
    /// Bytes received so far: the next chunk starts here.
    pub offset: u64,
    /// The server has the photo; nothing (more) needs to be sent.
    pub complete: bool,
    /// Largest chunk accepted.
    pub max_chunk_bytes: usize,
}

/// A stored photo and what its EXIF says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PhotoView {
    /// SHA-256, lowercase hex.
    pub hash: String,
    /// Bytes of the original.
    pub size: i64,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub media_type: String,
    /// Width of the original.
    pub width: i32,
    /// Height of the original.
    pub height: i32,
    /// When it was taken (EXIF).
    pub taken_at: Option<String>,
    /// Latitude (EXIF GPS).
    pub gps_lat: Option<f64>,
    /// Longitude (EXIF GPS).
    pub gps_lon: Option<f64>,
    /// Camera (EXIF make and model).
    pub camera: Option<String>,
    /// EXIF orientation (1–8); the thumbnail and preview are already upright.
    pub orientation: i32,
    /// Uploaded at (Unix seconds).
    pub created_at: i64,
}

impl From<blob::Model> for PhotoView {
    fn from(m: blob::Model) -> Self {
        Self {
            hash: m.hash,
            size: m.size,
            media_type: m.media_type,
            width: m.width,
            height: m.height,
            taken_at: m.taken_at,
            gps_lat: m.gps_lat,
            gps_lon: m.gps_lon,
            camera: m.camera,
            orientation: m.orientation,
            created_at: m.created_at,
        }
    }
}

fn parse_hash(hash: &str) -> Result<PhotoHash, ApiError> {
    PhotoHash::parse(hash).map_err(|e| ApiError::BadRequest("photo-hash-invalid", e.to_string()))
}

fn staging(state: &AppState, hash: &PhotoHash) -> PathBuf {
    state
        .settings
        .data_dir
        .join("uploads")
        .join(format!("{}.part", hash.as_str()))
}

async fn staged_len(path: &PathBuf) -> u64 {
    tokio::fs::metadata(path).await.map_or(0, |m| m.len())
}

fn io(err: std::io::Error) -> ApiError {
    ApiError::Internal(format!("upload staging: {err}"))
}

async fn status_of(state: &AppState, hash: &PhotoHash) -> Result<Option<UploadStatus>, ApiError> {
    let max_chunk_bytes = state.settings.photos.max_chunk_bytes;
    if let Some(stored) = photos::blob(&state.db, hash.as_str()).await? {
        return Ok(Some(UploadStatus {
            hash: stored.hash,
            size: stored.size as u64,
            offset: stored.size as u64,
            complete: true,
            max_chunk_bytes,
        }));
    }
    Ok(match photos::upload(&state.db, hash.as_str()).await? {
        Some(upload) => Some(UploadStatus {
            hash: upload.hash,
            size: upload.size as u64,
            offset: staged_len(&staging(state, hash)).await,
            complete: false,
            max_chunk_bytes,
        }),
        None => None,
    })
}

/// Starts an upload, or returns where an earlier one stands (or that the photo is stored).
pub async fn start(
    state: &AppState,
    user: &AuthUser,
    hash: &str,
    size: u64,
) -> Result<UploadStatus, ApiError> {
    let hash = parse_hash(hash)?;
    let limit = state.settings.photos.max_bytes;
    if size == 0 {
        return Err(ApiError::BadRequest(
            "photo-empty",
            "a photo has at least one byte".into(),
        ));
    }
    if size > limit {
        return Err(ApiError::TooLarge(
            "photo-too-large",
            format!("{size} bytes is over the limit of {limit} bytes per photo"),
        ));
    }
    let _guard = state.upload_locks.lock([hash.as_str()]).await;
    if let Some(status) = status_of(state, &hash).await? {
        if !status.complete && status.size != size {
            return Err(ApiError::Conflict(
                "upload-size-mismatch",
                format!(
                    "an upload of this photo with {} bytes is in progress",
                    status.size
                ),
            ));
        }
        return Ok(status);
    }
    photos::start_upload(&state.db, hash.as_str(), size, user.id).await?;
    tokio::fs::File::create(staging(state, &hash))
        .await
        .map_err(io)?;
    Ok(UploadStatus {
        hash: hash.as_str().to_owned(),
        size,
        offset: 0,
        complete: false,
        max_chunk_bytes: state.settings.photos.max_chunk_bytes,
    })
}

/// Where an upload stands.
pub async fn status(state: &AppState, hash: &str) -> Result<UploadStatus, ApiError> {
    let hash = parse_hash(hash)?;
    status_of(state, &hash)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no upload of photo {}", hash.as_str())))
}

/// Appends a chunk at `offset`, which must be where the upload stands.
pub async fn append(
    state: &AppState,
    hash: &str,
    offset: u64,
    chunk: &[u8],
) -> Result<UploadStatus, ApiError> {
    let hash = parse_hash(hash)?;
    let max = state.settings.photos.max_chunk_bytes;
    if chunk.len() > max {
        return Err(ApiError::TooLarge(
            "chunk-too-large",
            format!("a chunk may carry at most {max} bytes"),
        ));
    }
    let _guard = state.upload_locks.lock([hash.as_str()]).await;
    let current = status_of(state, &hash)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no upload of photo {}", hash.as_str())))?;
    if current.complete {
        return Ok(current);
    }
    if offset != current.offset {
        return Err(ApiError::Conflict(
            "upload-offset-mismatch",
            format!(
                "the upload stands at byte {}, the chunk starts at {offset}",
                current.offset
            ),
        ));
    }
    if offset + chunk.len() as u64 > current.size {
        return Err(ApiError::BadRequest(
            "upload-exceeds-size",
            format!(
                "the chunk ends past the announced size of {} bytes",
                current.size
            ),
        ));
    }
    let path = staging(state, &hash);
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .await
        .map_err(io)?;
    file.write_all(chunk).await.map_err(io)?;
    file.sync_data().await.map_err(io)?;
    Ok(UploadStatus {
        offset: offset + chunk.len() as u64,
        ..current
    })
}

/// Removes an upload and its staged bytes.
async fn discard(state: &AppState, hash: &PhotoHash) -> Result<(), ApiError> {
    let _ = tokio::fs::remove_file(staging(state, hash)).await;
    photos::end_upload(&state.db, hash.as_str()).await?;
    Ok(())
}

/// Finishes an upload: verifies, checks, derives and stores the photo.
pub async fn finish(state: &AppState, user: &AuthUser, hash: &str) -> Result<PhotoView, ApiError> {
    let hash = parse_hash(hash)?;
    let _guard = state.upload_locks.lock([hash.as_str()]).await;
    if let Some(stored) = photos::blob(&state.db, hash.as_str()).await? {
        return Ok(stored.into());
    }
    let upload = photos::upload(&state.db, hash.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no upload of photo {}", hash.as_str())))?;
    let path = staging(state, &hash);
    let bytes = tokio::fs::read(&path).await.map_err(io)?;
    if (bytes.len() as u64) < upload.size as u64 {
        return Err(ApiError::Conflict(
            "upload-incomplete",
            format!("{} of {} bytes received", bytes.len(), upload.size),
        ));
    }
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != hash.as_str() {
        discard(state, &hash).await?;
        return Err(ApiError::Unprocessable(
            "photo-hash-mismatch",
            format!(
                "the bytes hash to {actual}, not {}; send the photo again",
                hash.as_str()
            ),
        ));
    }
    let limits = DecodeLimits {
        max_pixels: state.settings.photos.max_pixels,
        max_alloc: state.settings.photos.max_decode_bytes,
    };
    let checked = tokio::task::spawn_blocking(move || {
        let processed = process(&bytes, &limits);
        (bytes, processed)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("photo processing: {e}")))?;
    let (bytes, processed) = checked;
    let processed = match processed {
        Ok(p) => p,
        Err(rejection) => {
            discard(state, &hash).await?;
            return Err(match rejection {
                PhotoRejection::Unsupported => {
                    ApiError::UnsupportedMedia(rejection.code(), rejection.to_string())
                }
                _ => ApiError::Unprocessable(rejection.code(), rejection.to_string()),
            });
        }
    };
    let store_error = |e: object_store::Error| ApiError::Internal(format!("photo store: {e}"));
    // Derived images first, the original last: a stored original means a complete photo.
    state
        .blobs
        .put(hash.as_str(), Variant::Thumbnail, processed.thumbnail)
        .await
        .map_err(store_error)?;
    state
        .blobs
        .put(hash.as_str(), Variant::Preview, processed.preview)
        .await
        .map_err(store_error)?;
    state
        .blobs
        .put(hash.as_str(), Variant::Original, bytes)
        .await
        .map_err(store_error)?;
    let exif = processed.exif;
    let model = blob::Model {
        hash: hash.as_str().to_owned(),
        size: upload.size,
        media_type: processed.media_type.to_owned(),
        width: processed.width as i32,
        height: processed.height as i32,
        taken_at: exif.taken_at,
        gps_lat: exif.gps_lat,
        gps_lon: exif.gps_lon,
        camera: exif.camera,
        orientation: i32::from(exif.orientation),
        uploaded_by: Some(user.id),
        created_at: now(),
    };
    let txn = crate::store::begin_write(&state.db).await?;
    photos::insert_blob(&txn, model.clone().into_active_model()).await?;
    photos::end_upload(&txn, hash.as_str()).await?;
    audit::append(
        &txn,
        state.digest.as_ref(),
        Event {
            actor: format!("user:{}", user.name),
            action: "photo.store",
            subject: hash.as_str().to_owned(),
            detail: serde_json::json!({ "size": model.size, "media_type": model.media_type }),
        },
    )
    .await?;
    txn.commit().await?;
    let _ = tokio::fs::remove_file(&path).await;
    Ok(model.into())
}

/// A photo's record, if the user's scope holds a household referencing it.
pub async fn view(state: &AppState, user: &AuthUser, hash: &str) -> Result<PhotoView, ApiError> {
    let hash = parse_hash(hash)?;
    authorize(state, user, &hash).await?;
    photos::blob(&state.db, hash.as_str())
        .await?
        .map(PhotoView::from)
        .ok_or_else(|| ApiError::NotFound(format!("photo {} is not uploaded yet", hash.as_str())))
}

/// One stored image of a photo, with its media type.
pub async fn image(
    state: &AppState,
    user: &AuthUser,
    hash: &str,
    variant: Variant,
) -> Result<(bytes::Bytes, String), ApiError> {
    let shown = view(state, user, hash).await?;
    let media_type = match variant {
        Variant::Original => shown.media_type,
        _ => "image/jpeg".to_owned(),
    };
    let bytes = state
        .blobs
        .get(&shown.hash, variant)
        .await
        .map_err(|e| ApiError::Internal(format!("photo store: {e}")))?
        .ok_or_else(|| ApiError::NotFound(format!("photo {} has no such image", shown.hash)))?;
    Ok((bytes, media_type))
}

async fn authorize(state: &AppState, user: &AuthUser, hash: &PhotoHash) -> Result<(), ApiError> {
    if photos::referenced_in_scope(&state.db, hash.as_str(), user.scope.as_str()).await? {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "photo-not-in-scope",
            "no household in your scope references this photo".into(),
        ))
    }
}
