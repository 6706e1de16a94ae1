//! Assistance measures edited at the desk: added to a household, or changed.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::routes::identification::household;
use crate::services::measures::{self, MeasureFields};
use crate::state::AppState;
use actix_web::{HttpResponse, post, put, web};
use serde::{Deserialize, Serialize};
use zoufang_schemas::{CodeEnum, EntryId, YearMonth};

/// A measure's fields as the API takes them (codes as in the form).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MeasureBody {
    /// One of the twelve (adding only): `INDUSTRY`, `EMPLOYMENT`, …
    pub kind: Option<String>,
    /// `PLANNED`, `IN_PROGRESS` or `DONE`.
    pub progress: Option<String>,
    /// Funds in yuan.
    pub funds: Option<f64>,
    /// What is done.
    pub description: Option<String>,
    /// The department responsible, e.g. `HUMAN_RESOURCES`.
    pub department: Option<String>,
    /// Month it started, `2026-10`.
    pub start_month: Option<String>,
    /// Month it is planned to end.
    pub planned_end: Option<String>,
}

/// Parses a code of an enumeration (400 `value-invalid` otherwise).
pub fn code<T: CodeEnum>(text: &str) -> Result<T, ApiError> {
    T::all()
        .iter()
        .copied()
        .find(|v| v.code() == text.trim())
        .ok_or_else(|| {
            ApiError::BadRequest("value-invalid", format!("`{text}` is not a {}", T::NAME))
        })
}

fn month(text: Option<&str>) -> Result<Option<YearMonth>, ApiError> {
    text.map(|t| {
        YearMonth::parse(t.trim()).map_err(|e| ApiError::BadRequest("value-invalid", e.to_string()))
    })
    .transpose()
}

impl MeasureBody {
    /// The fields to write.
    pub fn fields(&self) -> Result<MeasureFields, ApiError> {
        Ok(MeasureFields {
            progress: self.progress.as_deref().map(code).transpose()?,
            funds: self.funds,
            description: self.description.clone(),
            department: self.department.as_deref().map(code).transpose()?,
            start_month: month(self.start_month.as_deref())?,
            planned_end: month(self.planned_end.as_deref())?,
        })
    }
}

/// A new measure's id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Added {
    /// The measure's entry id.
    pub id: String,
}

/// Adds a measure to a household (township supervisors and county officers of its region).
#[utoipa::path(post, path = "/api/v1/households/{id}/measures", params(("id" = String, Path)), request_body = MeasureBody,
    responses((status = 201, body = Added), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/households/{id}/measures")]
pub async fn add(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<MeasureBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(measures::EDITORS)?;
    let doc = household(&id)?;
    let kind = code(body.kind.as_deref().unwrap_or_default())?;
    let key = measures::add(&state, &user, &doc, kind, body.fields()?).await?;
    Ok(HttpResponse::Created().json(Added {
        id: key.as_str().to_owned(),
    }))
}

/// Changes the given fields of a household's measure.
#[utoipa::path(put, path = "/api/v1/households/{id}/measures/{measure}", params(("id" = String, Path), ("measure" = String, Path)),
    request_body = MeasureBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[put("/api/v1/households/{id}/measures/{measure}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<MeasureBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(measures::EDITORS)?;
    let (id, measure) = path.into_inner();
    let doc = household(&id)?;
    let key = EntryId::parse(measure.trim())
        .map_err(|_| ApiError::NotFound(format!("measure {measure}")))?;
    measures::update(&state, &user, &doc, &key, body.fields()?).await?;
    Ok(HttpResponse::NoContent().finish())
}
