//! The `findings` table: a validation finding of a household's record.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "findings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub doc_id: String,
    pub region_code: String,
    pub severity: String,
    pub code: String,
    pub path: String,
    pub message_zh: String,
    pub message_en: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
