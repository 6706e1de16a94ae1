//! Identification of the 三类户: the income and spending each household is judged by
//! (projected on the household row), the monitoring thresholds per year and region (a
//! county's overrides its prefecture's, which overrides the national row), the proposals a
//! helper, a township or an included risk clue opens and the county decides, and the
//! automatic flags a household below its threshold raises.

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        for column in ["per_capita_net", "out_of_pocket"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("households")
                        .add_column(double_null(column))
                        .to_owned(),
                )
                .await?;
        }
        let tables = [
            Table::create()
                .table("thresholds")
                .col(big_pk_auto("id"))
                .col(integer("year"))
                .col(string("region_code"))
                .col(string("kind"))
                .col(double("amount"))
                .col(string("updated_by"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("identifications")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("region_code"))
                .col(string_null("category"))
                .col(string("risk_types"))
                .col(text("reason"))
                .col(string("source"))
                .col(big_integer_null("clue_id"))
                .col(string("status"))
                .col(string("proposed_by"))
                .col(big_integer("proposed_at"))
                .col(string_null("decided_by"))
                .col(big_integer_null("decided_at"))
                .col(text_null("decision_note"))
                .col(string_null("identified_month"))
                .to_owned(),
            Table::create()
                .table("identification_flags")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("region_code"))
                .col(integer("year"))
                .col(string("kind"))
                .col(double("value"))
                .col(double("threshold"))
                .col(string("status"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index(
                "idx_thresholds_one",
                "thresholds",
                &["year", "region_code", "kind"],
                true,
            ),
            index(
                "idx_identifications_doc",
                "identifications",
                &["doc_id", "status"],
                false,
            ),
            index(
                "idx_identifications_region",
                "identifications",
                &["region_code", "status"],
                false,
            ),
            index(
                "idx_identification_flags_one",
                "identification_flags",
                &["doc_id", "year", "kind"],
                true,
            ),
            index(
                "idx_identification_flags_region",
                "identification_flags",
                &["region_code", "status"],
                false,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["identification_flags", "identifications", "thresholds"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in ["out_of_pocket", "per_capita_net"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("households")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
