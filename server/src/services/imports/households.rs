//! Importing households: the file read row by row, rows grouped into households, households
//! written a batch at a time (one transaction per batch: a failed batch leaves the earlier
//! ones and says which row to resume from), new households created by the server and
//! existing ones (by 户编号) brought to the file with server changes that merge with the
//! tablets' edits; households of the region the file no longer lists are flagged, never
//! deleted; every refused row is kept with its column and code.

use super::Importer;
use super::grouping::{Grouper, ImportedHousehold, Layout};
use super::plan::{self, Baseline, Refusal};
use super::table::{self, Row};
use crate::error::ApiError;
use crate::services::server_write::{self, Staged, WrittenBy};
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::import_run;
use crate::store::imports::{self, Counts, Known, Rejected};
use crate::store::{documents, regions};
use std::collections::BTreeSet;
use std::path::Path;
use zoufang_schemas::wire::DocId;
use zoufang_sync::HouseholdDoc;

/// Households written per transaction.
pub const BATCH: usize = 500;

/// Households read per query when looking for those the file no longer lists.
const ABSENT_PAGE: u64 = 5000;

/// Where an import stands, for a progress bar.
pub type Progress<'a> = &'a mut (dyn FnMut(&Counts) + Send);

struct Run<'a> {
    state: &'a AppState,
    importer: &'a Importer,
    id: i64,
    villages: BTreeSet<String>,
    seen: super::numbers::NumberSet,
    counts: Counts,
    /// The file's headers of 区划代码 and 户编号, for the refused rows.
    headers: [String; 2],
}

/// A batch read and sorted, its new households being built.
struct Planned {
    /// The batch's first row: where to resume if storing it fails.
    first_row: u64,
    /// Rows read up to the end of the batch.
    rows_at: i64,
    /// The new households, being built.
    building: crate::services::documents::Building,
    /// Baselines to keep (new households, then the others as they are reconciled).
    new_baselines: Vec<(String, String)>,
    /// Households the server has, with their last baselines.
    existing: Vec<(ImportedHousehold, Known, Option<Baseline>)>,
    /// Rows refused so far.
    rejected: Vec<Rejected>,
}

fn rejected_rows(
    household: &ImportedHousehold,
    column: &str,
    refusal: &Refusal,
    value: Option<&str>,
) -> Vec<Rejected> {
    let rows: Vec<u64> = match refusal.row {
        Some(row) => vec![row],
        None => household.rows.clone(),
    };
    rows.into_iter()
        .map(|row| Rejected {
            row: row as i64,
            column: column.to_owned(),
            code: refusal.code.clone(),
            message: refusal.message.clone(),
            value: value.map(str::to_owned),
        })
        .collect()
}

impl<'a> Run<'a> {
    async fn start(
        state: &'a AppState,
        importer: &'a Importer,
        id: i64,
        grouper: &Grouper,
    ) -> Result<Self, ApiError> {
        Ok(Run {
            state,
            importer,
            id,
            villages: regions::villages_under(&state.db, &importer.region)
                .await
                .map_err(ApiError::from)?,
            seen: super::numbers::NumberSet::default(),
            counts: Counts::default(),
            headers: [
                grouper.header_of("household.region_code"),
                grouper.header_of("household.national_number"),
            ],
        })
    }

    /// Stores the batch still in flight (unless the run already failed), flags the
    /// households absent from a complete file, and records how the run ended.
    async fn close(
        &mut self,
        mut failed: Option<(u64, String)>,
        in_flight: Option<Planned>,
        file_name: &str,
        sha256: &str,
    ) -> Result<(), ApiError> {
        if failed.is_none()
            && let Some(last) = in_flight
            && let Err((row, error)) = self.store_or_rewind(last).await
        {
            failed = Some((row, error));
        }
        let ended = match &failed {
            Some((row, error)) => (imports::FAILED, Some(*row as i64), Some(error.clone())),
            None => {
                self.flag_absent().await?;
                (imports::DONE, None, None)
            }
        };
        self.end(ended, file_name, sha256).await
    }

    fn region_refusal(&self, household: &ImportedHousehold) -> Option<Refusal> {
        let region = household.region()?;
        if self.villages.contains(region) {
            return None;
        }
        let (code, message) = if region.starts_with(&self.importer.region) {
            (
                "region-unknown",
                format!("{region} is not a village of the region tree"),
            )
        } else {
            (
                "region-out-of-scope",
                format!("{region} is outside {}", self.importer.region),
            )
        };
        Some(Refusal {
            code: code.into(),
            message,
            row: None,
        })
    }

