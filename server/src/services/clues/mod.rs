//! Department ledgers and monthly risk clues: departments upload their files, matched rows
//! become tasks on the tablets of the household's village, helpers record what they found
//! at the door, townships decide, the county reports the month; with the plan's deadlines
//! and the lists of what is overdue.

pub mod deadlines;
pub mod life;
pub mod report;
pub mod steps;
pub mod upload;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::masking::Exposure;
use crate::state::AppState;
use crate::store::clues;
use crate::store::entities::{clue, dept_upload, dept_upload_row};
use chrono::NaiveDate;
use serde::Serialize;
pub use zoufang_schemas::Department;
use zoufang_schemas::id_number::mask_id_number;
use zoufang_schemas::{ClueSource, ClueType, RiskClue, Role, Task, TaskKind, VerifyStatus};

/// Roles that see clues of their region.
pub const CLUE_READERS: &[Role] = crate::services::REGION_ROLES;

/// The department of a department account (403 `department-missing` when none is set).
pub async fn department_of(state: &AppState, user: &AuthUser) -> Result<Department, ApiError> {
    crate::store::users::find(&state.db, user.id)
        .await?
        .and_then(|u| u.department)
        .and_then(|d| Department::from_code(&d))
        .ok_or_else(|| {
            ApiError::Forbidden(
                "department-missing",
                "this account belongs to no department: an administrator sets it".into(),
            )
        })
}

/// A department's upload as its department sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadView {
    /// Upload id.
    pub id: i64,
    /// `LEDGER` or `CLUES`.
    pub kind: String,
    /// Department code.
    pub department: String,
    /// `2026Q4` or `2026-11`.
    pub period: String,
    /// The file's name.
    pub file_name: String,
    /// The file's SHA-256.
    pub file_sha256: String,
    /// Data rows.
    pub rows: i64,
    /// Rows matched to a member.
    pub matched: i64,
    /// Valid rows no member of the scope has.
    pub unmatched: i64,
    /// Rows refused (invalid ID number, unknown clue type, …).
    pub rejected: i64,
    /// Uploaded (Unix seconds).
    pub created_at: i64,
}

impl From<dept_upload::Model> for UploadView {
    fn from(m: dept_upload::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            department: m.department,
            period: m.period,
            file_name: m.file_name,
            file_sha256: m.file_sha256,
            rows: m.rows,
            matched: m.matched,
            unmatched: m.unmatched,
            rejected: m.rejected,
            created_at: m.created_at,
        }
    }
}

/// What became of one row of an upload (ID numbers masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowView {
    /// Row number as the spreadsheet shows it.
    pub row: i64,
    /// `MATCHED`, `UNMATCHED` or `INVALID`.
    pub outcome: String,
    /// The column at fault.
    pub column: Option<String>,
    /// Stable code.
    pub code: Option<String>,
    /// What is wrong.
    pub message: Option<String>,
    /// The ID number, masked.
    pub id_number: Option<String>,
    /// The matched member's village.
    pub region_code: Option<String>,
}

impl From<dept_upload_row::Model> for RowView {
    fn from(m: dept_upload_row::Model) -> Self {
        Self {
            row: m.row,
            outcome: m.outcome,
            column: m.column,
            code: m.code,
            message: m.message,
            id_number: m.id_number_masked,
            region_code: m.region_code,
        }
    }
}

/// The uploads a user may see: a department's own; all for county and prefecture
/// officers and administrators.
pub async fn uploads(state: &AppState, user: &AuthUser) -> Result<Vec<UploadView>, ApiError> {
    let rows = match user.role {
        Role::Department => {
            let department = department_of(state, user).await?;
            clues::uploads(&state.db, Some(department.code()), None).await?
        }
        Role::CountyOfficer | Role::PrefectureOfficer | Role::Admin => {
            clues::uploads(&state.db, None, None).await?
        }
        _ => {
            return Err(ApiError::Forbidden(
                "role-not-allowed",
                format!("a {} has no department uploads", user.role),
            ));
        }
    };
    Ok(rows.into_iter().map(UploadView::from).collect())
}

/// One upload with a page of its rows (`limit` after row number `after`), if the user may
/// see it (404 otherwise).
pub async fn upload_rows(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    after: i64,
    limit: u64,
) -> Result<(UploadView, Vec<RowView>), ApiError> {
    let upload = clues::upload(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("upload {id}")))?;
    let visible = match user.role {
        Role::Department => department_of(state, user).await?.code() == upload.department,
        Role::CountyOfficer | Role::PrefectureOfficer | Role::Admin => true,
        _ => false,
    };
    if !visible {
        return Err(ApiError::NotFound(format!("upload {id}")));
    }
    let page = clues::RowsPage {
        after,
        limit,
        // Officers see the rows of their own region only.
        region: (user.role != Role::Department).then_some(user.scope.as_str()),
    };
    let rows: Vec<RowView> = clues::upload_rows(&state.db, id, page)
        .await?
        .into_iter()
        .map(RowView::from)
        .collect();
    Ok((upload.into(), rows))
}

