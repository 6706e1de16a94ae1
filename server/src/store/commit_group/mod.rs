//! Group commit for SQLite's writers. Writers of one database file take turns (see
//! [`super::write_turn`]); a writer that finishes while others wait for the turn does not
//! commit on its own: its work is released as a savepoint inside one open transaction, the
//! next writer carries on in that transaction, and whoever finishes with nobody waiting
//! commits them all at once. One commit then writes the write-ahead log and invalidates
//! the other connections' page caches once for many writers, instead of once each.
//!
//! A writer's savepoint opens with its first statement and, where the writer knows which
//! statement is its last, is released with it ([`savepoint`]). Writers whose whole work is
//! one script are written in batches outside any group ([`alone`],
//! [`super::write_batches`]).
//!
//! A writer's commit returns only once the group's transaction committed (or failed, with
//! that error): what it acknowledges is stored. A writer that rolls back or is abandoned
//! loses its own savepoint only. A group left open with nobody to finish it (its last
//! writer abandoned, or a waiter that gave up) is committed by the writers waiting on it
//! after [`GROUP_WAIT`], or by a task the abandoned writer leaves behind.

mod checkpoints;
mod savepoint;

use savepoint::Savepoint;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

/// Most writers committed together: a group's last writer commits even with others waiting.
const MOST_MEMBERS: usize = 32;
/// A group whose first writer finished this long ago is committed by the writer that
/// finishes, even with others waiting: under steady load someone always waits, and the
/// first writers of a group would otherwise wait for everything written after them (behind
/// large writers most of all).
const LONGEST_OPEN: Duration = Duration::from_millis(2);
/// How long a writer waits for its group's commit before it takes the turn to commit it.
const GROUP_WAIT: Duration = Duration::from_millis(200);

/// One database file's write turn and the group of writers open under it.
#[derive(Debug, Default)]
pub struct FileTurn {
    slot: Arc<Mutex<Slot>>,
    waiting: AtomicUsize,
    checkpoints: Arc<checkpoints::Checkpoints>,
    /// Writers whose whole work is one script, written in batches.
    pub batches: super::write_batches::Batches,
}

/// What the holder of the turn may use: the open group, if any.
#[derive(Debug, Default)]
pub struct Slot {
    open: Option<OpenGroup>,
}

/// A transaction holding the released work of one or more writers, not committed yet.
struct OpenGroup {
    /// The pool whose connection holds the transaction (a group serves one pool).
    pool: Arc<SqliteConnectOptions>,
    /// Where the checkpoint after its commit runs.
    db: DatabaseConnection,
    checkpoints: Arc<checkpoints::Checkpoints>,
    outer: DatabaseTransaction,
    members: usize,
    /// When its first writer finished.
    first_done: Option<std::time::Instant>,
    done: Arc<Outcome>,
}

impl std::fmt::Debug for OpenGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenGroup")
            .field("members", &self.members)
            .finish_non_exhaustive()
    }
}

impl OpenGroup {
    /// Opens a group on a connection of `db`, taking the write lock at once.
    async fn begin(
        db: &DatabaseConnection,
        pool: Arc<SqliteConnectOptions>,
        checkpoints: Arc<checkpoints::Checkpoints>,
    ) -> Result<Self, DbErr> {
        Ok(Self {
            pool,
            db: db.clone(),
            checkpoints,
            outer: db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await?,
            members: 0,
            first_done: None,
            done: Arc::default(),
        })
    }

    /// Commits the group and tells its writers how it went.
    async fn commit(self) {
        metrics::histogram!("zoufang_write_group_writers").record(self.members as f64);
        let result = self.outer.commit().await;
        match &result {
            Ok(()) => self.checkpoints.after_commit(&self.db),
            Err(err) => tracing::warn!(error = %err, members = self.members, "group commit failed"),
        }
        let _ = self.done.result.set(result);
        self.done.notify.notify_waiters();
    }

    /// Rolls the whole group back (a writer's work in it could not be undone alone) and
    /// tells its writers.
    async fn abort(self, cause: &DbErr) {
        tracing::warn!(error = %cause, members = self.members, "write group rolled back");
        let _ = self.outer.rollback().await;
        let _ = self.done.result.set(Err(DbErr::Custom(format!(
            "the write group was rolled back: {cause}"
        ))));
        self.done.notify.notify_waiters();
    }
}

/// How a group's commit went, for the writers waiting on it.
#[derive(Debug, Default)]
pub struct Outcome {
    result: OnceLock<Result<(), DbErr>>,
    notify: Notify,
}

/// A writer's place in a group: the turn it holds while working, its savepoint in the
/// group's transaction.
#[derive(Debug)]
pub struct Member {
    file: Arc<FileTurn>,
    done: Arc<Outcome>,
    turn: Option<OwnedMutexGuard<Slot>>,
    savepoint: Savepoint,
    /// When it took the turn.
    held_since: std::time::Instant,
}

/// Counts a writer waiting for the turn while it waits (also when it gives up waiting).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits for `file`'s turn (in the order writers asked for it) and takes it.
async fn take_turn(file: &FileTurn) -> OwnedMutexGuard<Slot> {
    let asked = std::time::Instant::now();
    let turn = {
        let _waiting = Waiting::new(&file.waiting);
        file.slot.clone().lock_owned().await
    };
    metrics::histogram!("zoufang_write_turn_wait_seconds").record(asked.elapsed().as_secs_f64());
    turn
}

