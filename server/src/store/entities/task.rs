//! The `tasks` table: a task for the tablets of a village, stamped like documents so devices read what changed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub region_code: String,
    pub county_code: String,
    pub doc_id: Option<String>,
    pub kind: String,
    pub body: String,
    pub closed: bool,
    pub change_seq: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
