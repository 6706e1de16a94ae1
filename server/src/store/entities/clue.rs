//! The `clues` table: a department's risk clue matched to a member, and its life cycle.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub upload_id: i64,
    pub department: String,
    pub month: String,
    pub doc_id: String,
    pub member_key: String,
    pub region_code: String,
    pub id_number: String,
    pub clue_type: String,
    pub reason: String,
    pub amount: Option<f64>,
    pub status: String,
    pub finding: Option<String>,
    pub suggestion: Option<String>,
    pub found_by: Option<String>,
    pub found_at: Option<i64>,
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub reported_by: Option<String>,
    pub reported_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
