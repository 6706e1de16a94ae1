//! Imports in the console: upload a household or region file, follow the runs, download
//! the refused rows.

use crate::console::pages::local_time;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::services::imports::{self, IMPORTERS, Importer, regions};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use futures_util::StreamExt;
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

/// Reads a small text field of a form.
pub(crate) async fn text_field(field: &mut actix_multipart::Field) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest("form-invalid", e.to_string()))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > 1024 {
            return Err(ApiError::BadRequest(
                "form-invalid",
                "a form field is too long".into(),
            ));
        }
    }
    String::from_utf8(bytes).map_err(|e| ApiError::BadRequest("form-invalid", e.to_string()))
}

/// Uploads a file: the form's token first, then what it is (`households` or `regions`),
/// the region, and the file.
#[post("/console/imports")]
pub async fn upload(
    state: web::Data<AppState>,
    who: ConsoleUser,
    mut form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(IMPORTERS)?;
    let mut csrf_ok = false;
    let (mut kind, mut region) = (String::new(), String::new());
    let mut file = None;
    let mut file_name = String::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest("form-invalid", e.to_string()))?;
        match field.name().unwrap_or_default() {
            "csrf" => {
                who.check_csrf(&text_field(&mut field).await?)?;
                csrf_ok = true;
            }
            "kind" => kind = text_field(&mut field).await?,
            "region" => region = text_field(&mut field).await?,
            "file" if csrf_ok => {
                file_name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or("upload")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                file = Some(
                    imports::save_upload(&mut field, state.settings.workflow.max_file_bytes)
                        .await?,
                );
            }
            _ => {}
        }
    }
    if !csrf_ok {
        who.check_csrf("")?;
    }
    let file =
        file.ok_or_else(|| ApiError::BadRequest("file-missing", "choose a file to import".into()))?;
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
