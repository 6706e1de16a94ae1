//! Photo uploads: start (or resume) an upload for a hash and size, ask its offset, append
//! chunks strictly in order, finish. Finishing verifies the hash, checks and decodes the
//! image under limits, stores the original byte for byte with a thumbnail and a preview,
//! and records the EXIF facts. An upload belongs to the user (and device) that started it:
//! no one else sees or extends it. Bytes in flight are staged in the database (any server
//! node can continue an upload), within a quota per user, and forgotten when left
//! unfinished too long; a photo that fails any check is removed with its staging, so
//! nothing is left half-stored.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::photos::process::{DecodeLimits, PhotoRejection, process};
use crate::photos::storage::Variant;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::{blob, photo_upload};
use crate::store::{now, photos};
use sea_orm::IntoActiveModel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

/// Who sends an upload request: the user, and the device when the request names one.
#[derive(Debug, Clone, Copy)]
pub struct Uploader<'a> {
    /// The signed-in user.
    pub user: &'a AuthUser,
    /// The device (`X-Zoufang-Device`), if named.
    pub device: Option<&'a str>,
}

/// An upload another user (or another of the user's devices) started reads as no upload.
fn no_upload(hash: &PhotoHash) -> ApiError {
    ApiError::NotFound(format!("no upload of photo {} of yours", hash.as_str()))
}

/// The caller's upload of `hash`, if any; one started by another device of the user is
/// not the caller's.
async fn own_upload(
    state: &AppState,
    who: Uploader<'_>,
    hash: &PhotoHash,
) -> Result<Option<photo_upload::Model>, ApiError> {
    Ok(photos::upload_of(&state.db, who.user.id, hash.as_str())
        .await?
        .filter(|u| u.device_id.is_none() || u.device_id.as_deref() == who.device))
}

fn status_of_upload(state: &AppState, upload: &photo_upload::Model) -> UploadStatus {
    UploadStatus {
        hash: upload.hash.clone(),
        size: upload.size as u64,
        offset: upload.received as u64,
        complete: false,
        max_chunk_bytes: state.settings.photos.max_chunk_bytes,
    }
}

/// The photo as complete, if it is stored and the caller may read it: only then does the
/// caller learn that the server has it.
async fn complete_for(
    state: &AppState,
    user: &AuthUser,
    hash: &PhotoHash,
) -> Result<Option<UploadStatus>, ApiError> {
    let Some(stored) = photos::blob(&state.db, hash.as_str()).await? else {
        return Ok(None);
    };
    if !photos::may_read(&state.db, hash.as_str(), user.id, user.scope.as_str()).await? {
        return Ok(None);
    }
    Ok(Some(UploadStatus {
        hash: stored.hash,
        size: stored.size as u64,
        offset: stored.size as u64,
        complete: true,
        max_chunk_bytes: state.settings.photos.max_chunk_bytes,
    }))
}

/// Starts an upload, or returns where the caller's earlier one stands (or that the photo
/// is stored, when the caller may read it; otherwise the caller uploads the bytes, which
/// proves it holds the photo).
pub async fn start(
    state: &AppState,
    who: Uploader<'_>,
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
    if let Some(done) = complete_for(state, who.user, &hash).await? {
        return Ok(done);
    }
    if let Some(upload) = photos::upload_of(&state.db, who.user.id, hash.as_str()).await? {
        if upload.device_id.is_some() && upload.device_id.as_deref() != who.device {
            return Err(ApiError::Conflict(
                "upload-of-another-device",
                "another of your devices is uploading this photo".into(),
            ));
        }
        if upload.size as u64 != size {
            return Err(ApiError::Conflict(
                "upload-size-mismatch",
                format!(
                    "an upload of this photo with {} bytes is in progress",
                    upload.size
                ),
            ));
        }
        return Ok(status_of_upload(state, &upload));
    }
    let quota = state.settings.photos.max_staged_bytes_per_user;
    let staged = photos::staged_by(&state.db, who.user.id).await? as u64;
    if staged + size > quota {
        return Err(ApiError::TooLarge(
            "upload-quota-exceeded",
            format!(
                "your unfinished uploads hold {staged} bytes; at most {quota} may be staged: finish them first"
            ),
        ));
    }
    // In a transaction of its own: an insert that returns its row is only stored once the
    // commit says so (SQLite can report a full disk only there).
    let txn = crate::store::begin_write(&state.db).await?;
    let upload = photos::start_upload(&txn, who.user.id, who.device, hash.as_str(), size).await?;
    txn.commit().await?;
    Ok(status_of_upload(state, &upload))
}

/// Where the caller's upload stands.
pub async fn status(
    state: &AppState,
    who: Uploader<'_>,
    hash: &str,
) -> Result<UploadStatus, ApiError> {
    let hash = parse_hash(hash)?;
    if let Some(upload) = own_upload(state, who, &hash).await? {
        return Ok(status_of_upload(state, &upload));
    }
    complete_for(state, who.user, &hash)
        .await?
        .ok_or_else(|| no_upload(&hash))
}

