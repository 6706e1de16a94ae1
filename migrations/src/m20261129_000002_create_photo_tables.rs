//! Photo evidence: stored blobs with what their EXIF says, uploads in progress, and which
//! household documents reference which photos (the access rule and the missing list).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("blobs")
                .col(string("hash").primary_key())
                .col(big_integer("size"))
                .col(string("media_type"))
                .col(integer("width"))
                .col(integer("height"))
                .col(string_null("taken_at"))
                .col(double_null("gps_lat"))
                .col(double_null("gps_lon"))
                .col(string_null("camera"))
                .col(integer("orientation"))
                .col(big_integer_null("uploaded_by"))
                .col(big_integer("created_at"))
                .to_owned(),
            Table::create()
                .table("uploads")
                .col(string("hash").primary_key())
                .col(big_integer("size"))
                .col(big_integer("user_id"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("photo_links")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("hash"))
                .col(string("region_code"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for (name, columns, unique) in [
            ("idx_photo_links_doc_hash", &["doc_id", "hash"][..], true),
            (
                "idx_photo_links_hash_region",
                &["hash", "region_code"][..],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table("photo_links");
            for column in columns {
                index.col(Alias::new(*column));
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["photo_links", "uploads", "blobs"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
