//! A tablet's photo upload as the protocol has it: start (or resume: the server says where
//! the upload stands), append chunks from there, finish; and the reference to a photo that
//! goes into the household document.

use crate::load::LeanTablet;
use zoufang_schemas::{EntryStatus, PhotoHash, PhotoRef, PhotoSubject};

/// An answer other than success: HTTP status (0 when none came) and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// HTTP status; 0 when the request got no answer.
    pub status: u16,
    /// The error's code (`transport: …` when no answer came).
    pub code: String,
}

/// Uploads `bytes` as `lean`'s photo in chunks of at most `chunk` bytes, resuming where the
/// server's copy of the upload stands; returns the photo's hash.
pub async fn upload(
    client: &reqwest::Client,
    address: &str,
    lean: &LeanTablet,
    bytes: &[u8],
    chunk: usize,
) -> Result<PhotoHash, Refused> {
    use sha2::Digest;
    let hex = hex::encode(sha2::Sha256::digest(bytes));
    let hash = PhotoHash::parse(&hex).map_err(|e| Refused {
        status: 0,
        code: e.to_string(),
    })?;
    let call = |request: reqwest::RequestBuilder| async move {
        let response = request
            .bearer_auth(&lean.token)
            .header("x-zoufang-device", &lean.device)
            .send()
            .await
            .map_err(|e| Refused {
                status: 0,
                code: format!("transport: {e}"),
            })?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(response
                .json::<serde_json::Value>()
                .await
                .unwrap_or_default())
        } else {
            Err(Refused {
                status,
                code: super::tablets::error_code(response).await,
            })
        }
    };
    let started = call(
        client
            .post(format!("{address}/api/v1/photos/uploads"))
            .json(&serde_json::json!({ "hash": hex, "size": bytes.len() })),
    )
    .await?;
    if started["complete"].as_bool() == Some(true) {
        return Ok(hash);
    }
    let mut offset = started["offset"].as_u64().unwrap_or(0) as usize;
    while offset < bytes.len() {
        let end = (offset + chunk.max(1)).min(bytes.len());
        let put = client
            .put(format!(
                "{address}/api/v1/photos/uploads/{hex}?offset={offset}"
            ))
            .header("content-type", "application/octet-stream")
            .body(bytes[offset..end].to_vec());
        let status = call(put).await?;
        offset = status["offset"].as_u64().unwrap_or(end as u64) as usize;
    }
    call(client.post(format!("{address}/api/v1/photos/uploads/{hex}/finish"))).await?;
    Ok(hash)
}

/// The reference to an active photo of `subject`.
pub fn reference(subject: PhotoSubject, size: Option<u64>, caption: Option<&str>) -> PhotoRef {
    PhotoRef {
        status: EntryStatus::Active,
        subject,
        visit: None,
        size,
        taken_at: None,
        caption: caption.map(str::to_owned),
    }
}
