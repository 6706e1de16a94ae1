//! The quarterly reports besides the scale table: measure implementation statistics, the
//! risk resolution report (XLSX, from verified records), and the training calendar.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::routes::county::{PULLERS, RoundQuery, attachment, file_stream};
use crate::services::exports::Format;
use crate::services::reports::{measures, risks, training};
use crate::services::review::{parse_round, region_in_scope};
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// 帮扶措施落实情况统计表.
    Measures,
    /// 风险化解情况报告.
    Risks,
}

impl Report {
    fn name(self) -> &'static str {
        match self {
            Report::Measures => "measures",
            Report::Risks => "risks",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Report::Measures => "report.measures",
            Report::Risks => "report.risks",
        }
    }
}

/// A report of a round as a download (the API's and the console's), audited.
pub async fn download(
    state: &AppState,
    user: &AuthUser,
    report: Report,
    query: &RoundQuery,
) -> Result<HttpResponse, ApiError> {
    user.require(PULLERS)?;
    let region = region_in_scope(user, query.region.as_deref())?.to_owned();
    let round = parse_round(&query.round)?;
    let file = match report {
        Report::Measures => measures::xlsx(state, &region, &round).await?,
        Report::Risks => risks::xlsx(state, &region, &round).await?,
    };
    crate::services::review::audit_read(
        state,
        user,
        report.action(),
        &format!("{region}/{}", round.as_str()),
    )
    .await?;
    let filename = format!("{}-{region}-{}.xlsx", report.name(), round.as_str());
    Ok(attachment(
        Format::Xlsx.media_type(),
        &filename,
        file_stream(file),
    ))
}

/// 帮扶措施落实情况统计表 of a round as XLSX: per region and measure kind, measures,
/// households and people covered by group, done / in progress / planned, funds.
#[utoipa::path(get, path = "/api/v1/reports/measures", params(RoundQuery),
    responses((status = 200, description = "XLSX"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/reports/measures")]
pub async fn measures_report(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<RoundQuery>,
) -> Result<HttpResponse, ApiError> {
    download(&state, &user, Report::Measures, &query).await
}

/// 风险化解情况报告 of a round as XLSX: eliminated and remaining by category and by risk
/// type, the quarter's eliminations by mode, the doubtful-data list.
#[utoipa::path(get, path = "/api/v1/reports/risks", params(RoundQuery),
    responses((status = 200, description = "XLSX"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/reports/risks")]
pub async fn risks_report(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<RoundQuery>,
) -> Result<HttpResponse, ApiError> {
    download(&state, &user, Report::Risks, &query).await
}

/// Which year.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    /// The year (default: this year).
    pub year: Option<i32>,
}

/// The training calendar of a year.
#[utoipa::path(get, path = "/api/v1/reports/training", params(YearQuery),
    responses((status = 200, body = training::Calendar), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/reports/training")]
pub async fn training_calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<YearQuery>,
) -> Result<web::Json<training::Calendar>, ApiError> {
    user.require(crate::services::REGION_ROLES)?;
    let year = training::year_or_this(query.year)?;
    Ok(web::Json(training::calendar(&state, year).await?))
}
