//! Reading a spreadsheet row by row: CSV (UTF-8 with or without the byte-order mark, or
//! GB 18030 as Excel writes it on Chinese systems) or the first sheet of an XLSX file,
//! streamed on a blocking thread through a bounded channel so memory stays flat however
//! long the file is.

use crate::error::ApiError;
use std::io::Read;
use std::path::Path;
use tokio::sync::mpsc;

/// One row: its number as the spreadsheet shows it (the header is row 1) and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based row number.
    pub number: u64,
    /// Cells as text, trimmed.
    pub cells: Vec<String>,
}

/// An open table: its header cells and a stream of rows.
pub struct Table {
    /// The header row's cells.
    pub headers: Vec<String>,
    rows: mpsc::Receiver<Result<Row, String>>,
}

impl Table {
    /// The next row, `None` at the end; an error for a file that breaks part-way.
    pub async fn next(&mut self) -> Result<Option<Row>, ApiError> {
        match self.rows.recv().await {
            None => Ok(None),
            Some(Ok(row)) => Ok(Some(row)),
            Some(Err(e)) => Err(unreadable(e)),
        }
    }
}

fn unreadable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(
        "file-unreadable",
        format!("the file cannot be read: {detail}"),
    )
}

/// Rows in flight between the reading thread and the import.
const IN_FLIGHT: usize = 2048;

/// Opens a CSV or XLSX file (told apart by its first bytes).
pub async fn open(path: &Path) -> Result<Table, ApiError> {
    let path = path.to_owned();
    let (sender, mut receiver) = mpsc::channel::<Result<Row, String>>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let outcome = match is_xlsx(&path) {
            Ok(true) => read_xlsx(&path, &sender),
            Ok(false) => read_csv(&path, &sender),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = outcome {
            let _ = sender.blocking_send(Err(e));
        }
    });
    let headers = match receiver.recv().await {
        Some(Ok(row)) => row.cells,
        Some(Err(e)) => return Err(unreadable(e)),
        None => {
            return Err(ApiError::BadRequest(
                "file-empty",
                "the file has no header row".into(),
            ));
        }
    };
    Ok(Table {
        headers,
        rows: receiver,
    })
}

fn is_xlsx(path: &Path) -> std::io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path)?;
    let n = file.read(&mut magic)?;
    Ok(n == 4 && magic == *b"PK\x03\x04")
}

/// The encoding of a CSV file: UTF-8 when it has the byte-order mark or its start is valid
/// UTF-8, GB 18030 otherwise.
fn csv_encoding(path: &Path) -> std::io::Result<&'static encoding_rs::Encoding> {
    let mut start = vec![0u8; 64 * 1024];
    let mut file = std::fs::File::open(path)?;
    let n = file.read(&mut start)?;
    start.truncate(n);
    if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(encoding_rs::UTF_8);
    }
    match std::str::from_utf8(&start) {
        Ok(_) => Ok(encoding_rs::UTF_8),
        // A character cut by the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => Ok(encoding_rs::UTF_8),
        Err(_) => Ok(encoding_rs::GB18030),
    }
}

fn send(sender: &mpsc::Sender<Result<Row, String>>, row: Row) -> Result<(), String> {
    sender
        .blocking_send(Ok(row))
        .map_err(|_| "the import stopped reading".to_owned())
}

fn read_csv(path: &Path, sender: &mpsc::Sender<Result<Row, String>>) -> Result<(), String> {
    let encoding = csv_encoding(path).map_err(|e| e.to_string())?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(file);
    let newlines = Newlines::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(newlines.counting(decoded));
    let mut record = csv::StringRecord::new();
    let mut number = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                // The line the record starts on, as a spreadsheet numbers it (the reader
                // skips empty lines; they still count).
                number = record
                    .position()
                    .map_or(number + 1, |p| newlines.line_of(p.byte()));
                let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
                if cells.iter().all(String::is_empty) {
                    continue;
                }
                send(sender, Row { number, cells })?;
            }
            Err(e) => return Err(format!("row {}: {e}", number + 1)),
        }
    }
}

/// Where the newlines of a stream are, so that a byte offset gives its line number; offsets
/// before the last one asked about are forgotten (memory stays flat).
#[derive(Clone, Default)]
struct Newlines(std::sync::Arc<std::sync::Mutex<NewlineState>>);

#[derive(Default)]
struct NewlineState {
    read: u64,
    pending: std::collections::VecDeque<u64>,
    returns: std::collections::VecDeque<u64>,
    passed: u64,
}

struct Counting<R> {
    inner: R,
    newlines: Newlines,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut state) = self.newlines.0.lock() {
            let start = state.read;
            for (i, b) in buf[..n].iter().enumerate() {
                match b {
                    b'\n' => state.pending.push_back(start + i as u64),
                    b'\r' => state.returns.push_back(start + i as u64),
                    _ => {}
                }
            }
            state.read += n as u64;
        }
        Ok(n)
    }
}

