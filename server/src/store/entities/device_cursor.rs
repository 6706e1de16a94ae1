//! The `device_cursors` table: per device, the scope its belief was built for, the digest of
//! everything it holds, how far it has read the change feed, and when it last synced.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "device_cursors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: String,
    pub scope: String,
    pub digest: Vec<u8>,
    pub seen_upto: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
