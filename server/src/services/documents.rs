//! Loading documents through the cache, and writing server-made changes.

use crate::error::{ApiError, StoreError};
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::documents::{self, LoadedDoc, Origin};
use sea_orm::ConnectionTrait;
use zoufang_schemas::HouseholdRecord;
use zoufang_schemas::wire::DocId;
use zoufang_sync::HouseholdDoc;
use zoufang_sync::automerge::Automerge;

/// A document at `version`, from the cache or the database.
pub async fn load_at<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    id: &DocId,
    version: Option<i64>,
) -> Result<Option<LoadedDoc>, StoreError> {
    if let Some(hit) = version.and_then(|v| state.docs.get(id, v)) {
        return Ok(Some(hit));
    }
    let loaded = documents::load(db, id).await?;
    if let Some(doc) = &loaded {
        state.docs.put(*id, doc.clone());
    }
    Ok(loaded)
}

/// Creates a household document from a record (the server's own change).
pub async fn create_household<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    id: &DocId,
    record: &HouseholdRecord,
) -> Result<Automerge, ApiError> {
    let doc = HouseholdDoc::create(record, state.server_actor.clone(), crate::store::now())
        .map_err(|e| ApiError::BadRequest("record-invalid", e.to_string()))?
        .into_automerge();
    documents::create(
        db,
        id,
        &doc,
        record,
        Origin {
            device_id: None,
            user_id: None,
        },
    )
    .await?;
    let region = record.household.region_code.as_str();
    crate::store::findings::replace(db, id, region, &zoufang_schemas::validate(record)).await?;
    crate::services::projection::visits(db, id, region, record, "system").await?;
    Ok(doc)
}

/// Folds long change logs into snapshots; returns how many documents were compacted.
pub async fn compact_pass(state: &AppState, limit: u64) -> Result<usize, StoreError> {
    let ids =
        documents::needing_compaction(&state.db, state.settings.sync.compact_after_changes, limit)
            .await?;
    let mut done = 0;
    for id in ids {
        let txn = crate::store::begin_write(&state.db).await?;
        if documents::compact(&txn, &id).await? {
            audit::append(
                &txn,
                Event {
                    actor: "system".into(),
                    action: "document.compact",
                    subject: id.to_string(),
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            done += 1;
        }
        txn.commit().await?;
    }
    Ok(done)
}
