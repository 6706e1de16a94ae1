//! Write transactions that take turns. SQLite has one writer at a time: a writer that
//! finds the database locked sleeps and polls (its busy handler backs off up to 100 ms a
//! try), so under load an unlucky writer waits far longer than the writes ahead of it
//! take, and every request queued behind it waits too. Here SQLite's writers queue on one
//! in-process lock per database file, woken in the order they came, and commit in groups
//! ([`commit_group`]); PostgreSQL's do not queue (its rows lock one by one).

use super::commit_group::{self, FileTurn, Member};
use super::script::Script;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

/// A write transaction: on SQLite a savepoint in its group's transaction, holding the
/// database's write turn from its first statement until it ends (see [`commit_group`]);
/// on PostgreSQL a transaction of its own, begun with its first statement. Statements go
/// through it as through any connection; a writer that knows which script is its last sends
/// it with [`WriteTxn::run_closing`] (on SQLite, a writer whose only work is that script is
/// written in a batch with others, see [`super::write_batches`]; on PostgreSQL, one whose
/// only work is one statement runs it alone, without `BEGIN` and `COMMIT`).
#[derive(Debug)]
pub struct WriteTxn(Writer);

#[derive(Debug)]
enum Writer {
    Grouped(Grouped),
    Own(Own),
}

/// A PostgreSQL writer: its transaction begins with its first statement, so that a writer
/// whose whole work is one statement (a script whose writes join, see [`Script`]) sends
/// it alone: atomic by itself, one round trip instead of three.
#[derive(Debug)]
struct Own {
    txn: tokio::sync::OnceCell<DatabaseTransaction>,
    db: DatabaseConnection,
    /// Whether its last script was sent: nothing more can be written.
    written: std::sync::atomic::AtomicBool,
}

impl Own {
    /// The transaction, begun the first time.
    async fn txn(&self) -> Result<&DatabaseTransaction, DbErr> {
        if self.written.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(work_ended());
        }
        self.txn.get_or_try_init(|| self.db.begin()).await
    }

    /// Runs the writer's last script: alone when nothing was written before it and it is
    /// one statement, otherwise in the transaction. Nothing more can be written afterwards.
    async fn run_closing(&self, script: Script) -> Result<(), DbErr> {
        let alone = self.txn.get().is_none() && script.is_one_statement();
        let result = if alone {
            self.ended()?;
            script.run(&self.db).await
        } else {
            let txn = self.txn().await?;
            self.ended()?;
            script.run(txn).await
        };
        result.map(drop)
    }

    /// Marks the writer's work ended (an error if it had already).
    fn ended(&self) -> Result<(), DbErr> {
        if self.written.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(work_ended());
        }
        Ok(())
    }
}

/// A writer of an SQLite file: it takes the file's turn with its first statement.
#[derive(Debug)]
struct Grouped {
    member: tokio::sync::OnceCell<Member>,
    file: Arc<FileTurn>,
    db: DatabaseConnection,
    pool: Arc<SqliteConnectOptions>,
    /// Whether its last script was written in a batch (committed): nothing more can be.
    written: std::sync::atomic::AtomicBool,
}

impl Grouped {
    /// Its place in its file's group, taking the turn the first time.
    async fn member(&self) -> Result<&Member, DbErr> {
        if self.written.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(work_ended());
        }
        self.member
            .get_or_try_init(|| commit_group::join(self.file.clone(), &self.db, self.pool.clone()))
            .await
    }
}

/// What a writer whose last script was sent answers to anything more.
fn work_ended() -> DbErr {
    DbErr::Custom("the writer's work has ended: nothing more can be written in it".into())
}

/// The write turn of each SQLite database file this process opened.
static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<FileTurn>>>> = LazyLock::new(Mutex::default);

/// The turn of `db`'s file and the pool's connect options, which tell its groups apart
/// (none for PostgreSQL).
fn turn_of(db: &DatabaseConnection) -> Option<(Arc<FileTurn>, Arc<SqliteConnectOptions>)> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let mut turns = TURNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let turn = match turns.get(options.get_filename()) {
        Some(turn) => turn.clone(),
        None => turns
            .entry(options.get_filename().to_path_buf())
            .or_default()
            .clone(),
    };
    Some((turn, options))
}

