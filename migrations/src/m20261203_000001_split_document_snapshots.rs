//! Document snapshots in a table of their own. A snapshot (a saved automerge document, one
//! to two KiB for a household) made each `documents` row about ten times the size of the
//! rest of it, and every sync rewrites the rest (heads, version, feed stamp): SQLite fitted
//! two rows in a page where it now fits about twenty, and each page a sync touched had to be
//! read again after another connection's commit; PostgreSQL wrote the whole row anew at
//! each update. Snapshots change only when the change log is compacted into a new one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("document_snapshots")
                    .col(string("doc_id").primary_key())
                    .col(blob("snapshot"))
                    .col(big_integer("snapshot_upto"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("document_snapshots", "doc_id")
                            .to("documents", "doc_id"),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO document_snapshots (doc_id, snapshot, snapshot_upto) \
             SELECT doc_id, snapshot, snapshot_upto FROM documents",
        )
        .await?;
        // One column per statement: SQLite alters one thing at a time.
        for column in ["snapshot", "snapshot_upto"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("documents")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("documents")
                    .add_column(blob("snapshot").default(Vec::<u8>::new()))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("documents")
                    .add_column(big_integer("snapshot_upto").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE documents SET \
                 snapshot = (SELECT s.snapshot FROM document_snapshots s \
                             WHERE s.doc_id = documents.doc_id), \
                 snapshot_upto = (SELECT s.snapshot_upto FROM document_snapshots s \
                                  WHERE s.doc_id = documents.doc_id)",
            )
            .await?;
        manager
            .drop_table(Table::drop().table("document_snapshots").to_owned())
            .await
    }
}
