//! Accounts, devices, household documents with their change log and projection, conflicts,
//! and the hash-chained audit log. Times are Unix seconds; identifiers are text.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("regions")
                .col(string("code").primary_key())
                .col(string("name"))
                .col(string("level"))
                .col(string_null("parent"))
                .to_owned(),
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(string_uniq("username"))
                .col(text("password_hash"))
                .col(string("role"))
                .col(string("scope"))
                .col(boolean("disabled"))
                .col(big_integer("created_at"))
                .to_owned(),
            Table::create()
                .table("refresh_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_uniq("token_hash"))
                .col(big_integer("expires_at"))
                .col(boolean("revoked"))
                .col(big_integer("created_at"))
                .to_owned(),
            Table::create()
                .table("devices")
                .col(string("id").primary_key())
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(boolean("revoked"))
                .col(big_integer("created_at"))
                .col(big_integer_null("last_sync_at"))
                .to_owned(),
            Table::create()
                .table("device_actors")
                .col(string("actor").primary_key())
                .col(string("device_id"))
                .to_owned(),
            Table::create()
                .table("device_sync_states")
                .col(string("device_id").primary_key())
                .col(blob("belief"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("documents")
                .col(string("doc_id").primary_key())
                .col(string("region_code"))
                .col(string("county_code"))
                .col(text("heads"))
                .col(big_integer("version"))
                .col(integer("changes_since_snapshot"))
                .col(big_integer("updated_at"))
                .col(big_integer("snapshot_upto"))
                // Last, so that reading the small columns never walks the blob's pages.
                .col(blob("snapshot"))
                .to_owned(),
            Table::create()
                .table("doc_changes")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("region_code"))
                .col(string("hash"))
                .col(string("actor"))
                .col(big_integer("seq"))
                .col(big_integer("time"))
                .col(string_null("device_id"))
                .col(big_integer_null("user_id"))
                .col(blob("bytes"))
                .col(big_integer("received_at"))
                .to_owned(),
            Table::create()
                .table("households")
                .col(string("doc_id").primary_key())
                .col(string("region_code"))
                .col(string("county_code"))
                .col(string_null("national_number"))
                .col(string("hh_type"))
                .col(string_null("monitor_category"))
                .col(string_null("head_name"))
                .col(integer("member_count"))
                .col(boolean_null("risk_eliminated"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("members")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("member_key"))
                .col(string("region_code"))
                .col(string("name"))
                .col(string("sex"))
                .col(string_null("birth_date"))
                .col(string_null("id_number"))
                .col(string("relation"))
                .col(string("status"))
                .to_owned(),
            Table::create()
                .table("conflicts")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("region_code"))
                .col(string("path"))
                .col(string("status"))
                .col(text_null("before_value"))
                .col(text("winner"))
                .col(text("candidates"))
                .col(big_integer("detected_at"))
                .col(big_integer("updated_at"))
                .col(big_integer_null("resolved_by"))
                .col(big_integer_null("resolved_at"))
                .col(text_null("resolution"))
                .to_owned(),
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(big_integer("at"))
                .col(string("actor"))
                .col(string("action"))
                .col(string("subject"))
                .col(text("detail"))
                .col(string("prev_hash"))
                .col(string("hash"))
                .to_owned(),
            Table::create()
                .table("audit_head")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(string("hash"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index(
                "idx_refresh_tokens_user",
                "refresh_tokens",
                &["user_id"],
                false,
            ),
            index("idx_devices_user", "devices", &["user_id"], false),
            index(
                "idx_device_actors_device",
                "device_actors",
                &["device_id"],
                false,
            ),
            index("idx_documents_region", "documents", &["region_code"], false),
            index(
                "idx_doc_changes_doc_hash",
                "doc_changes",
                &["doc_id", "hash"],
                true,
            ),
            index(
                "idx_doc_changes_doc_id",
                "doc_changes",
                &["doc_id", "id"],
                false,
            ),
            index(
                "idx_households_region",
                "households",
                &["region_code"],
                false,
            ),
            index("idx_members_doc", "members", &["doc_id"], false),
            index("idx_members_id_number", "members", &["id_number"], false),
            index(
                "idx_conflicts_region_status",
                "conflicts",
                &["region_code", "status"],
                false,
            ),
            index(
                "idx_conflicts_doc_path",
                "conflicts",
                &["doc_id", "path"],
                false,
            ),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        // The audit chain starts from a fixed genesis hash.
        let genesis = Query::insert()
            .into_table("audit_head")
            .columns(["id", "seq", "hash"])
            .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
            .to_owned();
        manager.exec_stmt(genesis).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_head",
            "audit_log",
            "conflicts",
            "members",
            "households",
            "doc_changes",
            "documents",
            "device_sync_states",
            "device_actors",
            "devices",
            "refresh_tokens",
            "users",
            "regions",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
