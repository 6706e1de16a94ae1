//! What the county pulls: coverage of a round, findings, exports of verified records
//! (streamed), the feed of verifications, and the scale statistics table.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::masking::Exposure;
use crate::services::county::{self, CoverageRow, FeedEntry, FindingView};
use crate::services::exports::{
    self, CsvSink, ExportRequest, ExportSink, Format, NdjsonSink, XlsxSink,
};
use crate::services::review::{parse_round, region_in_scope};
use crate::services::scale_report;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use bytes::Bytes;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use zoufang_schemas::Role;

/// Roles that pull verified data.
pub const PULLERS: &[Role] = &[
    Role::TownshipSupervisor,
    Role::CountyOfficer,
    Role::PrefectureOfficer,
    Role::Admin,
];

/// A round and a region.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RoundQuery {
    /// The round, `2022Q1`.
    pub round: String,
    /// A region inside the caller's scope (default: the whole scope).
    pub region: Option<String>,
}

/// Coverage of a round per village, township, county and prefecture.
#[utoipa::path(get, path = "/api/v1/coverage", params(RoundQuery),
    responses((status = 200, body = [CoverageRow]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<RoundQuery>,
) -> Result<web::Json<Vec<CoverageRow>>, ApiError> {
    user.require(crate::services::review::REVIEW_READERS)?;
    Ok(web::Json(
        county::coverage(&state, &user, query.region.as_deref(), &query.round).await?,
    ))
}

/// Filters of the findings list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FindingsQuery {
    /// A region inside the caller's scope.
    pub region: Option<String>,
    /// `ERROR` or `WARNING`.
    pub severity: Option<String>,
}

