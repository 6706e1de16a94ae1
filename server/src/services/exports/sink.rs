//! Where export rows go: CSV and NDJSON to any writer (a file, or a channel feeding an HTTP
//! response a page at a time), XLSX into a workbook written in constant-memory mode.

use super::rows::{self, HOUSEHOLD_HEADERS, MEMBER_HEADERS, ReviewFacts};
use crate::error::ApiError;
use crate::masking::Exposure;
use std::io::Write;
use zoufang_schemas::HouseholdRecord;

/// Receives an export's records.
pub trait ExportSink: Send {
    /// One household: its review facts, its record (if it reads as the form) and the
    /// record's JSON as the reader may see it.
    fn record(
        &mut self,
        facts: &ReviewFacts,
        record: Option<&HouseholdRecord>,
        json: &serde_json::Value,
        exposure: Exposure,
    ) -> Result<(), ApiError>;
    /// A page of households is written: a streaming writer may pass it on.
    fn page_done(&mut self) -> Result<(), ApiError>;
    /// Nothing more comes.
    fn finish(&mut self) -> Result<(), ApiError>;
}

fn io(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("export: {err}"))
}

/// CSV with Chinese headers, UTF-8 with a byte-order mark (so that Excel and WPS read it).
pub struct CsvSink<W: Write + Send> {
    writer: csv::Writer<W>,
    members: bool,
}

impl<W: Write + Send> CsvSink<W> {
    /// Households (`members` false) or members, into `out`.
    pub fn new(mut out: W, members: bool) -> Result<Self, ApiError> {
        out.write_all("\u{feff}".as_bytes()).map_err(io)?;
        let mut writer = csv::Writer::from_writer(out);
        let headers: &[&str] = if members {
            &MEMBER_HEADERS
        } else {
            &HOUSEHOLD_HEADERS
        };
        writer.write_record(headers).map_err(io)?;
        Ok(Self { writer, members })
    }
}

impl<W: Write + Send> ExportSink for CsvSink<W> {
    fn record(
        &mut self,
        facts: &ReviewFacts,
        record: Option<&HouseholdRecord>,
        _: &serde_json::Value,
        exposure: Exposure,
    ) -> Result<(), ApiError> {
        let Some(record) = record else {
            return Ok(());
        };
        if self.members {
            for row in rows::member_rows(facts, record, exposure) {
                self.writer.write_record(&row).map_err(io)?;
            }
        } else {
            self.writer
                .write_record(rows::household_row(facts, record, exposure))
                .map_err(io)?;
        }
        Ok(())
    }

    fn page_done(&mut self) -> Result<(), ApiError> {
        self.writer.flush().map_err(io)
    }

    fn finish(&mut self) -> Result<(), ApiError> {
        self.writer.flush().map_err(io)
    }
}

/// One JSON object per line: the household, its review state and its record.
pub struct NdjsonSink<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> NdjsonSink<W> {
    /// Into `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write + Send> ExportSink for NdjsonSink<W> {
    fn record(
        &mut self,
        facts: &ReviewFacts,
        _: Option<&HouseholdRecord>,
        json: &serde_json::Value,
        _: Exposure,
    ) -> Result<(), ApiError> {
        let line = serde_json::json!({
            "household": facts.doc_id,
            "state": facts.state,
            "verified_by": facts.verified_by,
            "verified_at": facts.verified_at,
            "record": json,
        });
        serde_json::to_writer(&mut self.out, &line).map_err(io)?;
        self.out.write_all(b"\n").map_err(io)
    }

    fn page_done(&mut self) -> Result<(), ApiError> {
        self.out.flush().map_err(io)
    }

    fn finish(&mut self) -> Result<(), ApiError> {
        self.out.flush().map_err(io)
    }
}

/// A workbook with a households sheet and a members sheet, rows flushed to temporary
/// files as they are written (constant memory), saved to `path` at the end.
pub struct XlsxSink {
    workbook: rust_xlsxwriter::Workbook,
    path: std::path::PathBuf,
    rows: (u32, u32),
}

impl XlsxSink {
    /// A workbook to be saved at `path`.
    pub fn new(path: &std::path::Path) -> Result<Self, ApiError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (name, headers) in [
            ("户", &HOUSEHOLD_HEADERS[..]),
            ("家庭成员", &MEMBER_HEADERS[..]),
        ] {
            let sheet = workbook.add_worksheet_with_constant_memory().map_err(io)?;
            sheet.set_name(name).map_err(io)?;
            for (col, header) in headers.iter().enumerate() {
                sheet
                    .write_string_with_format(0, col as u16, *header, &bold)
                    .map_err(io)?;
            }
        }
        Ok(Self {
            workbook,
            path: path.to_path_buf(),
            rows: (1, 1),
        })
    }
}

fn write_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    cells: &[String],
) -> Result<(), ApiError> {
    for (col, cell) in cells.iter().enumerate() {
        sheet.write_string(row, col as u16, cell).map_err(io)?;
    }
    Ok(())
}

impl ExportSink for XlsxSink {
    fn record(
        &mut self,
        facts: &ReviewFacts,
        record: Option<&HouseholdRecord>,
        _: &serde_json::Value,
        exposure: Exposure,
    ) -> Result<(), ApiError> {
        let Some(record) = record else {
            return Ok(());
        };
        let households = self.workbook.worksheet_from_index(0).map_err(io)?;
        write_row(
            households,
            self.rows.0,
            &rows::household_row(facts, record, exposure),
        )?;
        self.rows.0 += 1;
        for member in rows::member_rows(facts, record, exposure) {
            let members = self.workbook.worksheet_from_index(1).map_err(io)?;
            write_row(members, self.rows.1, &member)?;
            self.rows.1 += 1;
        }
        Ok(())
    }

    fn page_done(&mut self) -> Result<(), ApiError> {
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ApiError> {
        self.workbook.save(&self.path).map_err(io)
    }
}
