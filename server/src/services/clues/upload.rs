//! A department's file: a quarterly real-name policy ledger or the month's risk clues
//! (CSV/XLSX with Chinese headers). Rows are matched to members by ID number (check digit
//! verified) within the department's scope; every row's outcome is kept; the same file
//! uploaded again is the same upload and changes nothing; a matched clue becomes a task for
//! the household's village.

use super::deadlines;
use super::{Department, UploadView, clue_task, department_of};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::services::imports::table;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::clues::{self, ClueKey, NewUpload, PUSHED, Person};
use crate::store::entities::{clue, dept_upload_row, ledger_entry};
use crate::store::{now, tasks};
use sea_orm::{ActiveValue::NotSet, Set};
use std::path::Path;
use zoufang_schemas::id_number::{mask_id_number, parse_resident_id};
use zoufang_schemas::{ClueType, Role};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A quarter's real-name policy ledger (`2026Q4`).
    Ledger,
    /// A month's risk clues (`2026-11`).
    Clues,
}

impl Kind {
    /// `ledger` or `clues`.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "ledger" | "LEDGER" => Ok(Kind::Ledger),
            "clues" | "CLUES" => Ok(Kind::Clues),
            other => Err(ApiError::BadRequest(
                "upload-kind-invalid",
                format!("`{other}`: ledger or clues"),
            )),
        }
    }

    fn code(self) -> &'static str {
        match self {
            Kind::Ledger => "LEDGER",
            Kind::Clues => "CLUES",
        }
    }

    fn check_period(self, period: &str) -> Result<(), ApiError> {
        let ok = match self {
            Kind::Ledger => zoufang_schemas::Quarter::parse(period).is_ok(),
            Kind::Clues => deadlines::parse_month(period).is_some(),
        };
        if ok {
            Ok(())
        } else {
            Err(ApiError::BadRequest(
                "period-invalid",
                match self {
                    Kind::Ledger => format!("`{period}`: a ledger is for a quarter like 2026Q4"),
                    Kind::Clues => format!("`{period}`: clues are for a month like 2026-11"),
                },
            ))
        }
    }
}

const ID: &[&str] = &[
    "证件号码",
    "身份证号码",
    "身份证号",
    "公民身份号码",
    "身份证件号码",
];
const CLUE_TYPE: &[&str] = &["线索类型", "预警类型", "风险线索类型", "类型"];
const REASON: &[&str] = &["线索描述", "预警原因", "原因", "情况说明", "说明", "备注"];
const AMOUNT: &[&str] = &[
    "金额",
    "金额(元)",
    "金额（元）",
    "自付费用",
    "个人自付",
    "费用",
];
const ITEM: &[&str] = &["政策项目", "项目名称", "政策名称", "帮扶项目", "项目"];

fn position(headers: &[String], names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
}

struct Columns {
    id: usize,
    clue_type: Option<usize>,
    reason: Option<usize>,
    amount: Option<usize>,
    item: Option<usize>,
}

fn columns(headers: &[String], kind: Kind) -> Result<Columns, ApiError> {
    let id = position(headers, ID);
    let clue_type = position(headers, CLUE_TYPE);
    let item = position(headers, ITEM);
    let missing: Vec<&str> = [
        (id.is_none(), "证件号码"),
        (kind == Kind::Clues && clue_type.is_none(), "线索类型"),
        (kind == Kind::Ledger && item.is_none(), "政策项目"),
    ]
    .into_iter()
    .filter_map(|(m, name)| m.then_some(name))
    .collect();
    match id {
        Some(id) if missing.is_empty() => Ok(Columns {
            id,
            clue_type,
            reason: position(headers, REASON),
            amount: position(headers, AMOUNT),
            item,
        }),
        _ => Err(ApiError::BadRequest(
            "columns-missing",
            format!("the file needs the columns {}", missing.join(", ")),
        )),
    }
}

/// One row read: the cells that matter, or why it is refused.
struct Line {
    row: u64,
    id_number: String,
    clue_type: Option<ClueType>,
    reason: String,
    amount: Option<f64>,
    item: String,
}

