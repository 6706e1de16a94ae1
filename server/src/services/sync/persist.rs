//! Storing what a sync merged, inside the sync's transaction: change log rows, document
//! heads, projections, photo links and conflicts per group of merged documents, then the
//! device's belief and the audit entry once the whole request is settled.

use super::SyncFigures;
use super::pipeline::{MergedDocument, Projection};
use crate::auth::AuthUser;
use crate::error::StoreError;
use crate::store::WriteTxn;
use crate::store::audit::{self, Event};
use crate::store::conflicts::{self, StoredCandidate};
use crate::store::documents::{self, Origin};
use crate::store::script::Script;
use crate::store::sync_states::{self, Cursor};
use crate::store::{devices, users};
use sea_orm::ConnectionTrait;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use zoufang_schemas::wire::DocId;
use zoufang_sync::server::{MergedDoc, Outcome};

/// Version and village of every loaded document, as read before the merge.
pub type Meta = BTreeMap<DocId, (i64, String)>;

/// What the request's read told about its documents (`None`: not known, look it up).
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// Documents with open conflicts.
    pub open: Option<&'a BTreeSet<DocId>>,
    /// Documents with a verified review not yet marked changed.
    pub verified: Option<&'a BTreeSet<DocId>>,
}

/// Who a sync's rows are attributed to: the user and the device that sent it.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    /// The signed-in user.
    pub user: &'a AuthUser,
    /// The device that sent the request.
    pub device_id: &'a str,
}

/// What the stored merges changed, for the document cache once committed, and their
/// figures for metrics.
#[derive(Debug, Default)]
pub struct Stored {
    /// Documents merged, changes appended and conflicts opened so far.
    pub figures: SyncFigures,
    /// New version per merged document.
    pub versions: Vec<(DocId, i64)>,
    /// Documents whose household moved to another village, with the new village.
    pub moved: Vec<(DocId, String)>,
    /// Whether a merge changed which photos a household references.
    pub evidence_changed: bool,
    /// Writes nothing in the request reads back, sent with the request's last ones.
    pub deferred: Option<Script>,
}

impl Stored {
    /// The writes sent with the request's last ones.
    fn deferred(&mut self, txn: &WriteTxn) -> &mut Script {
        self.deferred
            .get_or_insert_with(|| Script::new(txn.get_database_backend()))
    }
}

/// Stores one group of merged documents (the others in `group` are skipped). `known` tells
/// which documents have open conflicts and verified reviews, when the request's read told.
pub async fn merged_documents(
    txn: &WriteTxn,
    writer: Writer<'_>,
    meta: &Meta,
    known: Known<'_>,
    group: &[MergedDocument],
    stored: &mut Stored,
) -> Result<(), StoreError> {
    let merged: Vec<(&MergedDocument, &MergedDoc, i64, &str)> = group
        .iter()
        .filter_map(|m| {
            let (version, region) = meta.get(&m.id)?;
            Some((m, m.merged()?, *version, region.as_str()))
        })
        .collect();
    if merged.is_empty() {
        return Ok(());
    }
    defer_change_log(txn, writer, &merged, stored);
    let authors = authors_of(txn, merged.iter().map(|(_, doc, _, _)| *doc)).await?;
    let Known { open, verified } = known;
    let may_have_open: Vec<DocId> = merged
        .iter()
        .map(|(m, _, _, _)| m.id)
        .filter(|id| open.is_none_or(|open| open.contains(id)))
        .collect();
    let open_before = if may_have_open.is_empty() {
        HashMap::new()
    } else {
        conflicts::open_for(txn, may_have_open.into_iter()).await?
    };
    let mut advancing = Vec::with_capacity(merged.len());
    let mut records = Vec::new();
    let mut households = Vec::new();
    let mut moved = Vec::new();
    for (m, doc, version, region) in &merged {
        advancing.push((m.id, *version, doc.heads.as_slice(), doc.changes.len()));
        // The village as the merged document says; it differs when the household moved.
        let region_now = project(m, &mut records, &mut households).filter(|r| r != region);
        if let Some(moved_to) = region_now {
            moved.push((m.id, moved_to.to_owned()));
        }
        store_review_and_photos(txn, writer, m, doc, region_now.unwrap_or(region), stored).await?;
        stored.figures.conflicts += store_conflicts(
            txn,
            m,
            doc,
            region,
            &authors,
            open_before.get(&m.id).map(Vec::as_slice),
        )
        .await?;
        stored.figures.merged += 1;
        stored.figures.changes += doc.changes.len();
        stored.versions.push((m.id, version + 1));
    }
    // Each if still at the version read, with the request's last writes (a document that
    // moved on fails them).
    documents::advance_into(stored.deferred(txn), &advancing);
    // A verified record that changed is marked so (only households known to have one, when
    // the request's read told).
    let verified: Vec<DocId> = merged
        .iter()
        .map(|(m, _, _, _)| m.id)
        .filter(|id| verified.is_none_or(|v| v.contains(id)))
        .collect();
    crate::store::reviews::mark_changed(txn, &verified).await?;
    // A household moved to another village: its document follows, so it leaves the scopes
    // of the old village's devices (after their last upload) and reaches the new one's.
    for (id, region) in &moved {
        documents::move_region(txn, id, region).await?;
    }
    documents::project_many(txn, &records).await?;
    documents::project_households_into(stored.deferred(txn), &households);
    stored.moved.extend(moved);
    Ok(())
}

