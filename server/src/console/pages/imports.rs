//! Imports in the console: upload a household or region file, follow the runs, download
//! the refused rows.

use crate::console::pages::local_time;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::console::upload_form;
use crate::error::ApiError;
use crate::services::imports::{self, IMPORTERS, Importer, regions};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

/// The runs and the upload form.
#[get("/console/imports")]
pub async fn list(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(IMPORTERS)?;
    let runs: Vec<_> = imports::runs(&state, &who.user)
        .await?
        .into_iter()
        .map(|r| {
            minijinja::context! {
                started => local_time(r.started_at),
                ..minijinja::Value::from_serialize(&r)
            }
        })
        .collect();
    Ok(render::page(
        Some(&who),
        who.lang,
        "imports.html",
        minijinja::context! { runs, scope => who.user.scope.as_str() },
    ))
}

/// Uploads a file: the form's token first, then what it is (`households` or `regions`),
/// the region, and the file.
#[post("/console/imports")]
pub async fn upload(
    state: web::Data<AppState>,
    who: ConsoleUser,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(IMPORTERS)?;
    let form = upload_form::read(
        &who,
        form,
        &["kind", "region"],
        state.settings.workflow.max_file_bytes,
    )
    .await?;
    let (kind, region, file, file_name) = (
        form.field("kind").to_owned(),
        form.field("region").to_owned(),
        form.file,
        form.file_name,
    );
    let region = Some(region.trim()).filter(|r| !r.is_empty());
    let importer = Importer::user(&who.user, region)?;
    match kind.as_str() {
        "regions" => {
            regions::import(&state, &importer, file.path(), &file_name).await?;
        }
        "households" => {
            imports::start_households(&state, importer, file, &file_name).await?;
        }
        other => {
            return Err(ApiError::BadRequest(
                "import-kind-invalid",
                format!("`{other}`: households or regions"),
            )
            .into());
        }
    }
    Ok(see_other(&who, "/console/imports"))
}

/// The format of the refused rows.
#[derive(Debug, Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

/// Downloads the rows a run refused.
#[get("/console/imports/{id}/rejects")]
pub async fn rejects(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<i64>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let mut response =
        crate::routes::imports::rejects_download(&state, &who.user, *id, query.format.as_deref())
            .await?;
    who.keep(&mut response);
    Ok(response)
}
