//! The rows an import refused, as CSV (with the byte-order mark Excel and WPS need) or XLSX,
//! with Chinese headers.

use crate::error::ApiError;
use crate::store::imports::Rejected;
use std::io::Write;

/// The headers of the report.
pub const HEADERS: [&str; 5] = ["行号", "列", "代码", "说明", "值"];

/// The report as CSV.
pub fn csv(rejects: &[Rejected], out: impl Write) -> Result<(), ApiError> {
    let io = |e: csv::Error| ApiError::Internal(e.to_string());
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADERS).map_err(io)?;
    for r in rejects {
        writer
            .write_record([
                r.row.to_string().as_str(),
                &r.column,
                &r.code,
                &r.message,
                r.value.as_deref().unwrap_or(""),
            ])
            .map_err(io)?;
    }
    writer
        .flush()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The report as XLSX bytes.
pub fn xlsx(rejects: &[Rejected]) -> Result<Vec<u8>, ApiError> {
    let xe = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("未导入的行").map_err(xe)?;
    for (col, header) in HEADERS.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).map_err(xe)?;
    }
    for (i, r) in rejects.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, r.row as f64).map_err(xe)?;
        sheet.write_string(row, 1, &r.column).map_err(xe)?;
        sheet.write_string(row, 2, &r.code).map_err(xe)?;
        sheet.write_string(row, 3, &r.message).map_err(xe)?;
        sheet
            .write_string(row, 4, r.value.as_deref().unwrap_or(""))
            .map_err(xe)?;
    }
    book.save_to_buffer().map_err(xe)
}
