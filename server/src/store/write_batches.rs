//! SQLite writers whose whole work is one script, written several at a time. Such a writer
//! (a sync that merged households without conflicts or projections to write: its change
//! log, documents' advance, belief, cursor and audit entry) does not take the write turn
//! itself: its script joins a queue, and one task writes whatever the queue holds as one
//! writer of the turn — one script, one hand-off to SQLite's thread, one commit — then tells
//! each writer how it went, and goes on while the queue fills again. The turn changes hands
//! once per batch instead of once per writer, and each hand-over (waking the next writer's
//! task, which waits behind whatever else its thread runs) cost about as much as a write.
//!
//! A writer is told its script is stored only once its batch committed. A batch whose
//! script fails (a document that moved on since a writer read it, say) is rolled back
//! whole, and its writers' scripts are written again one by one, each told its own outcome.

use super::script::Script;
use super::write_turn;
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Most writers in one batch.
const MOST_WRITERS: usize = 32;
/// Most bound values in one batch (SQLite takes at most 32,766 in one statement).
const MOST_VALUES: usize = 16_000;

/// The queue of one database file's batched writers.
#[derive(Debug, Default)]
pub struct Batches(Mutex<Queue>);

#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<Writer>,
    /// Whether a task is writing the queue's batches.
    leading: bool,
}

#[derive(Debug)]
struct Writer {
    script: Script,
    told: oneshot::Sender<Result<(), DbErr>>,
}

impl Batches {
    /// Writes `script` in the next batch of `db`'s file; returns once its batch committed
    /// (or with why it was not stored).
    pub async fn write(
        self: &Arc<Self>,
        db: &DatabaseConnection,
        script: Script,
    ) -> Result<(), DbErr> {
        let (told, outcome) = oneshot::channel();
        let leads = {
            let mut queue = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            queue.waiting.push(Writer { script, told });
            !std::mem::replace(&mut queue.leading, true)
        };
        if leads {
            // A task of its own: the batch must not end with the request that started it.
            tokio::spawn(lead(self.clone(), db.clone()));
        }
        outcome.await.unwrap_or_else(|_| {
            Err(DbErr::Custom(
                "the batch holding this write ended without telling how it went".into(),
            ))
        })
    }

    /// The next batch: the writers that waited longest, up to [`MOST_WRITERS`] and
    /// [`MOST_VALUES`]; none (and the task stops leading) when nobody waits.
    fn next(&self) -> Vec<Writer> {
        let mut queue = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if queue.waiting.is_empty() {
            queue.leading = false;
            return Vec::new();
        }
        let (mut writers, mut values) = (0, 0);
        for writer in &queue.waiting {
            values += writer.script.values();
            if writers > 0 && (writers == MOST_WRITERS || values > MOST_VALUES) {
                break;
            }
            writers += 1;
        }
        queue.waiting.drain(..writers).collect()
    }
}

/// Writes the queue's batches until nobody waits.
async fn lead(batches: Arc<Batches>, db: DatabaseConnection) {
    loop {
        let batch = batches.next();
        if batch.is_empty() {
            return;
        }
        write_batch(&db, batch).await;
    }
}

async fn write_batch(db: &DatabaseConnection, batch: Vec<Writer>) {
    let mut together = Script::new(sea_orm::DbBackend::Sqlite);
    for writer in &batch {
        together.extend(writer.script.clone());
    }
    let outcome = write_alone(db, together).await;
    if outcome.is_ok() || batch.len() == 1 {
        for writer in batch {
            let _ = writer.told.send(outcome.clone());
        }
        return;
    }
    for writer in batch {
        let outcome = write_alone(db, writer.script).await;
        let _ = writer.told.send(outcome);
    }
}

/// Writes one script as a writer of the turn and waits for its group's commit.
async fn write_alone(db: &DatabaseConnection, script: Script) -> Result<(), DbErr> {
    let txn = write_turn::begin(db).await?;
    match txn.close_in_turn(script).await {
        Ok(()) => txn.commit().await,
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}
