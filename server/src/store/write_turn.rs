//! Write transactions that take turns. SQLite has one writer at a time: a writer that
//! finds the database locked sleeps and polls (its busy handler backs off up to 100 ms a
//! try), so under load an unlucky writer waits far longer than the writes ahead of it
//! take, and every request queued behind it waits too. Here SQLite's writers queue on one
//! in-process lock per database file, woken in the order they came; PostgreSQL's do not
//! queue (its rows lock one by one).

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::OwnedMutexGuard;

/// A write transaction, holding its database's write turn (SQLite) until it ends.
pub struct WriteTxn {
    // Dropped first: an abandoned transaction starts its rollback before the turn passes.
    txn: DatabaseTransaction,
    turn: Option<OwnedMutexGuard<()>>,
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("turn", &self.turn.is_some())
            .finish_non_exhaustive()
    }
}

/// The write turn of each SQLite database file this process opened.
static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

/// The turn of `db`'s file (none for PostgreSQL).
fn turn_of(db: &DatabaseConnection) -> Option<Arc<tokio::sync::Mutex<()>>> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename();
    let mut turns = TURNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(turn) = turns.get(file) {
        return Some(turn.clone());
    }
    Some(turns.entry(file.to_path_buf()).or_default().clone())
}

/// Starts a transaction that will write: on SQLite once the writers before it are done,
/// taking the write lock at once (`BEGIN IMMEDIATE`).
pub async fn begin(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let turn = match turn_of(db) {
        Some(turn) => Some(turn.lock_owned().await),
        None => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    Ok(WriteTxn { txn, turn })
}

impl WriteTxn {
    /// Commits, then passes the turn on.
    pub async fn commit(self) -> Result<(), DbErr> {
        let Self { txn, turn: _turn } = self;
        txn.commit().await
    }

    /// Rolls back, then passes the turn on.
    pub async fn rollback(self) -> Result<(), DbErr> {
        let Self { txn, turn: _turn } = self;
        txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn sqlite(dir: &std::path::Path) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", dir.join("turns.sqlite").display());
        crate::store::connect(&url, 4).await.expect("connect")
    }

    async fn with_table(dir: &std::path::Path) -> DatabaseConnection {
        let db = sqlite(dir).await;
        db.execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("table");
        db
    }

    async fn stored(db: &DatabaseConnection) -> Vec<i64> {
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n FROM t ORDER BY rowid",
            ))
            .await
            .expect("rows");
        rows.iter()
            .map(|r| r.try_get::<i64>("", "n").expect("n"))
            .collect()
    }

    #[tokio::test]
    async fn writers_of_one_file_take_turns_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let db = with_table(dir.path()).await;
        let first = begin(&db).await.expect("first");
        // A second pool on the same file shares the turn.
        let other = sqlite(dir.path()).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 0..5i64 {
            let (db, order) = (
                if n % 2 == 0 {
                    db.clone()
                } else {
                    other.clone()
                },
                order.clone(),
            );
            waiting.push(tokio::spawn(async move {
                let txn = begin(&db).await.expect("turn");
                txn.execute_unprepared(&format!("INSERT INTO t VALUES ({n})"))
                    .await
                    .expect("insert");
                order.lock().expect("order").push(n);
                txn.commit().await.expect("commit");
            }));
            // Each queues before the next one starts.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            order.lock().expect("order").is_empty(),
            "nobody overtook the holder"
        );
        first.commit().await.expect("first commit");
        for w in waiting {
            w.await.expect("writer");
        }
        assert_eq!(*order.lock().expect("order"), [0, 1, 2, 3, 4]);
        assert_eq!(stored(&db).await, [0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn an_abandoned_writer_passes_the_turn_and_keeps_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let db = with_table(dir.path()).await;
        let txn = begin(&db).await.expect("first");
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
        drop(txn);
        let next = tokio::time::timeout(Duration::from_secs(20), begin(&db))
            .await
            .expect("the turn passed")
            .expect("begin");
        next.execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .expect("insert");
        next.commit().await.expect("commit");
        assert_eq!(stored(&db).await, [2]);
    }
}
