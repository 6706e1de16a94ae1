//! Tasks for the tablets of a village (a returned visit to redo, a risk clue to check),
//! stamped like documents: a device reads the tasks of its scope that changed since its
//! cursor, a closed task included once so that the tablet drops it.

use super::clock::{stamp_sql, tick};
use super::entities::task;
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use zoufang_schemas::Task;

/// Most tasks in one sync reply.
const LISTED: u64 = 500;

/// Opens a task or replaces it (`closed`: done, the tablets drop it).
pub async fn put<C: ConnectionTrait>(
    db: &C,
    region: &str,
    task: &Task,
    closed: bool,
) -> Result<(), StoreError> {
    let task = &Task {
        closed,
        ..task.clone()
    };
    tick(db).await?;
    let stamp = Expr::cust(stamp_sql(db.get_database_backend()));
    let body = serde_json::to_string(task).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = task::ActiveModel {
        id: Set(task.id.clone()),
        region_code: Set(region.to_owned()),
        county_code: Set(region.get(..6).unwrap_or(region).to_owned()),
        doc_id: Set(task.household.clone()),
        kind: Set(task.kind.code().to_owned()),
        body: Set(body),
        closed: Set(closed),
        change_seq: Set(0),
        updated_at: Set(now()),
    };
    task::Entity::insert(row)
        .on_conflict(
            OnConflict::column(task::Column::Id)
                .update_columns([
                    task::Column::RegionCode,
                    task::Column::CountyCode,
                    task::Column::Body,
                    task::Column::Closed,
                    task::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    task::Entity::update_many()
        .col_expr(task::Column::ChangeSeq, stamp)
        .filter(task::Column::Id.eq(task.id.clone()))
        .exec(db)
        .await?;
    Ok(())
}

fn decode(rows: Vec<task::Model>) -> Vec<Task> {
    rows.into_iter()
        .filter_map(|row| serde_json::from_str::<Task>(&row.body).ok())
        .collect()
}

/// The tasks of a region prefix in `county` stamped at or after `since` (closed ones too).
pub async fn changed_since<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    counties: &[String],
    since: i64,
) -> Result<Vec<Task>, StoreError> {
    let mut out = Vec::new();
    for county in counties {
        let rows = task::Entity::find()
            .filter(task::Column::CountyCode.eq(county.as_str()))
            .filter(task::Column::ChangeSeq.gte(since))
            .filter(in_region(task::Column::RegionCode, scope))
            .order_by_asc(task::Column::ChangeSeq)
            .limit(LISTED)
            .all(db)
            .await?;
        out.extend(decode(rows));
    }
    Ok(out)
}

/// The open tasks of a region prefix (a device's first sync).
pub async fn open_under<C: ConnectionTrait>(db: &C, scope: &str) -> Result<Vec<Task>, StoreError> {
    let rows = task::Entity::find()
        .filter(in_region(task::Column::RegionCode, scope))
        .filter(task::Column::Closed.eq(false))
        .order_by_asc(task::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?;
    Ok(decode(rows))
}

/// Moves a household's tasks to its new village.
pub async fn move_region<C: ConnectionTrait>(
    db: &C,
    doc: &zoufang_schemas::wire::DocId,
    region: &str,
) -> Result<(), StoreError> {
    tick(db).await?;
    let stamp = Expr::cust(stamp_sql(db.get_database_backend()));
    task::Entity::update_many()
        .col_expr(task::Column::RegionCode, Expr::value(region))
        .col_expr(
            task::Column::CountyCode,
            Expr::value(region.get(..6).unwrap_or(region)),
        )
        .col_expr(task::Column::ChangeSeq, stamp)
        .filter(task::Column::DocId.eq(doc.to_uuid_string()))
        .exec(db)
        .await?;
    Ok(())
}

/// The open tasks of one kind under a region prefix: (task id, household).
pub async fn open_of_kind<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    kind: &str,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    Ok(task::Entity::find()
        .select_only()
        .column(task::Column::Id)
        .column(task::Column::DocId)
        .filter(in_region(task::Column::RegionCode, scope))
        .filter(task::Column::Kind.eq(kind))
        .filter(task::Column::Closed.eq(false))
        .into_tuple()
        .all(db)
        .await?)
}
