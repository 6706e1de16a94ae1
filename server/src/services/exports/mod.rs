//! Exports of verified records for a round and region, read from the database a page at a
//! time and written row by row, so memory stays flat however many households are exported:
//! CSV (households, or members), NDJSON (whole records) and XLSX (both sheets, Chinese
//! headers, written in constant-memory mode). Every export is audited; personal numbers are
//! masked unless the caller's role may see them.

mod rows;
mod sink;

pub use rows::{HOUSEHOLD_HEADERS, MEMBER_HEADERS, ReviewFacts};
pub use sink::{CsvSink, ExportSink, NdjsonSink, XlsxSink};

use crate::error::ApiError;
use crate::masking::{self, Exposure};
use crate::review::machine::State;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::reviews;
use zoufang_schemas::{HouseholdRecord, Quarter};

/// Households read from the database at a time.
const PAGE: u64 = 500;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One row per household.
    Csv,
    /// One row per member.
    CsvMembers,
    /// One verified record per line.
    Ndjson,
    /// A workbook with a households sheet and a members sheet.
    Xlsx,
}

impl Format {
    /// The format named `name` (`csv`, `csv-members`, `ndjson`, `xlsx`).
    pub fn parse(name: &str) -> Result<Self, ApiError> {
        match name {
            "csv" => Ok(Format::Csv),
            "csv-members" => Ok(Format::CsvMembers),
            "ndjson" => Ok(Format::Ndjson),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(ApiError::BadRequest(
                "export-format-invalid",
                format!("`{other}`: use csv, csv-members, ndjson or xlsx"),
            )),
        }
    }

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvMembers => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvMembers => "csv",
            Format::Ndjson => "ndjson",
            Format::Xlsx => "xlsx",
        }
    }
}

/// An export's request.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The round.
    pub round: Quarter,
    /// The region prefix (already checked against the caller's scope).
    pub region: String,
    /// How much of the records the reader may see.
    pub exposure: Exposure,
    /// Who exports, for the audit log.
    pub actor: String,
}

/// Writes every verified record of the round under the region into `sink`, page by page;
/// `progress` is told how many households are done. Returns how many were exported.
pub async fn export(
    state: &AppState,
    request: &ExportRequest,
    sink: &mut dyn ExportSink,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, ApiError> {
    audit::append(
        &state.db,
        Event {
            actor: request.actor.clone(),
            action: "export.verified",
            subject: format!("{}/{}", request.region, request.round),
            detail: serde_json::json!({ "masked": request.exposure != Exposure::Full }),
        },
    )
    .await?;
    let mut after: Option<String> = None;
    let mut done = 0;
    loop {
        let page = reviews::verified_page(
            &state.db,
            &request.region,
            request.round.as_str(),
            after.as_deref(),
            PAGE,
        )
        .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.doc_id.clone());
        let count = page.len() as u64;
        for row in page {
            write_row(sink, request.exposure, row)?;
        }
        sink.page_done()?;
        done += count;
        progress(done);
        if count < PAGE {
            break;
        }
    }
    sink.finish()?;
    Ok(done)
}

fn write_row(
    sink: &mut dyn ExportSink,
    exposure: Exposure,
    row: reviews::VerifiedRow,
) -> Result<(), ApiError> {
    let facts = ReviewFacts {
        doc_id: row.doc_id.clone(),
        state: State::from_code(&row.state)
            .map_or("", State::label_zh)
            .to_owned(),
        verified_by: row
            .verified_by
            .as_deref()
            .map(|by| by.trim_start_matches("user:").to_owned())
            .unwrap_or_default(),
        verified_at: row
            .verified_at
            .and_then(|at| chrono::DateTime::from_timestamp(at, 0))
            .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
    };
    let mut json: serde_json::Value =
        serde_json::from_str(&row.record).map_err(|e| ApiError::Internal(e.to_string()))?;
    // A pinned record that no longer reads as the form (data from before the form was
    // enforced) is still exported whole as JSON, and skipped in the tables.
    let record = serde_json::from_value::<HouseholdRecord>(json.clone()).ok();
    masking::apply(exposure, &mut json);
    sink.record(&facts, record.as_ref(), &json, exposure)
}
