//! A writer's savepoint in its group's transaction. It is not opened on its own: its
//! `SAVEPOINT` goes to SQLite's connection thread with the writer's first statement, and
//! its `RELEASE` with the writer's last script where the writer says which that is
//! ([`Member::closing`]). Each statement sent to SQLite's thread is a hand-off there and
//! back, and the writer holds the database's write turn for all of them: a writer that
//! reads or writes a little before its last script holds it for two hand-offs instead of
//! four (one whose whole work is that script is written in a batch, see
//! [`crate::store::write_batches`]).

use super::{Member, Slot};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, Statement};
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::sync::OwnedMutexGuard;

const OPEN_IT: &str = "SAVEPOINT zoufang_writer;\n";
const RELEASE_IT: &str = "RELEASE zoufang_writer";
const UNDO_IT: &str = "ROLLBACK TO zoufang_writer; RELEASE zoufang_writer";

const NOT_OPENED: u8 = 0;
const OPEN: u8 = 1;
const ENDED: u8 = 2;

/// Where a writer's savepoint stands: not opened yet, open, or ended (released into the
/// group, or rolled back).
#[derive(Debug, Default)]
pub struct Savepoint(AtomicU8);

impl Savepoint {
    /// The text that opens the savepoint, the first time a statement is sent (empty after);
    /// an error once the writer's work ended, when nothing more may be written in it.
    fn opening(&self) -> Result<&'static str, DbErr> {
        match self
            .0
            .compare_exchange(NOT_OPENED, OPEN, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => Ok(OPEN_IT),
            Err(OPEN) => Ok(""),
            Err(_) => Err(DbErr::Custom(
                "the writer's work has ended: nothing more can be written in it".into(),
            )),
        }
    }

    fn is_open(&self) -> bool {
        self.0.load(Ordering::SeqCst) == OPEN
    }

    fn ended(&self) {
        self.0.store(ENDED, Ordering::SeqCst);
    }

    /// An abandoned writer's turn: its savepoint, if open, is rolled back before the turn
    /// passes (by a task, as dropping cannot wait); the group is rolled back whole if that
    /// fails, or if no task can be started, so that nothing of the writer's is committed.
    pub fn abandon(&self, mut turn: OwnedMutexGuard<Slot>) {
        if !self.is_open() {
            return;
        }
        self.ended();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // Dropping the group's transaction rolls it back.
            turn.open.take();
            return;
        };
        runtime.spawn(async move {
            let undone = match turn.open.as_ref() {
                Some(group) => group.outer.execute_unprepared(UNDO_IT).await.map(drop),
                None => Ok(()),
            };
            if let Err(err) = undone
                && let Some(group) = turn.open.take()
            {
                group.abort(&err).await;
            }
        });
    }
}

impl Member {
    /// The group's transaction.
    fn outer(&self) -> Result<&DatabaseTransaction, DbErr> {
        self.turn
            .as_ref()
            .and_then(|turn| turn.open.as_ref())
            .map(|group| &group.outer)
            .ok_or_else(|| DbErr::Custom("the writer's group is gone".into()))
    }

    /// Runs a statement in the writer's savepoint (opening it with the statement, the first
    /// time: one hand-off).
    pub async fn execute(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        let outer = self.outer()?;
        let opening = self.savepoint.opening()?;
        if opening.is_empty() {
            return outer.execute_raw(statement).await;
        }
        let sql = format!("{opening}{}", statement.sql);
        outer.execute_raw(Statement { sql, ..statement }).await
    }

    /// [`Member::execute`] for a statement without parameters.
    pub async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let outer = self.outer()?;
        let opening = self.savepoint.opening()?;
        outer.execute_unprepared(&format!("{opening}{sql}")).await
    }

    /// The transaction to read in, the writer's savepoint open (a read's rows come from
    /// its one statement: the savepoint is opened on its own first, when it is not yet).
    pub async fn reading(&self) -> Result<&DatabaseTransaction, DbErr> {
        let outer = self.outer()?;
        let opening = self.savepoint.opening()?;
        if !opening.is_empty() {
            outer.execute_unprepared(opening).await?;
        }
        Ok(outer)
    }

    /// The statement that releases the savepoint, to send last with the writer's last
    /// script; `None` when nothing was written (nothing to release). Call
    /// [`Member::closed`] once it ran.
    pub fn closing(&self) -> Option<Statement> {
        self.savepoint
            .is_open()
            .then(|| Statement::from_string(DbBackend::Sqlite, RELEASE_IT))
    }

    /// Records that the writer's last script released the savepoint: nothing more can be
    /// written in it.
    pub fn closed(&self) {
        self.savepoint.ended();
    }

    /// Ends the writer's work: releases the savepoint into the group (`keep`) or rolls it
    /// back. A release that fails is rolled back instead (and reported); a rollback that
    /// fails rolls the whole group back, so that nothing half-written is committed.
    pub(super) async fn end(&mut self, keep: bool) -> Result<(), DbErr> {
        if !self.savepoint.is_open() {
            self.savepoint.ended();
            return Ok(());
        }
        let outer = self.outer()?;
        let released = match keep {
            true => outer.execute_unprepared(RELEASE_IT).await.map(drop),
            false => Err(DbErr::Custom("rolled back".into())),
        };
        if released.is_ok() {
            self.savepoint.ended();
            return Ok(());
        }
        let undone = outer.execute_unprepared(UNDO_IT).await.map(drop);
        self.savepoint.ended();
        if let Err(err) = &undone
            && let Some(group) = self.turn.as_mut().and_then(|turn| turn.open.take())
        {
            group.abort(err).await;
        }
        match keep {
            true => released.and(undone),
            false => undone,
        }
    }
}
