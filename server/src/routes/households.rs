use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::services::households::{self, HouseholdDetail};
use crate::state::AppState;
use crate::store::entities::household;
use actix_web::{get, web};
use sea_orm::{EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

/// Filters for the household list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HouseholdQuery {
    /// A region code inside the caller's scope.
    pub region: Option<String>,
    /// At most this many (default 200, at most 2000).
    pub limit: Option<u64>,
}

/// A household row of the projection.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdSummary {
    /// Document id.
    pub id: String,
    /// Village code.
    pub region_code: String,
    /// 户编号.
    pub national_number: Option<String>,
    /// Household type code.
    pub hh_type: String,
    /// Monitoring category code.
    pub monitor_category: Option<String>,
    /// Head's name.
    pub head_name: Option<String>,
    /// Members not removed.
    pub member_count: i32,
}

/// Households in the caller's scope (from the projection).
#[utoipa::path(get, path = "/api/v1/households", params(HouseholdQuery),
    responses((status = 200, body = [HouseholdSummary])), security(("bearer" = [])))]
#[get("/api/v1/households")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<HouseholdQuery>,
) -> Result<web::Json<Vec<HouseholdSummary>>, ApiError> {
    let prefix = query
        .region
        .clone()
        .unwrap_or_else(|| user.scope.as_str().to_owned());
    if !user.sees(&prefix) {
        return Err(ApiError::Forbidden(
            "region-out-of-scope",
            "that region is outside your scope".into(),
        ));
    }
    let rows = household::Entity::find()
        .filter(crate::store::in_region(
            household::Column::RegionCode,
            &prefix,
        ))
        .order_by_asc(household::Column::DocId)
        .limit(query.limit.unwrap_or(200).min(2000))
        .all(&state.db)
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|h| HouseholdSummary {
                id: h.doc_id,
                region_code: h.region_code,
                national_number: h.national_number,
                hh_type: h.hh_type,
                monitor_category: h.monitor_category,
                head_name: h.head_name,
                member_count: h.member_count,
            })
            .collect(),
    ))
}

/// One household's record, if in the caller's scope.
#[utoipa::path(get, path = "/api/v1/households/{id}", params(("id" = String, Path)),
    responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/households/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<web::Json<HouseholdDetail>, ApiError> {
    Ok(web::Json(households::detail(&state, &user, &id).await?))
}