    /// The households of a batch whose 户编号 the file had not listed before; the others are
    /// refused.
    fn first_seen(
        &mut self,
        batch: Vec<ImportedHousehold>,
        rejected: &mut Vec<Rejected>,
    ) -> Vec<ImportedHousehold> {
        let mut fresh = Vec::with_capacity(batch.len());
        for household in batch {
            if self.seen.insert(&household.national_number) {
                fresh.push(household);
            } else {
                // A household's rows come together: a 户编号 met again further down the
                // file is refused, not merged into (or created beside) the first.
                let refusal = Refusal {
                    code: "household-repeated".into(),
                    message: format!(
                        "户编号 {} came earlier in the file: a household's rows go together",
                        household.national_number
                    ),
                    row: None,
                };
                rejected.extend(rejected_rows(
                    &household,
                    &self.headers[1],
                    &refusal,
                    Some(&household.national_number),
                ));
            }
        }
        fresh
    }

    /// Reads what the server knows of a batch and sorts its households: new ones start
    /// being built at once (on every core, while the previous batch is stored), existing
    /// ones wait for the batch's transaction.
    async fn plan(
        &mut self,
        batch: Vec<ImportedHousehold>,
        mut rejected: Vec<Rejected>,
        rows_at: i64,
    ) -> Result<Planned, ApiError> {
        let first_row = batch.first().map_or(0, |h| h.rows[0]);
        let fresh = self.first_seen(batch, &mut rejected);
        let numbers: Vec<String> = fresh.iter().map(|h| h.national_number.clone()).collect();
        let known = imports::by_national_numbers(&self.state.db, numbers).await?;
        let ids: Vec<String> = known.values().map(|k| k.doc_id.clone()).collect();
        let mut baselines = imports::baselines(&self.state.db, ids).await?;
        let mut created = Vec::new();
        let mut new_baselines = Vec::new();
        let mut existing = Vec::new();
        for household in fresh {
            if let Some(refusal) = self.region_refusal(&household) {
                rejected.extend(rejected_rows(
                    &household,
                    &self.headers[0],
                    &refusal,
                    household.region(),
                ));
                continue;
            }
            match known.get(&household.national_number) {
                None => match Self::create(&household, &mut created, &mut new_baselines) {
                    Ok(()) => {}
                    Err(refusal) if refusal.code == "internal" => {
                        return Err(ApiError::Internal(refusal.message));
                    }
                    Err(refusal) => rejected.extend(rejected_rows(
                        &household,
                        &self.headers[1],
                        &refusal,
                        Some(&household.national_number),
                    )),
                },
                Some(found) if !found.region_code.starts_with(&self.importer.region) => {
                    let refusal = Refusal {
                        code: "household-out-of-scope".into(),
                        message: format!(
                            "household {} belongs to {}",
                            household.national_number, found.region_code
                        ),
                        row: None,
                    };
                    rejected.extend(rejected_rows(
                        &household,
                        &self.headers[1],
                        &refusal,
                        Some(&household.national_number),
                    ));
                }
                Some(found) => {
                    let baseline = baselines
                        .remove(&found.doc_id)
                        .and_then(|b| serde_json::from_str::<Baseline>(&b).ok());
                    existing.push((household, found.clone(), baseline));
                }
            }
        }
        Ok(Planned {
            first_row,
            rows_at,
            building: crate::services::documents::build_households(self.state, created),
            new_baselines,
            existing,
            rejected,
        })
    }

    /// Stores a planned batch in one transaction; the rows it rejected are stored with it.
    async fn store(&mut self, planned: Planned) -> Result<(), ApiError> {
        let Planned {
            building,
            mut new_baselines,
            existing,
            mut rejected,
            ..
        } = planned;
        let txn = crate::store::begin_write(&self.state.db).await?;
        let mut counts = self.counts;
        counts.created += building.len() as i64;
        crate::services::documents::store_built(&txn, building).await?;
        let mut staged: Vec<(Staged, i64)> = Vec::new();
        for (household, found, baseline) in existing {
            let outcome = self
                .reconcile(
                    &txn,
                    &household,
                    &found,
                    baseline,
                    &mut staged,
                    &mut new_baselines,
                )
                .await;
            match outcome {
                Ok(Outcome::Updated) => counts.updated += 1,
                Ok(Outcome::Unchanged) => counts.unchanged += 1,
                Err(refusal) if refusal.code == "internal" => {
                    return Err(ApiError::Internal(refusal.message));
                }
                Err(refusal) => rejected.extend(rejected_rows(
                    &household,
                    &self.headers[1],
                    &refusal,
                    Some(&household.national_number),
                )),
            }
        }
        imports::put_baselines(&txn, &new_baselines, self.id).await?;
        counts.rejected += rejected.len() as i64;
        imports::add_rejects(&txn, self.id, &rejected).await?;
        imports::progress(&txn, self.id, counts, None).await?;
        txn.commit().await?;
        for (staged, version) in staged {
            server_write::keep(self.state, staged, version);
        }
        self.counts = counts;
        Ok(())
    }

