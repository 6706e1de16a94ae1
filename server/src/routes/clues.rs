//! Department uploads (ledgers and risk clues) and the clues' life cycle over HTTP: the
//! helper's finding, the township's decision, the county's report, the overdue lists and
//! the monthly XLSX.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::clues::life::Step;
use crate::services::clues::upload::{self, Kind};
use crate::services::clues::{self, ClueView, Overdue, RowView, UploadView, steps};
use crate::services::imports;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where an upload goes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// `ledger` (a quarter's real-name policy ledger) or `clues` (a month's risk clues).
    pub kind: String,
    /// `2026Q4` for a ledger, `2026-11` for clues.
    pub period: String,
    /// The file's name, for the record.
    pub file_name: Option<String>,
}

/// Uploads a department's file (CSV or XLSX in the body): 201 with the outcome, or 200 with
/// the first upload when the same file was uploaded before (nothing changes).
#[utoipa::path(post, path = "/api/v1/departments/uploads", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = UploadView), (status = 200, body = UploadView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/departments/uploads")]
pub async fn upload_file(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require(&[zoufang_schemas::Role::Department])?;
    clues::department_of(&state, &user).await?;
    let kind = Kind::parse(&query.kind)?;
    let file = imports::save_upload(body, state.settings.workflow.max_file_bytes).await?;
    let name = imports::clean_file_name(query.file_name.as_deref(), "upload");
    let (view, repeated) =
        upload::upload(&state, &user, kind, query.period.trim(), file.path(), &name).await?;
    Ok(if repeated {
        HttpResponse::Ok().json(view)
    } else {
        HttpResponse::Created().json(view)
    })
}

/// The uploads the caller may see: a department's own; every one for officers.
#[utoipa::path(get, path = "/api/v1/departments/uploads", responses((status = 200, body = [UploadView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/departments/uploads")]
pub async fn uploads(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Vec<UploadView>>, ApiError> {
    Ok(web::Json(clues::uploads(&state, &user).await?))
}

/// An upload and what became of each row (ID numbers masked), a page of rows at a time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadDetail {
    /// The upload.
    pub upload: UploadView,
    /// Its rows, in file order.
    pub rows: Vec<RowView>,
    /// The row number to ask for the next page after (`?after=`); none when this page is
    /// the last.
    pub next_after: Option<i64>,
}

/// Which rows of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RowsQuery {
    /// The last row number of the page before; none for the first page.
    pub after: Option<i64>,
    /// Rows per page: 1 to 5,000 (default 1,000).
    pub limit: Option<u64>,
}

/// One upload with a page of its rows.
#[utoipa::path(get, path = "/api/v1/departments/uploads/{id}", params(("id" = i64, Path), RowsQuery),
    responses((status = 200, body = UploadDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/departments/uploads/{id}")]
pub async fn upload_detail(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: web::Query<RowsQuery>,
) -> Result<web::Json<UploadDetail>, ApiError> {
    let limit = super::paging::LIST_PAGE.limit(query.limit)?;
    let after = query.after.unwrap_or(0);
    let (upload, rows) = clues::upload_rows(&state, &user, *id, after, limit).await?;
    let next_after = match rows.last() {
        Some(last) if rows.len() as u64 == limit => Some(last.row),
        _ => None,
    };
    Ok(web::Json(UploadDetail {
        upload,
        rows,
        next_after,
    }))
}

/// Which clues.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ClueQuery {
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
    /// `2026-11`.
    pub month: Option<String>,
    /// The day overdue is judged on (default: today, China Standard Time).
    pub on: Option<String>,
}

/// The clues of a region.
#[utoipa::path(get, path = "/api/v1/clues", params(ClueQuery), responses((status = 200, body = [ClueView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/clues")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ClueQuery>,
) -> Result<web::Json<Vec<ClueView>>, ApiError> {
    let today = clues::day(query.on.as_deref())?;
    Ok(web::Json(
        clues::list(
            &state,
            &user,
            query.region.as_deref(),
            query.month.as_deref(),
            today,
        )
        .await?,
    ))
}

fn month_of(query: &ClueQuery) -> Result<String, ApiError> {
    match &query.month {
        Some(m) => Ok(m.clone()),
        None => Ok(clues::deadlines::month_of(clues::day(query.on.as_deref())?)),
    }
}

