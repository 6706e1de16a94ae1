//! The `households` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "households")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub doc_id: String,
    pub region_code: String,
    pub county_code: String,
    pub national_number: Option<String>,
    pub hh_type: String,
    pub monitor_category: Option<String>,
    pub head_name: Option<String>,
    pub member_count: i32,
    pub risk_eliminated: Option<bool>,
    pub per_capita_net: Option<f64>,
    pub out_of_pocket: Option<f64>,
    pub measures_active: i32,
    pub measures_open: i32,
    pub measure_latest_start: Option<String>,
    pub measures_checked_through: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
