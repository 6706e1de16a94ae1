//! Visit review: the round's reviews per village, a step on one household (approve,
//! verify, accept, return with a reason) or on a whole village at once.

use crate::console::pages::round_or_latest;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::services::review::REVIEW_READERS;
use crate::services::review::{self, ReviewView, Step};
use crate::state::AppState;
use crate::store::{documents, regions};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zoufang_schemas::wire::DocId;

/// Which round and region to show, and what the last village step came to.
#[derive(Debug, Deserialize)]
pub struct ReviewQuery {
    round: Option<String>,
    region: Option<String>,
    done: Option<usize>,
    refused: Option<usize>,
}

/// A review with the household's head, as the list shows it.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    review: ReviewView,
    head: Option<String>,
}

/// A village with its reviews.
#[derive(Debug, Serialize)]
struct Village {
    code: String,
    name: String,
    reviews: Vec<Row>,
}

/// The round's reviews under a region, per village.
#[get("/console/reviews")]
pub async fn list(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(REVIEW_READERS)?;
    let round = round_or_latest(&state, &who, query.round.as_deref()).await?;
    let region = query
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let prefix = review::region_in_scope(&who.user, region)?.to_owned();
    let names: BTreeMap<String, String> = regions::under(&state.db, &prefix)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let heads = documents::head_names(&state.db, &prefix).await?;
    let mut villages: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for r in review::list(&state, &who.user, Some(&prefix), &round, None).await? {
        let head = heads.get(&r.household).cloned();
        villages
            .entry(r.region_code.clone())
            .or_default()
            .push(Row { review: r, head });
    }
    let villages: Vec<Village> = villages
        .into_iter()
        .map(|(code, reviews)| Village {
            name: names.get(&code).cloned().unwrap_or_default(),
            code,
            reviews,
        })
        .collect();
    let outcome = query
        .done
        .map(|done| minijinja::context! { done, refused => query.refused.unwrap_or(0) });
    Ok(render::page(
        Some(&who),
        who.lang,
        "reviews.html",
        minijinja::context! { round, region => prefix, villages, outcome },
    ))
}

/// A step from a form.
#[derive(Debug, Deserialize)]
pub struct StepForm {
    csrf: String,
    action: String,
    reason: Option<String>,
}

impl StepForm {
    fn step(&self) -> Step {
        Step {
            action: self.action.clone(),
            reason: self.reason.clone().filter(|r| !r.trim().is_empty()),
        }
    }
}

/// A step on one household's round.
#[post("/console/reviews/{household}/{round}")]
pub async fn act(
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(String, String)>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    let (household, round) = path.into_inner();
    let doc = DocId::parse(&household)
        .ok_or_else(|| ApiError::NotFound(format!("household {household}")))?;
    let action = form.step().action()?;
    let done = review::act(&state, &who.user, &doc, &round, &action).await?;
    Ok(see_other(
        &who,
        &format!("/console/reviews?round={round}&region={}", done.region_code),
    ))
}

/// A step on every review of a village's round that can take it.
#[post("/console/villages/{village}/reviews/{round}")]
pub async fn act_on_village(
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(String, String)>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    let (village, round) = path.into_inner();
    let action = form.step().action()?;
    let outcome = review::act_on_village(&state, &who.user, &village, &round, &action).await?;
    Ok(see_other(
        &who,
        &format!(
            "/console/reviews?round={round}&region={village}&done={}&refused={}",
            outcome.done.len(),
            outcome.refused.len()
        ),
    ))
}
