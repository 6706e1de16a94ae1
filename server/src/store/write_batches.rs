//! SQLite writers whose whole work is one script, written several at a time. Such a writer
//! (a sync that merged households without conflicts or projections to write: its change
//! log, documents' advance, belief, cursor and audit entry) does not take the write turn
//! itself: its script joins a queue, and one task writes whatever the queue holds in one
//! transaction on a connection of its own — `BEGIN IMMEDIATE`, the scripts, `COMMIT`, all
//! in one hand-off to SQLite's thread — then tells each writer how it went, and goes on
//! while the queue fills again. The turn changes hands once per batch instead of once per
//! writer, and each hand-over (waking the next writer's task, which waits behind whatever
//! else its thread runs) cost about as much as a write.
//!
//! A writer is told its script is stored only once its batch committed. A batch whose
//! script fails (a document that moved on since a writer read it, say) is rolled back
//! whole, and its writers' scripts are written again one by one, each told its own outcome.

use super::commit_group::{self, FileTurn};
use super::script::Script;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Most writers in one batch.
const MOST_WRITERS: usize = 32;
/// Most bound values in one batch, which go to SQLite's thread as one query's arguments.
const MOST_VALUES: usize = 16_000;

/// The queue of one database file's batched writers, and the connection their batches are
/// written on (a pool of one, opened when first needed).
#[derive(Debug, Default)]
pub struct Batches {
    queue: Mutex<Queue>,
    connection: Mutex<Option<DatabaseConnection>>,
}

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

/// Writes `script` in the next batch of `db`'s file, whose turn is `file`; returns once
/// its batch committed (or with why it was not stored).
pub async fn write(
    file: &Arc<FileTurn>,
    db: &DatabaseConnection,
    script: Script,
) -> Result<(), DbErr> {
    let (told, outcome) = oneshot::channel();
    let leads = {
        let mut queue = file
            .batches
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        queue.waiting.push(Writer { script, told });
        !std::mem::replace(&mut queue.leading, true)
    };
    if leads {
        // A task of its own: the batch must not end with the request that started it.
        tokio::spawn(lead(file.clone(), db.clone()));
    }
    outcome.await.unwrap_or_else(|_| {
        Err(DbErr::Custom(
            "the batch holding this write ended without telling how it went".into(),
        ))
    })
}

impl Batches {
    /// The next batch: the writers that waited longest, up to [`MOST_WRITERS`] and
    /// [`MOST_VALUES`]; none (and the task stops leading) when nobody waits.
    fn next(&self) -> Vec<Writer> {
        let mut queue = self
            .queue
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

    /// The batches' own connection, opened on `db`'s file with its settings.
    async fn connection(&self, db: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
        if let Some(open) = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
        {
            return Ok(open);
        }
        let options = db.get_sqlite_connection_pool().connect_options();
        let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with((*options).clone())
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        let open = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
        *self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(open.clone());
        Ok(open)
    }

    /// Forgets the batches' connection (closing it): it may be left inside a transaction.
    async fn drop_connection(&self) {
        let open = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(open) = open {
            let _ = open.close().await;
        }
    }
}

/// Writes the queue's batches until nobody waits.
async fn lead(file: Arc<FileTurn>, db: DatabaseConnection) {
    let writing = Writing {
        file: &file,
        db: &db,
    };
    loop {
        let batch = file.batches.next();
        if batch.is_empty() {
            return;
        }
        writing.batch(batch).await;
    }
}

/// Where a batch is written.
struct Writing<'a> {
    file: &'a FileTurn,
    db: &'a DatabaseConnection,
}

impl Writing<'_> {
    async fn batch(&self, batch: Vec<Writer>) {
        let mut together = Script::new(DbBackend::Sqlite);
        for writer in &batch {
            together.extend(writer.script.clone());
        }
        let outcome = self.transaction(together, batch.len()).await;
        if outcome.is_ok() || batch.len() == 1 {
            for writer in batch {
                let _ = writer.told.send(outcome.clone());
            }
            return;
        }
        for writer in batch {
            let outcome = self.transaction(writer.script, 1).await;
            let _ = writer.told.send(outcome);
        }
    }

    /// Writes `script`, the work of `writers` writers, as one transaction of its own, in
    /// one hand-off, holding the turn.
    async fn transaction(&self, script: Script, writers: usize) -> Result<(), DbErr> {
        let batches = &self.file.batches;
        let connection = batches.connection(self.db).await?;
        let turn = commit_group::alone(self.file).await;
        let mut all = Script::new(DbBackend::Sqlite);
        all.push(Statement::from_string(DbBackend::Sqlite, "BEGIN IMMEDIATE"));
        all.extend(script);
        all.push(Statement::from_string(DbBackend::Sqlite, "COMMIT"));
        match all.run(&connection).await {
            Ok(_) => {
                turn.committed(self.db, writers);
                Ok(())
            }
            Err(err) => {
                // Nothing of the failed transaction stays; a connection that cannot say so
                // is closed, not used again.
                if let Err(rollback) = connection.execute_unprepared("ROLLBACK").await
                    && !rollback.to_string().contains("no transaction is active")
                {
                    batches.drop_connection().await;
                }
                Err(err)
            }
        }
    }
}
