//! `POST /api/v1/sync`: the server side of the protocol over the store.

mod persist;
mod pipeline;
mod view;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::WriteTxn;
use crate::store::devices;
use crate::store::documents::{self, LoadedDoc};
use crate::store::sync_states::{self, Cursor};
use persist::{Meta, Stored, Writer};
use pipeline::MergeJob;
use sea_orm::DbBackend;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;
use zoufang_schemas::wire::DocId;
use zoufang_sync::automerge::{ActorId, Automerge};
use zoufang_sync::codec::{DecodedRequest, Limits, decode_request, encode};
use zoufang_sync::server::{DeviceContext, MergeResult, Outcome, Updates, plan, settle, updates};

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

/// Runs one sync request from `device_id` and returns the encoded reply. `user`'s token is
/// verified; its session is checked here, in the sync's first read.
pub async fn sync(
    state: &AppState,
    user: &AuthUser,
    device_id: &str,
    body: &[u8],
) -> Result<(Vec<u8>, SyncFigures), ApiError> {
    let limits = Limits {
        max_message_bytes: state.settings.sync.max_body_bytes,
        ..Limits::default()
    };
    let decoded = match decode_request(body, &limits) {
        Ok(decoded) => decoded,
        Err(e) => {
            // A refused session is answered before a malformed body.
            let session = sync_states::session(&state.db, user.id, &user.family, device_id).await?;
            view::admitted(user, device_id, session)?;
            return Err(ApiError::BadRequest(e.code(), e.to_string()));
        }
    };
    let mut context = None;
    for attempt in 1..=ATTEMPTS {
        match attempt_sync(state, user, device_id, &decoded, &mut context).await {
            Err(ApiError::Unavailable(detail)) if attempt < ATTEMPTS => {
                tracing::debug!(attempt, %detail, "sync contention, retrying");
            }
            other => return other,
        }
    }
    Err(ApiError::Unavailable("document contention".into()))
}

/// Who is syncing, for the merges: read once the session is checked, kept over attempts.
async fn device_context(
    state: &AppState,
    user: &AuthUser,
    device_id: &str,
    known: &mut Option<DeviceContext>,
) -> Result<DeviceContext, ApiError> {
    if let Some(context) = known {
        return Ok(context.clone());
    }
    let context = DeviceContext {
        role: user.role,
        actors: device_actors(state, device_id).await?,
        villages: std::sync::Arc::new(villages_for(state, user).await?),
    };
    *known = Some(context.clone());
    Ok(context)
}

/// The actors the device signs with (kept in memory after the first read).
async fn device_actors(
    state: &AppState,
    device_id: &str,
) -> Result<std::sync::Arc<HashSet<ActorId>>, ApiError> {
    if let Some(actors) = state.actors.get(device_id) {
        return Ok(actors);
    }
    let actors: HashSet<ActorId> = devices::actors(&state.db, device_id)
        .await?
        .iter()
        .filter_map(|a| hex::decode(a).ok().map(ActorId::from))
        .collect();
    let actors = std::sync::Arc::new(actors);
    state.actors.put(device_id, actors.clone());
    Ok(actors)
}

/// The villages the user may move households to: only roles that may move them need them.
async fn villages_for(
    state: &AppState,
    user: &AuthUser,
) -> Result<std::collections::BTreeSet<String>, ApiError> {
    if zoufang_sync::authority::may_move_households(user.role) {
        Ok(crate::store::regions::villages_under(&state.db, user.scope.as_str()).await?)
    } else {
        Ok(Default::default())
    }
}

