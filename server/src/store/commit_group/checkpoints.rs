//! Copying SQLite's write-ahead log back into the database file (a checkpoint), away from
//! the writers. Left to SQLite, the commit that fills the log past its threshold does the
//! checkpoint itself: it writes a thousand pages and syncs the file while holding the
//! write turn every other writer queues for. Here the connections do not checkpoint on
//! their own (`wal_autocheckpoint = 0`, see [`crate::store::connect`]); after a group
//! commit, a passive checkpoint is started on another connection of the pool, at most
//! every [`EVERY`], and writers go on appending to the log meanwhile.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Least time between two checkpoints of one database file.
const EVERY: Duration = Duration::from_millis(250);

/// The checkpoints of one database file.
#[derive(Debug, Default)]
pub struct Checkpoints {
    running: AtomicBool,
    last: Mutex<Option<Instant>>,
}

impl Checkpoints {
    /// Starts a passive checkpoint of `db`'s file unless one runs or ran less than
    /// [`EVERY`] ago.
    pub fn after_commit(self: &std::sync::Arc<Self>, db: &DatabaseConnection) {
        let recent = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|last| last.elapsed() < EVERY);
        if recent || self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.running.store(false, Ordering::SeqCst);
            return;
        };
        let (checkpoints, db) = (self.clone(), db.clone());
        runtime.spawn(async move {
            if let Err(err) = db
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await
            {
                tracing::warn!(error = %err, "checkpoint failed");
            }
            *checkpoints
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
            checkpoints.running.store(false, Ordering::SeqCst);
        });
    }
}
