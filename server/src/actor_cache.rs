//! The actor ids each device signs with, kept in memory: they never change once a device
//! is registered (a revoked device is refused before its actors are looked at), so a sync
//! reads them from the database only the first time.

use lru::LruCache;
use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use zoufang_sync::automerge::ActorId;

/// Devices whose actors are kept.
const DEVICES: usize = 10_000;

/// The cache.
#[derive(Debug)]
pub struct ActorCache {
    inner: Mutex<LruCache<String, Arc<HashSet<ActorId>>>>,
}

impl Default for ActorCache {
    fn default() -> Self {
        Self {
            inner: Mutex::new(LruCache::new(
                NonZeroUsize::new(DEVICES).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl ActorCache {
    /// The device's actors, if kept.
    pub fn get(&self, device: &str) -> Option<Arc<HashSet<ActorId>>> {
        self.inner.lock().ok()?.get(device).cloned()
    }

    /// Keeps a device's actors.
    pub fn put(&self, device: &str, actors: Arc<HashSet<ActorId>>) {
        if let Ok(mut cache) = self.inner.lock() {
            cache.put(device.to_owned(), actors);
        }
    }
}
