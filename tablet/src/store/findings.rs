//! What the helper found at the door for a risk clue, kept until the server has it.

use super::{Store, sql};
use crate::error::TabletError;
use sea_orm::ConnectionTrait;

/// A finding waiting to be sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueuedFinding {
    /// The clue's task (`clue:17`).
    pub task_id: String,
    /// What was found.
    pub finding: String,
    /// `INCLUDED`, `NOT_ELIGIBLE` or `ALREADY_COVERED`.
    pub suggestion: Option<String>,
}

impl Store {
    /// Keeps a finding for the next sync (a newer one for the same task replaces it).
    pub async fn queue_finding(&self, finding: &QueuedFinding) -> Result<(), TabletError> {
        self.db()
            .execute_raw(sql(
                "INSERT INTO clue_findings (task_id, finding, suggestion, at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (task_id) DO UPDATE SET finding = excluded.finding, \
                 suggestion = excluded.suggestion, at = excluded.at",
                [
                    finding.task_id.clone().into(),
                    finding.finding.clone().into(),
                    finding.suggestion.clone().into(),
                    super::now().into(),
                ],
            ))
            .await?;
        Ok(())
    }

    /// The findings not yet sent, oldest first.
    pub async fn queued_findings(&self) -> Result<Vec<QueuedFinding>, TabletError> {
        let rows = self
            .db()
            .query_all_raw(sql(
                "SELECT task_id, finding, suggestion FROM clue_findings ORDER BY at, task_id",
                [],
            ))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(QueuedFinding {
                task_id: row.try_get("", "task_id")?,
                finding: row.try_get("", "finding")?,
                suggestion: row.try_get("", "suggestion")?,
            });
        }
        Ok(out)
    }

    /// Forgets a finding the server has (or will never take).
    pub async fn drop_finding(&self, task_id: &str) -> Result<(), TabletError> {
        self.db()
            .execute_raw(sql(
                "DELETE FROM clue_findings WHERE task_id = ?",
                [task_id.to_owned().into()],
            ))
            .await?;
        Ok(())
    }
}
