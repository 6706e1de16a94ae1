//! The `dept_uploads` table: a department's ledger or clue file, once per content.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dept_uploads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub department: String,
    pub period: String,
    pub user_id: i64,
    pub file_name: String,
    pub file_sha256: String,
    pub rows: i64,
    pub matched: i64,
    pub unmatched: i64,
    pub rejected: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
