//! Risk elimination (风险消除) in four steps: a case per household nominated with its public
//! notice, verified by the township, confirmed and marked by the county (or withdrawn, or
//! rolled back after marking), with every step kept.

use crate::indexes::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("elimination_cases")
                .col(big_pk_auto("id"))
                .col(string("doc_id"))
                .col(string("region_code"))
                .col(string("mode"))
                .col(text("reason"))
                .col(string("status"))
                .col(string("nominated_by"))
                .col(string("nominated_on"))
                .col(string("notice_ends"))
                .col(string_null("marked_month"))
                .col(big_integer("updated_at"))
                .to_owned(),
            Table::create()
                .table("elimination_steps")
                .col(big_pk_auto("id"))
                .col(big_integer("case_id"))
                .col(string("step"))
                .col(string("status"))
                .col(string("actor"))
                .col(string("day"))
                .col(text_null("note"))
                .col(big_integer("at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index(
                "idx_elimination_cases_doc",
                "elimination_cases",
                &["doc_id", "status"],
                false,
            ),
            index(
                "idx_elimination_cases_region",
                "elimination_cases",
                &["region_code", "status"],
                false,
            ),
            index(
                "idx_elimination_steps_case",
                "elimination_steps",
                &["case_id"],
                false,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["elimination_steps", "elimination_cases"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
