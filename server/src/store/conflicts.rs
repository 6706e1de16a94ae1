//! Conflict records: open while a field holds concurrent different values, resolved by a
//! supervisor's choice.

use super::entities::conflict;
use super::now;
use crate::error::StoreError;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use zoufang_schemas::wire::DocId;
use zoufang_sync::conflicts::{Candidate, Conflict};

/// Status of an open conflict.
pub const OPEN: &str = "OPEN";
/// Status of a resolved conflict.
pub const RESOLVED: &str = "RESOLVED";

/// A candidate value with who wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredCandidate {
    /// The value.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// Hex actor id.
    pub actor: String,
    /// The device the actor belongs to (none for the server's own changes).
    pub device_id: Option<String>,
    /// The device's user.
    pub username: Option<String>,
    /// Change hash.
    pub change: String,
    /// When it was written (Unix seconds, writer's clock).
    pub time: i64,
}

impl StoredCandidate {
    /// A candidate with its device and user looked up (`None` when unknown).
    pub fn new(candidate: &Candidate, device: Option<(String, String)>) -> Self {
        let (device_id, username) = device.map_or((None, None), |(d, u)| (Some(d), Some(u)));
        Self {
            value: candidate.value.clone(),
            actor: candidate.actor.clone(),
            device_id,
            username,
            change: candidate.change.clone(),
            time: candidate.time,
        }
    }
}

/// Records detected conflicts: an open conflict on the same field is updated with the new
/// candidates, otherwise a new one is opened. Returns the number newly opened.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
    found: &[(Conflict, Vec<StoredCandidate>)],
) -> Result<usize, StoreError> {
    let mut opened = 0;
    for (conflict, candidates) in found {
        let path = conflict.path.to_string();
        let candidates_json =
            serde_json::to_string(candidates).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let winner = conflict.winner.to_string();
        let existing = conflict::Entity::find()
            .filter(conflict::Column::DocId.eq(doc.to_uuid_string()))
            .filter(conflict::Column::Path.eq(path.clone()))
            .filter(conflict::Column::Status.eq(OPEN))
            .one(db)
            .await?;
        match existing {
            Some(row) => {
                let mut model: conflict::ActiveModel = row.into();
                model.candidates = Set(candidates_json);
                model.winner = Set(winner);
                model.updated_at = Set(now());
                model.update(db).await?;
            }
            None => {
                conflict::ActiveModel {
                    doc_id: Set(doc.to_uuid_string()),
                    region_code: Set(region.to_owned()),
                    path: Set(path),
                    status: Set(OPEN.to_owned()),
                    before_value: Set(conflict.before.as_ref().map(|b| b.to_string())),
                    winner: Set(winner),
                    candidates: Set(candidates_json),
                    detected_at: Set(now()),
                    updated_at: Set(now()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                opened += 1;
            }
        }
    }
    Ok(opened)
}

/// Conflicts under a region prefix, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<conflict::Model>, StoreError> {
    let mut query =
        conflict::Entity::find().filter(super::in_region(conflict::Column::RegionCode, prefix));
    if let Some(status) = status {
        query = query.filter(conflict::Column::Status.eq(status));
    }
    Ok(query
        .order_by_desc(conflict::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One conflict.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<conflict::Model>, StoreError> {
    Ok(conflict::Entity::find_by_id(id).one(db).await?)
}

/// Marks a conflict resolved, if still open; `false` if someone resolved it meanwhile.
pub async fn mark_resolved<C: ConnectionTrait>(
    db: &C,
    id: i64,
    user_id: i64,
    resolution: &serde_json::Value,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let result = conflict::Entity::update_many()
        .col_expr(conflict::Column::Status, Expr::value(RESOLVED))
        .col_expr(conflict::Column::ResolvedBy, Expr::value(user_id))
        .col_expr(conflict::Column::ResolvedAt, Expr::value(now()))
        .col_expr(
            conflict::Column::Resolution,
            Expr::value(resolution.to_string()),
        )
        .col_expr(conflict::Column::UpdatedAt, Expr::value(now()))
        .filter(conflict::Column::Id.eq(id))
        .filter(conflict::Column::Status.eq(OPEN))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Open conflicts of these documents, by document (one query).
pub async fn open_for<C: ConnectionTrait>(
    db: &C,
    docs: impl Iterator<Item = DocId>,
) -> Result<std::collections::HashMap<DocId, Vec<conflict::Model>>, StoreError> {
    let keys: Vec<String> = docs.map(|d| d.to_uuid_string()).collect();
    let mut out: std::collections::HashMap<DocId, Vec<conflict::Model>> =
        std::collections::HashMap::new();
    for chunk in keys.chunks(500) {
        let rows = conflict::Entity::find()
            .filter(conflict::Column::DocId.is_in(chunk.iter().cloned()))
            .filter(conflict::Column::Status.eq(OPEN))
            .all(db)
            .await?;
        for row in rows {
            if let Some(id) = DocId::parse(&row.doc_id) {
                out.entry(id).or_default().push(row);
            }
        }
    }
    Ok(out)
}

/// Resolves the given open conflicts whose field no longer holds different concurrent
/// values (a tablet rewrote it after seeing them all). Returns how many.
pub async fn close_superseded<C: ConnectionTrait>(
    db: &C,
    open: &[conflict::Model],
    still_open: &dyn Fn(&str) -> bool,
) -> Result<usize, StoreError> {
    let mut closed = 0;
    for row in open {
        if !still_open(&row.path) {
            let mut model: conflict::ActiveModel = row.clone().into();
            model.status = Set(RESOLVED.to_owned());
            model.resolved_at = Set(Some(now()));
            model.resolution = Set(Some("{\"by\":\"later-edit\"}".to_owned()));
            model.updated_at = Set(now());
            model.update(db).await?;
            closed += 1;
        }
    }
    Ok(closed)
}

/// Moves a household's conflicts to its new village.
pub async fn move_region<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
) -> Result<(), StoreError> {
    conflict::Entity::update_many()
        .col_expr(
            conflict::Column::RegionCode,
            sea_orm::sea_query::Expr::value(region),
        )
        .filter(conflict::Column::DocId.eq(doc.to_uuid_string()))
        .exec(db)
        .await?;
    Ok(())
}
