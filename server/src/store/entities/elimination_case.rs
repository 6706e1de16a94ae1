//! The `elimination_cases` table: a household on its way to being marked 风险消除.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "elimination_cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub doc_id: String,
    pub region_code: String,
    pub mode: String,
    pub reason: String,
    pub status: String,
    pub nominated_by: String,
    pub nominated_on: String,
    pub notice_ends: String,
    pub marked_month: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