/// What is overdue in a month (default: this month) on a day.
#[utoipa::path(get, path = "/api/v1/clues/overdue", params(ClueQuery), responses((status = 200, body = Overdue), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/clues/overdue")]
pub async fn overdue(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ClueQuery>,
) -> Result<web::Json<Overdue>, ApiError> {
    let today = clues::day(query.on.as_deref())?;
    let month = month_of(&query)?;
    Ok(web::Json(
        clues::overdue(&state, &user, query.region.as_deref(), &month, today).await?,
    ))
}

/// What the helper found at the door.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    /// What was found.
    pub finding: String,
    /// `INCLUDED`, `NOT_ELIGIBLE` or `ALREADY_COVERED`.
    pub suggestion: Option<String>,
}

/// Records what was found at the door (helpers and supervisors of the village).
#[utoipa::path(post, path = "/api/v1/clues/{id}/finding", params(("id" = i64, Path)), request_body = Finding,
    responses((status = 200, body = ClueView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/clues/{id}/finding")]
pub async fn find(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: web::Json<Finding>,
) -> Result<web::Json<ClueView>, ApiError> {
    let suggestion = body
        .suggestion
        .as_deref()
        .map(steps::verify_status)
        .transpose()?;
    let step = Step::Find {
        finding: body.finding.clone(),
        suggestion,
    };
    Ok(web::Json(steps::take(&state, &user, *id, step).await?))
}

/// The township's decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// `INCLUDED` 纳入, `NOT_ELIGIBLE` 不符合 or `ALREADY_COVERED` 已帮扶.
    pub decision: String,
    /// Why.
    pub note: Option<String>,
}

/// Decides a clue that was checked at the door (township supervisors).
#[utoipa::path(post, path = "/api/v1/clues/{id}/decision", params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = ClueView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/clues/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: web::Json<Decision>,
) -> Result<web::Json<ClueView>, ApiError> {
    let step = Step::Decide {
        decision: steps::verify_status(&body.decision)?,
        note: body.note.clone(),
    };
    Ok(web::Json(steps::take(&state, &user, *id, step).await?))
}

/// A month to report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReportMonth {
    /// `2026-11`.
    pub month: String,
    /// A region in the caller's scope (default: all of it).
    pub region: Option<String>,
}

/// How many clues were reported.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reported {
    /// Clues reported.
    pub reported: usize,
}

/// Reports the month's decided clues (county officers).
#[utoipa::path(post, path = "/api/v1/clues/report", request_body = ReportMonth,
    responses((status = 200, body = Reported), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/clues/report")]
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ReportMonth>,
) -> Result<web::Json<Reported>, ApiError> {
    clues::deadlines::parse_month(&body.month).ok_or_else(|| {
        ApiError::BadRequest(
            "month-invalid",
            format!("`{}`: a month like 2026-11", body.month),
        )
    })?;
    let reported = steps::report_month(&state, &user, body.region.as_deref(), &body.month).await?;
    Ok(web::Json(Reported { reported }))
}

/// The month's verified clues as XLSX (county and township officers).
#[utoipa::path(get, path = "/api/v1/clues/report.xlsx", params(ClueQuery),
    responses((status = 200, description = "XLSX"), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/clues/report.xlsx")]
pub async fn report_xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ClueQuery>,
) -> Result<HttpResponse, ApiError> {
    monthly_xlsx(&state, &user, query.region.as_deref(), &month_of(&query)?).await
}

/// The monthly XLSX as a download (the API's and the console's).
pub async fn monthly_xlsx(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    month: &str,
) -> Result<HttpResponse, ApiError> {
    user.require(&[
        zoufang_schemas::Role::TownshipSupervisor,
        zoufang_schemas::Role::CountyOfficer,
        zoufang_schemas::Role::PrefectureOfficer,
        zoufang_schemas::Role::Admin,
    ])?;
    let today = clues::day(None)?;
    let found = clues::list(state, user, region, Some(month), today).await?;
    let docs: Vec<String> = found.iter().map(|c| c.household.clone()).collect();
    let names: BTreeMap<(String, String), String> =
        crate::store::documents::member_names(&state.db, &docs).await?;
    let scope = crate::services::review::region_in_scope(user, region)?;
    let regions: BTreeMap<String, String> = crate::store::regions::under(&state.db, scope)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let bytes = clues::report::xlsx(&found, &names, &regions)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"clues-{month}.xlsx\""),
        ))
        .insert_header(("cache-control", "no-store"))
        .body(bytes))
}