    /// Flags the households of the region the file did not list, page by page (so that
    /// memory does not grow with the county).
    async fn flag_absent(&mut self) -> Result<(), ApiError> {
        let mut after = String::new();
        loop {
            let page =
                imports::numbered_page(&self.state.db, &self.importer.region, &after, ABSENT_PAGE)
                    .await?;
            let Some(last) = page.last() else { break };
            after = last.doc_id.clone();
            let full = page.len() as u64 == ABSENT_PAGE;
            let absent: Vec<Known> = page
                .into_iter()
                .filter(|k| {
                    k.national_number
                        .as_ref()
                        .is_some_and(|n| !self.seen.contains(n))
                })
                .collect();
            let txn = crate::store::begin_write(&self.state.db).await?;
            imports::add_absent(&txn, self.id, &absent).await?;
            txn.commit().await?;
            self.counts.absent += absent.len() as i64;
            if !full {
                break;
            }
        }
        Ok(())
    }

    /// Records how the run ended, with its audit entry (both commit together).
    async fn end(
        &self,
        ended: (&str, Option<i64>, Option<String>),
        file_name: &str,
        sha256: &str,
    ) -> Result<(), ApiError> {
        let txn = crate::store::begin_write(&self.state.db).await?;
        let status = ended.0;
        imports::progress(&txn, self.id, self.counts, Some(ended)).await?;
        audit::append(
            &txn,
            Event {
                actor: self.importer.actor.clone(),
                action: "import.households",
                subject: format!("{}/{}", self.importer.region, self.id),
                detail: serde_json::json!({ "file": file_name, "sha256": sha256, "status": status, "counts": self.counts }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Plans a batch and stores the one planned before it (the next batch's households are
    /// built while the one before is stored); when either fails, nothing of the two was
    /// stored and the row to resume from comes back with the error.
    async fn pass_on(
        &mut self,
        batch: Vec<ImportedHousehold>,
        rejected: Vec<Rejected>,
        in_flight: &mut Option<Planned>,
    ) -> Result<(), (u64, String)> {
        let first_of_batch = batch.first().map_or(0, |h| h.rows[0]);
        let planned = match self.plan(batch, rejected, self.counts.rows).await {
            Ok(planned) => planned,
            Err(e) => {
                let first = match in_flight.take() {
                    Some(previous) => {
                        self.counts.rows = previous.rows_at;
                        previous.first_row
                    }
                    None => first_of_batch,
                };
                return Err((first, e.to_string()));
            }
        };
        match in_flight.replace(planned) {
            Some(previous) => self.store_or_rewind(previous).await,
            None => Ok(()),
        }
    }

    /// Stores a planned batch; when it fails, the rows counted go back to those before it
    /// and the row to resume from comes back with the error.
    async fn store_or_rewind(&mut self, planned: Planned) -> Result<(), (u64, String)> {
        let (first, rows_at, rows_before) = (planned.first_row, planned.rows_at, self.counts.rows);
        match self.store(planned).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.counts.rows = rows_before.min(rows_at);
                Err((first, e.to_string()))
            }
        }
    }

    /// A household the server has not seen: its record joins the batch's creations.
    fn create(
        household: &ImportedHousehold,
        created: &mut Vec<(DocId, zoufang_schemas::HouseholdRecord)>,
        baselines: &mut Vec<(String, String)>,
    ) -> Result<(), Refusal> {
        let (record, baseline) = plan::create(household)?;
        let id = DocId(*uuid::Uuid::new_v4().as_bytes());
        baselines.push((
            id.to_string(),
            serde_json::to_string(&baseline).map_err(internal)?,
        ));
        created.push((id, record));
        Ok(())
    }

    async fn reconcile(
        &self,
        txn: &crate::store::WriteTxn,
        household: &ImportedHousehold,
        found: &Known,
        baseline: Option<Baseline>,
        staged: &mut Vec<(Staged, i64)>,
        baselines: &mut Vec<(String, String)>,
    ) -> Result<Outcome, Refusal> {
        let doc_id = DocId::parse(&found.doc_id)
            .ok_or_else(|| internal("a stored document id does not parse"))?;
        let loaded = documents::load(txn, &doc_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal("a projected household has no document"))?;
        let current = HouseholdDoc::from_automerge(loaded.doc.clone()).to_json(None);
        let unchanged_baseline = baseline.clone();
        let (edits, next) = plan::update(household, &current, baseline)?;
        if edits.is_empty() {
            if unchanged_baseline.as_ref() != Some(&next) {
                baselines.push((
                    found.doc_id.clone(),
                    serde_json::to_string(&next).map_err(internal)?,
                ));
            }
            return Ok(Outcome::Unchanged);
        }
        let change = server_write::stage(self.state, &doc_id, loaded, &|e| plan::apply(e, &edits))
            .map_err(|e| Refusal {
                code: e.code().to_owned(),
                message: e.to_string(),
                row: None,
            })?;
        let by = WrittenBy {
            user_id: self.importer.user_id,
        };
        let version = server_write::store_staged(txn, &change, by)
            .await
            .map_err(internal)?;
        baselines.push((
            found.doc_id.clone(),
            serde_json::to_string(&next).map_err(internal)?,
        ));
        staged.push((change, version));
        Ok(Outcome::Updated)
    }
}

enum Outcome {
    Updated,
    Unchanged,
}

/// A failure that is not the file's: the batch stops.
fn internal(e: impl std::fmt::Display) -> Refusal {
    Refusal {
        code: "internal".into(),
        message: e.to_string(),
        row: None,
    }
}

/// A household file opened and checked, its run recorded: ready to import.
pub struct Prepared {
    table: table::Table,
    grouper: Grouper,
    sha256: String,
    file_name: String,
    /// The run.
    pub run: import_run::Model,
}

/// Opens a household file for `importer` and records its run; a file that cannot be read
/// or lacks the columns every household needs is refused here, before anything runs.
pub async fn prepare(
    state: &AppState,
    importer: &Importer,
    path: &Path,
    file_name: &str,
) -> Result<Prepared, ApiError> {
    let sha256 = super::file_sha256(path).await?;
    let table = table::open(path).await?;
    let (layout, _ignored) = Layout::of(&table.headers);
    let grouper = Grouper::new(layout);
    let missing = grouper.missing_columns();
    if !missing.is_empty() {
        return Err(ApiError::BadRequest(
            "columns-missing",
            format!(
                "the file needs the columns 户编号 and 区划代码 (missing: {})",
                missing.join(", ")
            ),
        ));
    }
    let run = imports::start(
        &state.db,
        "HOUSEHOLDS",
        file_name,
        &sha256,
        &importer.region,
        &importer.actor,
    )
    .await?;
    Ok(Prepared {
        table,
        grouper,
        sha256,
        file_name: file_name.to_owned(),
        run,
    })
}

/// Imports a household file for `importer`; `resume_from` skips the rows before a failed
/// batch of an earlier run. Returns the run (its status says whether the whole file went
/// through).
pub async fn import(
    state: &AppState,
    importer: &Importer,
    path: &Path,
    file_name: &str,
    resume_from: Option<u64>,
    progress: Progress<'_>,
) -> Result<import_run::Model, ApiError> {
    let prepared = prepare(state, importer, path, file_name).await?;
    run(state, importer, prepared, resume_from, progress).await
}

/// Runs a prepared import to its end.
pub async fn run(
    state: &AppState,
    importer: &Importer,
    prepared: Prepared,
    resume_from: Option<u64>,
    progress: Progress<'_>,
) -> Result<import_run::Model, ApiError> {
    let Prepared {
        mut table,
        mut grouper,
        sha256,
        file_name,
        run: started,
    } = prepared;
    let file_name = file_name.as_str();
    let mut run = Run::start(state, importer, started.id, &grouper).await?;
    let mut batch: Vec<ImportedHousehold> = Vec::new();
    let mut rejected: Vec<Rejected> = Vec::new();
    let mut failed: Option<(u64, String)> = None;
    let mut in_flight: Option<Planned> = None;
    let skip_before = resume_from.unwrap_or(0);
    loop {
        let row: Option<Row> = match table.next().await {
            Ok(row) => row,
            Err(e) => {
                failed = Some((
                    batch
                        .first()
                        .map_or(run.counts.rows as u64 + 2, |h| h.rows[0]),
                    e.to_string(),
                ));
                break;
            }
        };
        let (closed, bad) = match &row {
            Some(row) => {
                if row.number >= skip_before {
                    run.counts.rows += 1;
                }
                grouper.push(row)
            }
            None => grouper.finish(),
        };
        // Rows before the resume point went in with an earlier run: their households are
        // listed (not absent) but neither written nor reported again.
        rejected.extend(bad.into_iter().filter(|r| r.row as u64 >= skip_before));
        if let Some(household) = closed {
            if household.rows[0] < skip_before {
                run.seen.insert(&household.national_number);
            } else {
                batch.push(household);
            }
        }
        if batch.len() >= BATCH || row.is_none() {
            let (full, refused) = (std::mem::take(&mut batch), std::mem::take(&mut rejected));
            if let Err(stopped) = run.pass_on(full, refused, &mut in_flight).await {
                failed = Some(stopped);
                break;
            }
            progress(&run.counts);
        }
        if row.is_none() {
            break;
        }
    }
    run.close(failed, in_flight, file_name, &sha256).await?;
    progress(&run.counts);
    imports::find(&state.db, run.id)
        .await?
        .ok_or_else(|| ApiError::Internal("the import run vanished".into()))
}
