//! Identification proposals made at the door, kept until the server has them.

use super::{Store, sql};
use crate::error::TabletError;
use sea_orm::ConnectionTrait;

/// A proposal waiting to be sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueuedProposal {
    /// The household document.
    pub household: String,
    /// `UNSTABLE_LIFTED`, `MARGINAL` or `SUDDEN_HARDSHIP`.
    pub category: String,
    /// Risk type codes.
    pub risk_types: Vec<String>,
    /// Why.
    pub reason: String,
}

impl Store {
    /// Keeps a proposal for the next sync (a newer one for the same household replaces it).
    pub async fn queue_proposal(&self, proposal: &QueuedProposal) -> Result<(), TabletError> {
        let body = serde_json::to_string(proposal)?;
        self.db()
            .execute_raw(sql(
                "INSERT INTO proposals (household, body, at) VALUES (?, ?, ?) \
                 ON CONFLICT (household) DO UPDATE SET body = excluded.body, at = excluded.at",
                [
                    proposal.household.clone().into(),
                    body.into(),
                    super::now().into(),
                ],
            ))
            .await?;
        Ok(())
    }

    /// The proposals not yet sent, oldest first.
    pub async fn queued_proposals(&self) -> Result<Vec<QueuedProposal>, TabletError> {
        let rows = self
            .db()
            .query_all_raw(sql("SELECT body FROM proposals ORDER BY at, household", []))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let body: String = row.try_get("", "body")?;
            out.push(serde_json::from_str(&body)?);
        }
        Ok(out)
    }

    /// Forgets a proposal the server has (or will never take).
    pub async fn drop_proposal(&self, household: &str) -> Result<(), TabletError> {
        self.db()
            .execute_raw(sql(
                "DELETE FROM proposals WHERE household = ?",
                [household.to_owned().into()],
            ))
            .await?;
        Ok(())
    }
}
