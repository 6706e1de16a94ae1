//! `POST /api/v1/sync`: the server side of the protocol over the store.

use crate::auth::AuthUser;
use crate::error::{ApiError, StoreError};
use crate::services::documents::load_at;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::conflicts::{self, StoredCandidate};
use crate::store::documents::{self, LoadedDoc, Origin};
use crate::store::{devices, sync_states, users};
use sea_orm::DatabaseTransaction;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;
use zoufang_schemas::wire::DocId;
use zoufang_sync::automerge::{ActorId, Automerge};
use zoufang_sync::codec::{DecodedRequest, Limits, decode_request, encode};
use zoufang_sync::server::{DeviceContext, Outcome, Scope, plan, respond};

const ATTEMPTS: usize = 6;
/// Most missing photos listed in one reply.
const MISSING_BLOBS_LISTED: u64 = 1000;

/// Figures of one sync, for metrics and logs.
#[derive(Debug, Default, Clone, Copy)]
pub struct SyncFigures {
    /// Documents merged.
    pub merged: usize,
    /// Changes appended.
    pub changes: usize,
    /// Conflicts opened.
    pub conflicts: usize,
    /// Documents loaded.
    pub loaded: usize,
}

/// Runs one sync request from `device_id` and returns the encoded reply.
pub async fn sync(
    state: &AppState,
    user: &AuthUser,
    device_id: &str,
    body: &[u8],
) -> Result<(Vec<u8>, SyncFigures), ApiError> {
    let device = devices::find(&state.db, device_id).await?.ok_or_else(|| {
        ApiError::Forbidden(
            "device-unknown",
            format!("device {device_id} is not registered"),
        )
    })?;
    if device.user_id != user.id {
        return Err(ApiError::Forbidden(
            "device-not-yours",
            "this device belongs to another user".into(),
        ));
    }
    if device.revoked {
        return Err(ApiError::DeviceRevoked);
    }
    if users::find(&state.db, user.id)
        .await?
        .is_none_or(|u| u.disabled)
    {
        return Err(ApiError::Unauthorized("user-disabled"));
    }
    let limits = Limits {
        max_message_bytes: state.settings.sync.max_body_bytes,
        ..Limits::default()
    };
    let decoded =
        decode_request(body, &limits).map_err(|e| ApiError::BadRequest(e.code(), e.to_string()))?;
    let actors: HashSet<ActorId> = devices::actors(&state.db, device_id)
        .await?
        .iter()
        .filter_map(|a| hex::decode(a).ok().map(ActorId::from))
        .collect();
    let context = DeviceContext {
        role: user.role,
        actors,
    };
    for attempt in 1..=ATTEMPTS {
        match attempt_sync(state, user, device_id, &decoded, &context).await {
            Err(ApiError::Unavailable(detail)) if attempt < ATTEMPTS => {
                tracing::debug!(attempt, %detail, "sync contention, retrying");
            }
            other => return other,
        }
    }
    Err(ApiError::Unavailable("document contention".into()))
}

