//! The `ledger_entries` table: a department's real-name policy ledger row matched to a member.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub upload_id: i64,
    pub department: String,
    pub period: String,
    pub doc_id: String,
    pub member_key: String,
    pub region_code: String,
    pub item: String,
    pub amount: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
