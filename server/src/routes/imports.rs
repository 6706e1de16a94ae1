//! Imports over HTTP: a file in the request body (CSV or XLSX), the runs, their refused
//! rows as CSV or XLSX, and the households a file no longer lists.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::imports::{self, ImportView, Importer, regions, report};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

/// Where a file goes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// The region the file is for (default: the caller's scope).
    pub region: Option<String>,
    /// The file's name, for the record.
    pub file_name: Option<String>,
}

fn name_of(query: &UploadQuery, fallback: &str) -> String {
    imports::clean_file_name(query.file_name.as_deref(), fallback)
}

/// Imports households (the national system's or the regional platform's export, CSV or
/// XLSX, in the body): checked at once, imported in the background (poll the run).
#[utoipa::path(post, path = "/api/v1/imports/households", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 202, body = ImportView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody)), security(("bearer" = [])))]
#[post("/api/v1/imports/households")]
pub async fn households(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let importer = Importer::user(&user, query.region.as_deref())?;
    let file = imports::save_upload(body, state.settings.workflow.max_file_bytes).await?;
    let run =
        imports::start_households(&state, importer, file, &name_of(&query, "households")).await?;
    Ok(HttpResponse::Accepted().json(run))
}

/// Imports regions (区划代码, 名称, 级别, 上级代码) in one transaction.
#[utoipa::path(post, path = "/api/v1/imports/regions", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/imports/regions")]
pub async fn regions_file(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<web::Json<ImportView>, ApiError> {
    let importer = Importer::user(&user, query.region.as_deref())?;
    let file = imports::save_upload(body, state.settings.workflow.max_file_bytes).await?;
    let run = regions::import(&state, &importer, file.path(), &name_of(&query, "regions")).await?;
    Ok(web::Json(run.into()))
}

/// The import runs in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/imports", responses((status = 200, body = [ImportView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/imports")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Vec<ImportView>>, ApiError> {
    Ok(web::Json(imports::runs(&state, &user).await?))
}

/// One run.
#[utoipa::path(get, path = "/api/v1/imports/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ImportView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/imports/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<ImportView>, ApiError> {
    Ok(web::Json(imports::run_in_scope(&state, &user, *id).await?))
}

/// The format of a report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// The rows a run refused (行号, 列, 代码, 说明, 值) as CSV or XLSX.
#[utoipa::path(get, path = "/api/v1/imports/{id}/rejects", params(("id" = i64, Path), ReportQuery),
    responses((status = 200, description = "the refused rows"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/imports/{id}/rejects")]
pub async fn rejects(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    rejects_download(&state, &user, *id, query.format.as_deref()).await
}

/// The refused rows as a download (the API's and the console's).
pub async fn rejects_download(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    format: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let run = imports::run_in_scope(state, user, id).await?;
    let (media, extension) = match format.unwrap_or("csv") {
        "csv" => ("text/csv; charset=utf-8", "csv"),
        "xlsx" => (crate::services::exports::Format::Xlsx.media_type(), "xlsx"),
        other => {
            return Err(ApiError::BadRequest(
                "format-invalid",
                format!("`{other}`: use csv or xlsx"),
            ));
        }
    };
    // Written to a temporary file a page at a time, then streamed from it: memory stays
    // flat however many rows the file had refused.
    let file = tempfile::NamedTempFile::new().map_err(|e| ApiError::Internal(e.to_string()))?;
    if extension == "csv" {
        let out = file
            .reopen()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        report::write_csv(&state.db, run.id, std::io::BufWriter::new(out)).await?;
    } else {
        report::write_xlsx(&state.db, run.id, file.path()).await?;
    }
    Ok(super::county::attachment(
        media,
        &format!("import-{id}-rejects.{extension}"),
        super::county::file_stream(file),
    ))
}

/// A household the file did not list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AbsentHousehold {
    /// Document id.
    pub household: String,
    /// Village.
    pub region_code: String,
    /// 户编号.
    pub national_number: Option<String>,
}

/// A page of the households a file did not list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AbsentQuery {
    /// The last household of the page before (its document id); none for the first page.
    pub after: Option<String>,
    /// Households per page: 1 to 5,000 (default 1,000).
    pub limit: Option<u64>,
}

/// The households of the run's region its file did not list (flagged, never deleted), by
/// document id, a page at a time: the next page starts after the last household of this one.
#[utoipa::path(get, path = "/api/v1/imports/{id}/absent", params(("id" = i64, Path), AbsentQuery),
    responses((status = 200, body = [AbsentHousehold]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/imports/{id}/absent")]
pub async fn absent(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: web::Query<AbsentQuery>,
) -> Result<web::Json<Vec<AbsentHousehold>>, ApiError> {
    let run = imports::run_in_scope(&state, &user, *id).await?;
    let limit = super::paging::LIST_PAGE.limit(query.limit)?;
    let after = query.after.as_deref().unwrap_or("");
    Ok(web::Json(
        crate::store::imports::absent_page(&state.db, run.id, after, limit)
            .await?
            .into_iter()
            .map(|k| AbsentHousehold {
                household: k.doc_id,
                region_code: k.region_code,
                national_number: k.national_number,
            })
            .collect(),
    ))
}