async fn attempt_sync(
    state: &AppState,
    user: &AuthUser,
    device_id: &str,
    decoded: &DecodedRequest,
    context: &mut Option<DeviceContext>,
) -> Result<(Vec<u8>, SyncFigures), ApiError> {
    let mut phases = Phases::new();
    let view = view::load(state, user, device_id, decoded).await?;
    let context = device_context(state, user, device_id, context).await?;
    let mut plan = plan(decoded, &view.scope, &view.known);
    refuse_scope_probing(state, &plan)?;
    let whole = stored_as_they_are(state, &mut plan).await?;
    let (meta, docs) = load_documents(state, &plan, &view).await?;
    phases.done("read");
    let Updates { order, pending } = updates(&plan, decoded);
    let loaded = meta.len();
    let (jobs, mut merging) = Merging::start(pending, docs);
    let merges = pipeline::start(jobs, context.clone());
    let concerned = concerned(&view, decoded);
    let cursor = cursor_after(user, &plan, &view);
    let storing = Storing {
        state,
        writer: Writer { user, device_id },
        meta: &meta,
        cursor: &cursor,
        moved: &view.moved,
        open_conflicts: view.open_conflicts.as_ref(),
        verified: view.verified.as_ref(),
        // PostgreSQL works in its own process: its transaction starts now and stores
        // merged documents while the rest still merge. SQLite works in this process, and
        // its write transaction locks the database, so it starts once everything is merged.
        overlap: state.db.get_database_backend() == DbBackend::Postgres,
    };
    let mut txn = None;
    // On PostgreSQL the photos missing in scope are read alongside, on another connection:
    // what this request merges changes them only if it changes a household's evidence, and
    // then they are read again below. SQLite reads them after the commit.
    let (stored, missing_before) = tokio::join!(
        async {
            receive_all(&storing, &mut txn, merges, &mut merging).await?;
            settle_request(&storing, &mut txn, &mut merging, &plan, &order, whole).await
        },
        async {
            match storing.overlap {
                true => Some(missing_photos(state, user, &view, &concerned).await),
                false => None,
            }
        },
    );
    phases.done("merge_and_store");
    // On an error the documents taken out of the cache stay out: they may hold what was
    // rolled back.
    let Outcome { mut reply, .. } = commit(stored, txn).await?;
    phases.done("commit");
    let (evidence_changed, figures) = put_back(state, meta, merging);
    reply.missing_blobs = missing_after(
        state,
        user,
        &view,
        &concerned,
        missing_before,
        evidence_changed,
    )
    .await?;
    reply.tasks = tasks_for(state, user, &view).await?;
    phases.done("reply");
    Ok((encode(&reply), SyncFigures { loaded, ..figures }))
}

/// Once committed, puts the loaded documents back into the cache (not those a failed merge
/// left unusable) and returns whether a household's evidence changed, and the figures.
fn put_back(state: &AppState, meta: Meta, merging: Merging) -> (bool, SyncFigures) {
    let Merging {
        stored,
        mut docs,
        lost,
        ..
    } = merging;
    // Read again after a failed merge, possibly at a newer version than `meta` says.
    for id in lost {
        docs.remove(&id);
    }
    return_to_cache(state, meta, docs, stored.versions, stored.moved);
    (stored.evidence_changed, stored.figures)
}

/// The documents a request concerns: what changed in its scope since its last sync, and
/// what it sent.
fn concerned(view: &view::SyncView, decoded: &DecodedRequest) -> Vec<DocId> {
    view.scope
        .keys()
        .copied()
        .chain(decoded.request.updates.iter().map(|u| u.doc))
        .collect()
}

/// Where the device stands once the request is carried out completely: past everything it
/// read when its digest matched, where it stood otherwise.
fn cursor_after(
    user: &AuthUser,
    plan: &zoufang_sync::server::Plan,
    view: &view::SyncView,
) -> Cursor {
    Cursor {
        scope: user.scope.as_str().to_owned(),
        digest: Default::default(),
        seen_upto: if plan.digest_matches {
            view.horizon
        } else {
            view.before.as_ref().map_or(0, |c| c.seen_upto)
        },
    }
}

/// Commits the request's transaction when everything was stored; rolls it back otherwise
/// and returns why.
async fn commit(
    stored: Result<Outcome, ApiError>,
    txn: Option<crate::store::WriteTxn>,
) -> Result<Outcome, ApiError> {
    match (stored, txn) {
        (Ok(outcome), Some(txn)) => {
            txn.commit().await?;
            Ok(outcome)
        }
        (stored, txn) => {
            if let Some(txn) = txn {
                let _ = txn.rollback().await;
            }
            Err(match stored {
                Err(err) => err,
                Ok(_) => ApiError::Internal("the sync transaction was not started".into()),
            })
        }
    }
}