/// Appends a chunk at `offset`, which must be where the caller's upload stands.
pub async fn append(
    state: &AppState,
    who: Uploader<'_>,
    hash: &str,
    offset: u64,
    chunk: Vec<u8>,
) -> Result<UploadStatus, ApiError> {
    let hash = parse_hash(hash)?;
    let max = state.settings.photos.max_chunk_bytes;
    if chunk.len() > max {
        return Err(ApiError::TooLarge(
            "chunk-too-large",
            format!("a chunk may carry at most {max} bytes"),
        ));
    }
    let upload = own_upload(state, who, &hash)
        .await?
        .ok_or_else(|| no_upload(&hash))?;
    let mismatch = |at: i64| {
        ApiError::Conflict(
            "upload-offset-mismatch",
            format!("the upload stands at byte {at}, the chunk starts at {offset}"),
        )
    };
    if offset != upload.received as u64 {
        return Err(mismatch(upload.received));
    }
    if offset + chunk.len() as u64 > upload.size as u64 {
        return Err(ApiError::BadRequest(
            "upload-exceeds-size",
            format!(
                "the chunk ends past the announced size of {} bytes",
                upload.size
            ),
        ));
    }
    let len = chunk.len() as u64;
    if chunk.is_empty() {
        return Ok(status_of_upload(state, &upload));
    }
    let txn = crate::store::begin_write(&state.db).await?;
    if !photos::append_chunk(&txn, upload.id, offset, chunk).await? {
        let _ = txn.rollback().await;
        let now_at = own_upload(state, who, &hash)
            .await?
            .map_or(upload.received, |u| u.received);
        return Err(mismatch(now_at));
    }
    txn.commit().await?;
    Ok(UploadStatus {
        offset: offset + len,
        ..status_of_upload(state, &upload)
    })
}

/// Finishes an upload: verifies, checks, derives and stores the photo. A photo already
/// stored (another user uploaded it) is not processed again: the matching bytes prove the
/// caller holds it.
pub async fn finish(
    state: &AppState,
    who: Uploader<'_>,
    hash: &str,
) -> Result<PhotoView, ApiError> {
    let hash = parse_hash(hash)?;
    let Some(upload) = own_upload(state, who, &hash).await? else {
        if complete_for(state, who.user, &hash).await?.is_some()
            && let Some(stored) = photos::blob(&state.db, hash.as_str()).await?
        {
            return Ok(stored.into());
        }
        return Err(no_upload(&hash));
    };
    if upload.received < upload.size {
        return Err(ApiError::Conflict(
            "upload-incomplete",
            format!("{} of {} bytes received", upload.received, upload.size),
        ));
    }
    let bytes = photos::staged_bytes(&state.db, upload.id).await?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != hash.as_str() {
        photos::end_upload(&state.db, upload.id).await?;
        return Err(ApiError::Unprocessable(
            "photo-hash-mismatch",
            format!(
                "the bytes hash to {actual}, not {}; send the photo again",
                hash.as_str()
            ),
        ));
    }
    if let Some(stored) = photos::blob(&state.db, hash.as_str()).await? {
        let txn = crate::store::begin_write(&state.db).await?;
        photos::add_holder(&txn, hash.as_str(), who.user.id).await?;
        photos::end_upload(&txn, upload.id).await?;
        txn.commit().await?;
        return Ok(stored.into());
    }
    store_new(state, who.user, &hash, &upload, bytes).await
}

/// Checks, derives and stores a photo new to the server.
async fn store_new(
    state: &AppState,
    user: &AuthUser,
    hash: &PhotoHash,
    upload: &photo_upload::Model,
    bytes: Vec<u8>,
) -> Result<PhotoView, ApiError> {
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
            photos::end_upload(&state.db, upload.id).await?;
            return Err(match rejection {
                PhotoRejection::Unsupported => {
                    ApiError::UnsupportedMedia(rejection.code(), rejection.to_string())
                }
                _ => ApiError::Unprocessable(rejection.code(), rejection.to_string()),
            });
        }
    };
    let store_error = ApiError::photo_store;
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
    photos::add_holder(&txn, hash.as_str(), user.id).await?;
    photos::end_upload(&txn, upload.id).await?;
    audit::append(
        &txn,
        Event {
            actor: format!("user:{}", user.name),
            action: "photo.store",
            subject: hash.as_str().to_owned(),
            detail: serde_json::json!({ "size": model.size, "media_type": model.media_type }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// Forgets uploads left unfinished longer than the configured time; returns how many.
pub async fn expire_stale_uploads(state: &AppState) -> Result<u64, ApiError> {
    let before = now() - state.settings.photos.upload_expiry_secs;
    Ok(photos::expire_uploads(&state.db, before).await?)
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
    if photos::may_read(&state.db, hash.as_str(), user.id, user.scope.as_str()).await? {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "photo-not-in-scope",
            "no household in your scope holds this photo as its evidence".into(),
        ))
    }
}
