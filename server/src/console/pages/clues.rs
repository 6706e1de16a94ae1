//! Risk clues in the console: the month's clues of the user's region with the overdue
//! lists, the township's decision, the county's report and monthly XLSX; department
//! uploads of ledgers and clue files with their outcome.

use crate::console::pages::local_time;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::console::upload_form;
use crate::error::ApiError;
use crate::services::clues::life::Step;
use crate::services::clues::upload::{self, Kind};
use crate::services::clues::{self, deadlines, steps};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use zoufang_schemas::{ClueType, Department, Role, VerifyStatus};

/// Which month, as of which day.
#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
    on: Option<String>,
}

fn label<T: Copy>(code: &str, parse: fn(&str) -> Option<T>, zh: fn(T) -> &'static str) -> String {
    parse(code).map_or_else(|| code.to_owned(), |v| zh(v).to_owned())
}

/// The month's clues and what is overdue.
#[get("/console/clues")]
pub async fn list(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(clues::CLUE_READERS)?;
    let today = clues::day(query.on.as_deref().filter(|d| !d.is_empty()))?;
    let month = query
        .month
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| deadlines::month_of(today));
    let found = clues::list(&state, &who.user, None, Some(&month), today).await?;
    let overdue = if who.user.role == Role::Helper {
        None
    } else {
        Some(clues::overdue(&state, &who.user, None, &month, today).await?)
    };
    let docs: Vec<String> = found.iter().map(|c| c.household.clone()).collect();
    let names = crate::store::documents::member_names(&state.db, &docs).await?;
    let rows: Vec<_> = found
        .iter()
        .map(|c| {
            minijinja::context! {
                name => names.get(&(c.household.clone(), c.member.clone())).cloned().unwrap_or_default(),
                department_zh => label(&c.department, Department::from_code, Department::label_zh),
                clue_type_zh => label(&c.clue_type, ClueType::from_code, ClueType::label_zh),
                suggestion_zh => c.suggestion.as_deref().map(|s| label(s, VerifyStatus::from_code, VerifyStatus::label_zh)),
                decision_zh => c.decision.as_deref().map(|s| label(s, VerifyStatus::from_code, VerifyStatus::label_zh)),
                ..minijinja::Value::from_serialize(c)
            }
        })
        .collect();
    let decisions: Vec<_> = [
        VerifyStatus::Included,
        VerifyStatus::NotEligible,
        VerifyStatus::AlreadyCovered,
    ]
    .iter()
    .map(|d| minijinja::context! { code => d.code(), label => d.label_zh() })
    .collect();
    let missing: Vec<String> = overdue
        .as_ref()
        .map(|o| {
            o.departments_missing
                .iter()
                .map(|d| label(d, Department::from_code, Department::label_zh))
                .collect()
        })
        .unwrap_or_default();
    let role = who.user.role;
    Ok(render::page(
        Some(&who),
        who.lang,
        "clues.html",
        minijinja::context! {
            clues => rows,
            month,
            on => today.to_string(),
            overdue => overdue.map(|o| minijinja::Value::from_serialize(&o)).unwrap_or_else(|| minijinja::context! { verify => Vec::<u8>::new(), report => Vec::<u8>::new() }),
            missing,
            decisions,
            may_decide => role == Role::TownshipSupervisor,
            may_report => role == Role::CountyOfficer,
            may_download => role != Role::Helper,
        },
    ))
}

/// A decision form.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    note: String,
}

/// The township decides a clue.
#[post("/console/clues/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    let step = Step::Decide {
        decision: steps::verify_status(&form.decision)?,
        note: Some(form.note.trim().to_owned()).filter(|n| !n.is_empty()),
    };
    let clue = steps::take(&state, &who.user, *id, step).await?;
    Ok(see_other(
        &who,
        &format!("/console/clues?month={}", clue.month),
    ))
}

/// A month form.
#[derive(Debug, Deserialize)]
pub struct ReportForm {
    csrf: String,
    month: String,
}

/// The county reports the month's decided clues.
#[post("/console/clues/report")]
pub async fn report(
    state: web::Data<AppState>,
    who: ConsoleUser,
    form: web::Form<ReportForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    deadlines::parse_month(&form.month)
        .ok_or_else(|| ApiError::BadRequest("month-invalid", "a month like 2026-11".into()))?;
    steps::report_month(&state, &who.user, None, &form.month).await?;
    Ok(see_other(
        &who,
        &format!("/console/clues?month={}", form.month),
    ))
}

/// The monthly XLSX.
#[get("/console/clues/report.xlsx")]
pub async fn report_xlsx(
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let month = match query.month.clone().filter(|m| !m.is_empty()) {
        Some(m) => m,
        None => deadlines::month_of(clues::day(None)?),
    };
    let mut response = crate::routes::clues::monthly_xlsx(&state, &who.user, None, &month).await?;
    who.keep(&mut response);
    Ok(response)
}

/// Department uploads: the form for a department, the list for it and for officers.
#[get("/console/departments")]
pub async fn uploads(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    let uploads: Vec<_> = clues::uploads(&state, &who.user)
        .await?
        .into_iter()
        .map(|u| {
            minijinja::context! {
                created => local_time(u.created_at),
                department_zh => label(&u.department, Department::from_code, Department::label_zh),
                ..minijinja::Value::from_serialize(&u)
            }
        })
        .collect();
    Ok(render::page(
        Some(&who),
        who.lang,
        "departments.html",
        minijinja::context! {
            uploads,
            month => deadlines::month_of(clues::day(None)?),
            may_upload => who.user.role == Role::Department,
        },
    ))
}

/// A department uploads a file: the form's token first, then kind, period and file.
#[post("/console/departments")]
pub async fn upload_file(
    state: web::Data<AppState>,
    who: ConsoleUser,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(&[Role::Department])?;
    let form = upload_form::read(
        &who,
        form,
        &["kind", "period"],
        state.settings.workflow.max_file_bytes,
    )
    .await?;
    upload::upload(
        &state,
        &who.user,
        Kind::parse(form.field("kind"))?,
        form.field("period").trim(),
        form.file.path(),
        &form.file_name,
    )
    .await?;
    Ok(see_other(&who, "/console/departments"))
}
