//! Department ledgers and monthly risk clues: the department a `DEPARTMENT` account belongs
//! to, each uploaded file (kind, period, SHA-256: the same file twice is one upload) with
//! the outcome of every row, the ledger rows matched to members, and the clues with their
//! life cycle (pushed → found at the door → decided by the township → reported by the
//! county).

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(string_null("department"))
                    .to_owned(),
            )
            .await?;
        let tables = [
            Table::create()
                .table("dept_uploads")
                .col(big_pk_auto("id"))
                .col(string("kind"))
                .col(string("department"))
                .col(string("period"))
                .col(big_integer("user_id"))
                .col(string("file_name"))
                .col(string("file_sha256"))
                .col(big_integer("rows").default(0))
                .col(big_integer("matched").default(0))
                .col(big_integer("unmatched").default(0))
                .col(big_integer("rejected").default(0))
                .col(big_integer("created_at"))
                .to_owned(),
            Table::create()
                .table("dept_upload_rows")
                .col(big_pk_auto("id"))
                .col(big_integer("upload_id"))
                .col(big_integer("row"))
                .col(string("outcome"))
                .col(string_null("column"))
                .col(string_null("code"))
                .col(text_null("message"))
                .col(string_null("id_number_masked"))
                .col(string_null("region_code"))
                .to_owned(),
            Table::create()
                .table("ledger_entries")
                .col(big_pk_auto("id"))
                .col(big_integer("upload_id"))
                .col(string("department"))
                .col(string("period"))
                .col(string("doc_id"))
                .col(string("member_key"))
                .col(string("region_code"))
                .col(string("item"))
                .col(double_null("amount"))
                .to_owned(),
            Table::create()
                .table("clues")
                .col(big_pk_auto("id"))
                .col(big_integer("upload_id"))
                .col(string("department"))
                .col(string("month"))
                .col(string("doc_id"))
                .col(string("member_key"))
                .col(string("region_code"))
                .col(string("id_number"))
                .col(string("clue_type"))
                .col(text("reason"))
                .col(double_null("amount"))
                .col(string("status"))
                .col(text_null("finding"))
                .col(string_null("suggestion"))
                .col(string_null("found_by"))
                .col(big_integer_null("found_at"))
                .col(string_null("decision"))
                .col(text_null("decision_note"))
                .col(string_null("decided_by"))
                .col(big_integer_null("decided_at"))
                .col(string_null("reported_by"))
                .col(big_integer_null("reported_at"))
                .col(big_integer("created_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index(
                "idx_dept_uploads_file",
                "dept_uploads",
                &["department", "kind", "period", "file_sha256"],
                true,
            ),
            index(
                "idx_dept_upload_rows_upload",
                "dept_upload_rows",
                &["upload_id", "row"],
                false,
            ),
            index(
                "idx_ledger_entries_doc",
                "ledger_entries",
                &["doc_id"],
                false,
            ),
            index(
                "idx_clues_one",
                "clues",
                &["department", "month", "id_number", "clue_type"],
                true,
            ),
            index(
                "idx_clues_region",
                "clues",
                &["region_code", "month"],
                false,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "clues",
            "ledger_entries",
            "dept_upload_rows",
            "dept_uploads",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("department")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
