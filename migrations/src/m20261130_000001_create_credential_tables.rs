//! Live credentials: refresh tokens grouped in families (a login and its refreshes; the
//! device registered with it), login throttling, and the actors the server signs with.
//!
//! Refresh tokens issued before this step belong to no family and stop working: their
//! users log in again.

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("token_families")
                .col(string("id").primary_key())
                .col(big_integer("user_id"))
                .col(boolean("revoked"))
                .col(string_null("revoked_reason"))
                .col(big_integer("created_at"))
                .to_owned(),
            Table::create()
                .table("login_throttles")
                .col(string("key").primary_key())
                .col(integer("failures"))
                .col(big_integer("locked_until"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("server_actors")
                .col(string("actor").primary_key())
                .col(boolean("current"))
                .col(big_integer("created_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("refresh_tokens")
                    .add_column(string_null("family_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("devices")
                    .add_column(string_null("token_family"))
                    .to_owned(),
            )
            .await?;
        for (name, table, column) in [
            ("idx_token_families_user", "token_families", "user_id"),
            ("idx_refresh_tokens_family", "refresh_tokens", "family_id"),
        ] {
            manager
                .create_index(index(name, table, &[column], false))
                .await?;
        }
        // Earlier server processes signed with a fresh actor each; the change log keeps
        // them (changes stored without a device), and no device may register one.
        let backfill = "INSERT INTO server_actors (actor, current, created_at) \
             SELECT DISTINCT actor, FALSE, 0 FROM doc_changes WHERE device_id IS NULL";
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["server_actors", "login_throttles", "token_families"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
