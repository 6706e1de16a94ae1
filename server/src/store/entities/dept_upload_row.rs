//! The `dept_upload_rows` table: what became of each row of a department's file.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dept_upload_rows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub upload_id: i64,
    pub row: i64,
    pub outcome: String,
    pub column: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub id_number_masked: Option<String>,
    pub region_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
