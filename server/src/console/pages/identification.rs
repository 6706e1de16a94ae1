//! Identification in the console: this year's monitoring thresholds (set at the user's own
//! level), the flagged households with a proposal form for the village's helpers and the
//! township, and the proposals with the county's decision and the proposer's withdrawal.

use crate::console::form_fields::checked;
use crate::console::pages::local_time;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::routes::identification::{category, decision, household, risk_types};
use crate::services::identification::life::{self, Proposal, Step};
use crate::services::identification::threshold_edits::{self, ThresholdEdit};
use crate::services::identification::thresholds::ThresholdKind;
use crate::services::identification::{self, proposals, scan};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use zoufang_schemas::{MonitorCategory, RiskType, Role};

/// The page.
#[get("/console/identification")]
pub async fn page(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(identification::READERS)?;
    let year = identification::this_year()?;
    let thresholds = threshold_edits::show(&state, &who.user, year, None).await?;
    let flags = identification::flagged(&state, &who.user, None, false).await?;
    let rows: Vec<_> = identification::list(&state, &who.user, None, None)
        .await?
        .into_iter()
        .map(|p| {
            let risks: Vec<&str> = p
                .risk_types
                .iter()
                .filter_map(|c| RiskType::from_code(c).map(RiskType::label_zh))
                .collect();
            let mine = p.proposed_by == format!("user:{}", who.user.name);
            let may_withdraw = life::WITHDRAWERS.contains(&who.user.role)
                && p.status == life::PROPOSED
                && (mine || who.user.role != Role::Helper);
            minijinja::context! {
                proposed => local_time(p.proposed_at),
                risks_zh => risks.join("、"),
                may_withdraw,
                ..minijinja::Value::from_serialize(&p)
            }
        })
        .collect();
    let categories: Vec<_> = MonitorCategory::ALL
        .iter()
        .map(|c| minijinja::context! { code => c.code(), label => c.label_zh() })
        .collect();
    let risks: Vec<_> = RiskType::ALL
        .iter()
        .map(|r| minijinja::context! { code => r.code(), label => r.label_zh() })
        .collect();
    let kinds: Vec<_> = ThresholdKind::ALL
        .iter()
        .map(|k| minijinja::context! { code => k.code(), label => k.label() })
        .collect();
    let role = who.user.role;
    Ok(render::page(
        Some(&who),
        who.lang,
        "identification.html",
        minijinja::context! {
            year,
            thresholds => minijinja::Value::from_serialize(&thresholds),
            flags => minijinja::Value::from_serialize(&flags),
            proposals => rows,
            categories,
            risks,
            kinds,
            may_propose => life::PROPOSERS.contains(&role),
            may_decide => life::DECIDERS.contains(&role),
            may_scan => matches!(role, Role::CountyOfficer | Role::PrefectureOfficer | Role::Admin),
        },
    ))
}

/// A helper or the township proposes a household.
#[post("/console/identification/proposals")]
pub async fn propose(
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = checked(&who, &body)?;
    who.user.require(life::PROPOSERS)?;
    let doc = household(form.one("household"))?;
    let proposal = Proposal {
        category: Some(category(form.one("category"))?),
        risk_types: risk_types(form.all("risk_types"))?,
        reason: form.one("reason").to_owned(),
    };
    proposals::propose(&state, &who.user, &doc, proposal).await?;
    Ok(see_other(&who, "/console/identification"))
}

/// The county decides; the proposer or the township withdraws.
#[post("/console/identification/{id}/{step}")]
pub async fn step(
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = checked(&who, &body)?;
    let (id, step) = path.into_inner();
    let step = match step.as_str() {
        "decision" => decision(form.one("decision"), form.optional("category").as_deref())?,
        "withdraw" => Step::Withdraw,
        other => return Err(ApiError::NotFound(format!("step {other}")).into()),
    };
    proposals::take(&state, &who.user, id, step, form.optional("note")).await?;
    Ok(see_other(&who, "/console/identification"))
}

/// Sets (or with an empty amount removes) a threshold at the user's own level.
#[post("/console/identification/thresholds")]
pub async fn set_threshold(
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = checked(&who, &body)?;
    who.user.require(threshold_edits::EDITORS)?;
    let kind = ThresholdKind::from_code(form.one("kind"))
        .ok_or_else(|| ApiError::BadRequest("kind-invalid", "choose a threshold".into()))?;
    let amount = match form.optional("amount") {
        None => None,
        Some(text) => Some(text.parse::<f64>().map_err(|_| {
            ApiError::BadRequest("amount-invalid", format!("`{text}` is not an amount"))
        })?),
    };
    let year = form
        .one("year")
        .parse::<i32>()
        .map_err(|_| ApiError::BadRequest("year-invalid", "a year like 2026".into()))?;
    let region = threshold_edits::editable_by(&who.user).unwrap_or_default();
    threshold_edits::set(
        &state,
        &who.user,
        ThresholdEdit {
            year,
            region,
            kind,
            amount,
        },
    )
    .await?;
    Ok(see_other(&who, "/console/identification"))
}

/// Judges the user's region's households now.
#[post("/console/identification/scan")]
pub async fn scan_now(
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    checked(&who, &body)?;
    who.user
        .require(&[Role::CountyOfficer, Role::PrefectureOfficer, Role::Admin])?;
    let year = identification::this_year()?;
    scan::run(&state, who.user.scope.as_str(), year).await?;
    Ok(see_other(&who, "/console/identification"))
}
