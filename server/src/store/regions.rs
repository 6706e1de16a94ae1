//! The region tree: county → township → village.

use super::entities::region;
use sea_orm::{ConnectionTrait, EntityTrait};

/// Inserts regions (code, name, level, parent) that do not exist yet.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    regions: Vec<region::Model>,
) -> Result<(), sea_orm::DbErr> {
    if regions.is_empty() {
        return Ok(());
    }
    let models = regions.into_iter().map(region::ActiveModel::from);
    region::Entity::insert_many(models)
        .on_conflict_do_nothing_on([region::Column::Code])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// All regions under a prefix.
pub async fn under<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<Vec<region::Model>, sea_orm::DbErr> {
    use sea_orm::{QueryFilter, QueryOrder};
    region::Entity::find()
        .filter(super::in_region(region::Column::Code, prefix))
        .order_by_asc(region::Column::Code)
        .all(db)
        .await
}

/// The codes of the villages under a prefix.
pub async fn villages_under<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<std::collections::BTreeSet<String>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let codes: Vec<String> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .filter(super::in_region(region::Column::Code, prefix))
        .filter(region::Column::Level.eq(VILLAGE))
        .into_tuple()
        .all(db)
        .await?;
    Ok(codes.into_iter().collect())
}

/// The level of a village in the region tree.
pub const VILLAGE: &str = "VILLAGE";
