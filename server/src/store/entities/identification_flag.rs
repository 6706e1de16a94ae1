//! The `identification_flags` table: a household whose income or spending crossed its
//! threshold in a year, until it no longer does or a proposal takes it up.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "identification_flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub doc_id: String,
    pub region_code: String,
    pub year: i32,
    pub kind: String,
    pub value: f64,
    pub threshold: f64,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
