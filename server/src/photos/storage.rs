//! Where blobs live: the local file system by default, or any S3-compatible object store.
//! Both are `object_store` stores; keys are `originals/<hash>`, `thumbnails/<hash>.jpg`,
//! `previews/<hash>.jpg`. A key is written only once its bytes are complete (a put is
//! atomic in both stores), so a reader never sees half a blob.

use crate::settings::PhotoSettings;
use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::path::Path;
use std::sync::Arc;

/// The kinds of stored images of one photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The original bytes, as uploaded (the evidence).
    Original,
    /// About 256 px.
    Thumbnail,
    /// About 1280 px.
    Preview,
}

impl Variant {
    fn key(self, hash: &str) -> StorePath {
        StorePath::from(match self {
            Self::Original => format!("originals/{hash}"),
            Self::Thumbnail => format!("thumbnails/{hash}.jpg"),
            Self::Preview => format!("previews/{hash}.jpg"),
        })
    }
}

/// A blob store.
#[derive(Debug, Clone)]
pub struct BlobStorage {
    store: Arc<dyn ObjectStore>,
}

impl BlobStorage {
    /// The store the settings name; the local one lives under `data_dir/blobs`.
    pub fn from_settings(settings: &PhotoSettings, data_dir: &Path) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match settings.storage.as_str() {
            "local" => {
                let root = data_dir.join("blobs");
                std::fs::create_dir_all(&root)?;
                Arc::new(LocalFileSystem::new_with_prefix(root)?)
            }
            "s3" => {
                let s3 = &settings.s3;
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(s3.access_key_id.expose())
                    .with_secret_access_key(s3.secret_access_key.expose())
                    .with_allow_http(s3.allow_http);
                if !s3.endpoint.is_empty() {
                    builder = builder
                        .with_endpoint(&s3.endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                Arc::new(builder.build()?)
            }
            other => anyhow::bail!("photos.storage must be `local` or `s3`, not `{other}`"),
        };
        Ok(Self { store })
    }

    /// A storage over any object store (tests).
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// Stores one variant.
    pub async fn put(
        &self,
        hash: &str,
        variant: Variant,
        bytes: Vec<u8>,
    ) -> Result<(), object_store::Error> {
        self.store
            .put(&variant.key(hash), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Reads one variant; `None` if it is not stored.
    pub async fn get(
        &self,
        hash: &str,
        variant: Variant,
    ) -> Result<Option<Bytes>, object_store::Error> {
        match self.store.get(&variant.key(hash)).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Whether the original is stored.
    pub async fn has_original(&self, hash: &str) -> Result<bool, object_store::Error> {
        match self.store.head(&Variant::Original.key(hash)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }
}
