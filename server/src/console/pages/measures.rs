//! Assistance measures on the household page: the township and the county change a
//! measure's progress, funds and planned end, or add one, at the desk.

use crate::console::form_fields::{Fields, checked};
use crate::console::render::see_other;
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::routes::identification::household;
use crate::routes::measures::{MeasureBody, code};
use crate::services::measures;
use crate::state::AppState;
use actix_web::{HttpResponse, post, web};
use serde_json::Value;
use zoufang_schemas::{CodeEnum, Department, EntryId, MeasureKind, MeasureStatus, Role};

fn options<T: CodeEnum>() -> Vec<minijinja::Value> {
    T::all()
        .iter()
        .map(|v| minijinja::context! { code => v.code(), label => v.label_zh() })
        .collect()
}

/// What the household page needs to edit measures: `None` for roles that do not.
pub fn editing(record: &Value, role: Role) -> Option<minijinja::Value> {
    if !measures::EDITORS.contains(&role) {
        return None;
    }
    let mut rows: Vec<minijinja::Value> = record["measures"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, m)| m["status"] == "ACTIVE")
        .map(|(key, m)| {
            let kind = m["kind"].as_str().unwrap_or_default();
            minijinja::context! {
                key => key.clone(),
                kind_label => MeasureKind::from_code(kind).map_or_else(|| kind.to_owned(), |k| k.label_zh().to_owned()),
                progress => m["progress"].as_str().map(str::to_owned),
                funds => m["funds"].as_f64(),
                planned_end => m["planned_end"].as_str().map(str::to_owned),
            }
        })
        .collect();
    rows.sort_by_key(|r| {
        r.get_attr("kind_label")
            .map(|v| v.to_string())
            .unwrap_or_default()
    });
    Some(minijinja::context! {
        rows,
        kinds => options::<MeasureKind>(),
        progress => options::<MeasureStatus>(),
        departments => options::<Department>(),
    })
}

fn body(form: &Fields) -> MeasureBody {
    MeasureBody {
        kind: form.optional("kind"),
        progress: form.optional("progress"),
        funds: None,
        description: form.optional("description"),
        department: form.optional("department"),
        start_month: form.optional("start_month"),
        planned_end: form.optional("planned_end"),
    }
}

fn funds(form: &Fields) -> Result<Option<f64>, ApiError> {
    form.optional("funds")
        .map(|t| {
            t.parse::<f64>().map_err(|_| {
                ApiError::BadRequest("value-invalid", format!("`{t}` is not an amount"))
            })
        })
        .transpose()
}

/// Adds a measure.
#[post("/console/households/{id}/measures")]
pub async fn add(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = checked(&who, &raw)?;
    who.user.require(measures::EDITORS)?;
    let doc = household(&id)?;
    let kind = code(form.one("kind"))?;
    let mut fields = body(&form).fields()?;
    fields.funds = funds(&form)?;
    measures::add(&state, &who.user, &doc, kind, fields).await?;
    Ok(see_other(&who, &format!("/console/households/{id}")))
}

/// Changes a measure.
#[post("/console/households/{id}/measures/{measure}")]
pub async fn update(
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(String, String)>,
    raw: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = checked(&who, &raw)?;
    who.user.require(measures::EDITORS)?;
    let (id, measure) = path.into_inner();
    let doc = household(&id)?;
    let key = EntryId::parse(measure.trim())
        .map_err(|_| ApiError::NotFound(format!("measure {measure}")))?;
    let mut fields = body(&form).fields()?;
    fields.funds = funds(&form)?;
    measures::update(&state, &who.user, &doc, &key, fields).await?;
    Ok(see_other(&who, &format!("/console/households/{id}")))
}