async fn attempt_sync(
    state: &AppState,
    user: &AuthUser,
    device_id: &str,
    decoded: &DecodedRequest,
    context: &DeviceContext,
) -> Result<(Vec<u8>, SyncFigures), ApiError> {
    let scope_rows = documents::scope(&state.db, user.scope.as_str()).await?;
    let scope: Scope = scope_rows
        .iter()
        .map(|(id, (heads, _))| (*id, heads.clone()))
        .collect();
    let belief = sync_states::load(&state.db, device_id).await?;
    let mut plan = plan(decoded, &scope, &belief);
    // Newly assigned documents whose stored snapshot is current go out as stored, without
    // being loaded: a first download costs no merge work and little memory.
    let whole = documents::current_snapshots(&state.db, &plan.assign).await?;
    for sent in &whole {
        plan.load.remove(&sent.doc);
        plan.assign.remove(&sent.doc);
    }
    let mut meta: BTreeMap<DocId, (i64, String)> = BTreeMap::new();
    let mut docs: BTreeMap<DocId, Automerge> = BTreeMap::new();
    for id in &plan.load {
        let version = scope_rows.get(id).map(|(_, v)| *v);
        if let Some(loaded) = load_at(state, &state.db, id, version).await? {
            meta.insert(*id, (loaded.version, loaded.region_code));
            docs.insert(*id, loaded.doc);
        }
    }
    let mut outcome = respond(&plan, decoded.clone(), &mut docs, context);
    for sent in whole {
        outcome.belief.insert(sent.doc, sent.heads.clone());
        outcome.reply.assigned.push(sent);
    }
    let mut figures = SyncFigures {
        loaded: meta.len(),
        ..SyncFigures::default()
    };

    let txn = crate::store::begin_write(&state.db).await?;
    let (versions, moved) = match persist(
        state,
        &txn,
        user,
        device_id,
        &outcome,
        &meta,
        &docs,
        &mut figures,
    )
    .await
    {
        Ok(v) => v,
        Err(err) => {
            let _ = txn.rollback().await;
            if matches!(err, StoreError::Contention) {
                for merged in &outcome.merged {
                    state.docs.forget(&merged.doc);
                }
            }
            return Err(err.into());
        }
    };
    txn.commit().await?;
    for (id, region) in moved {
        if let Some(entry) = meta.get_mut(&id) {
            entry.1 = region;
        }
    }
    for (id, version) in versions {
        if let (Some(doc), Some((_, region_code))) = (docs.remove(&id), meta.remove(&id)) {
            state.docs.put(
                id,
                LoadedDoc {
                    doc,
                    version,
                    region_code,
                },
            );
        }
    }
    // Photos the device's households reference that the server does not have yet: the
    // tablet uploads them after the documents.
    outcome.reply.missing_blobs = crate::store::photos::missing_in_scope(
        &state.db,
        user.scope.as_str(),
        MISSING_BLOBS_LISTED,
    )
    .await?
    .iter()
    .filter_map(|h| zoufang_schemas::PhotoHash::parse(h).ok())
    .collect();
    Ok((encode(&outcome.reply), figures))
}