/// Adds the merged changes' change log rows, attributed to the writer, to the writes sent
/// with the request's last ones (nothing in the request reads them back).
fn defer_change_log(
    txn: &WriteTxn,
    writer: Writer<'_>,
    merged: &[(&MergedDocument, &MergedDoc, i64, &str)],
    stored: &mut Stored,
) {
    let origin = Origin {
        device_id: Some(writer.device_id),
        user_id: Some(writer.user.id),
    };
    let rows: Vec<_> = merged
        .iter()
        .flat_map(|(m, doc, _, region)| doc.changes.iter().map(move |c| (m.id, *region, c)))
        .collect();
    documents::insert_changes_into(stored.deferred(txn), &rows, origin);
}

/// Adds a merged household's projection to the rows to write (whole records, or the
/// household row's own columns) and returns its village as projected (`None`: unchanged).
fn project<'a>(
    m: &'a MergedDocument,
    records: &mut Vec<(DocId, &'a zoufang_schemas::HouseholdRecord)>,
    households: &mut Vec<(DocId, documents::HouseholdColumns<'a>)>,
) -> Option<&'a str> {
    match &m.projection {
        Projection::Record(record) => {
            records.push((m.id, record.as_ref()));
            Some(record.household.region_code.as_str())
        }
        Projection::Household(row) => {
            households.push((
                m.id,
                documents::HouseholdColumns {
                    info: &row.0,
                    monitoring: &row.1,
                    income: &row.2,
                },
            ));
            Some(row.0.region_code.as_str())
        }
        Projection::Unchanged => None,
    }
}

/// What a merge changed of one household besides its projections, kept where its village
/// (`region`, after any move) reads them: its validation findings, its visits, the photos
/// it references.
async fn store_review_and_photos(
    txn: &WriteTxn,
    writer: Writer<'_>,
    m: &MergedDocument,
    doc: &MergedDoc,
    region: &str,
    stored: &mut Stored,
) -> Result<(), StoreError> {
    if let Some(findings) = &m.findings {
        crate::store::findings::replace(txn, &m.id, region, findings).await?;
    }
    if let Some(record) = &m.record
        && doc.changed_section("visits")
    {
        let actor = format!("user:{}", writer.user.name);
        crate::services::projection::visits(txn, &m.id, region, record, &actor)
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    }
    if let Some(hashes) = &m.photos {
        stored.evidence_changed = true;
        crate::store::photos::set_links(txn, &m.id, region, hashes, Some(writer.user.id)).await?;
    }
    Ok(())
}

