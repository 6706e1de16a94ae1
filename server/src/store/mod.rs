//! Persistence: sea-orm entities and the services that read and write them. Handlers
//! never build queries; they call these functions.

pub mod audit;
pub mod clock;
pub mod clues;
pub mod conflicts;
mod db;
pub mod devices;
pub mod documents;
pub mod elimination;
pub mod entities;
pub mod feed;
pub mod findings;
pub mod identification;
pub mod imports;
pub mod photos;
pub mod plans;
pub mod regions;
pub mod reviews;
pub mod server_actors;
pub mod sync_states;
pub mod tasks;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use db::{connect, migrate};

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so that it waits its turn instead of failing with `SQLITE_BUSY`
/// when another writer commits between its first read and its first write.
pub async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Rows whose region code starts with `prefix`, as a range (`>= prefix`, `< prefix + "~"`)
/// that both databases answer from an index; `LIKE 'prefix%'` uses none under their default
/// collations. Region codes are digits, which sort below `~`.
pub fn in_region<C: sea_orm::ColumnTrait>(column: C, prefix: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(column.gte(prefix))
        .add(column.lt(format!("{prefix}~")))
}

/// Current Unix time in seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
