//! What the helper sees: the household list with visit status, one household, the tablet's
//! status.

use crate::edits::quarter_of;
use crate::error::TabletError;
use crate::store::{LastSync, QueuedPhoto};
use crate::tablet::Tablet;
use serde::Serialize;
use serde_json::Value as Json;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{EntryStatus, Relation};
use zoufang_sync::HouseholdDoc;
use zoufang_sync::client::ClientState;
use zoufang_sync::conflicts::{Conflict, all_conflicts};
use zoufang_sync::memory::changes_since;

/// One line of the household list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdRow {
    /// Document id.
    pub id: String,
    /// Village code.
    pub village: String,
    /// Name of the head of household.
    pub head: Option<String>,
    /// Active members.
    pub members: usize,
    /// Household type code.
    pub hh_type: String,
    /// Date of this quarter's visit, if recorded.
    pub visited_on: Option<String>,
    /// `visited` or `not_visited` for the current quarter.
    pub visit_status: String,
    /// Local changes not yet sent.
    pub pending_changes: usize,
    /// Fields in conflict.
    pub conflicts: usize,
}

/// One household in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdView {
    /// Document id.
    pub id: String,
    /// The record as the tablet shows it now.
    pub record: Json,
    /// Fields in conflict, with every candidate.
    pub conflicts: Vec<Conflict>,
    /// Local changes not yet sent.
    pub pending_changes: usize,
    /// Photos of this household in the upload queue.
    pub photos: Vec<QueuedPhoto>,
}

/// The tablet's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// Logged-in user.
    pub username: Option<String>,
    /// Server.
    pub server: Option<String>,
    /// Registered device id.
    pub device_id: Option<String>,
    /// Households held.
    pub documents: usize,
    /// Households with changes not yet sent.
    pub pending_documents: usize,
    /// Changes not yet sent.
    pub pending_changes: usize,
    /// Photos not yet uploaded.
    pub pending_photos: usize,
    /// Their bytes still to send.
    pub pending_photo_bytes: i64,
    /// Open tasks.
    pub tasks: usize,
    /// The last successful sync.
    pub last_sync: Option<LastSync>,
}

fn pending_changes(state: &ClientState, id: &DocId, doc: &HouseholdDoc) -> usize {
    match state.synced.get(id) {
        Some(synced) => changes_since(doc.automerge(), synced).len(),
        // Never acknowledged by the server: all of it is to be confirmed.
        None => doc.automerge().get_changes(&[]).len(),
    }
}

impl Tablet {
    /// Every household held, with this quarter's visit status.
    pub async fn list(&self) -> Result<Vec<HouseholdRow>, TabletError> {
        let (_, actor) = self.identity().await?;
        let state = self.store.client_state().await?;
        let quarter = quarter_of(chrono::Local::now().date_naive())?;
        let mut rows = Vec::new();
        for stored in self.store.docs(&actor).await? {
            let record = stored.doc.read()?;
            let head = record
                .active_members()
                .find(|(_, m)| m.relation == Relation::Head)
                .map(|(_, m)| m.name.clone());
            let visited_on = record
                .visits
                .values()
                .filter(|v| v.status == EntryStatus::Active && v.quarter == quarter)
                .map(|v| v.visited_on)
                .max();
            rows.push(HouseholdRow {
                id: stored.id.to_string(),
                village: stored.region_code.clone(),
                head,
                members: record.active_members().count(),
                hh_type: record.household.hh_type.code().to_owned(),
                visit_status: if visited_on.is_some() {
                    "visited"
                } else {
                    "not_visited"
                }
                .to_owned(),
                visited_on: visited_on.map(|d| d.to_string()),
                pending_changes: pending_changes(&state, &stored.id, &stored.doc),
                conflicts: all_conflicts(stored.doc.automerge()).len(),
            });
        }
        rows.sort_by(|a, b| (&a.village, &a.head, &a.id).cmp(&(&b.village, &b.head, &b.id)));
        Ok(rows)
    }

    /// One household.
    pub async fn show(&self, household: &str) -> Result<HouseholdView, TabletError> {
        let (_, actor) = self.identity().await?;
        let id = self.store.resolve(household).await?;
        let doc = self.store.doc(&id, &actor).await?;
        let state = self.store.client_state().await?;
        let record = serde_json::to_value(doc.read()?)?;
        let photos = self
            .store
            .photos()
            .await?
            .into_iter()
            .filter(|p| p.doc_id == id.to_string())
            .collect();
        Ok(HouseholdView {
            id: id.to_string(),
            record,
            conflicts: all_conflicts(doc.automerge()),
            pending_changes: pending_changes(&state, &id, &doc),
            photos,
        })
    }

    /// Pending work and the last sync.
    pub async fn status(&self) -> Result<Status, TabletError> {
        let account = self.store.account().await?;
        let photos = self.store.pending_photos().await?;
        let tasks = self.store.tasks().await?.len();
        let last_sync = self.store.last_sync().await?;
        let (mut documents, mut pending_documents, mut pending) = (0, 0, 0);
        if let Some(account) = &account {
            let actor = account.actor_id()?;
            let state = self.store.client_state().await?;
            for stored in self.store.docs(&actor).await? {
                documents += 1;
                let changes = pending_changes(&state, &stored.id, &stored.doc);
                if changes > 0 {
                    pending_documents += 1;
                    pending += changes;
                }
            }
        }
        Ok(Status {
            username: account.as_ref().map(|a| a.username.clone()),
            server: account.as_ref().map(|a| a.server.clone()),
            device_id: account.as_ref().map(|a| a.device_id.clone()),
            documents,
            pending_documents,
            pending_changes: pending,
            pending_photos: photos.len(),
            pending_photo_bytes: photos.iter().map(|p| p.size - p.sent).sum(),
            tasks,
            last_sync,
        })
    }
}
