//! The `identifications` table: a proposal to monitor a household as one of the 三类户 and
//! the county's decision.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "identifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub doc_id: String,
    pub region_code: String,
    pub category: Option<String>,
    pub risk_types: String,
    pub reason: String,
    pub source: String,
    pub clue_id: Option<i64>,
    pub status: String,
    pub proposed_by: String,
    pub proposed_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub identified_month: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