/// Validation findings (errors and doubtful data) of the households in a region.
#[utoipa::path(get, path = "/api/v1/findings", params(FindingsQuery),
    responses((status = 200, body = [FindingView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/findings")]
pub async fn findings(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<FindingsQuery>,
) -> Result<web::Json<Vec<FindingView>>, ApiError> {
    user.require(crate::services::review::REVIEW_READERS)?;
    Ok(web::Json(
        county::findings_under(
            &state,
            &user,
            query.region.as_deref(),
            query.severity.as_deref(),
        )
        .await?,
    ))
}

/// The feed's position.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FeedQuery {
    /// The last `seq` read (0 from the start).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u64>,
}

/// Newly verified and accepted records in the caller's scope, after a cursor.
#[utoipa::path(get, path = "/api/v1/feed/verified", params(FeedQuery),
    responses((status = 200, body = [FeedEntry]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/feed/verified")]
pub async fn feed(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<FeedQuery>,
) -> Result<web::Json<Vec<FeedEntry>>, ApiError> {
    user.require(PULLERS)?;
    Ok(web::Json(
        county::verified_feed(
            &state,
            &user,
            query.after.unwrap_or(0),
            query.limit.unwrap_or(100),
        )
        .await?,
    ))
}

/// An export's parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// The round, `2022Q1`.
    pub round: String,
    /// A region inside the caller's scope.
    pub region: Option<String>,
    /// `csv` (households), `csv-members`, `ndjson` or `xlsx`.
    pub format: String,
}

/// A writer into a buffer shared with the task that streams the response.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("buffer poisoned"))?
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

/// Verified records of a round as CSV, NDJSON or XLSX (Chinese headers), streamed; personal
/// numbers masked unless the role may see them; audited.
#[utoipa::path(get, path = "/api/v1/exports/verified", params(ExportQuery),
    responses((status = 200, description = "the export file"), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/exports/verified")]
pub async fn export(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export_download(state, &user, &query).await
}

/// The export as a download (the API's and the console's).
pub async fn export_download(
    state: web::Data<AppState>,
    user: &AuthUser,
    query: &ExportQuery,
) -> Result<HttpResponse, ApiError> {
    user.require(PULLERS)?;
    let format = Format::parse(&query.format)?;
    let region = region_in_scope(user, query.region.as_deref())?.to_owned();
    let round = parse_round(&query.round)?;
    let request = ExportRequest {
        round: round.clone(),
        region: region.clone(),
        exposure: Exposure::of(user.role),
        actor: format!("user:{}", user.name),
    };
    let filename = format!(
        "verified-{region}-{}.{}",
        round.as_str(),
        format.extension()
    );
    if format == Format::Xlsx {
        let file = tempfile::NamedTempFile::new().map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut sink = XlsxSink::new(file.path())?;
        exports::export(&state, &request, &mut sink, &mut |_| {}).await?;
        return Ok(attachment(
            format.media_type(),
            &filename,
            file_stream(file),
        ));
    }
    let buffer = SharedBuffer::default();
    let mut sink: Box<dyn ExportSink> = match format {
        Format::Ndjson => Box::new(NdjsonSink::new(buffer.clone())),
        _ => Box::new(CsvSink::new(buffer.clone(), format == Format::CsvMembers)?),
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, ApiError>>(4);
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        let mut pages = tokio::sync::mpsc::unbounded_channel::<()>();
        let page_sender = pages.0.clone();
        let mut on_page = move |_| {
            let _ = page_sender.send(());
        };
        let run = exports::export(&state, &request, sink.as_mut(), &mut on_page);
        // Pages are handed on as they are written; the bounded channel holds the export
        // back while the reader is slower.
        tokio::pin!(run);
        let outcome = loop {
            tokio::select! {
                done = &mut run => break done,
                Some(()) = pages.1.recv() => {
                    let chunk = buffer.take();
                    if !chunk.is_empty() && sender.send(Ok(Bytes::from(chunk))).await.is_err() {
                        return;
                    }
                }
            }
        };
        let rest = buffer.take();
        if !rest.is_empty() {
            let _ = sender.send(Ok(Bytes::from(rest))).await;
        }
        if let Err(err) = outcome {
            tracing::warn!(error = %err, "export failed part-way");
            let _ = sender.send(Err(err)).await;
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut r| async move {
        r.recv().await.map(|item| (item, r))
    });
    Ok(attachment(format.media_type(), &filename, body))
}

/// A download: the file's media type, name and bytes, never cached.
pub fn attachment<S>(media_type: &str, filename: &str, body: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<Bytes, ApiError>> + 'static,
{
    HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("cache-control", "no-store"))
        .streaming(body)
}

/// A file's bytes as a stream, the file removed once read.
pub fn file_stream(
    file: tempfile::NamedTempFile,
) -> impl futures_util::Stream<Item = Result<Bytes, ApiError>> {
    let reader = std::io::BufReader::with_capacity(64 * 1024, file);
    futures_util::stream::unfold(reader, |mut reader| async move {
        use std::io::Read;
        let mut chunk = vec![0u8; 64 * 1024];
        match reader.read(&mut chunk) {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(Bytes::from(chunk)), reader))
            }
            Err(e) => Some((Err(ApiError::Internal(e.to_string())), reader)),
        }
    })
}

/// The scale statistics table (规模统计表) of a round as XLSX, per county → township →
/// village, from verified records.
#[utoipa::path(get, path = "/api/v1/reports/scale", params(RoundQuery),
    responses((status = 200, description = "the table as XLSX"), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/reports/scale")]
pub async fn scale(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<RoundQuery>,
) -> Result<HttpResponse, ApiError> {
    scale_download(&state, &user, &query).await
}

/// The scale table as a download (the API's and the console's).
pub async fn scale_download(
    state: &AppState,
    user: &AuthUser,
    query: &RoundQuery,
) -> Result<HttpResponse, ApiError> {
    user.require(PULLERS)?;
    let region = region_in_scope(user, query.region.as_deref())?.to_owned();
    let round = parse_round(&query.round)?;
    let file = scale_report::xlsx(state, &region, &round).await?;
    crate::services::review::audit_read(
        state,
        user,
        "report.scale",
        &format!("{region}/{}", round.as_str()),
    )
    .await?;
    let filename = format!("scale-{region}-{}.xlsx", round.as_str());
    Ok(attachment(
        Format::Xlsx.media_type(),
        &filename,
        file_stream(file),
    ))
}