#[allow(clippy::too_many_arguments)]
async fn persist(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &AuthUser,
    device_id: &str,
    outcome: &Outcome,
    meta: &BTreeMap<DocId, (i64, String)>,
    docs: &BTreeMap<DocId, Automerge>,
    figures: &mut SyncFigures,
) -> Result<(Vec<(DocId, i64)>, Vec<(DocId, String)>), StoreError> {
    let origin = Origin {
        device_id: Some(device_id),
        user_id: Some(user.id),
    };
    let region_of = |id: &DocId| meta.get(id).map_or("", |(_, r)| r.as_str());
    let rows: Vec<_> = outcome
        .merged
        .iter()
        .flat_map(|m| m.changes.iter().map(move |c| (m.doc, region_of(&m.doc), c)))
        .collect();
    documents::insert_changes(txn, &rows, origin).await?;
    let mut versions = Vec::new();
    let mut records = Vec::new();
    let mut households = Vec::new();
    let mut advancing = Vec::new();
    let mut moved: Vec<(DocId, String)> = Vec::new();
    let authors = authors_of(txn, outcome).await?;
    let open_before = conflicts::open_for(txn, outcome.merged.iter().map(|m| m.doc)).await?;
    for merged in &outcome.merged {
        let (Some((version, region)), Some(doc)) = (meta.get(&merged.doc), docs.get(&merged.doc))
        else {
            continue;
        };
        advancing.push((
            merged.doc,
            *version,
            merged.heads.as_slice(),
            merged.changes.len(),
        ));
        // Project what the merge changed: whole records when members changed, the
        // household row's own columns when only the household or monitoring did.
        // The village as the merged document says; it differs when the household moved.
        let mut region_now: Option<String> = None;
        if merged.sections.contains("members") {
            if let Ok(record) = zoufang_sync::read_record(doc) {
                region_now = Some(record.household.region_code.as_str().to_owned());
                records.push((merged.doc, record));
            }
        } else if merged.sections.contains("household") || merged.sections.contains("monitoring") {
            let info =
                zoufang_sync::read_section::<zoufang_schemas::HouseholdInfo>(doc, "household");
            let monitoring = zoufang_sync::read_section(doc, "monitoring");
            if let (Ok(info), Ok(monitoring)) = (info, monitoring) {
                region_now = Some(info.region_code.as_str().to_owned());
                households.push((merged.doc, info, monitoring));
            }
        }
        let region_now = region_now.filter(|r| r != region);
        if let Some(moved_to) = &region_now {
            moved.push((merged.doc, moved_to.clone()));
        }
        if merged.sections.contains("evidence") {
            let hashes = zoufang_sync::photo_hashes(doc)
                .into_iter()
                .map(|h| h.as_str().to_owned())
                .collect();
            let region = region_now.as_deref().unwrap_or(region.as_str());
            crate::store::photos::set_links(txn, &merged.doc, region, &hashes).await?;
        }
        if !merged.conflicts.is_empty() {
            let found: Vec<_> = merged
                .conflicts
                .iter()
                .map(|c| {
                    let candidates = c
                        .candidates
                        .iter()
                        .map(|k| StoredCandidate::new(k, authors.get(&k.actor).cloned()))
                        .collect();
                    (c.clone(), candidates)
                })
                .collect();
            figures.conflicts += conflicts::record(txn, &merged.doc, region, &found).await?;
        }
        if let Some(open) = open_before.get(&merged.doc) {
            let still_conflicted = |path: &str| {
                zoufang_sync::DocPath::parse(path)
                    .ok()
                    .is_some_and(|p| zoufang_sync::conflicts::conflict_at_path(doc, &p).is_some())
            };
            conflicts::close_superseded(txn, open, &still_conflicted).await?;
        }
        figures.merged += 1;
        figures.changes += merged.changes.len();
        versions.push((merged.doc, version + 1));
    }
    documents::advance_many(txn, &advancing).await?;
    // A household moved to another village: its document follows, so it leaves the scopes
    // of the old village's devices (after their last upload) and reaches the new one's.
    for (id, region) in &moved {
        documents::move_region(txn, id, region).await?;
    }
    let records: Vec<_> = records.iter().map(|(id, r)| (*id, r)).collect();
    documents::project_many(txn, &records).await?;
    documents::project_households(txn, &households).await?;
    sync_states::save(txn, device_id, &outcome.belief).await?;
    devices::touch(txn, device_id).await?;
    if !outcome.merged.is_empty() || !outcome.reply.refused.is_empty() {
        let detail = serde_json::json!({
            "device": device_id,
            "merged": outcome.merged.iter().map(|m| serde_json::json!({
                "doc": m.doc.to_string(),
                "changes": m.changes.iter().map(|c| hex::encode(c.hash.0)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "refused": outcome.reply.refused.iter().map(|r| serde_json::json!({"doc": r.doc.to_string(), "code": r.code})).collect::<Vec<_>>(),
        });
        audit::append(
            txn,
            state.digest.as_ref(),
            Event {
                actor: format!("user:{}", user.name),
                action: "sync.merge",
                subject: device_id.to_owned(),
                detail,
            },
        )
        .await?;
    }
    Ok((versions, moved))
}

/// Device and username of every actor named by a conflict candidate.
async fn authors_of(
    txn: &DatabaseTransaction,
    outcome: &Outcome,
) -> Result<HashMap<String, (String, String)>, StoreError> {
    let actors: Vec<String> = outcome
        .merged
        .iter()
        .flat_map(|m| {
            m.conflicts
                .iter()
                .flat_map(|c| c.candidates.iter().map(|k| k.actor.clone()))
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if actors.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for row in devices::devices_of_actors(txn, actors).await? {
        if let Some(device) = devices::find(txn, &row.device_id).await? {
            let name = users::find(txn, device.user_id)
                .await?
                .map(|u| u.username)
                .unwrap_or_default();
            out.insert(row.actor, (row.device_id, name));
        }
    }
    Ok(out)
}

/// Records the request in metrics.
pub fn observe(
    started: Instant,
    bytes_in: usize,
    bytes_out: usize,
    figures: &SyncFigures,
    outcome: &str,
) {
    metrics::counter!("zoufang_sync_requests_total", "outcome" => outcome.to_owned()).increment(1);
    metrics::counter!("zoufang_sync_bytes_total", "direction" => "in").increment(bytes_in as u64);
    metrics::counter!("zoufang_sync_bytes_total", "direction" => "out").increment(bytes_out as u64);
    metrics::counter!("zoufang_documents_merged_total").increment(figures.merged as u64);
    metrics::counter!("zoufang_changes_merged_total").increment(figures.changes as u64);
    metrics::counter!("zoufang_conflicts_opened_total").increment(figures.conflicts as u64);
    metrics::histogram!("zoufang_sync_duration_seconds").record(started.elapsed().as_secs_f64());
}
