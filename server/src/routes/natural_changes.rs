//! The natural increase / decrease ledger of a village or township for a quarter, as JSON
//! and XLSX.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::natural_ledger::{self, Ledger};
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Which ledger.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LedgerQuery {
    /// A village or township in the caller's scope.
    pub region: Option<String>,
    /// The quarter, `2026Q4`.
    pub round: String,
}

fn quarter(text: &str) -> Result<zoufang_schemas::Quarter, ApiError> {
    crate::services::review::parse_round(text)
}

/// The ledger's lines and totals.
#[utoipa::path(get, path = "/api/v1/natural-changes", params(LedgerQuery),
    responses((status = 200, body = Ledger), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/natural-changes")]
pub async fn ledger(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<LedgerQuery>,
) -> Result<web::Json<Ledger>, ApiError> {
    let round = quarter(&query.round)?;
    Ok(web::Json(
        natural_ledger::ledger(&state, &user, query.region.as_deref(), &round).await?,
    ))
}

/// The ledger as XLSX.
#[utoipa::path(get, path = "/api/v1/natural-changes.xlsx", params(LedgerQuery),
    responses((status = 200, description = "XLSX"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/natural-changes.xlsx")]
pub async fn ledger_xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    download(&state, &user, query.region.as_deref(), &query.round).await
}

/// The ledger as a download (the API's and the console's).
pub async fn download(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    round: &str,
) -> Result<HttpResponse, ApiError> {
    let round = quarter(round)?;
    let book = natural_ledger::ledger(state, user, region, &round).await?;
    let regions: BTreeMap<String, String> = crate::store::regions::under(&state.db, &book.region)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let bytes = natural_ledger::xlsx(&book, &regions)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "content-disposition",
            format!(
                "attachment; filename=\"natural-changes-{}-{}.xlsx\"",
                book.region, book.quarter
            ),
        ))
        .insert_header(("cache-control", "no-store"))
        .body(bytes))
}
