//! The natural increase / decrease ledger in the console: a village's or township's
//! quarter, with the totals and the XLSX.

use crate::console::pages::round_or_latest;
use crate::console::render;
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::services::natural_ledger;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

/// Which ledger.
#[derive(Debug, Deserialize)]
pub struct LedgerQuery {
    region: Option<String>,
    round: Option<String>,
}

/// The region asked for, or the user's own when it is a village or township; a county's or
/// prefecture's user names one.
fn region_of(who: &ConsoleUser, query: &LedgerQuery) -> Option<String> {
    query
        .region
        .clone()
        .filter(|r| !r.trim().is_empty())
        .or_else(|| Some(who.user.scope.as_str().to_owned()).filter(|s| s.len() >= 9))
}

/// The page.
#[get("/console/natural-changes")]
pub async fn page(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(natural_ledger::READERS)?;
    let round = round_or_latest(&state, &who, query.round.as_deref()).await?;
    let region = region_of(&who, &query);
    let ledger = match &region {
        Some(r) => {
            let quarter = crate::services::review::parse_round(&round)?;
            Some(natural_ledger::ledger(&state, &who.user, Some(r), &quarter).await?)
        }
        None => None,
    };
    Ok(render::page(
        Some(&who),
        who.lang,
        "natural_changes.html",
        minijinja::context! {
            round,
            region => region.unwrap_or_default(),
            ledger => ledger.map(|l| minijinja::Value::from_serialize(&l)),
        },
    ))
}

/// The ledger as XLSX.
#[get("/console/natural-changes.xlsx")]
pub async fn download(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let round = round_or_latest(&state, &who, query.round.as_deref()).await?;
    let region = region_of(&who, &query);
    let mut response =
        crate::routes::natural_changes::download(&state, &who.user, region.as_deref(), &round)
            .await?;
    who.keep(&mut response);
    Ok(response)
}
