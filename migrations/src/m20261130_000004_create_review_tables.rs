//! Visits and their review: the visits households record (projected from their documents),
//! one review per household and round (quarter) moving from submitted to accepted or
//! returned, the history of its steps in commit order (the county's feed), the validation
//! findings of each household with the reviewers' acknowledgements (households stored
//! before are validated once in the background), and the tasks tablets receive.

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("visits")
                .col(string("doc_id"))
                .col(string("visit_key"))
                .col(string("region_code"))
                .col(string("round"))
                .col(string("visited_on"))
                .col(string_null("visitor"))
                .col(string("status"))
                .col(big_integer("first_seen_at"))
                .primary_key(Index::create().col("doc_id").col("visit_key"))
                .to_owned(),
            Table::create()
                .table("reviews")
                .col(string("doc_id"))
                .col(string("round"))
                .col(string("region_code"))
                .col(string("state"))
                .col(text_null("reason"))
                .col(big_integer("submitted_at"))
                .col(string_null("village_reviewed_by"))
                .col(big_integer_null("village_reviewed_at"))
                .col(string_null("verified_by"))
                .col(big_integer_null("verified_at"))
                .col(text_null("verified_heads"))
                .col(text_null("verified_record"))
                .col(string_null("accepted_by"))
                .col(big_integer_null("accepted_at"))
                .col(string_null("returned_by"))
                .col(big_integer_null("returned_at"))
                .col(boolean("changed_since_verification").default(false))
                .col(big_integer("updated_at"))
                .primary_key(Index::create().col("doc_id").col("round"))
                .to_owned(),
            Table::create()
                .table("review_events")
                .col(big_integer("seq").primary_key())
                .col(string("doc_id"))
                .col(string("round"))
                .col(string("region_code"))
                .col(string("action"))
                .col(string("state"))
                .col(string("actor"))
                .col(text_null("reason"))
                .col(big_integer("at"))
                .to_owned(),
            Table::create()
                .table("review_clock")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .to_owned(),
            Table::create()
                .table("findings")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("region_code"))
                .col(string("severity"))
                .col(string("code"))
                .col(string("path"))
                .col(text("message_zh"))
                .col(text("message_en"))
                .to_owned(),
            Table::create()
                .table("finding_acks")
                .col(string("doc_id"))
                .col(string("round"))
                .col(string("code"))
                .col(string("path"))
                .col(string("acked_by"))
                .col(big_integer("acked_at"))
                .primary_key(
                    Index::create()
                        .col("doc_id")
                        .col("round")
                        .col("code")
                        .col("path"),
                )
                .to_owned(),
            Table::create()
                .table("tasks")
                .col(string("id").primary_key())
                .col(string("region_code"))
                .col(string("county_code"))
                .col(string_null("doc_id"))
                .col(string("kind"))
                .col(text("body"))
                .col(boolean("closed"))
                .col(big_integer("change_seq"))
                .col(big_integer("updated_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index(
                "idx_visits_region_round",
                "visits",
                &["region_code", "round"],
                false,
            ),
            index(
                "idx_reviews_region_round",
                "reviews",
                &["region_code", "round"],
                false,
            ),
            index(
                "idx_review_events_region",
                "review_events",
                &["region_code", "seq"],
                false,
            ),
            index("idx_findings_doc", "findings", &["doc_id"], false),
            index(
                "idx_findings_region",
                "findings",
                &["region_code", "severity"],
                false,
            ),
            index(
                "idx_tasks_feed",
                "tasks",
                &["county_code", "change_seq"],
                false,
            ),
            index("idx_tasks_doc", "tasks", &["doc_id", "kind"], false),
        ] {
            manager.create_index(statement).await?;
        }
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO review_clock (id, seq) VALUES (1, 0)")
            .await?;
        // Households stored before findings existed are validated once, in the background.
        manager
            .alter_table(
                Table::alter()
                    .table("documents")
                    .add_column(boolean("needs_validation").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_documents_needs_validation",
                "documents",
                &["needs_validation"],
                false,
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE documents SET needs_validation = TRUE")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "tasks",
            "finding_acks",
            "findings",
            "review_clock",
            "review_events",
            "reviews",
            "visits",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
