//! Tasks the server sent (risk clues to verify, returned visits), kept by id.

use super::{Store, sql};
use crate::error::TabletError;
use sea_orm::ConnectionTrait;
use zoufang_schemas::Task;

/// Stores the tasks of a reply: a task the tablet has is replaced by the server's newer
/// copy, a new one is added, a closed one is dropped.
pub(super) async fn replace<C: ConnectionTrait>(db: &C, tasks: &[Task]) -> Result<(), TabletError> {
    for task in tasks {
        if task.closed {
            db.execute_raw(sql(
                "DELETE FROM tasks WHERE id = ?",
                [task.id.clone().into()],
            ))
            .await?;
            continue;
        }
        db.execute_raw(sql(
            "INSERT INTO tasks (id, body) VALUES (?, ?) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            [task.id.clone().into(), serde_json::to_string(task)?.into()],
        ))
        .await?;
    }
    Ok(())
}

impl Store {
    /// Every task held, by due date then id.
    pub async fn tasks(&self) -> Result<Vec<Task>, TabletError> {
        let rows = self
            .db()
            .query_all_raw(sql("SELECT body FROM tasks ORDER BY id", []))
            .await?;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in rows {
            let body: String = row.try_get("", "body")?;
            tasks.push(serde_json::from_str::<Task>(&body)?);
        }
        tasks.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
        Ok(tasks)
    }
}
