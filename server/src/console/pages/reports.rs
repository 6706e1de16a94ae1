//! The quarterly reports in the console: the measure statistics and the risk resolution
//! report as downloads, and the plan's training calendar.

use crate::console::render;
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::routes::county::RoundQuery;
use crate::routes::reports::{Report, download};
use crate::services::reports::training;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

/// Downloads the measure statistics or the risk resolution report.
#[get("/console/reports/{report}")]
pub async fn report(
    state: web::Data<AppState>,
    who: ConsoleUser,
    report: web::Path<String>,
    query: web::Query<RoundQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let report = match report.as_str() {
        "measures" => Report::Measures,
        "risks" => Report::Risks,
        other => return Err(ApiError::NotFound(format!("report {other}")).into()),
    };
    let mut response = download(&state, &who.user, report, &query).await?;
    who.keep(&mut response);
    Ok(response)
}

/// Which year.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

/// The training calendar.
#[get("/console/training")]
pub async fn calendar(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(crate::services::REGION_ROLES)?;
    let year = training::year_or_this(query.year)?;
    let calendar = training::calendar(&state, year).await?;
    Ok(render::page(
        Some(&who),
        who.lang,
        "training.html",
        minijinja::context! { calendar => minijinja::Value::from_serialize(&calendar) },
    ))
}
