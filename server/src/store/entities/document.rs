//! The `documents` table (the snapshots are in `document_snapshots`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub doc_id: String,
    pub region_code: String,
    pub county_code: String,
    pub heads: String,
    pub version: i64,
    pub changes_since_snapshot: i32,
    pub updated_at: i64,
    pub change_seq: i64,
    pub needs_validation: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
