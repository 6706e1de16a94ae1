//! Database migrations of the zoufang server: append-only, one file per step, named
//! `mYYYYMMDD_HHMMSS_verb_noun.rs`. Runs on SQLite and PostgreSQL alike. Must not depend on
//! server code.

#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod indexes;
mod m20261129_000001_create_core_tables;
mod m20261129_000002_create_photo_tables;
mod m20261130_000001_create_credential_tables;
mod m20261130_000002_bind_photo_uploads;
mod m20261130_000003_track_device_documents;
mod m20261130_000004_create_review_tables;
mod m20261130_000005_create_import_tables;
mod m20261130_000006_create_clue_tables;
mod m20261130_000007_create_identification_tables;
mod m20261130_000008_create_elimination_tables;
mod m20261130_000009_create_plan_tables;
mod m20261130_000010_create_lease_table;
mod m20261203_000001_split_document_snapshots;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_core_tables::Migration),
            Box::new(m20261129_000002_create_photo_tables::Migration),
            Box::new(m20261130_000001_create_credential_tables::Migration),
            Box::new(m20261130_000002_bind_photo_uploads::Migration),
            Box::new(m20261130_000003_track_device_documents::Migration),
            Box::new(m20261130_000004_create_review_tables::Migration),
            Box::new(m20261130_000005_create_import_tables::Migration),
            Box::new(m20261130_000006_create_clue_tables::Migration),
            Box::new(m20261130_000007_create_identification_tables::Migration),
            Box::new(m20261130_000008_create_elimination_tables::Migration),
            Box::new(m20261130_000009_create_plan_tables::Migration),
            Box::new(m20261130_000010_create_lease_table::Migration),
            Box::new(m20261203_000001_split_document_snapshots::Migration),
        ]
    }
}