impl Newlines {
    fn counting<R: Read>(&self, inner: R) -> Counting<R> {
        Counting {
            inner,
            newlines: self.clone(),
        }
    }

    /// The 1-based line of the record the reader says starts at `byte` (offsets never go
    /// backwards); the empty lines the reader skipped before it start there too.
    fn line_of(&self, byte: u64) -> u64 {
        let Ok(mut state) = self.0.lock() else {
            return 0;
        };
        let mut byte = byte;
        loop {
            while state.pending.front().is_some_and(|at| *at < byte) {
                state.pending.pop_front();
                state.passed += 1;
            }
            while state.returns.front().is_some_and(|at| *at < byte) {
                state.returns.pop_front();
            }
            let newline = state.pending.front().copied();
            let cr_first = state.returns.front() == Some(&byte);
            match newline {
                Some(at) if at == byte => byte += 1,
                Some(at) if at == byte + 1 && cr_first => byte += 2,
                _ => return state.passed + 1,
            }
        }
    }
}

fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::String(s) => s.trim().to_owned(),
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d
            .as_datetime()
            .map(|t| t.date().to_string())
            .unwrap_or_default(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn read_xlsx(path: &Path, sender: &mpsc::Sender<Result<Row, String>>) -> Result<(), String> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(path).map_err(|e: calamine::XlsxError| e.to_string())?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| "the workbook has no sheet".to_owned())?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| e.to_string())?;
    let mut current: Option<(u32, Vec<String>)> = None;
    let flush = |row: Option<(u32, Vec<String>)>| -> Result<(), String> {
        match row {
            Some((index, cells)) if !cells.iter().all(String::is_empty) => send(
                sender,
                Row {
                    number: u64::from(index) + 1,
                    cells,
                },
            ),
            _ => Ok(()),
        }
    };
    while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
        let (row, column) = cell.get_position();
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            flush(current.take())?;
        }
        let (_, line) = current.get_or_insert_with(|| (row, Vec::new()));
        let column = column as usize;
        if line.len() <= column {
            line.resize(column + 1, String::new());
        }
        line[column] = cell_text(cell.get_value());
    }
    flush(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn rows_of(path: &Path) -> (Vec<String>, Vec<Row>) {
        let mut table = open(path).await.unwrap();
        let mut rows = Vec::new();
        while let Some(row) = table.next().await.unwrap() {
            rows.push(row);
        }
        (table.headers, rows)
    }

    #[tokio::test]
    async fn csv_in_utf8_with_bom_and_in_gb18030_read_alike() {
        let dir = tempfile::tempdir().unwrap();
        let text = "户编号,姓名\r\n652822100201000001,买买提·吐尔逊\r\n\r\n\n652822100201000002,张三\r\n\"A\nB\",x\n";
        let utf8 = dir.path().join("utf8.csv");
        std::fs::write(&utf8, [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()).unwrap();
        let gbk = dir.path().join("gbk.csv");
        let (encoded, _, _) = encoding_rs::GB18030.encode(text);
        std::fs::write(&gbk, &encoded).unwrap();
        for path in [&utf8, &gbk] {
            let (headers, rows) = rows_of(path).await;
            assert_eq!(headers, ["户编号", "姓名"]);
            assert_eq!(rows.len(), 3, "empty rows are skipped");
            assert_eq!(rows[0].cells[1], "买买提·吐尔逊");
            assert_eq!(
                rows[1].number, 5,
                "row numbers as the spreadsheet shows them"
            );
            assert_eq!((rows[2].number, rows[2].cells[0].as_str()), (6, "A\nB"));
        }
    }

    #[tokio::test]
    async fn the_first_sheet_of_a_workbook_is_read_with_dates_and_numbers_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "户编号").unwrap();
        sheet.write_string(0, 1, "出生日期").unwrap();
        sheet.write_string(0, 2, "人数").unwrap();
        sheet.write_string(2, 0, "652822100201000001").unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 1, 2).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet
            .write_datetime_with_format(2, 1, &date, &format)
            .unwrap();
        sheet.write_number(2, 2, 4.0).unwrap();
        book.save(&path).unwrap();
        let (headers, rows) = rows_of(&path).await;
        assert_eq!(headers, ["户编号", "出生日期", "人数"]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].number, 3);
        assert_eq!(rows[0].cells, ["652822100201000001", "1980-01-02", "4"]);
    }

    #[tokio::test]
    async fn an_empty_file_and_garbage_are_refused_with_codes() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(open(&empty).await.err().unwrap().code(), "file-empty");
        let broken = dir.path().join("broken.xlsx");
        std::fs::write(&broken, b"PK\x03\x04 not really a zip").unwrap();
        assert_eq!(open(&broken).await.err().unwrap().code(), "file-unreadable");
    }
}