/// Photos the device's households reference that the server does not have yet (the tablet
/// uploads them after the documents): what was read alongside the merges (`before`), unless
/// the request changed a household's evidence, then read again.
async fn missing_after(
    state: &AppState,
    user: &AuthUser,
    view: &view::SyncView,
    concerned: &[DocId],
    before: Option<Result<Vec<zoufang_schemas::PhotoHash>, ApiError>>,
    evidence_changed: bool,
) -> Result<Vec<zoufang_schemas::PhotoHash>, ApiError> {
    match before {
        Some(missing) if !evidence_changed => missing,
        _ if evidence_changed => {
            let unknown = view::SyncView {
                photos_missing: None,
                ..view.clone()
            };
            missing_photos(state, user, &unknown, concerned).await
        }
        _ => missing_photos(state, user, view, concerned).await,
    }
}

/// The documents the plan loads, with their version and village: cached ones taken out
/// (not copied; put back once committed), the others read in two queries and decoded on
/// every core.
async fn load_documents(
    state: &AppState,
    plan: &zoufang_sync::server::Plan,
    view: &view::SyncView,
) -> Result<(Meta, BTreeMap<DocId, Automerge>), ApiError> {
    let mut meta: Meta = BTreeMap::new();
    let mut docs: BTreeMap<DocId, Automerge> = BTreeMap::new();
    let mut missing = Vec::new();
    for id in &plan.load {
        let version = view.versions.get(id).copied();
        match version.and_then(|v| state.docs.take(id, v)) {
            Some(hit) => {
                meta.insert(*id, (hit.version, hit.region_code));
                docs.insert(*id, hit.doc);
            }
            None => missing.push(*id),
        }
    }
    let stored = documents::fetch_many(&state.db, &missing).await?;
    for (id, loaded) in pipeline::decode_all(stored).await? {
        meta.insert(id, (loaded.version, loaded.region_code));
        docs.insert(id, loaded.doc);
    }
    Ok((meta, docs))
}

/// Newly assigned documents whose stored snapshot is current go out as stored, without
/// being loaded: a first download costs no merge work and little memory. They leave the
/// plan's documents to load and assign.
async fn stored_as_they_are(
    state: &AppState,
    plan: &mut zoufang_sync::server::Plan,
) -> Result<Vec<zoufang_schemas::wire::WholeDoc>, ApiError> {
    let whole = documents::current_snapshots(&state.db, &plan.assign).await?;
    for sent in &whole {
        plan.load.remove(&sent.doc);
        plan.assign.remove(&sent.doc);
    }
    Ok(whole)
}

/// Every loaded document goes back into the cache once committed: merged ones at their
/// new version, moved ones in their new village.
fn return_to_cache(
    state: &AppState,
    mut meta: Meta,
    docs: BTreeMap<DocId, Automerge>,
    versions: Vec<(DocId, i64)>,
    moved: Vec<(DocId, String)>,
) {
    for (id, region) in moved {
        if let Some(entry) = meta.get_mut(&id) {
            entry.1 = region;
        }
    }
    let versions: BTreeMap<DocId, i64> = versions.into_iter().collect();
    for (id, doc) in docs {
        if let Some((version, region_code)) = meta.remove(&id) {
            state.docs.put(
                id,
                LoadedDoc {
                    doc,
                    version: versions.get(&id).copied().unwrap_or(version),
                    region_code,
                },
            );
        }
    }
}

/// A request naming more out-of-scope documents than an honest tablet ever sends (a few
/// households moved away while it was offline) is refused whole, before anything is
/// loaded: the work a request causes stays bounded by what its sender may touch.
fn refuse_scope_probing(
    state: &AppState,
    plan: &zoufang_sync::server::Plan,
) -> Result<(), ApiError> {
    let outside = plan
        .updates
        .iter()
        .filter(|(_, d)| *d == zoufang_sync::server::UpdateDisposition::OutOfScope)
        .count();
    let limit = state.settings.sync.max_out_of_scope_updates;
    if outside > limit {
        return Err(ApiError::Forbidden(
            "scope-exceeded",
            format!(
                "{outside} of the updates are outside your scope (at most {limit} are answered)"
            ),
        ));
    }
    Ok(())
}

