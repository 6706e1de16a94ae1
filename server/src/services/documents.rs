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

/// A household's current document and the record it reads as, by its id as stored;
/// `None` when the id is not a document's, there is no such document, or it does not read
/// as the form (listings skip it).
pub async fn current_record(
    state: &AppState,
    doc: &str,
) -> Result<Option<(LoadedDoc, HouseholdRecord)>, ApiError> {
    let Some(id) = DocId::parse(doc) else {
        return Ok(None);
    };
    let Some(loaded) = load_at(state, &state.db, &id, None).await? else {
        return Ok(None);
    };
    Ok(zoufang_sync::read_record(&loaded.doc)
        .ok()
        .map(|record| (loaded, record)))
}

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

/// A household document built off the async threads, ready to store: its changes, its
/// snapshot and its heads as stored.
pub type Built = (Vec<zoufang_sync::server::AppliedChange>, Vec<u8>, String);

/// Households being built on every core, off the async threads.
pub struct Building {
    records: Vec<(DocId, HouseholdRecord)>,
    handles: Vec<tokio::task::JoinHandle<Result<Vec<Built>, ApiError>>>,
}

impl Building {
    /// Households being built.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// Starts building the documents of new households (the CPU-heavy part) on every core; the
/// caller stores them later with [`store_built`], meanwhile free to do other work.
pub fn build_households(state: &AppState, records: Vec<(DocId, HouseholdRecord)>) -> Building {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = records.len().div_ceil(threads).max(1);
    let handles = records
        .chunks(per)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            let actor = state.server_actor.clone();
            tokio::task::spawn_blocking(move || {
                let at = crate::store::now();
                chunk
                    .into_iter()
                    .map(|(id, record)| {
                        let doc = HouseholdDoc::create(&record, actor.clone(), at)
                            .map_err(|e| ApiError::BadRequest("record-invalid", e.to_string()))?
                            .into_automerge();
                        let ready = documents::NewDoc::of(id, &doc, &record);
                        Ok((ready.changes, ready.snapshot, ready.heads))
                    })
                    .collect::<Result<Vec<_>, ApiError>>()
            })
        })
        .collect();
    Building { records, handles }
}

/// Creates many households as the server in `db`: documents, change logs, projections and
/// findings, with bulk statements.
pub async fn create_households<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    records: &[(DocId, HouseholdRecord)],
) -> Result<(), ApiError> {
    store_built(db, build_households(state, records.to_vec())).await
}

/// Stores households once they are built.
pub async fn store_built<C: ConnectionTrait>(db: &C, building: Building) -> Result<(), ApiError> {
    let Building { records, handles } = building;
    let mut parts = Vec::with_capacity(records.len());
    for handle in handles {
        parts.extend(
            handle
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))??,
        );
    }
    let stored: Vec<documents::NewDoc<'_>> = records
        .iter()
        .zip(parts)
        .map(
            |((id, record), (changes, snapshot, heads))| documents::NewDoc {
                id: *id,
                record,
                changes,
                snapshot,
                heads,
            },
        )
        .collect();
    documents::create_many(
        db,
        stored,
        Origin {
            device_id: None,
            user_id: None,
        },
    )
    .await?;
    let reports: Vec<(DocId, &str, zoufang_schemas::validate::Report)> = records
        .iter()
        .map(|(id, record)| {
            (
                *id,
                record.household.region_code.as_str(),
                zoufang_schemas::validate(record),
            )
        })
        .collect();
    crate::store::findings::insert_new(db, &reports).await?;
    for (id, record) in records.iter().filter(|(_, r)| !r.visits.is_empty()) {
        let region = record.household.region_code.as_str();
        crate::services::projection::visits(db, id, region, record, "system").await?;
    }
    Ok(())
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
