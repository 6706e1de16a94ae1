//! The conflict queue: open conflicts in scope, one conflict's candidates side by side, and
//! the resolution (a candidate, or a value entered).

use crate::console::labels::{display, label};
use crate::console::pages::local_time;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::services::conflict_review::{self, Resolution};
use crate::state::AppState;
use crate::store::devices;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

/// Open conflicts in the user's scope.
#[get("/console/conflicts")]
pub async fn queue(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    let conflicts: Vec<_> = conflict_review::list(&state, &who.user, None, Some("OPEN"))
        .await?
        .into_iter()
        .map(|c| {
            let keys: Vec<&str> = c.path.split('.').collect();
            let shown = display(&keys, &c.winner, who.lang);
            let label = keys.last().map_or_else(String::new, |k| label(k, who.lang));
            minijinja::context! { shown, label, ..minijinja::Value::from_serialize(&c) }
        })
        .collect();
    Ok(render::page(
        Some(&who),
        who.lang,
        "conflicts.html",
        minijinja::context! { conflicts },
    ))
}

/// A candidate as the page shows it.
#[derive(Debug, Serialize)]
struct Shown {
    value: String,
    who: Option<String>,
    device: Option<String>,
    when: String,
}

/// One conflict: the value before and each candidate as people read them, with who wrote
/// it, on which device, when.
#[get("/console/conflicts/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let conflict = conflict_review::show(&state, &who.user, *id).await?;
    let keys: Vec<&str> = conflict.path.split('.').collect();
    let read = |value: &serde_json::Value| display(&keys, value, who.lang);
    let mut candidates = Vec::new();
    for c in &conflict.candidates {
        let device = match &c.device_id {
            Some(id) => devices::find(&state.db, id)
                .await
                .map_err(ApiError::from)?
                .map(|d| d.name),
            None => None,
        };
        candidates.push(Shown {
            value: read(&c.value),
            who: c.username.clone(),
            device,
            when: local_time(c.time),
        });
    }
    let field = keys.last().map_or_else(String::new, |k| label(k, who.lang));
    Ok(render::page(
        Some(&who),
        who.lang,
        "conflict.html",
        minijinja::context! {
            before => conflict.before.as_ref().map(read).filter(|b| !b.is_empty()),
            resolution => conflict.resolution.as_ref().map(read),
            field,
            candidates,
            conflict,
        },
    ))
}

/// A resolution from the form.
#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    csrf: String,
    candidate: Option<usize>,
    value: Option<String>,
}

/// Resolves a conflict: a candidate chosen, or a value entered (read as the field's type).
#[post("/console/conflicts/{id}")]
pub async fn resolve(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<i64>,
    form: web::Form<ResolveForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    let conflict = conflict_review::show(&state, &who.user, *id).await?;
    let value = form
        .value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(|v| crate::console::labels::entered(&conflict.path, v));
    let resolution = Resolution {
        candidate: if value.is_some() {
            None
        } else {
            form.candidate
        },
        value,
        note: Some("console".into()),
    };
    conflict_review::resolve(&state, &who.user, *id, resolution).await?;
    Ok(see_other(&who, &format!("/console/conflicts/{}", *id)))
}
