use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;
use zoufang_migrations::Migrator;

/// Connects to PostgreSQL or SQLite (WAL, a busy timeout, NORMAL sync, temporary data in
/// memory).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_waiting(url, max_connections, Duration::from_secs(10)).await
}

/// Like [`connect`], waiting at most `acquire` for a connection of the pool.
pub async fn connect_waiting(
    url: &str,
    max_connections: u32,
    acquire: Duration,
) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(url, max_connections, acquire)).await
}

/// The connections a sync's feed is read on (`store::feed`): on SQLite the pool itself;
/// on PostgreSQL a second pool, up to `max_connections` more sessions opened as needed,
/// whose statements are planned once for any values (`plan_cache_mode =
/// force_generic_plan`). Left to choose, PostgreSQL plans the feed's statement anew at
/// every sync, for the values at hand (its generic plan looks dearer on the estimates it
/// makes without them, though it runs as fast): two thirds of a millisecond of the
/// database's time per sync, more than running it. Other statements keep choosing.
pub async fn connect_sync_reads(
    db: &DatabaseConnection,
    url: &str,
    max_connections: u32,
    acquire: Duration,
) -> Result<DatabaseConnection, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(db.clone());
    }
    let mut options = options(url, max_connections, acquire);
    options
        .connect_lazy(true)
        .map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_generic_plan")]));
    Database::connect(options).await
}

fn options(url: &str, max_connections: u32, acquire: Duration) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .sqlx_logging(false)
        .acquire_timeout(acquire)
        // A connection handed back to the pool has just been checked (the pool pings it on
        // release); pinging it again on every acquire doubled each statement's round trips.
        // One idle for a while may have been dropped by the server or a firewall: that one
        // is pinged first.
        .test_before_acquire_if_idle_for(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
                // Savepoints keep the pages they change in a sub-journal; in memory, rather
                // than a temporary file written and read back for every writer of a
                // group commit.
                .pragma("temp_store", "memory")
                // Checkpoints run after group commits, on another connection, not inside
                // whichever commit fills the log (see `commit_group::checkpoints`).
                .pragma("wal_autocheckpoint", "0")
                // A plan that depends on the values bound (a range on an analysed index,
                // a `LIKE` on a bound pattern) made SQLite prepare the statement again at
                // every execution: a fifth of the server's time under many small syncs.
                .query_planner_stability_guarantee(true)
        });
    }
    options
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
