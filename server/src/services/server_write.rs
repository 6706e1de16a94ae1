//! The one path for everything the server writes into a household document (conflict
//! resolutions, review, the workflows): change the document as the server's actor, append
//! the change to the log with the document's version checked, project it (household and
//! members, findings, visits, photo references, a move to another village), carry out the
//! caller's own writes and its audit entry in the same transaction, and retry the whole on
//! contention with another writer.

use crate::error::{ApiError, StoreError};
use crate::services::documents::load_at;
use crate::services::projection;
use crate::state::AppState;
use crate::store::WriteTxn;
use crate::store::audit::{self, Event};
use crate::store::documents::{self, LoadedDoc, Origin};
use zoufang_schemas::HouseholdRecord;
use zoufang_schemas::wire::{DocId, Head};
use zoufang_sync::server::AppliedChange;
use zoufang_sync::{DocError, Editor, HouseholdDoc};

/// Attempts before contention is reported (503 `service-unavailable`).
const ATTEMPTS: usize = 6;

/// What a server write did to the document, for the caller's own writes.
#[derive(Debug, Clone)]
pub struct Written {
    /// The document.
    pub doc: DocId,
    /// Its village (after the write).
    pub region_code: String,
    /// Its heads after the write.
    pub heads: Vec<Head>,
    /// The record after the write, if it reads back.
    pub record: Option<HouseholdRecord>,
    /// Whether the edit changed anything.
    pub changed: bool,
}

/// Who the change log attributes a server write to.
#[derive(Debug, Clone, Copy, Default)]
pub struct WrittenBy {
    /// The user on whose behalf the server writes (`None`: the system).
    pub user_id: Option<i64>,
}

/// Writes `edit` into the document as the server, then `alongside` and `event` in the same
/// transaction; retried on contention. `edit` may run more than once.
pub async fn write<T>(
    state: &AppState,
    doc_id: &DocId,
    by: WrittenBy,
    edit: impl Fn(&mut Editor<'_, '_>) -> Result<(), DocError>,
    alongside: impl AsyncFn(&WriteTxn, &Written) -> Result<T, ApiError>,
    event: Event<'_>,
) -> Result<T, ApiError> {
    for attempt in 1..=ATTEMPTS {
        match attempt_write(state, doc_id, by, &edit, &alongside, event.clone()).await {
            Err(ApiError::Unavailable(detail)) if attempt < ATTEMPTS => {
                tracing::debug!(attempt, %detail, "server write contention, retrying");
            }
            other => return other,
        }
    }
    Err(ApiError::Unavailable("document contention".into()))
}

async fn attempt_write<T>(
    state: &AppState,
    doc_id: &DocId,
    by: WrittenBy,
    edit: &impl Fn(&mut Editor<'_, '_>) -> Result<(), DocError>,
    alongside: &impl AsyncFn(&WriteTxn, &Written) -> Result<T, ApiError>,
    event: Event<'_>,
) -> Result<T, ApiError> {
    let loaded = load_at(state, &state.db, doc_id, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("household {doc_id}")))?;
    let staged = stage(state, doc_id, loaded, edit)?;
    let txn = crate::store::begin_write(&state.db).await?;
    let version = store_staged(&txn, &staged, by).await?;
    let out = alongside(&txn, &staged.written).await?;
    audit::append(&txn, event).await?;
    txn.commit().await?;
    keep(state, staged, version);
    Ok(out)
}

/// A server edit made in memory, not stored yet.
pub struct Staged {
    loaded: LoadedDoc,
    doc: HouseholdDoc,
    changes: Vec<AppliedChange>,
    /// What the edit did.
    pub written: Written,
}

/// Makes `edit` on a loaded document as the server (nothing stored yet).
pub fn stage(
    state: &AppState,
    doc_id: &DocId,
    loaded: LoadedDoc,
    edit: &impl Fn(&mut Editor<'_, '_>) -> Result<(), DocError>,
) -> Result<Staged, ApiError> {
    let before = loaded.doc.get_heads();
    let mut doc =
        HouseholdDoc::from_automerge(loaded.doc.clone().with_actor(state.server_actor.clone()));
    doc.edit(crate::store::now(), edit)
        .map_err(|e| ApiError::BadRequest(e.code(), e.to_string()))?;
    let changes = applied_since(&mut doc, &before);
    let record = doc
        .read()
        .inspect_err(|e| {
            tracing::warn!(household = %doc_id, error = %e, "record unreadable; projection kept")
        })
        .ok();
    let region_code = record.as_ref().map_or(loaded.region_code.clone(), |r| {
        r.household.region_code.as_str().to_owned()
    });
    let written = Written {
        doc: *doc_id,
        region_code,
        heads: doc.heads(),
        record,
        changed: !changes.is_empty(),
    };
    Ok(Staged {
        loaded,
        doc,
        changes,
        written,
    })
}

/// Stores a staged edit in `txn` (the version checked, projected); returns the new
/// version. Contention is `Unavailable`: reload and stage again.
pub async fn store_staged(txn: &WriteTxn, staged: &Staged, by: WrittenBy) -> Result<i64, ApiError> {
    store_changes(txn, &staged.loaded, &staged.written, &staged.changes, by).await
}

/// Puts a stored edit's document in the cache (after its transaction committed).
pub fn keep(state: &AppState, staged: Staged, version: i64) {
    state.docs.put(
        staged.written.doc,
        LoadedDoc {
            doc: staged.doc.into_automerge(),
            version,
            region_code: staged.written.region_code.clone(),
        },
    );
}

/// The document's changes since `before`, as the change log stores them.
fn applied_since(
    doc: &mut HouseholdDoc,
    before: &[zoufang_sync::automerge::ChangeHash],
) -> Vec<AppliedChange> {
    doc.automerge_mut()
        .get_changes(before)
        .into_iter()
        .map(AppliedChange::of)
        .collect()
}

/// Appends the changes (the version checked) and projects the record; returns the new
/// version.
async fn store_changes(
    txn: &WriteTxn,
    loaded: &LoadedDoc,
    written: &Written,
    changes: &[AppliedChange],
    by: WrittenBy,
) -> Result<i64, ApiError> {
    if changes.is_empty() {
        return Ok(loaded.version);
    }
    let origin = Origin {
        device_id: None,
        user_id: by.user_id,
    };
    let version = documents::append(
        txn,
        &written.doc,
        &loaded.region_code,
        loaded.version,
        changes,
        &written.heads,
        origin,
    )
    .await
    .map_err(|e| match e {
        StoreError::Contention => ApiError::Unavailable("document contention".into()),
        other => ApiError::from(other),
    })?;
    if written.region_code != loaded.region_code {
        documents::move_region(txn, &written.doc, &written.region_code).await?;
    }
    if let Some(record) = &written.record {
        projection::record(txn, &written.doc, record, by.user_id).await?;
    }
    Ok(version)
}
