//! Photo access and uploads bound to who makes them: which users proved they hold a
//! photo's bytes, which references grant access, and uploads staged in the database per
//! user (several server nodes share them) instead of one upload per photo on one node's
//! disk.
//!
//! Uploads in progress before this step are dropped: their tablets start them again.

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("uploads").to_owned())
            .await?;
        let tables = [
            Table::create()
                .table("photo_uploads")
                .col(big_pk_auto("id"))
                .col(string("hash"))
                .col(big_integer("user_id"))
                .col(string_null("device_id"))
                .col(big_integer("size"))
                .col(big_integer("received"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("photo_upload_chunks")
                .col(big_integer("upload_id"))
                .col(big_integer("chunk_start"))
                .col(blob("bytes"))
                .primary_key(Index::create().col("upload_id").col("chunk_start"))
                .to_owned(),
            Table::create()
                .table("photo_holders")
                .col(string("hash"))
                .col(big_integer("user_id"))
                .col(big_integer("created_at"))
                .primary_key(Index::create().col("hash").col("user_id"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for column in [
            boolean("grants").default(true).to_owned(),
            big_integer_null("linked_by").to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("photo_links")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, columns, unique) in [
            (
                "idx_photo_uploads_user_hash",
                &["user_id", "hash"][..],
                true,
            ),
            ("idx_photo_uploads_updated", &["updated_at"][..], false),
        ] {
            manager
                .create_index(index(name, "photo_uploads", columns, unique))
                .await?;
        }
        // Whoever stored a photo holds it.
        let backfill = "INSERT INTO photo_holders (hash, user_id, created_at) \
             SELECT hash, uploaded_by, created_at FROM blobs WHERE uploaded_by IS NOT NULL";
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["photo_holders", "photo_upload_chunks", "photo_uploads"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
