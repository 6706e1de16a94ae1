//! Assistance plans in the console: the year's plans of the user's region, which still wait
//! for measures, and an immediate pass for the county.

use crate::console::form_fields::checked;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::services::plans::{self, pass};
use crate::services::reports::training::year_or_this;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use zoufang_schemas::Role;

/// Which year.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

const RUNNERS: &[Role] = &[Role::CountyOfficer, Role::PrefectureOfficer, Role::Admin];

/// The page.
#[get("/console/plans")]
pub async fn page(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let year = year_or_this(query.year)?;
    let plans = plans::list(&state, &who.user, None, Some(year)).await?;
    let open = plans
        .iter()
        .filter(|p| p.status == plans::life::OPEN)
        .count();
    Ok(render::page(
        Some(&who),
        who.lang,
        "plans.html",
        minijinja::context! {
            year,
            open,
            plans => minijinja::Value::from_serialize(&plans),
            may_run => RUNNERS.contains(&who.user.role),
        },
    ))
}

/// Brings the region's plans and implementation checks up to date now.
#[post("/console/plans/pass")]
pub async fn run_pass(
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    checked(&who, &body)?;
    who.user.require(RUNNERS)?;
    let today = crate::services::clues::day(None)?;
    pass::run(&state, who.user.scope.as_str(), today).await?;
    Ok(see_other(&who, "/console/plans"))
}
