//! Keyed locks within one server process: the chunks of one photo upload are appended one
//! at a time. (Syncs that write the same household need no lock here: the version check in
//! the store decides, and the loser retries.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// A lock table over keys of type `K`.
#[derive(Debug)]
pub struct KeyedLocks<K> {
    table: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self {
            table: Mutex::new(HashMap::new()),
        }
    }
}

/// Held locks; released (and forgotten when unused) on drop.
pub struct Guards<K: Key> {
    locks: Arc<KeyedLocks<K>>,
    held: Vec<(K, OwnedMutexGuard<()>)>,
}

/// What a lock can be keyed by.
pub trait Key: Clone + Ord + std::hash::Hash + Eq {}
impl<T: Clone + Ord + std::hash::Hash + Eq> Key for T {}

impl<K: Key> KeyedLocks<K> {
    /// Locks every key in `ids`, in a fixed order so that two requests never wait on each
    /// other in a circle.
    pub async fn lock<I>(self: &Arc<Self>, ids: impl IntoIterator<Item = I>) -> Guards<K>
    where
        I: Into<K>,
    {
        let mut ids: Vec<K> = ids.into_iter().map(Into::into).collect();
        ids.sort();
        ids.dedup();
        let mutexes: Vec<(K, Arc<AsyncMutex<()>>)> = match self.table.lock() {
            Ok(mut table) => ids
                .iter()
                .map(|id| (id.clone(), table.entry(id.clone()).or_default().clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut held = Vec::with_capacity(mutexes.len());
        for (id, mutex) in mutexes {
            held.push((id, mutex.lock_owned().await));
        }
        Guards {
            locks: self.clone(),
            held,
        }
    }

    /// Keys with a lock entry (for tests).
    pub fn len(&self) -> usize {
        self.table.lock().map(|t| t.len()).unwrap_or(0)
    }

    /// Whether no key is locked or awaited.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Key> Drop for Guards<K> {
    fn drop(&mut self) {
        let ids: Vec<K> = self.held.iter().map(|(id, _)| id.clone()).collect();
        self.held.clear();
        if let Ok(mut table) = self.locks.table.lock() {
            for id in ids {
                if table.get(&id).is_some_and(|m| Arc::strong_count(m) == 1) {
                    table.remove(&id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_locker_waits_and_entries_are_forgotten() {
        let locks = Arc::new(KeyedLocks::<String>::default());
        let (a, b) = ("photo-a", "photo-b");
        let first = locks.lock([b, a]).await;
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _guard = locks.lock([a]).await;
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second locker waits");
        drop(first);
        waiter.await.unwrap();
        assert!(locks.is_empty());
    }
}
