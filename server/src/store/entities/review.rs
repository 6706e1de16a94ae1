//! The `reviews` table: the review of one household's visit in one round.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub doc_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub round: String,
    pub region_code: String,
    pub state: String,
    pub reason: Option<String>,
    pub submitted_at: i64,
    pub village_reviewed_by: Option<String>,
    pub village_reviewed_at: Option<i64>,
    pub verified_by: Option<String>,
    pub verified_at: Option<i64>,
    pub verified_heads: Option<String>,
    pub verified_record: Option<String>,
    pub accepted_by: Option<String>,
    pub accepted_at: Option<i64>,
    pub returned_by: Option<String>,
    pub returned_at: Option<i64>,
    pub changed_since_verification: bool,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
