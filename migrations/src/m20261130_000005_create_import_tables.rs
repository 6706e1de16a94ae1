//! Imports of real data: each run of an import (regions or households) with its counts and
//! where a failed run can resume, the rows it rejected (row, column, stable code), the
//! households of its region the file no longer lists (flagged, never deleted), and per
//! household the values its last import wrote, so that a later file writes only what
//! changed in it (tablets' corrections are not overwritten by an unchanged file).

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("imports")
                .col(big_pk_auto("id"))
                .col(string("kind"))
                .col(string("file_name"))
                .col(string("file_sha256"))
                .col(string("region"))
                .col(string("actor"))
                .col(string("status"))
                .col(big_integer("rows").default(0))
                .col(big_integer("created").default(0))
                .col(big_integer("updated").default(0))
                .col(big_integer("unchanged").default(0))
                .col(big_integer("rejected").default(0))
                .col(big_integer("absent").default(0))
                .col(big_integer_null("resume_row"))
                .col(text_null("error"))
                .col(big_integer("started_at"))
                .col(big_integer_null("finished_at"))
                .to_owned(),
            Table::create()
                .table("import_rejects")
                .col(big_pk_auto("id"))
                .col(big_integer("import_id"))
                .col(big_integer("row"))
                .col(string("column"))
                .col(string("code"))
                .col(text("message"))
                .col(text_null("value"))
                .to_owned(),
            Table::create()
                .table("import_absent")
                .col(big_integer("import_id"))
                .col(string("doc_id"))
                .col(string("region_code"))
                .col(string_null("national_number"))
                .primary_key(Index::create().col("import_id").col("doc_id"))
                .to_owned(),
            Table::create()
                .table("import_baselines")
                .col(string("doc_id").primary_key())
                .col(text("baseline"))
                .col(big_integer("import_id"))
                .col(big_integer("updated_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index(
                "idx_import_rejects_import",
                "import_rejects",
                &["import_id", "row"],
                false,
            ),
            index(
                "idx_households_national_number",
                "households",
                &["national_number"],
                false,
            ),
            index("idx_imports_region", "imports", &["region", "id"], false),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "import_baselines",
            "import_absent",
            "import_rejects",
            "imports",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
