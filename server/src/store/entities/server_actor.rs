//! The `server_actors` table: the actors the server signs its own changes with (the current one, and earlier ones).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "server_actors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub actor: String,
    pub current: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