/// Photos the device is asked to upload (at most [`MISSING_BLOBS_LISTED`]): for a whole
/// scope read, those its households reference that the server lacks; otherwise those of
/// the documents the request concerned (what changed since its last sync, and what it
/// sent).
async fn missing_photos(
    state: &AppState,
    user: &AuthUser,
    view: &view::SyncView,
    concerned: &[DocId],
) -> Result<Vec<zoufang_schemas::PhotoHash>, ApiError> {
    if view.photos_missing == Some(false) {
        return Ok(Vec::new());
    }
    let hashes = if view.whole {
        crate::store::photos::missing_in_scope(&state.db, user.scope.as_str(), MISSING_BLOBS_LISTED)
            .await?
    } else {
        crate::store::photos::missing_among(&state.db, concerned, MISSING_BLOBS_LISTED).await?
    };
    Ok(hashes
        .iter()
        .filter_map(|h| zoufang_schemas::PhotoHash::parse(h).ok())
        .collect())
}

/// The tasks of the device's scope: all open ones for a whole read, otherwise those that
/// changed since its cursor (closed ones too, which the tablet drops), not read again when
/// the feed read found none.
async fn tasks_for(
    state: &AppState,
    user: &AuthUser,
    view: &view::SyncView,
) -> Result<Vec<zoufang_schemas::Task>, ApiError> {
    let scope = user.scope.as_str();
    Ok(match (&view.before, view.whole) {
        (Some(_), false) if view.tasks_unchanged => Vec::new(),
        (Some(cursor), false) => {
            crate::store::tasks::changed_since(&state.db, scope, &view.counties, cursor.seen_upto)
                .await?
        }
        _ => crate::store::tasks::open_under(&state.db, scope).await?,
    })
}

/// What storing one request's merges needs besides the merges themselves.
struct Storing<'a> {
    state: &'a AppState,
    writer: Writer<'a>,
    /// Version and village of every loaded document, as read before merging.
    meta: &'a Meta,
    /// Where the device stands once the request is stored (its digest is the outcome's).
    cursor: &'a Cursor,
    /// Documents flagged as moved that the request checked.
    moved: &'a [DocId],
    /// Documents with open conflicts, when known.
    open_conflicts: Option<&'a std::collections::BTreeSet<DocId>>,
    /// Documents with a verified review, when known.
    verified: Option<&'a std::collections::BTreeSet<DocId>>,
    /// Whether the transaction begins before the merges end, storing each group of merged
    /// documents as it arrives (PostgreSQL), rather than once all are merged (SQLite).
    overlap: bool,
}

/// The merge results of one request as they come back, and what storing them changed.
struct Merging {
    jobs: usize,
    results: BTreeMap<DocId, MergeResult>,
    stored: Stored,
    /// The request's documents: those not merged from the start, merged ones as they
    /// come back.
    docs: BTreeMap<DocId, Automerge>,
    /// Documents a failed merge left unusable, read again from the database.
    lost: Vec<DocId>,
}

impl Merging {
    /// The merges to run, one per document with changes `pending`, taken out of `docs`;
    /// the rest of `docs` stay for the reply.
    fn start(
        pending: BTreeMap<DocId, Vec<zoufang_sync::automerge::Change>>,
        mut docs: BTreeMap<DocId, Automerge>,
    ) -> (Vec<MergeJob>, Self) {
        let jobs: Vec<MergeJob> = pending
            .into_iter()
            .filter_map(|(id, changes)| docs.remove(&id).map(|doc| MergeJob { id, doc, changes }))
            .collect();
        let merging = Self {
            jobs: jobs.len(),
            results: BTreeMap::new(),
            stored: Stored::default(),
            docs,
            lost: Vec::new(),
        };
        (jobs, merging)
    }

    /// Stores a group of merged documents and moves them into the documents and results.
    async fn store(
        &mut self,
        storing: &Storing<'_>,
        txn: &WriteTxn,
        group: &mut Vec<pipeline::MergedDocument>,
    ) -> Result<(), ApiError> {
        persist::merged_documents(
            txn,
            storing.writer,
            storing.meta,
            persist::Known {
                open: storing.open_conflicts,
                verified: storing.verified,
            },
            group,
            &mut self.stored,
        )
        .await?;
        for done in group.drain(..) {
            self.docs.insert(done.id, done.doc);
            self.results.insert(done.id, done.result);
        }
        Ok(())
    }
}

