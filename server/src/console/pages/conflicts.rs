//! The conflict queue: open conflicts in scope, one conflict's candidates side by side, and
//! the resolution (a candidate, or a value entered).

use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::services::conflict_review::{self, Resolution};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

/// Open conflicts in the user's scope.
#[get("/console/conflicts")]
pub async fn queue(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    let conflicts = conflict_review::list(&state, &who.user, None, Some("OPEN")).await?;
    Ok(render::page(
        Some(&who),
        who.lang,
        "conflicts.html",
        minijinja::context! { conflicts },
    ))
}

/// One conflict.
#[get("/console/conflicts/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let conflict = conflict_review::show(&state, &who.user, *id).await?;
    Ok(render::page(
        Some(&who),
        who.lang,
        "conflict.html",
        minijinja::context! { conflict },
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
