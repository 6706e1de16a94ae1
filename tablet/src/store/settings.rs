//! Single values kept as JSON under a key: the login, the sync state, the last sync.

use super::{Store, sql};
use crate::error::TabletError;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::BTreeMap;
use zoufang_schemas::wire::{DocId, Head};
use zoufang_sync::client::ClientState;

/// The login and the device registration of this tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Server base URL.
    pub server: String,
    /// The helper's username.
    pub username: String,
    /// The user's role as the server reported it.
    pub role: String,
    /// The user's region scope.
    pub scope: String,
    /// Device id registered with the server.
    pub device_id: String,
    /// The automerge actor (hex) this tablet signs its changes with.
    pub actor: String,
    /// Current access token.
    pub access_token: String,
    /// Refresh token (single use; replaced at every refresh).
    pub refresh_token: String,
}

/// The summary of the last successful sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    /// When it finished (Unix seconds).
    pub at: i64,
    /// Documents with changes sent.
    pub docs_sent: usize,
    /// Documents received (changes or whole).
    pub docs_received: usize,
    /// Documents purged because they left this tablet's scope.
    pub docs_purged: usize,
    /// Request bytes.
    pub bytes_up: usize,
    /// Reply bytes.
    pub bytes_down: usize,
    /// HTTP round trips of the document exchange.
    pub round_trips: usize,
    /// Conflicting fields among the documents this sync changed.
    pub conflicts: usize,
    /// Updates the server refused.
    pub refused: usize,
    /// Photos uploaded.
    pub photos_uploaded: usize,
    /// Photo bytes sent (chunks).
    pub photo_bytes_up: u64,
    /// Photos the server refused (not an image, too large).
    pub photos_refused: usize,
    /// Risk-clue findings the server took.
    #[serde(default)]
    pub findings_sent: usize,
    /// Identification proposals the server took.
    #[serde(default)]
    pub proposals_sent: usize,
}

const ACCOUNT: &str = "account";
const CLIENT_STATE: &str = "client_state";
const LAST_SYNC: &str = "last_sync";

pub(super) async fn get<T: DeserializeOwned, C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> Result<Option<T>, TabletError> {
    let row = db
        .query_one_raw(sql(
            "SELECT value FROM settings WHERE key = ?",
            [key.into()],
        ))
        .await?;
    match row {
        Some(row) => {
            let text: String = row.try_get("", "value")?;
            Ok(Some(serde_json::from_str(&text)?))
        }
        None => Ok(None),
    }
}

pub(super) async fn put<T: Serialize, C: ConnectionTrait>(
    db: &C,
    key: &str,
    value: &T,
) -> Result<(), TabletError> {
    let text = serde_json::to_string(value)?;
    db.execute_raw(sql(
        "INSERT INTO settings (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key.into(), text.into()],
    ))
    .await?;
    Ok(())
}

impl Account {
    /// The actor this tablet signs its changes with.
    pub fn actor_id(&self) -> Result<zoufang_sync::automerge::ActorId, TabletError> {
        hex::decode(&self.actor)
            .map(zoufang_sync::automerge::ActorId::from)
            .map_err(|_| TabletError::Store("the stored actor id is not hex".into()))
    }
}

impl Store {
    /// The login, if any.
    pub async fn account(&self) -> Result<Option<Account>, TabletError> {
        get(self.db(), ACCOUNT).await
    }

    /// The login, or [`TabletError::NotLoggedIn`].
    pub async fn require_account(&self) -> Result<Account, TabletError> {
        self.account().await?.ok_or(TabletError::NotLoggedIn)
    }

    /// Stores the login.
    pub async fn set_account(&self, account: &Account) -> Result<(), TabletError> {
        put(self.db(), ACCOUNT, account).await
    }

    /// What the tablet knows the server has.
    pub async fn client_state(&self) -> Result<ClientState, TabletError> {
        let stored: Option<StoredState> = get(self.db(), CLIENT_STATE).await?;
        stored.map_or_else(|| Ok(ClientState::default()), StoredState::into_state)
    }

    /// The last successful sync.
    pub async fn last_sync(&self) -> Result<Option<LastSync>, TabletError> {
        get(self.db(), LAST_SYNC).await
    }

    /// Records the last successful sync.
    pub async fn set_last_sync(&self, summary: &LastSync) -> Result<(), TabletError> {
        put(self.db(), LAST_SYNC, summary).await
    }
}

pub(super) async fn put_client_state<C: ConnectionTrait>(
    db: &C,
    state: &ClientState,
) -> Result<(), TabletError> {
    put(db, CLIENT_STATE, &StoredState::from_state(state)).await
}

/// [`ClientState`] with text keys, as JSON needs them.
#[derive(Debug, Serialize, Deserialize)]
struct StoredState {
    synced: BTreeMap<String, Vec<String>>,
    send_held: bool,
}

impl StoredState {
    fn from_state(state: &ClientState) -> Self {
        Self {
            synced: state
                .synced
                .iter()
                .map(|(doc, heads)| (doc.to_string(), heads.iter().map(Head::to_string).collect()))
                .collect(),
            send_held: state.send_held,
        }
    }

    fn into_state(self) -> Result<ClientState, TabletError> {
        let bad = |what: &str| TabletError::Store(format!("stored sync state: bad {what}"));
        let mut synced = BTreeMap::new();
        for (doc, heads) in self.synced {
            let doc = DocId::parse(&doc).ok_or_else(|| bad("document id"))?;
            let heads = heads
                .iter()
                .map(|h| {
                    let mut out = [0u8; 32];
                    hex::decode_to_slice(h, &mut out).map_err(|_| bad("head"))?;
                    Ok(Head(out))
                })
                .collect::<Result<Vec<_>, TabletError>>()?;
            synced.insert(doc, heads);
        }
        Ok(ClientState {
            synced,
            send_held: self.send_held,
        })
    }
}