/// A clue as the roles of its region see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClueView {
    /// Clue id.
    pub id: i64,
    /// Pushing department.
    pub department: String,
    /// `2026-11`.
    pub month: String,
    /// Household document.
    pub household: String,
    /// Member entry.
    pub member: String,
    /// Village.
    pub region_code: String,
    /// ID number (masked for roles that see numbers masked).
    pub id_number: String,
    /// `ClueType` code.
    pub clue_type: String,
    /// What the department says.
    pub reason: String,
    /// Amount (yuan).
    pub amount: Option<f64>,
    /// `PUSHED`, `FOUND`, `DECIDED` or `REPORTED`.
    pub status: String,
    /// What the helper found at the door.
    pub finding: Option<String>,
    /// The helper's suggestion.
    pub suggestion: Option<String>,
    /// Who found it.
    pub found_by: Option<String>,
    /// The township's decision.
    pub decision: Option<String>,
    /// Why.
    pub decision_note: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Decided (Unix seconds).
    pub decided_at: Option<i64>,
    /// Reported (Unix seconds).
    pub reported_at: Option<i64>,
    /// The deadline missed, on the day asked: `VERIFY` or `REPORT`.
    pub overdue: Option<String>,
}

impl ClueView {
    /// The view of a clue for `role` on `today`.
    pub fn of(
        m: clue::Model,
        role: Role,
        settings: &crate::settings::WorkflowSettings,
        today: NaiveDate,
    ) -> Self {
        let overdue = deadlines::of_month(&m.month, settings)
            .and_then(|d| deadlines::overdue(&m, &d, today))
            .map(str::to_owned);
        Self {
            id: m.id,
            department: m.department,
            month: m.month,
            household: m.doc_id,
            member: m.member_key,
            region_code: m.region_code,
            id_number: match Exposure::of(role) {
                Exposure::Full => m.id_number,
                _ => mask_id_number(&m.id_number),
            },
            clue_type: m.clue_type,
            reason: m.reason,
            amount: m.amount,
            status: m.status,
            finding: m.finding,
            suggestion: m.suggestion,
            found_by: m.found_by,
            decision: m.decision,
            decision_note: m.decision_note,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            reported_at: m.reported_at,
            overdue,
        }
    }
}

/// The task a clue gives its village's tablets (the same id when it is closed).
pub fn clue_task(clue: &clue::Model, name: &str, due: Option<NaiveDate>) -> Task {
    let clue_type = ClueType::from_code(&clue.clue_type).unwrap_or(ClueType::Other);
    let department = Department::from_code(&clue.department);
    Task {
        id: format!("clue:{}", clue.id),
        kind: TaskKind::VerifyRiskClue,
        household: Some(clue.doc_id.clone()),
        title: format!(
            "{}:{}({})",
            department.map_or("部门", |d| d.label_zh()),
            clue_type.label_zh(),
            name
        ),
        detail: Some(clue.reason.clone()),
        due,
        quarter: None,
        clue: Some(RiskClue {
            source: ClueSource::DeptPush,
            dept: department,
            clue_type,
            id_number_masked: Some(mask_id_number(&clue.id_number)),
            amount: clue.amount,
            verify_status: clue
                .decision
                .as_deref()
                .and_then(VerifyStatus::from_code)
                .unwrap_or(VerifyStatus::Pending),
        }),
        closed: false,
    }
}

/// The clues of a region in the user's scope (default: all of it), optionally of a month.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    month: Option<&str>,
    today: NaiveDate,
) -> Result<Vec<ClueView>, ApiError> {
    user.require(CLUE_READERS)?;
    let region = crate::services::review::region_in_scope(user, region)?;
    if let Some(m) = month {
        deadlines::parse_month(m).ok_or_else(|| {
            ApiError::BadRequest("month-invalid", format!("`{m}`: a month like 2026-11"))
        })?;
    }
    Ok(clues::clues_under(&state.db, region, month)
        .await?
        .into_iter()
        .map(|c| ClueView::of(c, user.role, &state.settings.workflow, today))
        .collect())
}

/// What is late in a month on a day: clues by the deadline they missed, and the
/// departments that pushed nothing after the push deadline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overdue {
    /// The month.
    pub month: String,
    /// The day asked about.
    pub on: NaiveDate,
    /// The month's deadlines.
    pub deadlines: deadlines::Deadlines,
    /// Clues not decided after the verification deadline (townships).
    pub verify: Vec<ClueView>,
    /// Clues not reported after the report deadline (the county).
    pub report: Vec<ClueView>,
    /// Departments with no clue file for the month after the push deadline.
    pub departments_missing: Vec<String>,
}

/// The overdue lists of a month in a region of the user's scope.
pub async fn overdue(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    month: &str,
    today: NaiveDate,
) -> Result<Overdue, ApiError> {
    user.require(&[
        Role::TownshipSupervisor,
        Role::CountyOfficer,
        Role::PrefectureOfficer,
        Role::Admin,
    ])?;
    let deadlines = deadlines::of_month(month, &state.settings.workflow).ok_or_else(|| {
        ApiError::BadRequest("month-invalid", format!("`{month}`: a month like 2026-11"))
    })?;
    let clues = list(state, user, region, Some(month), today).await?;
    let (verify, rest): (Vec<_>, Vec<_>) = clues
        .into_iter()
        .filter(|c| c.overdue.is_some())
        .partition(|c| c.overdue.as_deref() == Some("VERIFY"));
    let departments_missing = if today > deadlines.push {
        let pushed = clues::departments_with_clues(&state.db, month).await?;
        Department::ALL
            .iter()
            .map(|d| d.code().to_owned())
            .filter(|d| !pushed.contains(d))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Overdue {
        month: month.to_owned(),
        on: today,
        deadlines,
        verify,
        report: rest,
        departments_missing,
    })
}

/// Today in China Standard Time, or the day asked for (`on`, for a report as of a day).
pub fn day(on: Option<&str>) -> Result<NaiveDate, ApiError> {
    match on {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ApiError::BadRequest("date-invalid", format!("`{text}`: a day like 2026-11-21"))
        }),
        None => Ok((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()),
    }
}
