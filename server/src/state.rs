//! What every request handler shares.

use crate::auth::TokenKeys;
use crate::crypto::{Argon2Scheme, Digest256, PasswordScheme, Sha256Digest};
use crate::doc_cache::DocCache;
use crate::keyed_locks::KeyedLocks;
use crate::photos::storage::BlobStorage;
use crate::settings::Settings;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use zoufang_sync::automerge::ActorId;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: DatabaseConnection,
    /// The connections a sync's feed is read on (see `store::connect_sync_reads`).
    pub sync_reads: DatabaseConnection,
    /// The configuration.
    pub settings: Arc<Settings>,
    /// Access-token keys.
    pub tokens: Arc<TokenKeys>,
    /// Loaded documents.
    pub docs: Arc<DocCache>,
    /// The actors of devices that synced.
    pub actors: Arc<crate::actor_cache::ActorCache>,
    /// Per-photo locks of uploads in progress.
    pub upload_locks: Arc<KeyedLocks<String>>,
    /// Password hashing.
    pub passwords: Arc<dyn PasswordScheme>,
    /// Bounds concurrent password checks: each Argon2 check takes ~19 MiB and a core, so
    /// a burst of logins must queue rather than exhaust memory.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Digest for the audit chain and token hashes.
    pub digest: Arc<dyn Digest256>,
    /// The actor the server signs its own changes with (creations, resolutions), kept in
    /// the database.
    pub server_actor: ActorId,
    /// A password hash no password matches: unknown users are checked against it, so that
    /// they cost the same time as known ones.
    pub decoy_password_hash: Arc<String>,
    /// Prometheus rendering.
    pub metrics: PrometheusHandle,
    /// Photo blobs.
    pub blobs: BlobStorage,
}

/// What [`AppState::new`] is built from.
pub struct StateParts {
    /// The connected, migrated database.
    pub db: DatabaseConnection,
    /// The connections a sync's feed is read on.
    pub sync_reads: DatabaseConnection,
    /// The configuration.
    pub settings: Settings,
    /// Access-token keys.
    pub tokens: TokenKeys,
    /// Prometheus rendering.
    pub metrics: PrometheusHandle,
    /// Photo blobs.
    pub blobs: BlobStorage,
    /// The server's actor, from the database.
    pub server_actor: ActorId,
    /// A hash of a random password.
    pub decoy_password_hash: String,
}

impl AppState {
    /// State over a connected, migrated database.
    pub fn new(parts: StateParts) -> Self {
        let StateParts {
            db,
            sync_reads,
            settings,
            tokens,
            metrics,
            blobs,
            server_actor,
            decoy_password_hash,
        } = parts;
        let cache = settings.sync.cache_documents;
        Self {
            db,
            sync_reads,
            settings: Arc::new(settings),
            tokens: Arc::new(tokens),
            docs: Arc::new(DocCache::new(cache)),
            actors: Arc::default(),
            upload_locks: Arc::new(KeyedLocks::default()),
            passwords: Arc::new(Argon2Scheme),
            password_checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            digest: Arc::new(Sha256Digest),
            server_actor,
            decoy_password_hash: Arc::new(decoy_password_hash),
            metrics,
            blobs,
        }
    }
}
