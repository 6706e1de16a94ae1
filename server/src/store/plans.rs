//! Assistance plans.

use super::entities::assistance_plan;
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::BTreeMap;

/// The plans of a year under a region prefix, keyed by (household, kind).
pub async fn plans_of_year<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    year: i32,
) -> Result<BTreeMap<(String, String), assistance_plan::Model>, StoreError> {
    Ok(assistance_plan::Entity::find()
        .filter(in_region(assistance_plan::Column::RegionCode, scope))
        .filter(assistance_plan::Column::Year.eq(year))
        .all(db)
        .await?
        .into_iter()
        .map(|p| ((p.doc_id.clone(), p.kind.clone()), p))
        .collect())
}

/// Opens a plan unless the household has it already; `true` when it was new.
pub async fn open<C: ConnectionTrait>(
    db: &C,
    doc_id: &str,
    region: &str,
    year: i32,
    kind: &str,
    status: &str,
) -> Result<bool, StoreError> {
    let row = assistance_plan::ActiveModel {
        doc_id: Set(doc_id.to_owned()),
        region_code: Set(region.to_owned()),
        year: Set(year),
        kind: Set(kind.to_owned()),
        status: Set(status.to_owned()),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    };
    let inserted = assistance_plan::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                assistance_plan::Column::DocId,
                assistance_plan::Column::Year,
                assistance_plan::Column::Kind,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Sets a plan's state.
pub async fn set_status<C: ConnectionTrait>(
    db: &C,
    id: i64,
    status: &str,
) -> Result<(), StoreError> {
    assistance_plan::Entity::update_many()
        .col_expr(assistance_plan::Column::Status, Expr::value(status))
        .col_expr(assistance_plan::Column::UpdatedAt, Expr::value(now()))
        .filter(assistance_plan::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The plans under a region prefix, optionally of a year, by village and household.
pub async fn plans_under<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    year: Option<i32>,
) -> Result<Vec<assistance_plan::Model>, StoreError> {
    let mut query = assistance_plan::Entity::find()
        .filter(in_region(assistance_plan::Column::RegionCode, scope));
    if let Some(y) = year {
        query = query.filter(assistance_plan::Column::Year.eq(y));
    }
    Ok(query
        .order_by_asc(assistance_plan::Column::RegionCode)
        .order_by_asc(assistance_plan::Column::DocId)
        .limit(20_000)
        .all(db)
        .await?)
}
