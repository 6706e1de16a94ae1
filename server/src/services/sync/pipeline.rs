//! Merging a request's documents off the async runtime, one blocking task per core, each
//! document's result sent back as soon as it is ready so that the database can store the
//! first documents while the later ones still merge.

use crate::error::StoreError;
use crate::store::documents::{LoadedDoc, PROJECTED_FIELDS, StoredDoc};
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{HouseholdInfo, HouseholdRecord, Income, Monitoring};
use zoufang_sync::automerge::{Automerge, Change};
use zoufang_sync::server::{DeviceContext, MergeResult, MergedDoc, merge_document};

/// One document to merge: the server's copy and the device's changes.
pub struct MergeJob {
    /// The document.
    pub id: DocId,
    /// The server's copy (taken out of the cache or read from the store for this request).
    pub doc: Automerge,
    /// The device's changes.
    pub changes: Vec<Change>,
}

/// What the projection tables need from a merged document, read on the merge thread.
#[derive(Debug)]
pub enum Projection {
    /// The sections the projections read did not change.
    Unchanged,
    /// Members changed: the whole record.
    Record(Box<HouseholdRecord>),
    /// Only the household row's own columns changed.
    Household(Box<(HouseholdInfo, Monitoring, Income)>),
}

/// One merged document, with what storing it needs.
pub struct MergedDocument {
    /// The document.
    pub id: DocId,
    /// Its state after the merge (unchanged unless `result` is `Merged`).
    pub doc: Automerge,
    /// What the merge came to.
    pub result: MergeResult,
    /// The projection rows to write, for a merged document.
    pub projection: Projection,
    /// The photos the document references, when its evidence changed.
    pub photos: Option<BTreeSet<String>>,
    /// The record, when the merge changed what validation or the visits read.
    pub record: Option<Box<HouseholdRecord>>,
    /// The validation findings, when the merge changed fields the rules read.
    pub findings: Option<zoufang_schemas::validate::Report>,
}

impl MergedDocument {
    /// The merge, if new changes were merged.
    pub fn merged(&self) -> Option<&MergedDoc> {
        match &self.result {
            MergeResult::Merged(m) => Some(m),
            _ => None,
        }
    }
}

/// Decodes stored documents on blocking tasks, one per core for many documents.
pub async fn decode_all(stored: Vec<StoredDoc>) -> Result<Vec<(DocId, LoadedDoc)>, StoreError> {
    let parts = zoufang_sync::parallel::cores()
        .min(stored.len().div_ceil(16))
        .max(1);
    let per_part = stored.len().div_ceil(parts).max(1);
    let mut stored = stored.into_iter();
    let mut tasks = Vec::with_capacity(parts);
    loop {
        let part: Vec<StoredDoc> = stored.by_ref().take(per_part).collect();
        if part.is_empty() {
            break;
        }
        tasks.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|doc| {
                    let id = doc.id;
                    doc.decode().map(|loaded| (id, loaded))
                })
                .collect::<Result<Vec<_>, _>>()
        }));
    }
    let mut out = Vec::new();
    for task in tasks {
        let decoded = task
            .await
            .map_err(|e| StoreError::Corrupt(format!("decoding documents: {e}")))??;
        out.extend(decoded);
    }
    Ok(out)
}

/// Documents merged right away on the request's own task: a merge of one or two documents
/// takes less than handing them to another thread and back.
const MERGED_INLINE: usize = 2;

/// Starts merging `jobs` on blocking tasks (as many as cores, fewer for small requests) and
/// returns the receiving end: every job comes back exactly once, in completion order.
pub fn start(
    jobs: Vec<MergeJob>,
    device: DeviceContext,
) -> mpsc::UnboundedReceiver<MergedDocument> {
    let (sender, receiver) = mpsc::unbounded_channel();
    if jobs.len() <= MERGED_INLINE {
        for job in jobs {
            // The receiver is still held here: sending cannot fail.
            let _ = sender.send(merge(job, &device));
        }
        return receiver;
    }
    let workers = zoufang_sync::parallel::cores()
        .min(jobs.len().div_ceil(8))
        .max(1);
    let queue = Arc::new(Mutex::new(VecDeque::from(jobs)));
    let device = Arc::new(device);
    for _ in 0..workers {
        let queue = Arc::clone(&queue);
        let device = Arc::clone(&device);
        let sender = sender.clone();
        tokio::task::spawn_blocking(move || {
            while let Some(job) = queue.lock().ok().and_then(|mut q| q.pop_front()) {
                if sender.send(merge(job, &device)).is_err() {
                    // The request was abandoned: stop merging.
                    return;
                }
            }
        });
    }
    receiver
}

fn merge(job: MergeJob, device: &DeviceContext) -> MergedDocument {
    let MergeJob {
        id,
        mut doc,
        changes,
    } = job;
    let result = merge_document(&mut doc, changes, device);
    let (projection, photos) = match &result {
        MergeResult::Merged(merged) => {
            zoufang_sync::guard::contain(|| read_projection(&doc, merged))
                .unwrap_or((Projection::Unchanged, None))
        }
        _ => (Projection::Unchanged, None),
    };
    let (record, findings) = match &result {
        MergeResult::Merged(merged) => {
            zoufang_sync::guard::contain(|| read_for_review(&doc, merged)).unwrap_or((None, None))
        }
        _ => (None, None),
    };
    MergedDocument {
        id,
        doc,
        result,
        projection,
        photos,
        record,
        findings,
    }
}

/// The record and its findings, when the merge changed what the validation rules or the
/// visits read (a merge of other fields leaves both as they were).
fn read_for_review(
    doc: &Automerge,
    merged: &MergedDoc,
) -> (
    Option<Box<HouseholdRecord>>,
    Option<zoufang_schemas::validate::Report>,
) {
    let validate = crate::services::projection::touches_validation(&merged.fields);
    if !validate && !merged.changed_section("visits") {
        return (None, None);
    }
    let Ok(record) = zoufang_sync::read_record(doc) else {
        return (None, None);
    };
    let findings = validate.then(|| zoufang_schemas::validate(&record));
    (Some(Box::new(record)), findings)
}

/// Projections limited to what the merge changed: whole records when members or measures
/// changed, the household row's own columns when one of the fields they come from did,
/// nothing when the merge wrote only fields no projection holds (housing, phone, ...).
fn read_projection(doc: &Automerge, merged: &MergedDoc) -> (Projection, Option<BTreeSet<String>>) {
    let changed = |section: &str| merged.changed_section(section);
    let projection = if changed("members") || changed("measures") {
        zoufang_sync::read_record(doc)
            .map(|record| Projection::Record(Box::new(record)))
            .unwrap_or(Projection::Unchanged)
    } else if PROJECTED_FIELDS.iter().any(|f| merged.fields.contains(*f)) {
        let info = zoufang_sync::read_section::<HouseholdInfo>(doc, "household");
        let monitoring = zoufang_sync::read_section::<Monitoring>(doc, "monitoring");
        let income = zoufang_sync::read_section::<Income>(doc, "income");
        match (info, monitoring, income) {
            (Ok(info), Ok(monitoring), Ok(income)) => {
                Projection::Household(Box::new((info, monitoring, income)))
            }
            _ => Projection::Unchanged,
        }
    } else {
        Projection::Unchanged
    };
    let photos = changed("evidence").then(|| {
        zoufang_sync::photo_hashes(doc)
            .into_iter()
            .map(|h| h.as_str().to_owned())
            .collect()
    });
    (projection, photos)
}
