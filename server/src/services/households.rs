//! One household as a reviewer reads it: the record as the role may see it, its findings,
//! its photo evidence with what the EXIF says, and the history of its changes (who, which
//! device, when).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::masking::{self, Exposure};
use crate::services::documents::load_at;
use crate::services::photos::{self, PhotoView};
use crate::state::AppState;
use crate::store::documents::{self, HistoryEntry};
use serde::{Deserialize, Serialize};
use zoufang_schemas::wire::DocId;
use zoufang_sync::HouseholdDoc;

/// A household's whole record as JSON, as the caller's role may see it, with its
/// validation findings.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdDetail {
    /// Document id.
    pub id: String,
    /// Current heads (hex).
    pub heads: Vec<String>,
    /// The record (see the household JSON Schema); personal numbers masked unless the
    /// role may see them.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    /// Whether personal numbers are masked.
    pub masked: bool,
    /// Validation errors and doubtful-data warnings.
    pub findings: Vec<crate::services::county::FindingView>,
}

/// A household's record, if in the caller's scope (404 otherwise, as if there were none);
/// an unmasked read is audited.
pub async fn detail(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<HouseholdDetail, ApiError> {
    let not_found = || ApiError::NotFound(format!("household {id}"));
    let doc_id = DocId::parse(id).ok_or_else(not_found)?;
    let loaded = load_at(state, &state.db, &doc_id, None)
        .await?
        .filter(|d| user.sees(&d.region_code))
        .ok_or_else(not_found)?;
    let doc = HouseholdDoc::from_automerge(loaded.doc);
    let exposure = Exposure::of(user.role);
    let mut record = doc.to_json(None);
    masking::apply(exposure, &mut record);
    if exposure == Exposure::Full {
        crate::services::review::audit_read(state, user, "record.read", &doc_id.to_string())
            .await?;
    }
    let findings = crate::store::findings::of_household(&state.db, &doc_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HouseholdDetail {
        id: doc_id.to_string(),
        heads: doc.heads().iter().map(|h| h.to_string()).collect(),
        record,
        masked: exposure != Exposure::Full,
        findings,
    })
}

/// A photo the record references, with its stored record when the caller may see it.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The photo's hash.
    pub hash: String,
    /// What it evidences (code).
    pub subject: String,
    /// The caption the helper wrote.
    pub caption: Option<String>,
    /// The stored photo; `None` while its bytes are not uploaded (or not readable).
    pub stored: Option<PhotoView>,
}

/// The active photo evidence of a record (as [`detail`] returned it).
pub async fn evidence(
    state: &AppState,
    user: &AuthUser,
    record: &serde_json::Value,
) -> Result<Vec<Evidence>, ApiError> {
    let Some(entries) = record.get("evidence").and_then(|e| e.as_object()) else {
        return Ok(Vec::new());
    };
    let mut shown = Vec::new();
    for (hash, entry) in entries {
        if entry.get("status").and_then(|s| s.as_str()) != Some("ACTIVE") {
            continue;
        }
        let stored = match photos::view(state, user, hash).await {
            Ok(view) => Some(view),
            Err(ApiError::NotFound(_) | ApiError::Forbidden(..) | ApiError::BadRequest(..)) => None,
            Err(other) => return Err(other),
        };
        let text = |key: &str| entry.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        shown.push(Evidence {
            hash: hash.clone(),
            subject: text("subject").unwrap_or_default(),
            caption: text("caption"),
            stored,
        });
    }
    Ok(shown)
}

/// The latest `limit` changes of a household in the caller's scope, newest first.
pub async fn history(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    limit: u64,
) -> Result<Vec<HistoryEntry>, ApiError> {
    let not_found = || ApiError::NotFound(format!("household {id}"));
    let doc_id = DocId::parse(id).ok_or_else(not_found)?;
    let region = documents::region_of(&state.db, &doc_id).await?;
    if !region.is_some_and(|r| user.sees(&r)) {
        return Err(not_found());
    }
    Ok(documents::history(&state.db, &doc_id, limit).await?)
}
