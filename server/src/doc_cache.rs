//! A bounded in-memory cache of loaded documents, keyed by id and checked against the
//! stored version, so that the server never needs every document in memory and a hot
//! village is not reloaded for each sync.

use crate::store::documents::LoadedDoc;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use zoufang_schemas::wire::DocId;

/// The cache.
#[derive(Debug)]
pub struct DocCache {
    inner: Option<Mutex<LruCache<DocId, LoadedDoc>>>,
}

impl DocCache {
    /// A cache of at most `capacity` documents (0 disables it).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
        }
    }

    /// A copy of the cached document if it is at `version`.
    pub fn get(&self, id: &DocId, version: i64) -> Option<LoadedDoc> {
        let mut cache = self.inner.as_ref()?.lock().ok()?;
        match cache.get(id) {
            Some(doc) if doc.version == version => Some(doc.clone()),
            _ => None,
        }
    }

    /// Takes the cached document out if it is at `version`: for a sync, which changes its
    /// copy and puts it back once committed, without copying it first.
    pub fn take(&self, id: &DocId, version: i64) -> Option<LoadedDoc> {
        let mut cache = self.inner.as_ref()?.lock().ok()?;
        match cache.peek(id) {
            Some(doc) if doc.version == version => cache.pop(id),
            _ => None,
        }
    }

    /// Stores a document.
    pub fn put(&self, id: DocId, doc: LoadedDoc) {
        if let Some(Ok(mut cache)) = self.inner.as_ref().map(Mutex::lock) {
            cache.put(id, doc);
        }
    }

    /// Forgets a document.
    pub fn forget(&self, id: &DocId) {
        if let Some(Ok(mut cache)) = self.inner.as_ref().map(Mutex::lock) {
            cache.pop(id);
        }
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.inner
            .as_ref()
            .and_then(|m| m.lock().ok().map(|c| c.len()))
            .unwrap_or(0)
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
