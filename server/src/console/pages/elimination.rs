//! Risk elimination in the console: the cases of the user's region with the next step each
//! role may take, a nomination form for the village's helpers and the township, and the
//! printable public notice.

use crate::console::form_fields::checked;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::routes::elimination::{notice_download, step_of};
use crate::routes::identification::household;
use crate::services::elimination;
use crate::services::elimination::cases::{self, Nomination};
use crate::services::elimination::life::{self, Step};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use zoufang_schemas::{EliminationMode, Role};

/// The steps a role may offer on a case in `status` (the rules decide the rest).
fn offered(role: Role, status: &str) -> Vec<(&'static str, &'static str)> {
    let steps = [
        (Step::Verify, "verify", "step_verify"),
        (Step::Confirm, "confirm", "step_confirm"),
        (Step::Mark, "mark", "step_mark"),
        (Step::Withdraw, "withdraw", "withdraw"),
        (Step::RollBack, "rollback", "step_rollback"),
    ];
    let next_of = |step: Step| match step {
        Step::Verify => status == life::NOMINATED,
        Step::Confirm => status == life::VERIFIED,
        Step::Mark => status == life::CONFIRMED,
        Step::Withdraw => life::OPEN.contains(&status),
        Step::RollBack => status == life::MARKED,
    };
    steps
        .into_iter()
        .filter(|(step, _, _)| step.roles().contains(&role) && next_of(*step))
        .map(|(_, path, label)| (path, label))
        .collect()
}

/// The page.
#[get("/console/elimination")]
pub async fn page(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(elimination::READERS)?;
    let role = who.user.role;
    let rows: Vec<_> = elimination::list(&state, &who.user, None, None)
        .await?
        .into_iter()
        .map(|c| {
            let steps: Vec<_> = offered(role, &c.status)
                .into_iter()
                .map(|(path, label)| minijinja::context! { path, label })
                .collect();
            minijinja::context! { steps, ..minijinja::Value::from_serialize(&c) }
        })
        .collect();
    let modes: Vec<_> = EliminationMode::ALL
        .iter()
        .map(|m| minijinja::context! { code => m.code(), label => m.label_zh() })
        .collect();
    Ok(render::page(
        Some(&who),
        who.lang,
        "elimination.html",
        minijinja::context! {
            cases => rows,
            modes,
            may_nominate => life::NOMINATORS.contains(&role),
            notice_days => state.settings.workflow.elimination_notice_days.max(life::MIN_NOTICE_DAYS),
        },
    ))
}

/// The village or the township nominates a household.
#[post("/console/elimination/nominations")]
pub async fn nominate(
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = checked(&who, &body)?;
    who.user.require(life::NOMINATORS)?;
    let mode = EliminationMode::from_code(form.one("mode"))
        .ok_or_else(|| ApiError::BadRequest("mode-invalid", "ASSISTED or NATURAL".into()))?;
    let nomination = Nomination {
        household: household(form.one("household"))?,
        mode,
        reason: form.one("reason").to_owned(),
    };
    let today = crate::services::clues::day(None)?;
    cases::nominate(&state, &who.user, nomination, today).await?;
    Ok(see_other(&who, "/console/elimination"))
}

/// A step on a case.
#[post("/console/elimination/{id}/{step}")]
pub async fn take_step(
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = checked(&who, &body)?;
    let (id, step) = path.into_inner();
    let step = step_of(&step)?;
    let today = crate::services::clues::day(None)?;
    cases::take(&state, &who.user, id, step, form.optional("note"), today).await?;
    Ok(see_other(&who, "/console/elimination"))
}

/// The public notice as XLSX.
#[get("/console/elimination/notice.xlsx")]
pub async fn notice(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    let mut response = notice_download(&state, &who.user, None).await?;
    who.keep(&mut response);
    Ok(response)
}
