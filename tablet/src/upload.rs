//! Uploading queued photos after the documents: each photo resumes from the offset the
//! server reports, in chunks of the size the server takes, so an interrupted upload costs
//! at most the chunk in flight. A photo the server already has is never sent.

use crate::api::ServerApi;
use crate::error::TabletError;
use crate::store::{Account, QueuedPhoto, UploadState};
use crate::tablet::Tablet;
use serde::Deserialize;
use std::io::{Read, Seek, SeekFrom};

/// The header naming the device an upload belongs to.
const DEVICE_HEADER: &str = "x-zoufang-device";

/// Chunks are at most this large even if the server takes more: a lost chunk on a rural
/// link is cheap to resend.
const MAX_CHUNK: usize = 512 * 1024;

/// Where an upload stands on the server.
#[derive(Debug, Deserialize)]
struct UploadStatus {
    offset: u64,
    complete: bool,
    max_chunk_bytes: usize,
}

/// What uploading the queue did.
#[derive(Debug, Default)]
pub(crate) struct Uploaded {
    /// Photos now on the server.
    pub photos: usize,
    /// Chunk bytes sent.
    pub bytes: u64,
    /// Photos the server refused for good: (hash, code, message).
    pub refused: Vec<(String, String, String)>,
}

impl ServerApi {
    async fn start_upload(
        &self,
        token: &str,
        device: &str,
        photo: &QueuedPhoto,
    ) -> Result<UploadStatus, TabletError> {
        let request = self
            .client()
            .post(self.url("/api/v1/photos/uploads"))
            .bearer_auth(token)
            .header(DEVICE_HEADER, device)
            .json(&serde_json::json!({ "hash": photo.hash, "size": photo.size }));
        self.json(request).await
    }

    async fn upload_status(
        &self,
        token: &str,
        device: &str,
        hash: &str,
    ) -> Result<UploadStatus, TabletError> {
        let request = self
            .client()
            .get(self.url(&format!("/api/v1/photos/uploads/{hash}")))
            .bearer_auth(token)
            .header(DEVICE_HEADER, device);
        self.json(request).await
    }

    async fn put_chunk(
        &self,
        token: &str,
        device: &str,
        hash: &str,
        offset: u64,
        chunk: Vec<u8>,
    ) -> Result<UploadStatus, TabletError> {
        let request = self
            .client()
            .put(self.url(&format!("/api/v1/photos/uploads/{hash}?offset={offset}")))
            .bearer_auth(token)
            .header(DEVICE_HEADER, device)
            .header("content-type", "application/octet-stream")
            .body(chunk);
        self.json(request).await
    }

    async fn finish_upload(
        &self,
        token: &str,
        device: &str,
        hash: &str,
    ) -> Result<(), TabletError> {
        let request = self
            .client()
            .post(self.url(&format!("/api/v1/photos/uploads/{hash}/finish")))
            .bearer_auth(token)
            .header(DEVICE_HEADER, device);
        self.send(request).await?;
        Ok(())
    }
}

fn read_chunk(path: &std::path::Path, offset: u64, len: usize) -> Result<Vec<u8>, TabletError> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut chunk = vec![0u8; len];
    file.read_exact(&mut chunk)?;
    Ok(chunk)
}

impl Tablet {
    /// Uploads every queued photo.
    pub(crate) async fn upload_photos(
        &self,
        api: &ServerApi,
        account: &mut Account,
    ) -> Result<Uploaded, TabletError> {
        let mut done = Uploaded::default();
        for photo in self.store.pending_photos().await? {
            match self.upload_one(api, account, &photo, &mut done.bytes).await {
                Ok(()) => done.photos += 1,
                // The server will never take this photo: say so and stop offering it.
                Err(TabletError::Server {
                    status: 413 | 415 | 422,
                    code,
                    message,
                }) => {
                    self.store
                        .set_photo_progress(&photo.hash, 0, UploadState::Refused)
                        .await?;
                    done.refused.push((photo.hash.clone(), code, message));
                }
                Err(err) => return Err(err),
            }
        }
        Ok(done)
    }

    async fn upload_one(
        &self,
        api: &ServerApi,
        account: &mut Account,
        photo: &QueuedPhoto,
        sent_total: &mut u64,
    ) -> Result<(), TabletError> {
        let path = self.store.photo_path(&photo.hash);
        let size = photo.size as u64;
        // An upload belongs to the device that started it.
        let device = account.device_id.clone();
        let device = device.as_str();
        let mut status = self
            .with_login(api, account, |token| async move {
                api.start_upload(&token, device, photo).await
            })
            .await?;
        let chunk_len = status.max_chunk_bytes.clamp(1, MAX_CHUNK) as u64;
        while !status.complete && status.offset < size {
            let offset = status.offset;
            let chunk = read_chunk(&path, offset, chunk_len.min(size - offset) as usize)?;
            let len = chunk.len() as u64;
            let hash = photo.hash.as_str();
            status = match self
                .with_login(api, account, |token| {
                    let chunk = chunk.clone();
                    async move { api.put_chunk(&token, device, hash, offset, chunk).await }
                })
                .await
            {
                Ok(next) => next,
                // Someone (an earlier attempt) got further: continue from the server's offset.
                Err(TabletError::Server { code, .. }) if code == "upload-offset-mismatch" => {
                    self.with_login(api, account, |token| async move {
                        api.upload_status(&token, device, hash).await
                    })
                    .await?
                }
                Err(err) => {
                    *sent_total += len;
                    return Err(err);
                }
            };
            *sent_total += len;
            self.store
                .set_photo_progress(hash, status.offset, UploadState::Queued)
                .await?;
        }
        if !status.complete {
            let hash = photo.hash.as_str();
            self.with_login(api, account, |token| async move {
                api.finish_upload(&token, device, hash).await
            })
            .await?;
        }
        self.store
            .set_photo_progress(&photo.hash, size, UploadState::Uploaded)
            .await
    }
}