/// Records the conflicts a merge left on one document (with their candidates' devices and
/// users from `authors`) and closes those of its `open` ones the merge resolved; returns
/// how many it opened.
async fn store_conflicts(
    txn: &WriteTxn,
    m: &MergedDocument,
    doc: &MergedDoc,
    region: &str,
    authors: &HashMap<String, (String, String)>,
    open: Option<&[crate::store::entities::conflict::Model]>,
) -> Result<usize, StoreError> {
    let mut opened = 0;
    if !doc.conflicts.is_empty() {
        let found: Vec<_> = doc
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
        opened = conflicts::record(txn, &m.id, region, &found).await?;
    }
    if let Some(open) = open {
        let still_conflicted = |path: &str| {
            zoufang_sync::DocPath::parse(path)
                .ok()
                .is_some_and(|p| zoufang_sync::conflicts::conflict_at_path(&m.doc, &p).is_some())
        };
        conflicts::close_superseded(txn, open, &still_conflicted).await?;
    }
    Ok(opened)
}

/// Stores how the belief about the device moved, where the device now stands, and the
/// audit entry of the whole request, together with `deferred`, the merges' writes not
/// sent yet.
pub async fn settled(
    txn: &WriteTxn,
    writer: Writer<'_>,
    outcome: &Outcome,
    cursor: &Cursor,
    moved: &[DocId],
    deferred: Option<Script>,
) -> Result<(), StoreError> {
    let Writer { user, device_id } = writer;
    let mut script = deferred.unwrap_or_else(|| Script::new(txn.get_database_backend()));
    sync_states::save_into(&mut script, device_id, &outcome.belief, cursor, moved);
    if outcome.merged.is_empty() && outcome.reply.refused.is_empty() {
        return run_last(txn, script).await;
    }
    // Per document the heads it reached: change hashes cover their dependencies, so the
    // heads commit to every change merged (and to all history before), while the change
    // log rows hold each change with its device and user.
    let detail = serde_json::json!({
        "device": device_id,
        "merged": outcome.merged.iter().map(|m| serde_json::json!({
            "doc": m.doc.to_string(),
            "changes": m.changes.len(),
            "heads": m.heads.iter().map(|h| hex::encode(h.0)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "refused": refusals_summary(&outcome.reply.refused),
    });
    audit::append_into(
        &mut script,
        Event {
            actor: format!("user:{}", user.name),
            action: "sync.merge",
            subject: device_id.to_owned(),
            detail,
        },
    );
    run_last(txn, script).await
}

/// Runs the request's last writes (on SQLite the documents' advance among them, whose
/// failure is a document that moved on since it was read: contention).
async fn run_last(txn: &WriteTxn, script: Script) -> Result<(), StoreError> {
    match txn.run_closing(script).await {
        Ok(_) => Ok(()),
        Err(err) if documents::moved_meanwhile(&err) => Err(StoreError::Contention),
        Err(err) => Err(err.into()),
    }
}

/// Device and username of every actor named by a conflict candidate.
async fn authors_of<'a>(
    txn: &WriteTxn,
    merged: impl Iterator<Item = &'a MergedDoc>,
) -> Result<HashMap<String, (String, String)>, StoreError> {
    let actors: Vec<String> = merged
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

/// Refusals for the audit log: the count per code and the first documents of each, so an
/// entry stays small whatever a request names.
fn refusals_summary(refused: &[zoufang_schemas::wire::Refusal]) -> serde_json::Value {
    const LISTED: usize = 20;
    let mut by_code: BTreeMap<&str, (usize, Vec<String>)> = BTreeMap::new();
    for refusal in refused {
        let entry = by_code.entry(refusal.code.as_str()).or_default();
        entry.0 += 1;
        if entry.1.len() < LISTED {
            entry.1.push(refusal.doc.to_string());
        }
    }
    by_code
        .into_iter()
        .map(|(code, (count, docs))| {
            (
                code.to_owned(),
                serde_json::json!({ "count": count, "docs": docs }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}
