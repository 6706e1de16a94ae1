//! The `photo_links` table: a household document references a photo.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "photo_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub doc_id: String,
    pub hash: String,
    pub region_code: String,
    pub grants: bool,
    pub linked_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
