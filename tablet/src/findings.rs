//! Risk clues checked at the door: the helper's finding is kept on the tablet (no network
//! needed) and sent after the next sync's documents; the server then closes the clue's task.

use crate::api::ServerApi;
use crate::error::TabletError;
use crate::store::{Account, QueuedFinding};
use crate::tablet::Tablet;
use zoufang_schemas::{TaskKind, VerifyStatus};

/// What sending the findings came to.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    pub sent: usize,
    /// (task, code, message) of findings the server will never take.
    pub refused: Vec<(String, String, String)>,
}

impl Tablet {
    /// Records what was found at the door for the risk clue of task `task_id`, with an
    /// optional suggestion (`INCLUDED`, `NOT_ELIGIBLE`, `ALREADY_COVERED`); sent at the next
    /// sync.
    pub async fn record_finding(
        &self,
        task_id: &str,
        finding: &str,
        suggestion: Option<&str>,
    ) -> Result<(), TabletError> {
        let task = self
            .store()
            .tasks()
            .await?
            .into_iter()
            .find(|t| t.id == task_id)
            .ok_or_else(|| TabletError::Invalid(format!("no task {task_id} on this tablet")))?;
        if task.kind != TaskKind::VerifyRiskClue {
            return Err(TabletError::Invalid(format!(
                "task {task_id} is not a risk clue to verify"
            )));
        }
        if finding.trim().is_empty() {
            return Err(TabletError::Invalid(
                "say what was found at the door".into(),
            ));
        }
        let suggestion = match suggestion {
            None => None,
            Some(code) => match VerifyStatus::from_code(code) {
                Some(VerifyStatus::Pending) | None => {
                    return Err(TabletError::Invalid(format!(
                        "`{code}`: suggest INCLUDED, NOT_ELIGIBLE or ALREADY_COVERED"
                    )));
                }
                Some(s) => Some(s.code().to_owned()),
            },
        };
        self.store()
            .queue_finding(&QueuedFinding {
                task_id: task_id.to_owned(),
                finding: finding.trim().to_owned(),
                suggestion,
            })
            .await
    }

    pub(crate) async fn send_findings(
        &self,
        api: &ServerApi,
        account: &mut Account,
    ) -> Result<Sent, TabletError> {
        let mut done = Sent::default();
        for finding in self.store().queued_findings().await? {
            let Some(clue) = finding.task_id.strip_prefix("clue:") else {
                self.store().drop_finding(&finding.task_id).await?;
                continue;
            };
            let path = format!("/api/v1/clues/{clue}/finding");
            let body =
                serde_json::json!({ "finding": finding.finding, "suggestion": finding.suggestion });
            let refused = self.post_queued(api, account, &path, &body).await?;
            // Taken, or decided already, withdrawn, not this helper's: offered once either way.
            self.store().drop_finding(&finding.task_id).await?;
            match refused {
                None => done.sent += 1,
                Some((code, message)) => {
                    done.refused.push((finding.task_id.clone(), code, message))
                }
            }
        }
        Ok(done)
    }

    /// Posts one queued item: `None` when the server took it, the refusal's code and
    /// message when it never will (400, 403, 404, 409); other failures (no network, the
    /// server unavailable) are errors, and the item stays queued.
    pub(crate) async fn post_queued(
        &self,
        api: &ServerApi,
        account: &mut Account,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Option<(String, String)>, TabletError> {
        let result = self
            .with_login(api, account, |token| {
                let request = api
                    .client()
                    .post(api.url(path))
                    .bearer_auth(token)
                    .json(body);
                async move { api.send(request).await.map(|_| ()) }
            })
            .await;
        match result {
            Ok(()) => Ok(None),
            Err(TabletError::Server {
                status: 400 | 403 | 404 | 409,
                code,
                message,
            }) => Ok(Some((code, message))),
            Err(err) => Err(err),
        }
    }
}