/// Starts a transaction that will write, with its first statement: on SQLite once the
/// writers before it are done, inside their group's transaction (which took the write lock
/// at once, `BEGIN IMMEDIATE`); on PostgreSQL a transaction of its own.
pub async fn begin(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    Ok(WriteTxn(match turn_of(db) {
        Some((file, pool)) => Writer::Grouped(Grouped {
            member: tokio::sync::OnceCell::new(),
            file,
            db: db.clone(),
            pool,
            written: Default::default(),
        }),
        None => Writer::Own(Own {
            txn: tokio::sync::OnceCell::new(),
            db: db.clone(),
            written: Default::default(),
        }),
    }))
}

impl WriteTxn {
    /// Commits: on SQLite, returns once the group holding this writer's work committed.
    pub async fn commit(self) -> Result<(), DbErr> {
        match self.0 {
            Writer::Grouped(grouped) => match grouped.member.into_inner() {
                Some(member) => {
                    let (own, group) = member.finish(true).await;
                    own.and(group)
                }
                // Nothing written, or written in a batch that committed.
                None => Ok(()),
            },
            Writer::Own(own) => match own.txn.into_inner() {
                Some(txn) => txn.commit().await,
                // Nothing written, or its one statement ran alone.
                None => Ok(()),
            },
        }
    }

    /// Rolls back (on SQLite this writer's savepoint only), then passes the turn on.
    pub async fn rollback(self) -> Result<(), DbErr> {
        match self.0 {
            // The others' work in the group is committed; this writer's outcome is its
            // rollback's.
            Writer::Grouped(grouped) => match grouped.member.into_inner() {
                Some(member) => member.finish(false).await.0,
                None => Ok(()),
            },
            Writer::Own(own) => match own.txn.into_inner() {
                Some(txn) => txn.rollback().await,
                None => Ok(()),
            },
        }
    }

    /// Runs the writer's last script: on SQLite the savepoint's release goes with it (one
    /// hand-off for both), and when the script is all the writer writes, it goes into a
    /// batch with other writers' and returns once committed. Nothing more can be written
    /// afterwards; [`WriteTxn::commit`] follows.
    pub async fn run_closing(&self, script: Script) -> Result<(), DbErr> {
        if script.is_empty() {
            return Ok(());
        }
        let grouped = match &self.0 {
            Writer::Grouped(grouped) => grouped,
            Writer::Own(own) => return own.run_closing(script).await,
        };
        if grouped.member.get().is_none() {
            if grouped
                .written
                .swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                return Err(work_ended());
            }
            return super::write_batches::write(&grouped.file, &grouped.db, script).await;
        }
        self.close_in_turn(grouped, script).await
    }

    /// [`WriteTxn::run_closing`] for a writer that holds the turn already.
    async fn close_in_turn(&self, grouped: &Grouped, mut script: Script) -> Result<(), DbErr> {
        let member = grouped.member().await?;
        if let Some(closing) = member.closing() {
            script.push(closing);
        }
        script.run(self).await?;
        member.closed();
        Ok(())
    }
}

