//! Change stamps. Every write of a document stamps it, and a reader takes a horizon with
//! its read, such that any write it did not see carries a stamp at or above that horizon.
//! A device's next sync then reads only documents stamped at or above the horizon of its
//! last one, however long the writes that were in flight took to commit.
//!
//! PostgreSQL: the stamp is the writing transaction's id, the horizon the oldest
//! transaction still running when the read's snapshot was taken (every transaction the
//! snapshot cannot see has an id at or above it). SQLite: writers take turns, so a counter
//! bumped in each writing transaction orders them; the horizon is the next value.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// The stamp of the current writing transaction, as an SQL expression. On SQLite,
/// [`tick`] must have run in the transaction first.
pub fn stamp_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "pg_current_xact_id()::text::bigint",
        _ => "(SELECT seq FROM sync_clock WHERE id = 1)",
    }
}

/// The horizon of the current read, as an SQL expression.
pub fn horizon_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        _ => "(SELECT seq + 1 FROM sync_clock WHERE id = 1)",
    }
}

/// Moves SQLite's clock on for the current writing transaction (nothing on PostgreSQL).
pub async fn tick<C: ConnectionTrait>(db: &C) -> Result<(), sea_orm::DbErr> {
    if let Some(tick) = tick_statement(db.get_database_backend()) {
        db.execute_raw(tick).await?;
    }
    Ok(())
}

/// The statement of [`tick`], which changes exactly one row (none on PostgreSQL).
pub fn tick_statement(backend: DbBackend) -> Option<Statement> {
    (backend != DbBackend::Postgres).then(|| {
        Statement::from_string(
            DbBackend::Sqlite,
            "UPDATE sync_clock SET seq = seq + 1 WHERE id = 1",
        )
    })
}

/// The stamp of the current writing transaction (ticking SQLite's clock).
pub async fn stamp<C: ConnectionTrait>(db: &C) -> Result<i64, sea_orm::DbErr> {
    tick(db).await?;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT {} AS stamp", stamp_sql(backend)),
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("the sync clock".into()))?;
    row.try_get("", "stamp")
}

/// The horizon of a read made now.
pub async fn horizon<C: ConnectionTrait>(db: &C) -> Result<i64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT {} AS horizon", horizon_sql(backend)),
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("the sync clock".into()))?;
    row.try_get("", "horizon")
}
