//! The quarterly reports counties produce from verified data, per county → township →
//! village: the tally each report keeps per village, rolled up the region tree, and written
//! as XLSX sheets with Chinese headers; the report's due date in working days.

pub mod due;
pub mod measures;
pub mod risks;
pub mod training;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::reviews;
use rust_xlsxwriter::{Format, Worksheet};
use std::collections::BTreeMap;
use zoufang_schemas::{HouseholdRecord, Quarter};

/// What a report counts for one region; villages' tallies merge into their township's,
/// county's and the total.
pub trait Tally: Default + Clone {
    /// Adds another region's tally.
    fn merge(&mut self, other: &Self);
}

/// One row of a report: a region with its level and tally.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<T> {
    /// Region code (empty for the total).
    pub code: String,
    /// Region name.
    pub name: String,
    /// 0 total, 1 county, 2 township, 3 village.
    pub depth: u8,
    /// The tally.
    pub tally: T,
}

/// The rows of a report: the total first, then each county followed by its townships,
/// each followed by its villages.
pub fn hierarchy<T: Tally>(
    villages: &BTreeMap<String, T>,
    names: &BTreeMap<String, String>,
) -> Vec<Row<T>> {
    let name = |code: &str| names.get(code).cloned().unwrap_or_default();
    let mut total = T::default();
    let mut counties: BTreeMap<String, T> = BTreeMap::new();
    let mut townships: BTreeMap<String, T> = BTreeMap::new();
    for (code, tally) in villages {
        total.merge(tally);
        counties
            .entry(code.chars().take(6).collect())
            .or_default()
            .merge(tally);
        townships
            .entry(code.chars().take(9).collect())
            .or_default()
            .merge(tally);
    }
    let mut out = vec![Row {
        code: String::new(),
        name: "合计".into(),
        depth: 0,
        tally: total,
    }];
    let row = |code: &String, depth: u8, tally: &T| Row {
        code: code.clone(),
        name: name(code),
        depth,
        tally: tally.clone(),
    };
    for (county, tally) in &counties {
        out.push(row(county, 1, tally));
        for (township, tally) in townships
            .range(county.clone()..)
            .take_while(|(t, _)| t.starts_with(county.as_str()))
        {
            out.push(row(township, 2, tally));
            for (village, tally) in villages
                .range(township.clone()..)
                .take_while(|(v, _)| v.starts_with(township.as_str()))
            {
                out.push(row(village, 3, tally));
            }
        }
    }
    out
}

/// Tallies per village of the round's verified records under `prefix`.
pub async fn per_village<T: Tally>(
    state: &AppState,
    prefix: &str,
    round: &Quarter,
    add: impl Fn(&mut T, &HouseholdRecord),
) -> Result<BTreeMap<String, T>, ApiError> {
    const PAGE: u64 = 500;
    let mut villages: BTreeMap<String, T> = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page =
            reviews::verified_page(&state.db, prefix, round.as_str(), after.as_deref(), PAGE)
                .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.doc_id.clone());
        let full = page.len() as u64 == PAGE;
        for row in page {
            if let Ok(record) = serde_json::from_str::<HouseholdRecord>(&row.record) {
                add(villages.entry(row.region_code).or_default(), &record);
            }
        }
        if !full {
            break;
        }
    }
    Ok(villages)
}

/// The names of the regions of the prefecture a region lies in.
pub async fn region_names(
    state: &AppState,
    region: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    Ok(
        crate::store::regions::under(&state.db, region.get(..4).unwrap_or(region))
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect(),
    )
}

/// A spreadsheet failure as the API reports it.
pub fn sheet_error(e: rust_xlsxwriter::XlsxError) -> ApiError {
    ApiError::Internal(format!("report: {e}"))
}

/// Writes a title in the first row and headers (after 区划代码, 区划名称) in the second;
/// returns the first data row.
pub fn write_heading(
    sheet: &mut Worksheet,
    title: &str,
    headers: &[String],
) -> Result<u32, ApiError> {
    let bold = Format::new().set_bold();
    sheet
        .write_string_with_format(0, 0, title, &bold)
        .map_err(sheet_error)?;
    let mut all = vec!["区划代码".to_owned(), "区划名称".to_owned()];
    all.extend(headers.iter().cloned());
    for (col, header) in all.iter().enumerate() {
        sheet
            .write_string_with_format(1, col as u16, header, &bold)
            .map_err(sheet_error)?;
    }
    Ok(2)
}

/// Writes a region's code and indented name at `r` (totals, counties and townships bold);
/// returns the format for the rest of the line.
pub fn write_region<T>(sheet: &mut Worksheet, r: u32, row: &Row<T>) -> Result<Format, ApiError> {
    let format = if row.depth < 3 {
        Format::new().set_bold()
    } else {
        Format::new()
    };
    let indent = "  ".repeat(usize::from(row.depth.saturating_sub(1)));
    sheet
        .write_string_with_format(r, 0, &row.code, &format)
        .map_err(sheet_error)?;
    sheet
        .write_string_with_format(r, 1, format!("{indent}{}", row.name), &format)
        .map_err(sheet_error)?;
    Ok(format)
}

/// Writes figures from column `first` on at row `r`.
pub fn write_figures(
    sheet: &mut Worksheet,
    r: u32,
    first: u16,
    figures: &[f64],
    format: &Format,
) -> Result<(), ApiError> {
    for (col, figure) in figures.iter().enumerate() {
        sheet
            .write_number_with_format(r, col as u16 + first, *figure, format)
            .map_err(sheet_error)?;
    }
    Ok(())
}

/// A finished workbook in a temporary file.
pub fn save(mut book: rust_xlsxwriter::Workbook) -> Result<tempfile::NamedTempFile, ApiError> {
    let file = tempfile::NamedTempFile::new().map_err(|e| ApiError::Internal(e.to_string()))?;
    book.save(file.path()).map_err(sheet_error)?;
    Ok(file)
}
