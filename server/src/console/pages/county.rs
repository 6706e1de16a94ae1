//! What the county reads: coverage of a round per village with a chart, the doubtful-data
//! list, and the downloads (verified records, the scale statistics table).

use crate::console::pages::round_or_latest;
use crate::console::render;
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::routes::county::{ExportQuery, PULLERS, RoundQuery, export_download, scale_download};
use crate::services::county::{self, CoverageRow};
use crate::services::review::REVIEW_READERS;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};

/// A round and a region, both optional.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    round: Option<String>,
    region: Option<String>,
    severity: Option<String>,
}

impl PageQuery {
    fn region(&self) -> Option<&str> {
        self.region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
    }
}

/// One bar of the coverage chart, in pixels.
#[derive(Debug, Serialize)]
struct Bar {
    label: String,
    y: u32,
    total: u32,
    visited: u32,
    verified: u32,
}

/// The coverage chart: a bar per village, households (background), visited and verified,
/// scaled to the largest village.
#[derive(Debug, Serialize)]
struct Chart {
    width: u32,
    height: u32,
    bars: Vec<Bar>,
}

const BAR_WIDTH: f64 = 400.0;
const BAR_STEP: u32 = 24;

fn chart(rows: &[CoverageRow]) -> Chart {
    let villages: Vec<&CoverageRow> = rows.iter().filter(|r| r.level == "VILLAGE").collect();
    let largest = villages
        .iter()
        .map(|r| r.households.max(r.visited))
        .max()
        .unwrap_or(0)
        .max(1);
    let px = |n: i64| ((n.max(0) as f64) * BAR_WIDTH / largest as f64).round() as u32;
    let bars: Vec<Bar> = villages
        .iter()
        .zip(0u32..)
        .map(|(r, i)| Bar {
            label: if r.name.is_empty() {
                r.region_code.clone()
            } else {
                r.name.clone()
            },
            y: i * BAR_STEP,
            total: px(r.households),
            visited: px(r.visited),
            verified: px(r.verified),
        })
        .collect();
    Chart {
        width: 160 + BAR_WIDTH as u32,
        height: (bars.len() as u32 * BAR_STEP).max(BAR_STEP),
        bars,
    }
}

/// Coverage of a round.
#[get("/console/coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(REVIEW_READERS)?;
    let round = round_or_latest(&state, &who, query.round.as_deref()).await?;
    let rows = county::coverage(&state, &who.user, query.region(), &round).await?;
    Ok(render::page(
        Some(&who),
        who.lang,
        "coverage.html",
        minijinja::context! { round, chart => chart(&rows), rows },
    ))
}

/// The doubtful-data list.
#[get("/console/findings")]
pub async fn findings(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(REVIEW_READERS)?;
    let severity = query.severity.as_deref().filter(|s| !s.is_empty());
    let findings = county::findings_under(&state, &who.user, query.region(), severity).await?;
    Ok(render::page(
        Some(&who),
        who.lang,
        "findings.html",
        minijinja::context! { findings, severity, region => query.region() },
    ))
}

/// The downloads.
#[get("/console/exports")]
pub async fn exports(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(PULLERS)?;
    let round = round_or_latest(&state, &who, query.round.as_deref()).await?;
    let due = crate::services::reports::due::due_of(
        &state,
        &crate::services::review::parse_round(&round)?,
    );
    Ok(render::page(
        Some(&who),
        who.lang,
        "exports.html",
        minijinja::context! { round, due => due.to_string(), scope => who.user.scope.as_str() },
    ))
}

/// Downloads verified records (the API's export, under the console's session).
#[get("/console/exports/download")]
pub async fn download(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let mut response = export_download(state, &who.user, &query).await?;
    who.keep(&mut response);
    Ok(response)
}

/// Downloads the scale statistics table.
#[get("/console/reports/scale")]
pub async fn scale(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<RoundQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let mut response = scale_download(&state, &who.user, &query).await?;
    who.keep(&mut response);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn village(code: &str, households: i64, visited: i64, verified: i64) -> CoverageRow {
        CoverageRow {
            region_code: code.into(),
            name: String::new(),
            level: "VILLAGE".into(),
            households,
            visited,
            verified,
            ..CoverageRow::default()
        }
    }

    #[test]
    fn bars_scale_to_the_largest_village_and_skip_totals() {
        let township = CoverageRow {
            level: "TOWNSHIP".into(),
            households: 30,
            ..CoverageRow::default()
        };
        let drawn = chart(&[township, village("1", 20, 10, 5), village("2", 10, 10, 10)]);
        assert_eq!(drawn.bars.len(), 2);
        assert_eq!(
            (
                drawn.bars[0].total,
                drawn.bars[0].visited,
                drawn.bars[0].verified
            ),
            (400, 200, 100)
        );
        assert_eq!((drawn.bars[1].total, drawn.bars[1].y), (200, 24));
        assert_eq!(drawn.height, 48);
        assert_eq!(chart(&[]).bars.len(), 0);
    }
}
