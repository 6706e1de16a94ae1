//! The tables of the local store. `CREATE ... IF NOT EXISTS` only: a newer tablet adds
//! tables or columns, never rewrites old ones.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )",
    // One row per household document held: the saved automerge bytes.
    "CREATE TABLE IF NOT EXISTS documents (
        doc_id TEXT PRIMARY KEY,
        region_code TEXT NOT NULL,
        bytes BLOB NOT NULL,
        updated_at INTEGER NOT NULL
    )",
    // Photos waiting for upload (and uploaded ones until the server confirms).
    "CREATE TABLE IF NOT EXISTS photos (
        hash TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        size INTEGER NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL,
        added_at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS tasks (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL
    )",
    // What the helper found at the door for a risk clue, until the server has it.
    "CREATE TABLE IF NOT EXISTS clue_findings (
        task_id TEXT PRIMARY KEY,
        finding TEXT NOT NULL,
        suggestion TEXT,
        at INTEGER NOT NULL
    )",
    // Identification proposals made at the door, until the server has them.
    "CREATE TABLE IF NOT EXISTS proposals (
        household TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        at INTEGER NOT NULL
    )",
    // Updates the server refused, to show the helper.
    "CREATE TABLE IF NOT EXISTS refusals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        at INTEGER NOT NULL
    )",
];

pub(super) async fn create(db: &DatabaseConnection) -> Result<(), DbErr> {
    for table in TABLES {
        db.execute_unprepared(table).await?;
    }
    Ok(())
}
