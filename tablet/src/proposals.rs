//! Proposing a household for identification at the door: the proposal (category, risk
//! types, reason) is checked and kept on the tablet (no network needed) and sent after the
//! next sync's documents; the county decides on the server.

use crate::api::ServerApi;
use crate::error::TabletError;
use crate::findings::Sent;
use crate::store::{Account, QueuedProposal};
use crate::tablet::Tablet;
use zoufang_schemas::{MonitorCategory, RiskType};

/// Most risk types a household has.
const MAX_RISK_TYPES: usize = 5;

impl Tablet {
    /// Proposes `household` (its id or a unique start of it) as a monitored household of
    /// `category` with `risks` and `reason`; sent at the next sync.
    pub async fn record_proposal(
        &self,
        household: &str,
        category: &str,
        risks: &[String],
        reason: &str,
    ) -> Result<String, TabletError> {
        let id = self.store().resolve(household).await?;
        let category = MonitorCategory::from_code(category.trim()).ok_or_else(|| {
            TabletError::Invalid(format!(
                "`{category}`: UNSTABLE_LIFTED, MARGINAL or SUDDEN_HARDSHIP"
            ))
        })?;
        let mut risk_types: Vec<String> = Vec::new();
        for code in risks {
            let risk = RiskType::from_code(code.trim())
                .ok_or_else(|| TabletError::Invalid(format!("`{code}` is not a risk type")))?;
            if !risk_types.iter().any(|r| r == risk.code()) {
                risk_types.push(risk.code().to_owned());
            }
        }
        if risk_types.is_empty() || risk_types.len() > MAX_RISK_TYPES {
            return Err(TabletError::Invalid(format!(
                "name one to {MAX_RISK_TYPES} risk types"
            )));
        }
        if reason.trim().is_empty() {
            return Err(TabletError::Invalid(
                "say why the household should be monitored".into(),
            ));
        }
        let household = id.to_string();
        self.store()
            .queue_proposal(&QueuedProposal {
                household: household.clone(),
                category: category.code().to_owned(),
                risk_types,
                reason: reason.trim().to_owned(),
            })
            .await?;
        Ok(household)
    }

    pub(crate) async fn send_proposals(
        &self,
        api: &ServerApi,
        account: &mut Account,
    ) -> Result<Sent, TabletError> {
        let mut done = Sent::default();
        for proposal in self.store().queued_proposals().await? {
            let body = serde_json::to_value(&proposal)?;
            let refused = self
                .post_queued(api, account, "/api/v1/identifications", &body)
                .await?;
            // Taken, or monitored already, a proposal waiting, not this helper's household:
            // offered once either way.
            self.store().drop_proposal(&proposal.household).await?;
            match refused {
                None => done.sent += 1,
                Some((code, message)) => {
                    done.refused
                        .push((format!("proposal:{}", proposal.household), code, message))
                }
            }
        }
        Ok(done)
    }
}