/// Receives every merged document, storing each group as it arrives (`overlap`) or all of
/// them once merged. The transaction it begins is left in `txn` for the caller to commit
/// or roll back.
async fn receive_all(
    storing: &Storing<'_>,
    txn: &mut Option<crate::store::WriteTxn>,
    mut merges: tokio::sync::mpsc::UnboundedReceiver<pipeline::MergedDocument>,
    merging: &mut Merging,
) -> Result<(), ApiError> {
    if storing.overlap {
        *txn = Some(crate::store::begin_write(&storing.state.db).await?);
    }
    let mut group = Vec::new();
    while let Some(first) = merges.recv().await {
        group.push(first);
        while let Ok(more) = merges.try_recv() {
            group.push(more);
        }
        if let Some(txn) = txn.as_ref() {
            merging.store(storing, txn, &mut group).await?;
        }
    }
    // Every job comes back (merging contains panics); one missing means a merge thread
    // died, and its document with it.
    let received = merging.results.len() + group.len();
    if received != merging.jobs {
        return Err(ApiError::Internal(format!(
            "{} of {} documents came back from merging",
            received, merging.jobs
        )));
    }
    let txn = match txn {
        Some(txn) => &*txn,
        None => txn.insert(crate::store::begin_write(&storing.state.db).await?),
    };
    merging.store(storing, txn, &mut group).await
}

/// Settles the request once every document is merged and stored, then stores the belief
/// and audit entry in the transaction `receive_all` began.
async fn settle_request(
    storing: &Storing<'_>,
    txn: &mut Option<crate::store::WriteTxn>,
    merging: &mut Merging,
    plan: &zoufang_sync::server::Plan,
    order: &[DocId],
    whole: Vec<zoufang_schemas::wire::WholeDoc>,
) -> Result<Outcome, ApiError> {
    let Some(txn) = txn.as_ref() else {
        return Err(ApiError::Internal(
            "the sync transaction was not started".into(),
        ));
    };
    let mut results = std::mem::take(&mut merging.results);
    merging.lost = read_lost_again(storing.state, &mut results, &mut merging.docs).await?;
    let mut outcome = settle(plan, order, results, &merging.docs);
    for sent in whole {
        outcome
            .belief
            .hold(sent.doc, sent.heads.clone(), &plan.known.belief);
        outcome.reply.assigned.push(sent);
    }
    let cursor = Cursor {
        digest: outcome.belief.digest,
        ..storing.cursor.clone()
    };
    let deferred = merging.stored.deferred.take();
    persist::settled(
        txn,
        storing.writer,
        &outcome,
        &cursor,
        storing.moved,
        deferred,
    )
    .await?;
    Ok(outcome)
}

/// Reads again, as stored, the documents whose merge failed part-way and left them
/// unusable (nothing this request wrote touched them); their updates are refused as
/// unprocessable. Returns which they were.
async fn read_lost_again(
    state: &AppState,
    results: &mut BTreeMap<DocId, MergeResult>,
    docs: &mut BTreeMap<DocId, Automerge>,
) -> Result<Vec<DocId>, ApiError> {
    let lost: Vec<DocId> = results
        .iter()
        .filter(|(_, result)| **result == MergeResult::Lost)
        .map(|(id, _)| *id)
        .collect();
    if lost.is_empty() {
        return Ok(lost);
    }
    tracing::warn!(
        documents = lost.len(),
        "a merge failed part-way; reading the documents again"
    );
    let stored = documents::fetch_many(&state.db, &lost).await?;
    let mut again: BTreeMap<DocId, Automerge> = pipeline::decode_all(stored)
        .await?
        .into_iter()
        .map(|(id, loaded)| (id, loaded.doc))
        .collect();
    zoufang_sync::server::restore_lost(results, docs, |id| again.remove(id));
    Ok(lost)
}

/// How long each phase of a sync took (`zoufang_sync_phase_seconds`).
struct Phases(Instant);

impl Phases {
    fn new() -> Self {
        Self(Instant::now())
    }

    /// Records the phase that ends now; the next starts.
    fn done(&mut self, phase: &'static str) {
        let now = Instant::now();
        metrics::histogram!("zoufang_sync_phase_seconds", "phase" => phase)
            .record(now.duration_since(self.0).as_secs_f64());
        self.0 = now;
    }
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
