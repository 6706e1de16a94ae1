//! Risk elimination cases and the steps taken on them.

use super::entities::{elimination_case, elimination_step};
use super::{in_region, now};
use crate::error::StoreError;
use crate::services::elimination::life::{MARKED, OPEN};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// What a new case is.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// The household document.
    pub doc_id: String,
    /// Its village.
    pub region_code: String,
    /// `ASSISTED` or `NATURAL`.
    pub mode: String,
    /// Why the risk is gone.
    pub reason: String,
    /// `user:name`.
    pub nominated_by: String,
    /// The day of the nomination.
    pub nominated_on: String,
    /// The public notice's last day.
    pub notice_ends: String,
}

/// Records a nominated case.
pub async fn insert_case<C: ConnectionTrait>(
    db: &C,
    new: NewCase,
) -> Result<elimination_case::Model, StoreError> {
    Ok(elimination_case::ActiveModel {
        doc_id: Set(new.doc_id),
        region_code: Set(new.region_code),
        mode: Set(new.mode),
        reason: Set(new.reason),
        status: Set(crate::services::elimination::life::NOMINATED.to_owned()),
        nominated_by: Set(new.nominated_by),
        nominated_on: Set(new.nominated_on),
        notice_ends: Set(new.notice_ends),
        marked_month: Set(None),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A case by id.
pub async fn case<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<elimination_case::Model>, StoreError> {
    Ok(elimination_case::Entity::find_by_id(id).one(db).await?)
}

/// The household's case in one of `statuses`, if any.
pub async fn case_of<C: ConnectionTrait>(
    db: &C,
    doc_id: &str,
    statuses: &[&str],
) -> Result<Option<elimination_case::Model>, StoreError> {
    Ok(elimination_case::Entity::find()
        .filter(elimination_case::Column::DocId.eq(doc_id))
        .filter(elimination_case::Column::Status.is_in(statuses.iter().copied()))
        .one(db)
        .await?)
}

/// Whether the household has a case on its way.
pub async fn has_open_case<C: ConnectionTrait>(db: &C, doc_id: &str) -> Result<bool, StoreError> {
    Ok(case_of(db, doc_id, OPEN).await?.is_some())
}

/// Moves a case from `from` to `to` (with the month marked, if any) and records the step;
/// `false` when the case is no longer in `from` (another step landed first).
pub async fn advance<C: ConnectionTrait>(
    db: &C,
    id: i64,
    from: &str,
    step: NewStep<'_>,
    marked_month: Option<&str>,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let mut update = elimination_case::Entity::update_many()
        .col_expr(elimination_case::Column::Status, Expr::value(step.status))
        .col_expr(elimination_case::Column::UpdatedAt, Expr::value(now()));
    if let Some(month) = marked_month {
        update = update.col_expr(elimination_case::Column::MarkedMonth, Expr::value(month));
    }
    let moved = update
        .filter(elimination_case::Column::Id.eq(id))
        .filter(elimination_case::Column::Status.eq(from))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if moved {
        add_step(db, id, step).await?;
    }
    Ok(moved)
}

/// A step to record.
#[derive(Debug, Clone, Copy)]
pub struct NewStep<'a> {
    /// `NOMINATE`, `VERIFY`, …
    pub step: &'a str,
    /// The state it led to.
    pub status: &'a str,
    /// `user:name`.
    pub actor: &'a str,
    /// The day it was taken.
    pub day: &'a str,
    /// Why.
    pub note: Option<&'a str>,
}

/// Records a step.
pub async fn add_step<C: ConnectionTrait>(
    db: &C,
    case_id: i64,
    step: NewStep<'_>,
) -> Result<(), StoreError> {
    elimination_step::ActiveModel {
        case_id: Set(case_id),
        step: Set(step.step.to_owned()),
        status: Set(step.status.to_owned()),
        actor: Set(step.actor.to_owned()),
        day: Set(step.day.to_owned()),
        note: Set(step.note.map(str::to_owned)),
        at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The steps of a case, in order.
pub async fn steps_of<C: ConnectionTrait>(
    db: &C,
    case_id: i64,
) -> Result<Vec<elimination_step::Model>, StoreError> {
    Ok(elimination_step::Entity::find()
        .filter(elimination_step::Column::CaseId.eq(case_id))
        .order_by_asc(elimination_step::Column::Id)
        .all(db)
        .await?)
}

/// The cases of a region prefix, optionally in one state, newest first.
pub async fn cases_under<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    status: Option<&str>,
) -> Result<Vec<elimination_case::Model>, StoreError> {
    let mut query = elimination_case::Entity::find()
        .filter(in_region(elimination_case::Column::RegionCode, scope));
    if let Some(s) = status {
        query = query.filter(elimination_case::Column::Status.eq(s));
    }
    Ok(query
        .order_by_desc(elimination_case::Column::Id)
        .limit(5000)
        .all(db)
        .await?)
}

/// The household's marked case, if any (to roll back when it is identified again).
pub async fn marked_case_of<C: ConnectionTrait>(
    db: &C,
    doc_id: &str,
) -> Result<Option<elimination_case::Model>, StoreError> {
    case_of(db, doc_id, &[MARKED]).await
}