fn outcome(
    row: u64,
    outcome: &str,
    refusal: Option<(&str, &str, String)>,
) -> dept_upload_row::ActiveModel {
    let (column, code, message) = match refusal {
        Some((column, code, message)) => (
            Some(column.to_owned()),
            Some(code.to_owned()),
            Some(message),
        ),
        None => (None, None, None),
    };
    dept_upload_row::ActiveModel {
        id: NotSet,
        upload_id: Set(0),
        row: Set(row as i64),
        outcome: Set(outcome.to_owned()),
        column: Set(column),
        code: Set(code),
        message: Set(message),
        id_number_masked: Set(None),
        region_code: Set(None),
    }
}

fn read_line(
    row: &table::Row,
    c: &Columns,
    headers: &[String],
) -> Result<Line, Box<dept_upload_row::ActiveModel>> {
    let cell = |i: Option<usize>| i.and_then(|i| row.cells.get(i)).map_or("", |s| s.trim());
    let header = |i: usize| headers.get(i).cloned().unwrap_or_default();
    let raw = cell(Some(c.id));
    let id_number = parse_resident_id(raw).map_err(|e| {
        let mut bad = outcome(
            row.number,
            "INVALID",
            Some((&header(c.id), "id-number-invalid", e.to_string())),
        );
        bad.id_number_masked = Set(Some(mask_id_number(raw)));
        Box::new(bad)
    })?;
    let clue_type = match c.clue_type {
        None => None,
        Some(i) => {
            let text = cell(Some(i));
            let code = zoufang_schemas::code_of("ClueType", text).unwrap_or(text);
            Some(ClueType::from_code(code).ok_or_else(|| {
                Box::new(outcome(
                    row.number,
                    "INVALID",
                    Some((
                        &header(i),
                        "value-invalid",
                        format!("`{text}` is not a kind of risk clue"),
                    )),
                ))
            })?)
        }
    };
    let amount = match cell(c.amount) {
        "" => None,
        text => Some(
            text.replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|a| a.is_finite() && *a >= 0.0)
                .ok_or_else(|| {
                    Box::new(outcome(
                        row.number,
                        "INVALID",
                        Some((
                            &header(c.amount.unwrap_or(0)),
                            "number-invalid",
                            format!("`{text}` is not an amount"),
                        )),
                    ))
                })?,
        ),
    };
    let item = cell(c.item).chars().take(200).collect::<String>();
    if c.item.is_some() && item.is_empty() {
        return Err(Box::new(outcome(
            row.number,
            "INVALID",
            Some((
                &header(c.item.unwrap_or(0)),
                "item-missing",
                "the row names no policy".into(),
            )),
        )));
    }
    Ok(Line {
        row: row.number,
        id_number: id_number.number,
        clue_type,
        reason: cell(c.reason).chars().take(1000).collect(),
        amount,
        item,
    })
}

