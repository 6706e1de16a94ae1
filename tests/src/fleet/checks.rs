//! What must hold after a crash, a restart or a run: every change the server acknowledged
//! is stored, every stored photo is whole (original byte for byte, thumbnail, preview), the
//! audit chain verifies, and tablets converge with the server.

use super::tablets::FleetTablet;
use crate::load::LeanTablet;
use sha2::Digest;
use zoufang_server::photos::storage::{BlobStorage, Variant};
use zoufang_server::store::entities::blob;
use zoufang_sync::automerge::{ChangeHash, ReadDoc};

/// Changes the server acknowledged to a tablet that its stored documents no longer hold.
pub async fn lost_changes(url: &str, tablets: &[&LeanTablet]) -> anyhow::Result<usize> {
    let db = zoufang_server::store::connect(url, 2).await?;
    let mut lost = 0;
    for tablet in tablets {
        for id in tablet.households() {
            let Some(heads) = tablet.synced(&id) else {
                continue;
            };
            let Some(stored) = zoufang_server::store::documents::load(&db, &id).await? else {
                lost += heads.len();
                continue;
            };
            lost += heads
                .iter()
                .filter(|h| stored.doc.get_change_by_hash(&ChangeHash(h.0)).is_none())
                .count();
        }
    }
    db.close().await?;
    Ok(lost)
}

/// Stored photos that are not whole: a record without its original, an original whose
/// bytes do not hash to its name, or a missing thumbnail or preview.
pub async fn broken_photos(
    url: &str,
    settings: &zoufang_server::Settings,
) -> anyhow::Result<Vec<String>> {
    use sea_orm::EntityTrait;
    let storage = BlobStorage::from_settings(&settings.photos, &settings.data_dir)?;
    let db = zoufang_server::store::connect(url, 2).await?;
    let mut broken = Vec::new();
    for photo in blob::Entity::find().all(&db).await? {
        let original = storage.get(&photo.hash, Variant::Original).await?;
        match original {
            Some(bytes) if hex::encode(sha2::Sha256::digest(&bytes)) == photo.hash => {}
            Some(_) => broken.push(format!("{}: original does not match its hash", photo.hash)),
            None => broken.push(format!("{}: original missing", photo.hash)),
        }
        for variant in [Variant::Thumbnail, Variant::Preview] {
            if storage.get(&photo.hash, variant).await?.is_none() {
                broken.push(format!("{}: {variant:?} missing", photo.hash));
            }
        }
    }
    db.close().await?;
    Ok(broken)
}

/// Syncs every tablet (twice round, retrying a connection a restarted server closed) and
/// returns the households whose copies differ from the server's.
pub async fn diverged(
    client: &reqwest::Client,
    address: &str,
    url: &str,
    tablets: &mut [&mut FleetTablet],
) -> anyhow::Result<Vec<String>> {
    for _ in 0..2 {
        for tablet in tablets.iter_mut() {
            tablet
                .lean
                .sync_until_answered(client, address, std::time::Duration::from_secs(1))
                .await;
        }
    }
    let db = zoufang_server::store::connect(url, 2).await?;
    let mut diverged = Vec::new();
    for tablet in tablets.iter() {
        for id in tablet.lean.households() {
            let server = zoufang_server::store::documents::load(&db, &id)
                .await?
                .map(|d| zoufang_sync::heads::to_wire(&d.doc.get_heads()));
            if server != tablet.lean.heads(&id) {
                diverged.push(format!(
                    "{} on {}",
                    id.to_uuid_string(),
                    tablet.village.username
                ));
            }
        }
    }
    db.close().await?;
    Ok(diverged)
}
