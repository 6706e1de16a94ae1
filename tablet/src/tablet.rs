//! A tablet: its store and its login.

use crate::api::{ServerApi, Tokens};
use crate::error::TabletError;
use crate::store::{Account, Store};
use std::path::Path;
use zoufang_sync::automerge::ActorId;

/// One tablet, over the store in its home folder.
#[derive(Debug, Clone)]
pub struct Tablet {
    pub(crate) store: Store,
}

impl Tablet {
    /// Opens the tablet whose data lives in `home` (created if missing).
    pub async fn open(home: &Path) -> Result<Self, TabletError> {
        Ok(Self {
            store: Store::open(home).await?,
        })
    }

    /// The local store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Logs in and, the first time, registers this tablet as a device of the user with a
    /// fresh actor id. Logging in again as the same user on the same server keeps the
    /// device and its data; another user or server starts from an empty tablet, which is
    /// refused while changes or photos are still waiting to be sent.
    pub async fn login(
        &self,
        server: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Account, TabletError> {
        let api = ServerApi::new(server)?;
        let tokens = api.login(username, password).await?;
        if let Some(existing) = self.store.account().await? {
            if existing.server == api.base() && existing.username == username {
                let account = with_tokens(existing, tokens);
                self.store.set_account(&account).await?;
                return Ok(account);
            }
            let status = self.status().await?;
            if status.pending_documents > 0 || status.pending_photos > 0 {
                return Err(TabletError::Invalid(format!(
                    "this tablet still holds unsent work of {} on {}: sync it before \
                     logging in as someone else",
                    existing.username, existing.server
                )));
            }
            self.store.wipe().await?;
        }
        let actor = ActorId::random().to_hex_string();
        let device_id = api
            .register_device(&tokens.access_token, device_name, &actor)
            .await?;
        let account = with_tokens(
            Account {
                server: api.base().to_owned(),
                username: username.to_owned(),
                role: String::new(),
                scope: String::new(),
                device_id,
                actor,
                access_token: String::new(),
                refresh_token: String::new(),
            },
            tokens,
        );
        self.store.set_account(&account).await?;
        Ok(account)
    }

    /// The login and the actor local edits are signed with.
    pub(crate) async fn identity(&self) -> Result<(Account, ActorId), TabletError> {
        let account = self.store.require_account().await?;
        let actor = account.actor_id()?;
        Ok((account, actor))
    }
}

fn with_tokens(account: Account, tokens: Tokens) -> Account {
    Account {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        role: tokens.role,
        scope: tokens.scope,
        ..account
    }
}
