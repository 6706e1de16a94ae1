//! Assistance plans: what the household row keeps of its measures (how many are active and
//! open, the latest start, the quarter every active measure has been checked through), and
//! the plans — a 脱贫户's annual consolidation plan, a 三类户's plan from identification —
//! open until measures are drawn up.

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        let columns = [
            integer("measures_active").default(0).to_owned(),
            integer("measures_open").default(0).to_owned(),
            string_null("measure_latest_start").to_owned(),
            string_null("measures_checked_through").to_owned(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table("households")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("assistance_plans")
                    .col(big_pk_auto("id"))
                    .col(string("doc_id"))
                    .col(string("region_code"))
                    .col(integer("year"))
                    .col(string("kind"))
                    .col(string("status"))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        for statement in [
            index(
                "idx_assistance_plans_one",
                "assistance_plans",
                &["doc_id", "year", "kind"],
                true,
            ),
            index(
                "idx_assistance_plans_region",
                "assistance_plans",
                &["region_code", "year"],
                false,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("assistance_plans").to_owned())
            .await?;
        for column in [
            "measures_checked_through",
            "measure_latest_start",
            "measures_open",
            "measures_active",
        ] {
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
