//! The rows an import refused, as CSV (with the byte-order mark Excel and WPS need) or XLSX,
//! with Chinese headers. The rows are read from the database a page at a time and written
//! as they come (the workbook in constant-memory mode), so a file whose every row was
//! refused costs no more memory than one with a few.

use crate::error::ApiError;
use crate::store::imports::{self, Rejected};
use sea_orm::ConnectionTrait;
use std::io::Write;
use std::path::Path;

/// The headers of the report.
pub const HEADERS: [&str; 5] = ["行号", "列", "代码", "说明", "值"];

/// Refused rows read from the database at a time.
const PAGE: u64 = 1000;

fn failed(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("rejects report: {err}"))
}

/// Hands every row run `import_id` refused to `write`, in row order, a page at a time;
/// returns how many there were.
async fn each_reject<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    mut write: impl FnMut(Rejected) -> Result<(), ApiError>,
) -> Result<u64, ApiError> {
    let mut after = None;
    let mut count = 0;
    loop {
        let page = imports::rejects_page(db, import_id, after, PAGE).await?;
        let full = page.len() as u64 == PAGE;
        for model in page {
            after = Some((model.row, model.id));
            write(model.into())?;
            count += 1;
        }
        if !full {
            return Ok(count);
        }
    }
}

/// Writes the rows run `import_id` refused to `out` as CSV; returns how many.
pub async fn write_csv<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    mut out: impl Write,
) -> Result<u64, ApiError> {
    out.write_all("\u{feff}".as_bytes()).map_err(failed)?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADERS).map_err(failed)?;
    let count = each_reject(db, import_id, |r| {
        writer
            .write_record([
                r.row.to_string().as_str(),
                &r.column,
                &r.code,
                &r.message,
                r.value.as_deref().unwrap_or(""),
            ])
            .map_err(failed)
    })
    .await?;
    writer.flush().map_err(failed)?;
    Ok(count)
}

/// Writes the rows run `import_id` refused to a workbook saved at `path`; returns how many.
pub async fn write_xlsx<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    path: &Path,
) -> Result<u64, ApiError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(failed)?;
    sheet.set_name("未导入的行").map_err(failed)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, header) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *header, &bold)
            .map_err(failed)?;
    }
    let mut row = 0u32;
    let count = each_reject(db, import_id, |r| {
        row += 1;
        sheet.write_number(row, 0, r.row as f64).map_err(failed)?;
        sheet.write_string(row, 1, &r.column).map_err(failed)?;
        sheet.write_string(row, 2, &r.code).map_err(failed)?;
        sheet.write_string(row, 3, &r.message).map_err(failed)?;
        sheet
            .write_string(row, 4, r.value.as_deref().unwrap_or(""))
            .map_err(failed)?;
        Ok(())
    })
    .await?;
    book.save(path).map_err(failed)?;
    Ok(count)
}
