//! Conflict review for township supervisors: list, show, resolve. A resolution is written
//! as the server's own change, which reaches every tablet on its next sync.

use crate::auth::AuthUser;
use crate::error::{ApiError, StoreError};
use crate::services::server_write::{self, WrittenBy};
use crate::state::AppState;
use crate::store::audit::Event;
use crate::store::conflicts::{self, StoredCandidate};
use crate::store::entities::conflict;
use serde::{Deserialize, Serialize};
use zoufang_schemas::Role;
use zoufang_schemas::wire::DocId;
use zoufang_sync::DocPath;
use zoufang_sync::authority::may_write;

/// Roles that review conflicts.
pub const REVIEWERS: &[Role] = &[
    Role::TownshipSupervisor,
    Role::CountyOfficer,
    Role::PrefectureOfficer,
    Role::Admin,
];

/// A conflict as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConflictView {
    /// Conflict id.
    pub id: i64,
    /// Household document id.
    pub household: String,
    /// Village code.
    pub region_code: String,
    /// The field, e.g. `household.phone`.
    pub path: String,
    /// `OPEN` or `RESOLVED`.
    pub status: String,
    /// The value the writers started from.
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    /// The value shown meanwhile.
    #[schema(value_type = Object)]
    pub winner: serde_json::Value,
    /// Every distinct concurrent value with who wrote it and when.
    pub candidates: Vec<StoredCandidate>,
    /// When first detected (Unix seconds).
    pub detected_at: i64,
    /// Who resolved it (user id).
    pub resolved_by: Option<i64>,
    /// When resolved.
    pub resolved_at: Option<i64>,
    /// The resolution.
    #[schema(value_type = Object)]
    pub resolution: Option<serde_json::Value>,
}

impl TryFrom<conflict::Model> for ConflictView {
    type Error = StoreError;
    fn try_from(row: conflict::Model) -> Result<Self, StoreError> {
        let json =
            |s: &str| serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()));
        Ok(Self {
            id: row.id,
            household: row.doc_id,
            region_code: row.region_code,
            path: row.path,
            status: row.status,
            before: row.before_value.as_deref().map(json).transpose()?,
            winner: json(&row.winner)?,
            candidates: serde_json::from_str(&row.candidates)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            detected_at: row.detected_at,
            resolved_by: row.resolved_by,
            resolved_at: row.resolved_at,
            resolution: row.resolution.as_deref().map(json).transpose()?,
        })
    }
}

/// How to resolve: pick a candidate by index, or enter a value.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    /// Index into `candidates`.
    pub candidate: Option<usize>,
    /// A new value (a JSON scalar).
    #[schema(value_type = Object)]
    pub value: Option<serde_json::Value>,
    /// Why, for the audit log.
    pub note: Option<String>,
}

/// Conflicts in the caller's scope, optionally under a village (or township) and by status.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<ConflictView>, ApiError> {
    user.require(REVIEWERS)?;
    let prefix = match region {
        Some(r) if r.starts_with(user.scope.as_str()) => r,
        Some(_) => {
            return Err(ApiError::Forbidden(
                "region-out-of-scope",
                "that region is outside your scope".into(),
            ));
        }
        None => user.scope.as_str(),
    };
    if let Some(s) = status
        && s != conflicts::OPEN
        && s != conflicts::RESOLVED
    {
        return Err(ApiError::BadRequest(
            "status-invalid",
            format!("status must be OPEN or RESOLVED, not {s}"),
        ));
    }
    let rows = conflicts::list(&state.db, prefix, status, 500).await?;
    Ok(rows
        .into_iter()
        .map(ConflictView::try_from)
        .collect::<Result<_, _>>()?)
}

/// One conflict in scope.
pub async fn show(state: &AppState, user: &AuthUser, id: i64) -> Result<ConflictView, ApiError> {
    user.require(REVIEWERS)?;
    let row = conflicts::find(&state.db, id)
        .await?
        .filter(|c| user.sees(&c.region_code));
    Ok(ConflictView::try_from(row.ok_or_else(|| {
        ApiError::NotFound(format!("conflict {id}"))
    })?)?)
}

/// Resolves a conflict by writing the chosen value as the server's change (through the
/// one server write path: retried on contention, projected, audited).
pub async fn resolve(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    resolution: Resolution,
) -> Result<ConflictView, ApiError> {
    let view = show(state, user, id).await?;
    if view.status != conflicts::OPEN {
        return Err(ApiError::Conflict(
            "conflict-already-resolved",
            format!("conflict {id} is already resolved"),
        ));
    }
    let value = chosen_value(&view, &resolution)?;
    let path = DocPath::parse(&view.path).map_err(|e| ApiError::Internal(e.to_string()))?;
    if !may_write(user.role, &path) {
        return Err(ApiError::Forbidden(
            "field-not-writable",
            format!("a {} may not write {path}", user.role),
        ));
    }
    check_value(state, user, &path, &value).await?;
    let doc_id = DocId::parse(&view.household)
        .ok_or_else(|| ApiError::Internal("bad document id".into()))?;
    let detail = serde_json::json!({ "value": value, "note": resolution.note, "candidate": resolution.candidate });
    server_write::write(
        state,
        &doc_id,
        WrittenBy {
            user_id: Some(user.id),
        },
        |e| e.put(&path, &value),
        async |txn, _| {
            if conflicts::mark_resolved(txn, id, user.id, &detail).await? {
                Ok(())
            } else {
                Err(ApiError::Conflict(
                    "conflict-already-resolved",
                    format!("conflict {id} is already resolved"),
                ))
            }
        },
        Event {
            actor: format!("user:{}", user.name),
            action: "conflict.resolve",
            subject: format!("conflict:{id}"),
            detail: detail.clone(),
        },
    )
    .await?;
    show(state, user, id).await
}

/// The value a resolution picks: a candidate's, or one entered.
fn chosen_value(
    view: &ConflictView,
    resolution: &Resolution,
) -> Result<serde_json::Value, ApiError> {
    match (resolution.candidate, &resolution.value) {
        (Some(i), None) => view
            .candidates
            .get(i)
            .map(|c| c.value.clone())
            .ok_or_else(|| {
                ApiError::BadRequest("candidate-invalid", format!("there is no candidate {i}"))
            }),
        (None, Some(v)) if !v.is_object() && !v.is_array() => Ok(v.clone()),
        (None, Some(_)) => Err(ApiError::BadRequest(
            "value-not-scalar",
            "enter a single value".into(),
        )),
        _ => Err(ApiError::BadRequest(
            "resolution-invalid",
            "give either `candidate` or `value`".into(),
        )),
    }
}

/// The resolution's value must fit the form at the conflict's path (a candidate may not:
/// values stored before the form was enforced), and a household may only move to a
/// village in the resolver's scope.
async fn check_value(
    state: &AppState,
    user: &AuthUser,
    path: &DocPath,
    value: &serde_json::Value,
) -> Result<(), ApiError> {
    use zoufang_schemas::form::{Scalar, form};
    form()
        .check_value(path.keys(), Scalar::from_json(value))
        .map_err(|e| ApiError::BadRequest(e.code(), e.to_string()))?;
    if path.keys() == ["household", "region_code"] {
        let villages =
            crate::store::regions::villages_under(&state.db, user.scope.as_str()).await?;
        if !value.as_str().is_some_and(|v| villages.contains(v)) {
            return Err(ApiError::BadRequest(
                "region-invalid",
                format!("{value} is not a village in your scope"),
            ));
        }
    }
    Ok(())
}
