//! The photo upload queue. A photo is copied into the home folder when it is added, so the
//! camera's copy may be deleted; it leaves the queue once the server has it.

use super::{Store, now, sql};
use crate::error::TabletError;
use sea_orm::ConnectionTrait;
use serde::Serialize;

/// Where a queued photo stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Not sent yet, or partly sent.
    Queued,
    /// The server has it.
    Uploaded,
    /// The server will not take it (not an image, too large).
    Refused,
}

impl UploadState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Uploaded => "uploaded",
            Self::Refused => "refused",
        }
    }
}

/// A photo in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedPhoto {
    /// SHA-256 of the bytes, lowercase hex.
    pub hash: String,
    /// The household it documents.
    pub doc_id: String,
    /// What it shows (`HOUSING`, `WATER`, `VISIT`, `OTHER`).
    pub subject: String,
    /// Size in bytes.
    pub size: i64,
    /// Bytes the server acknowledged so far.
    pub sent: i64,
    /// Queue state.
    pub state: UploadState,
}

impl Store {
    /// Queues a photo whose bytes are already at [`Store::photo_path`].
    pub async fn queue_photo(
        &self,
        hash: &str,
        doc_id: &str,
        subject: &str,
        size: u64,
    ) -> Result<(), TabletError> {
        self.db()
            .execute_raw(sql(
                "INSERT INTO photos (hash, doc_id, subject, size, sent, state, added_at) \
                 VALUES (?, ?, ?, ?, 0, 'queued', ?) ON CONFLICT (hash) DO NOTHING",
                [
                    hash.into(),
                    doc_id.into(),
                    subject.into(),
                    (size as i64).into(),
                    now().into(),
                ],
            ))
            .await?;
        Ok(())
    }

    /// Photos not yet on the server, oldest first.
    pub async fn pending_photos(&self) -> Result<Vec<QueuedPhoto>, TabletError> {
        self.photos_where("state = 'queued'").await
    }

    /// Every photo the tablet knows.
    pub async fn photos(&self) -> Result<Vec<QueuedPhoto>, TabletError> {
        self.photos_where("1 = 1").await
    }

    async fn photos_where(&self, condition: &str) -> Result<Vec<QueuedPhoto>, TabletError> {
        let rows = self
            .db()
            .query_all_raw(sql(
                &format!(
                    "SELECT hash, doc_id, subject, size, sent, state FROM photos \
                     WHERE {condition} ORDER BY added_at, hash"
                ),
                [],
            ))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let state: String = row.try_get("", "state")?;
            out.push(QueuedPhoto {
                hash: row.try_get("", "hash")?,
                doc_id: row.try_get("", "doc_id")?,
                subject: row.try_get("", "subject")?,
                size: row.try_get("", "size")?,
                sent: row.try_get("", "sent")?,
                state: match state.as_str() {
                    "uploaded" => UploadState::Uploaded,
                    "refused" => UploadState::Refused,
                    _ => UploadState::Queued,
                },
            });
        }
        Ok(out)
    }

    /// Records upload progress: `sent` bytes acknowledged, and whether the server has it all.
    pub async fn set_photo_progress(
        &self,
        hash: &str,
        sent: u64,
        state: UploadState,
    ) -> Result<(), TabletError> {
        self.db()
            .execute_raw(sql(
                "UPDATE photos SET sent = ?, state = ? WHERE hash = ?",
                [(sent as i64).into(), state.as_str().into(), hash.into()],
            ))
            .await?;
        Ok(())
    }
}