/// Uploads a department's file; the same file again returns the first upload unchanged.
pub async fn upload(
    state: &AppState,
    user: &AuthUser,
    kind: Kind,
    period: &str,
    path: &Path,
    file_name: &str,
) -> Result<(UploadView, bool), ApiError> {
    user.require(&[Role::Department])?;
    let department = department_of(state, user).await?;
    kind.check_period(period)?;
    let sha256 = crate::services::imports::file_sha256(path).await?;
    if let Some(done) =
        clues::find_upload_by_file(&state.db, department.code(), kind.code(), period, &sha256)
            .await?
    {
        return Ok((done.into(), true));
    }
    let (lines, refused) = read_file(path, kind).await?;
    let numbers: Vec<String> = lines.iter().map(|l| l.id_number.clone()).collect();
    let people = clues::people_by_id_number(&state.db, &numbers, user.scope.as_str()).await?;
    let due = deadlines::of_month(period, &state.settings.workflow).map(|d| d.verify);

    let txn = crate::store::begin_write(&state.db).await?;
    let mut upload = clues::insert_upload(
        &txn,
        NewUpload {
            kind: kind.code(),
            department: department.code(),
            period,
            user_id: user.id,
            file_name,
            sha256: &sha256,
        },
    )
    .await?;
    let mut rows = refused;
    upload.rejected = rows.len() as i64;
    for line in &lines {
        let Some(person) = people.get(&line.id_number) else {
            rows.push(unmatched(line));
            upload.unmatched += 1;
            continue;
        };
        let mut row = outcome(line.row, "MATCHED", None);
        row.id_number_masked = Set(Some(mask_id_number(&line.id_number)));
        row.region_code = Set(Some(person.region_code.clone()));
        rows.push(row);
        upload.matched += 1;
        match kind {
            Kind::Ledger => {
                add_ledger_line(&txn, &upload, department, period, line, person).await?
            }
            Kind::Clues => push_clue(&txn, &upload, department, period, line, person, due).await?,
        }
    }
    upload.rows = rows.len() as i64;
    for row in &mut rows {
        row.upload_id = Set(upload.id);
    }
    clues::add_rows(&txn, rows).await?;
    let upload = clues::save_upload(&txn, upload).await?;
    audit::append(
        &txn,
        Event {
            actor: format!("user:{}", user.name),
            action: "department.upload",
            subject: format!("{}/{}", department.code(), upload.id),
            detail: serde_json::json!({ "kind": kind.code(), "period": period, "sha256": sha256,
                "matched": upload.matched, "unmatched": upload.unmatched, "rejected": upload.rejected }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((upload.into(), false))
}

/// Reads a department's file: the lines that parsed, and the rows refused with their reason.
async fn read_file(
    path: &Path,
    kind: Kind,
) -> Result<(Vec<Line>, Vec<dept_upload_row::ActiveModel>), ApiError> {
    let mut table = table::open(path).await?;
    let headers = table.headers.clone();
    let cols = columns(&headers, kind)?;
    let mut lines = Vec::new();
    let mut refused = Vec::new();
    while let Some(row) = table.next().await? {
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match read_line(&row, &cols, &headers) {
            Ok(line) => lines.push(line),
            Err(bad) => refused.push(*bad),
        }
        if lines.len() + refused.len() > 200_000 {
            return Err(ApiError::BadRequest(
                "file-too-long",
                "a department file has at most 200,000 rows".into(),
            ));
        }
    }
    Ok((lines, refused))
}

/// The outcome of a line whose ID number names no member in the uploader's scope.
fn unmatched(line: &Line) -> dept_upload_row::ActiveModel {
    let mut row = outcome(
        line.row,
        "UNMATCHED",
        Some((
            "证件号码",
            "member-unknown",
            "no member with this ID number in your scope".into(),
        )),
    );
    row.id_number_masked = Set(Some(mask_id_number(&line.id_number)));
    row
}

async fn add_ledger_line(
    txn: &crate::store::WriteTxn,
    upload: &crate::store::entities::dept_upload::Model,
    department: Department,
    period: &str,
    line: &Line,
    person: &Person,
) -> Result<(), ApiError> {
    clues::add_ledger(
        txn,
        ledger_entry::ActiveModel {
            id: NotSet,
            upload_id: Set(upload.id),
            department: Set(department.code().to_owned()),
            period: Set(period.to_owned()),
            doc_id: Set(person.doc_id.clone()),
            member_key: Set(person.member_key.clone()),
            region_code: Set(person.region_code.clone()),
            item: Set(line.item.clone()),
            amount: Set(line.amount),
        },
    )
    .await?;
    Ok(())
}

async fn push_clue(
    txn: &crate::store::WriteTxn,
    upload: &crate::store::entities::dept_upload::Model,
    department: Department,
    month: &str,
    line: &Line,
    person: &Person,
    due: Option<chrono::NaiveDate>,
) -> Result<(), ApiError> {
    let clue_type = line.clue_type.unwrap_or(ClueType::Other);
    let key = ClueKey {
        department: department.code().to_owned(),
        month: month.to_owned(),
        id_number: line.id_number.clone(),
        clue_type: clue_type.code().to_owned(),
    };
    let new = clue::ActiveModel {
        id: NotSet,
        upload_id: Set(upload.id),
        doc_id: Set(person.doc_id.clone()),
        member_key: Set(person.member_key.clone()),
        region_code: Set(person.region_code.clone()),
        reason: Set(if line.reason.is_empty() {
            clue_type.label_zh().to_owned()
        } else {
            line.reason.clone()
        }),
        amount: Set(line.amount),
        status: Set(PUSHED.to_owned()),
        finding: Set(None),
        suggestion: Set(None),
        found_by: Set(None),
        found_at: Set(None),
        decision: Set(None),
        decision_note: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        reported_by: Set(None),
        reported_at: Set(None),
        created_at: Set(now()),
        ..Default::default()
    };
    let (stored, fresh) = clues::add_clue(txn, &key, new).await?;
    if fresh {
        tasks::put(
            txn,
            &stored.region_code,
            &clue_task(&stored, &person.name, due),
            false,
        )
        .await?;
    }
    Ok(())
}