/// Takes `file`'s turn and joins (or opens) the group of `db`'s pool, whose connect
/// options are `pool`. The writer's savepoint in the group's transaction opens with its
/// first statement (see [`Member::execute`]).
pub async fn join(
    file: Arc<FileTurn>,
    db: &DatabaseConnection,
    pool: Arc<SqliteConnectOptions>,
) -> Result<Member, DbErr> {
    let mut turn = take_turn(&file).await;
    // A group of another pool of the same file holds the database's write lock: it is
    // committed first.
    if let Some(other) = turn.open.take_if(|g| !Arc::ptr_eq(&g.pool, &pool)) {
        other.commit().await;
    }
    if turn.open.is_none() {
        turn.open = Some(OpenGroup::begin(db, pool, file.checkpoints.clone()).await?);
    }
    let mut done = Arc::default();
    if let Some(open) = turn.open.as_mut() {
        open.members += 1;
        done = open.done.clone();
    }
    Ok(Member {
        file,
        done,
        turn: Some(turn),
        savepoint: Savepoint::default(),
        held_since: std::time::Instant::now(),
    })
}

/// The turn of a file held by a writer outside any group (the batches' writer, which
/// writes its own transaction on its own connection): whatever group was open is committed
/// first. Dropping it passes the turn on.
#[derive(Debug)]
pub struct Alone {
    _turn: OwnedMutexGuard<Slot>,
    checkpoints: Arc<checkpoints::Checkpoints>,
    held_since: std::time::Instant,
}

/// Takes `file`'s turn for a writer outside any group.
pub async fn alone(file: &FileTurn) -> Alone {
    let mut turn = take_turn(file).await;
    if let Some(open) = turn.open.take() {
        open.commit().await;
    }
    Alone {
        _turn: turn,
        checkpoints: file.checkpoints.clone(),
        held_since: std::time::Instant::now(),
    }
}

impl Alone {
    /// After the commit of `writers` writers' work: a checkpoint of `db`'s file may be due.
    pub fn committed(&self, db: &DatabaseConnection, writers: usize) {
        metrics::histogram!("zoufang_write_group_writers").record(writers as f64);
        self.checkpoints.after_commit(db);
    }
}

impl Drop for Alone {
    fn drop(&mut self) {
        metrics::histogram!("zoufang_write_turn_held_seconds")
            .record(self.held_since.elapsed().as_secs_f64());
    }
}

impl Member {
    /// Ends the writer's work, kept (released into the group) or not (rolled back), and
    /// passes the turn on: commits the group when nobody waits for the turn (or the group
    /// is full, or its first writer finished [`LONGEST_OPEN`] ago), then waits for the
    /// group's commit either way. Returns how the writer's work ended, then the group's
    /// commit.
    pub async fn finish(mut self, keep: bool) -> (Result<(), DbErr>, Result<(), DbErr>) {
        let ended = self.end(keep).await;
        if let Some(mut turn) = self.turn.take() {
            let full = turn.open.as_mut().is_some_and(|g| {
                let first_done = *g.first_done.get_or_insert_with(std::time::Instant::now);
                g.members >= MOST_MEMBERS || first_done.elapsed() >= LONGEST_OPEN
            });
            if (full || self.file.waiting.load(Ordering::SeqCst) == 0)
                && let Some(open) = turn.open.take()
            {
                open.commit().await;
            }
            metrics::histogram!("zoufang_write_turn_held_seconds")
                .record(self.held_since.elapsed().as_secs_f64());
        }
        let committed = self.committed().await;
        metrics::histogram!("zoufang_write_commit_wait_seconds")
            .record(self.held_since.elapsed().as_secs_f64());
        (ended, committed)
    }

    /// Waits for the group's commit, committing the group itself when nobody else did
    /// within [`GROUP_WAIT`].
    async fn committed(&self) -> Result<(), DbErr> {
        loop {
            let notified = self.done.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(result) = self.done.result.get() {
                return result.clone();
            }
            if tokio::time::timeout(GROUP_WAIT, notified).await.is_err() {
                commit_if_open(&self.file, &self.done).await;
            }
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        // An abandoned writer (its savepoint is rolled back before the turn passes), or
        // one that stopped waiting: the turn passes, and the group it leaves open is
        // committed if nobody else does.
        if let Some(turn) = self.turn.take() {
            self.savepoint.abandon(turn);
        }
        if self.done.result.get().is_none()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let (file, done) = (self.file.clone(), self.done.clone());
            runtime.spawn(async move {
                tokio::time::sleep(GROUP_WAIT).await;
                commit_if_open(&file, &done).await;
            });
        }
    }
}

/// Commits the group of `done` if it is still open.
async fn commit_if_open(file: &FileTurn, done: &Arc<Outcome>) {
    if done.result.get().is_some() {
        return;
    }
    let mut turn = file.slot.lock().await;
    if let Some(open) = turn.open.take_if(|g| Arc::ptr_eq(&g.done, done)) {
        open.commit().await;
    }
}
