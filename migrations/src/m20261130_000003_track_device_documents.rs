//! Sync state kept per (device, document) and a change feed, so that a sync costs what it
//! changes rather than what the device holds: the heads the server believes each device
//! holds of each document (flagged when the document moved away), per device the digest of
//! all of them and how far it has read the feed; a change stamp on every document (commit
//! order: PostgreSQL's transaction id, SQLite's clock); and audit entries appended without
//! a lock, chained in order afterwards.
//!
//! Beliefs stored before this step are dropped: each device lists what it holds once, as
//! after a lost reply.

use crate::indexes::index;
use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("device_sync_states").to_owned())
            .await?;
        let tables = [
            Table::create()
                .table("device_docs")
                .col(string("device_id"))
                .col(string("doc_id"))
                .col(text("heads"))
                .col(boolean("leaving").default(false))
                .primary_key(Index::create().col("device_id").col("doc_id"))
                .to_owned(),
            Table::create()
                .table("device_cursors")
                .col(string("device_id").primary_key())
                .col(string("scope"))
                .col(blob("digest"))
                .col(big_integer("seen_upto"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("sync_clock")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("documents")
                    .add_column(big_integer("change_seq").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("audit_log")
                    .add_column(big_integer_null("chain_seq"))
                    .to_owned(),
            )
            .await?;
        for statement in [
            index("idx_device_docs_doc", "device_docs", &["doc_id"], false),
            index(
                "idx_device_docs_leaving",
                "device_docs",
                &["device_id", "leaving"],
                false,
            ),
            index(
                "idx_documents_feed",
                "documents",
                &["county_code", "change_seq"],
                false,
            ),
            index("idx_audit_log_chain", "audit_log", &["chain_seq"], false),
        ] {
            manager.create_index(statement).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO sync_clock (id, seq) VALUES (1, 0)")
            .await?;
        // Entries so far were chained as they were written, in id order.
        db.execute_unprepared("UPDATE audit_log SET chain_seq = id")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Ids were given explicitly until now: the sequence must continue after them.
            db.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), \
                 COALESCE(MAX(id), 0) + 1, false) FROM audit_log",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["sync_clock", "device_cursors", "device_docs"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
