//! Import files as the national system and Excel write them: a table of Chinese headers and
//! cells, saved as CSV in UTF-8 with a BOM and CRLF line ends (Excel's "CSV UTF-8"), as CSV
//! in GB 18030 (Excel's "CSV" on a Chinese Windows), or as XLSX.

use std::path::{Path, PathBuf};

/// A sheet: headers then rows of cells.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The header row.
    pub headers: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// A sheet with these headers.
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (cells in header order).
    pub fn row(&mut self, cells: &[&str]) -> &mut Self {
        assert_eq!(cells.len(), self.headers.len(), "a row of {cells:?}");
        self.rows
            .push(cells.iter().map(|c| (*c).to_owned()).collect());
        self
    }

    /// The CSV text (quoted where needed), CRLF line ends.
    pub fn csv_text(&self) -> String {
        let line = |cells: &[String]| {
            cells
                .iter()
                .map(|c| {
                    if c.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut out = line(&self.headers);
        out.push_str("\r\n");
        for row in &self.rows {
            out.push_str(&line(row));
            out.push_str("\r\n");
        }
        out
    }

    /// CSV in UTF-8 with a byte-order mark.
    pub fn csv_utf8_bom(&self) -> Vec<u8> {
        let mut out = vec![0xEF, 0xBB, 0xBF];
        out.extend_from_slice(self.csv_text().as_bytes());
        out
    }

    /// CSV in GB 18030.
    pub fn csv_gb18030(&self) -> Vec<u8> {
        let text = self.csv_text();
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
        assert!(!unmappable);
        bytes.into_owned()
    }

    /// An XLSX workbook with the table on its first sheet; cells that read as numbers are
    /// written as numbers, as Excel keeps them.
    pub fn xlsx(&self) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, header) in self.headers.iter().enumerate() {
            sheet.write_string(0, c as u16, header).unwrap();
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell.parse::<f64>() {
                    Ok(n) if cell.len() < 12 && !cell.starts_with('0') => {
                        sheet.write_number(r, c, n).unwrap();
                    }
                    _ => {
                        sheet.write_string(r, c, cell).unwrap();
                    }
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    /// Writes `bytes` to `dir/name` and returns the path.
    pub fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// A valid resident ID number of the county 652822.
pub fn id_number(year: i32, sequence: u16) -> String {
    zoufang_schemas::id_number::compose_resident_id(
        "652822",
        chrono::NaiveDate::from_ymd_opt(year, 3, 1).unwrap(),
        sequence,
    )
    .unwrap()
}

/// The same number with its check character changed.
pub fn bad_check_digit(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let other = if last == '1' { '2' } else { '1' };
    format!("{}{other}", &id[..17])
}

/// The national system's household/member headers (a mix of the usual variants).
pub const NATIONAL_HEADERS: &[&str] = &[
    "户编号",
    "行政区划代码",
    "户类型",
    "联系电话",
    "姓名",
    "性别",
    "证件号码",
    "与户主关系",
    "民族",
];
