//! `sync`: exchange documents with the server until nothing more is needed, carrying out
//! each reply in one local transaction. A failed exchange leaves the store as it was; the
//! next sync rebuilds its request from the store and the server ignores what it already
//! has, so an interrupted sync resumes without loss or duplication.

use crate::api::ServerApi;
use crate::error::TabletError;
use crate::store::{Account, LastSync};
use crate::tablet::Tablet;
use serde::Serialize;
use std::collections::BTreeMap;
use zoufang_schemas::wire::{DocId, Head};
use zoufang_sync::client::{build_request, plan_reply};
use zoufang_sync::codec::{Limits, decode_reply, encode};
use zoufang_sync::memory::changes_since;

/// Exchanges per sync at most; the protocol needs two at most (a digest mismatch first).
const MAX_ROUND_TRIPS: usize = 4;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    /// Figures of this sync (also kept as the last sync).
    #[serde(flatten)]
    pub figures: LastSync,
    /// Refusals of this sync: (household, code, message).
    pub refusals: Vec<(String, String, String)>,
}

impl Tablet {
    /// Syncs the documents with the server.
    pub async fn sync(&self) -> Result<SyncSummary, TabletError> {
        let (mut account, actor) = self.identity().await?;
        let api = ServerApi::new(&account.server)?;
        let mut summary = SyncSummary::default();
        for _ in 0..MAX_ROUND_TRIPS {
            let docs: BTreeMap<DocId, _> = self
                .store
                .docs(&actor)
                .await?
                .into_iter()
                .map(|d| (d.id, d.doc))
                .collect();
            let held: BTreeMap<DocId, Vec<Head>> =
                docs.iter().map(|(id, doc)| (*id, doc.heads())).collect();
            let state = self.store.client_state().await?;
            let request = build_request(&state, &held, |id, since| {
                docs.get(id)
                    .map_or_else(Vec::new, |doc| changes_since(doc.automerge(), since))
            });
            drop(docs);
            let body = encode(&request);
            let reply = self.exchange(&api, &mut account, &body).await?;
            let figures = &mut summary.figures;
            figures.bytes_up += body.len();
            figures.bytes_down += reply.len();
            figures.round_trips += 1;
            figures.docs_sent += request.updates.len();
            let reply = decode_reply(&reply, &Limits::default())
                .map_err(|e| TabletError::Protocol(e.to_string()))?;
            let plan = plan_reply(&state, &request, &held, reply);
            let applied = self
                .store
                .apply_reply(
                    &actor,
                    plan.ops,
                    &plan.state,
                    &plan.refused,
                    Some(&plan.tasks),
                )
                .await?;
            figures.docs_received += applied.received;
            figures.docs_purged += applied.purged;
            figures.conflicts += applied.conflicts;
            figures.refused += plan.refused.len();
            summary.refusals.extend(
                plan.refused
                    .iter()
                    .map(|r| (r.doc.to_string(), r.code.clone(), r.message.clone())),
            );
            if !plan.again {
                break;
            }
        }
        summary.figures.at = crate::store::now();
        // Recorded before the photos too, so an interrupted upload keeps the documents' figures.
        self.store.set_last_sync(&summary.figures).await?;
        // Photos after the documents; an interrupted upload resumes at the next sync.
        let uploaded = self.upload_photos(&api, &mut account).await?;
        summary.figures.photos_uploaded = uploaded.photos;
        summary.figures.photo_bytes_up = uploaded.bytes;
        summary.figures.photos_refused = uploaded.refused.len();
        summary.refusals.extend(uploaded.refused);
        // What helpers found at the door for risk clues.
        let findings = self.send_findings(&api, &mut account).await?;
        summary.figures.findings_sent = findings.sent;
        summary.refusals.extend(findings.refused);
        // Households proposed for identification at the door.
        let proposed = self.send_proposals(&api, &mut account).await?;
        summary.figures.proposals_sent = proposed.sent;
        summary.refusals.extend(proposed.refused);
        self.store.set_last_sync(&summary.figures).await?;
        Ok(summary)
    }

    /// One exchange.
    async fn exchange(
        &self,
        api: &ServerApi,
        account: &mut Account,
        body: &[u8],
    ) -> Result<Vec<u8>, TabletError> {
        let device = account.device_id.clone();
        self.with_login(api, account, |token| {
            let device = device.clone();
            async move { api.sync(&token, &device, body).await }
        })
        .await
    }

    /// Runs a call with the access token, refreshing it once if it expired. A revoked
    /// device wipes the store.
    pub(crate) async fn with_login<T, F, Fut>(
        &self,
        api: &ServerApi,
        account: &mut Account,
        call: F,
    ) -> Result<T, TabletError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, TabletError>>,
    {
        let result = match call(account.access_token.clone()).await {
            Err(TabletError::LoginRefused(_)) => {
                self.refresh(api, account).await?;
                call(account.access_token.clone()).await
            }
            other => other,
        };
        if let Err(TabletError::DeviceRevoked) = result {
            self.store.wipe().await?;
        }
        result
    }

    async fn refresh(&self, api: &ServerApi, account: &mut Account) -> Result<(), TabletError> {
        let tokens = match api.refresh(&account.refresh_token).await {
            Err(TabletError::DeviceRevoked) => {
                self.store.wipe().await?;
                return Err(TabletError::DeviceRevoked);
            }
            other => other?,
        };
        account.access_token = tokens.access_token;
        account.refresh_token = tokens.refresh_token;
        self.store.set_account(account).await
    }
}
