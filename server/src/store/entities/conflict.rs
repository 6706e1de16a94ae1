//! The `conflicts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "conflicts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub doc_id: String,
    pub region_code: String,
    pub path: String,
    pub status: String,
    pub before_value: Option<String>,
    pub winner: String,
    pub candidates: String,
    pub detected_at: i64,
    pub updated_at: i64,
    pub resolved_by: Option<i64>,
    pub resolved_at: Option<i64>,
    pub resolution: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