impl WriteTxn {
    /// The transaction a read runs in (on SQLite the group's, the writer's savepoint open).
    async fn reading(&self) -> Result<&DatabaseTransaction, DbErr> {
        match &self.0 {
            Writer::Grouped(grouped) => grouped.member().await?.reading().await,
            Writer::Own(own) => own.txn().await,
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        match &self.0 {
            Writer::Grouped(_) => DbBackend::Sqlite,
            Writer::Own(own) => own.db.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.0 {
            Writer::Grouped(grouped) => grouped.member().await?.execute(stmt).await,
            Writer::Own(own) => own.txn().await?.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match &self.0 {
            Writer::Grouped(grouped) => grouped.member().await?.execute_unprepared(sql).await,
            Writer::Own(own) => own.txn().await?.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.reading().await?.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.reading().await?.query_all_raw(stmt).await
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
        // A writer takes the turn with its first statement.
        first
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT 1"))
            .await
            .expect("read");
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

    /// A fresh database and a writer holding the turn, having inserted `n`.
    async fn first_writer_holding(n: i64) -> (tempfile::TempDir, DatabaseConnection, WriteTxn) {
        let dir = tempfile::tempdir().expect("dir");
        let db = with_table(dir.path()).await;
        let first = begin(&db).await.expect("first");
        first
            .execute_unprepared(&format!("INSERT INTO t VALUES ({n})"))
            .await
            .expect("insert");
        (dir, db, first)
    }

    /// Inserts `n` as a writer that queued behind the one holding the turn: it begins (and
    /// waits), inserts, then commits or rolls back as `keep` says.
    fn queued_writer(
        db: &DatabaseConnection,
        n: i64,
        keep: bool,
        events: &Arc<Mutex<Vec<String>>>,
    ) -> tokio::task::JoinHandle<()> {
        let (db, events) = (db.clone(), events.clone());
        tokio::spawn(async move {
            let txn = begin(&db).await.expect("turn");
            txn.execute_unprepared(&format!("INSERT INTO t VALUES ({n})"))
                .await
                .expect("insert");
            events.lock().expect("events").push(format!("{n} inserted"));
            if keep {
                txn.commit().await.expect("commit");
            } else {
                txn.rollback().await.expect("rollback");
            }
        })
    }

    #[tokio::test]
    async fn a_writer_with_others_queued_commits_with_them() {
        let (dir, db, first) = first_writer_holding(1).await;
        let other = sqlite(dir.path()).await;
        let events = Arc::new(Mutex::new(Vec::new()));
        let second = queued_writer(&db, 2, true, &events);
        tokio::time::sleep(Duration::from_millis(50)).await;
        first.commit().await.expect("first commit");
        events.lock().expect("events").push("1 committed".into());
        // The first writer's commit returned once the group with the second committed.
        assert_eq!(
            *events.lock().expect("events"),
            ["2 inserted", "1 committed"]
        );
        assert_eq!(stored(&other).await, [1, 2]);
        second.await.expect("second");
    }

    #[tokio::test]
    async fn a_writer_rolling_back_in_a_group_loses_only_its_own_work() {
        let (dir, db, first) = first_writer_holding(1).await;
        let events = Arc::new(Mutex::new(Vec::new()));
        let second = queued_writer(&db, 2, false, &events);
        let third = queued_writer(&db, 3, true, &events);
        tokio::time::sleep(Duration::from_millis(50)).await;
        first.commit().await.expect("first commit");
        second.await.expect("second");
        third.await.expect("third");
        assert_eq!(stored(&sqlite(dir.path()).await).await, [1, 3]);
    }

    fn script_of(sql: &[&str]) -> Script {
        let mut script = Script::new(DbBackend::Sqlite);
        for s in sql {
            script.push(Statement::from_string(DbBackend::Sqlite, *s));
        }
        script
    }

    #[tokio::test]
    async fn a_writers_last_script_ends_its_work_and_nothing_can_follow() {
        let dir = tempfile::tempdir().expect("dir");
        let db = with_table(dir.path()).await;
        let txn = begin(&db).await.expect("begin");
        txn.run_closing(script_of(&[
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t VALUES (2)",
        ]))
        .await
        .expect("closing script");
        // Written in a batch, committed before the writer commits.
        assert_eq!(stored(&sqlite(dir.path()).await).await, [1, 2]);
        let late = txn.execute_unprepared("INSERT INTO t VALUES (3)").await;
        assert!(late.is_err(), "a write after the last script is refused");
        txn.commit().await.expect("commit");
        assert_eq!(stored(&db).await, [1, 2]);
    }

    #[tokio::test]
    async fn a_writers_first_statement_counts_its_own_rows_only() {
        let dir = tempfile::tempdir().expect("dir");
        let db = with_table(dir.path()).await;
        db.execute_unprepared("INSERT INTO t VALUES (1), (2), (3)")
            .await
            .expect("rows");
        let txn = begin(&db).await.expect("begin");
        // Sent with the statement that opens the writer's savepoint, which changes nothing.
        let updated = txn
            .execute_unprepared("UPDATE t SET n = 10 WHERE n = 1")
            .await
            .expect("update");
        assert_eq!(updated.rows_affected(), 1);
        txn.commit().await.expect("commit");
        assert_eq!(stored(&db).await, [10, 2, 3]);
    }

    #[tokio::test]
    async fn a_writer_whose_last_script_fails_keeps_nothing_and_the_others_keep_theirs() {
        let (dir, db, first) = first_writer_holding(1).await;
        let failing = {
            let db = db.clone();
            tokio::spawn(async move {
                let txn = begin(&db).await.expect("turn");
                let err = txn
                    .run_closing(script_of(&[
                        "INSERT INTO t VALUES (2)",
                        "INSERT INTO no_such_table VALUES (2)",
                    ]))
                    .await
                    .expect_err("the script fails at its second statement");
                assert!(err.to_string().contains("no_such_table"), "{err}");
                txn.rollback().await.expect("rollback");
            })
        };
        let third = queued_writer(&db, 3, true, &Arc::new(Mutex::new(Vec::new())));
        tokio::time::sleep(Duration::from_millis(50)).await;
        first.commit().await.expect("first commit");
        failing.await.expect("failing writer");
        third.await.expect("third");
        assert_eq!(stored(&sqlite(dir.path()).await).await, [1, 3]);
    }

    /// A writer whose only work is `sql`, sent as its last script.
    fn batched_writer(
        db: &DatabaseConnection,
        sql: &'static [&'static str],
    ) -> tokio::task::JoinHandle<Result<(), DbErr>> {
        let db = db.clone();
        tokio::spawn(async move {
            let txn = begin(&db).await?;
            match txn.run_closing(script_of(sql)).await {
                Ok(()) => txn.commit().await,
                Err(err) => {
                    txn.rollback().await?;
                    Err(err)
                }
            }
        })
    }

    #[tokio::test]
    async fn writers_of_one_script_queued_together_are_each_told_their_own_outcome() {
        let (dir, db, first) = first_writer_holding(1).await;
        // They queue while the first writer holds the turn: one batch, whose fourth
        // writer's script fails at its second statement.
        let writers = [
            batched_writer(&db, &["INSERT INTO t VALUES (2)"]),
            batched_writer(&db, &["INSERT INTO t VALUES (3)"]),
            batched_writer(
                &db,
                &["INSERT INTO t VALUES (4)", "INSERT INTO none VALUES (4)"],
            ),
            batched_writer(&db, &["INSERT INTO t VALUES (5)"]),
        ];
        tokio::time::sleep(Duration::from_millis(50)).await;
        first.commit().await.expect("first commit");
        let mut outcomes = Vec::new();
        for writer in writers {
            outcomes.push(writer.await.expect("writer").is_ok());
        }
        assert_eq!(outcomes, [true, true, false, true]);
        let mut rows = stored(&sqlite(dir.path()).await).await;
        rows.sort();
        assert_eq!(
            rows,
            [1, 2, 3, 5],
            "nothing of the failed writer's, everything of the others'"
        );
    }

    #[tokio::test]
    async fn many_writers_of_one_script_at_once_are_all_stored() {
        let dir = tempfile::tempdir().expect("dir");
        let db = with_table(dir.path()).await;
        let writers: Vec<_> = (0..200i64)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move {
                    let txn = begin(&db).await.expect("begin");
                    txn.run_closing(script_of(&[format!("INSERT INTO t VALUES ({n})").as_str()]))
                        .await
                        .expect("written");
                    txn.commit().await.expect("commit");
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }
        let mut rows = stored(&sqlite(dir.path()).await).await;
        rows.sort();
        assert_eq!(rows, (0..200).collect::<Vec<i64>>());
    }

    #[tokio::test]
    async fn a_group_whose_last_writer_is_abandoned_still_commits() {
        let (dir, db, first) = first_writer_holding(1).await;
        let abandoned = {
            let db = db.clone();
            tokio::spawn(async move {
                let txn = begin(&db).await.expect("turn");
                txn.execute_unprepared("INSERT INTO t VALUES (2)")
                    .await
                    .expect("insert");
                // Never committed: the request went away.
                std::future::pending::<()>().await;
                drop(txn);
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let committing = tokio::spawn(async move { first.commit().await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        abandoned.abort();
        let committed = tokio::time::timeout(Duration::from_secs(10), committing)
            .await
            .expect("the group was committed")
            .expect("task");
        committed.expect("first commit");
        assert_eq!(stored(&sqlite(dir.path()).await).await, [1]);
        // The turn passed on: the next writer gets it and commits alone.
        let next = begin(&db).await.expect("next");
        next.execute_unprepared("INSERT INTO t VALUES (3)")
            .await
            .expect("insert");
        next.commit().await.expect("commit");
        assert_eq!(stored(&sqlite(dir.path()).await).await, [1, 3]);
    }
}
