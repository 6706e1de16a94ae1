//! Photo records: stored blobs, who holds them, uploads in progress (staged in the
//! database, one per user and photo), and which documents reference which photos.
//!
//! The access rule: a user may read a photo when they hold it (they uploaded its bytes) or
//! when a household in their scope references it with a reference that grants access. A
//! reference grants access when it was written before the photo was stored (it was taken
//! for that household, by whoever referenced it first) or by a user who holds the photo.
//! A reference written to a photo already stored, by someone who never had its bytes,
//! grants nothing: naming a hash is not evidence of having seen the photo.

use super::entities::{blob, photo_holder, photo_link, photo_upload, photo_upload_chunk};
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use std::collections::BTreeSet;
use zoufang_schemas::wire::DocId;

/// A stored blob.
pub async fn blob<C: ConnectionTrait>(
    db: &C,
    hash: &str,
) -> Result<Option<blob::Model>, StoreError> {
    Ok(blob::Entity::find_by_id(hash.to_owned()).one(db).await?)
}

/// Records a stored blob (once; a second record of the same hash is ignored).
pub async fn insert_blob<C: ConnectionTrait>(
    db: &C,
    model: blob::ActiveModel,
) -> Result<(), StoreError> {
    blob::Entity::insert(model)
        .on_conflict_do_nothing_on([blob::Column::Hash])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records that `user_id` holds the photo (uploaded its bytes), and makes the references
/// that user wrote grant access.
pub async fn add_holder<C: ConnectionTrait>(
    db: &C,
    hash: &str,
    user_id: i64,
) -> Result<(), StoreError> {
    photo_holder::Entity::insert(photo_holder::ActiveModel {
        hash: Set(hash.to_owned()),
        user_id: Set(user_id),
        created_at: Set(now()),
    })
    .on_conflict_do_nothing_on([photo_holder::Column::Hash, photo_holder::Column::UserId])
    .exec_without_returning(db)
    .await?;
    photo_link::Entity::update_many()
        .col_expr(photo_link::Column::Grants, Expr::value(true))
        .filter(photo_link::Column::Hash.eq(hash))
        .filter(photo_link::Column::LinkedBy.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the user may read the photo (see the module's access rule).
pub async fn may_read<C: ConnectionTrait>(
    db: &C,
    hash: &str,
    user_id: i64,
    scope: &str,
) -> Result<bool, StoreError> {
    let holds = photo_holder::Entity::find_by_id((hash.to_owned(), user_id))
        .one(db)
        .await?
        .is_some();
    if holds {
        return Ok(true);
    }
    let granted = photo_link::Entity::find()
        .filter(photo_link::Column::Hash.eq(hash))
        .filter(photo_link::Column::Grants.eq(true))
        .filter(in_region(photo_link::Column::RegionCode, scope))
        .count(db)
        .await?;
    Ok(granted > 0)
}

/// The user's upload of a photo, if one is in progress.
pub async fn upload_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    hash: &str,
) -> Result<Option<photo_upload::Model>, StoreError> {
    Ok(photo_upload::Entity::find()
        .filter(photo_upload::Column::UserId.eq(user_id))
        .filter(photo_upload::Column::Hash.eq(hash))
        .one(db)
        .await?)
}

/// Bytes announced by the user's uploads in progress.
pub async fn staged_by<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<i64, StoreError> {
    let sizes: Vec<i64> = photo_upload::Entity::find()
        .select_only()
        .column(photo_upload::Column::Size)
        .filter(photo_upload::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(sizes.iter().sum())
}

/// Starts an upload for a user (and the device that sends it).
pub async fn start_upload<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    device_id: Option<&str>,
    hash: &str,
    size: u64,
) -> Result<photo_upload::Model, StoreError> {
    let at = now();
    Ok(photo_upload::ActiveModel {
        hash: Set(hash.to_owned()),
        user_id: Set(user_id),
        device_id: Set(device_id.map(str::to_owned)),
        size: Set(size as i64),
        received: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Appends a chunk where the upload stands; `false` (nothing written) if it no longer
/// stands at `offset` (another request appended meanwhile).
pub async fn append_chunk<C: ConnectionTrait>(
    db: &C,
    upload_id: i64,
    offset: u64,
    bytes: Vec<u8>,
) -> Result<bool, StoreError> {
    let len = bytes.len() as i64;
    let moved = photo_upload::Entity::update_many()
        .col_expr(
            photo_upload::Column::Received,
            Expr::col(photo_upload::Column::Received).add(len),
        )
        .col_expr(photo_upload::Column::UpdatedAt, Expr::value(now()))
        .filter(photo_upload::Column::Id.eq(upload_id))
        .filter(photo_upload::Column::Received.eq(offset as i64))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    photo_upload_chunk::ActiveModel {
        upload_id: Set(upload_id),
        chunk_start: Set(offset as i64),
        bytes: Set(bytes),
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// The staged bytes of an upload, in order.
pub async fn staged_bytes<C: ConnectionTrait>(
    db: &C,
    upload_id: i64,
) -> Result<Vec<u8>, StoreError> {
    let chunks = photo_upload_chunk::Entity::find()
        .filter(photo_upload_chunk::Column::UploadId.eq(upload_id))
        .order_by_asc(photo_upload_chunk::Column::ChunkStart)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.bytes.len()).sum());
    for chunk in chunks {
        if chunk.chunk_start as usize != out.len() {
            return Err(StoreError::Corrupt(format!(
                "upload {upload_id}: a chunk starts at {} after {} bytes",
                chunk.chunk_start,
                out.len()
            )));
        }
        out.extend_from_slice(&chunk.bytes);
    }
    Ok(out)
}

/// Forgets an upload and its staged bytes.
pub async fn end_upload<C: ConnectionTrait>(db: &C, upload_id: i64) -> Result<(), StoreError> {
    photo_upload_chunk::Entity::delete_many()
        .filter(photo_upload_chunk::Column::UploadId.eq(upload_id))
        .exec(db)
        .await?;
    photo_upload::Entity::delete_by_id(upload_id)
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets uploads not touched since `before` (Unix seconds); returns how many.
pub async fn expire_uploads<C: ConnectionTrait>(db: &C, before: i64) -> Result<u64, StoreError> {
    let stale: Vec<i64> = photo_upload::Entity::find()
        .select_only()
        .column(photo_upload::Column::Id)
        .filter(photo_upload::Column::UpdatedAt.lt(before))
        .limit(1000)
        .into_tuple()
        .all(db)
        .await?;
    for id in &stale {
        end_upload(db, *id).await?;
    }
    Ok(stale.len() as u64)
}

/// Sets the photos a document references (its evidence entries). References it already
/// had keep whether they grant access; new ones grant access if the photo is not stored
/// yet or `writer` holds it.
pub async fn set_links<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
    hashes: &BTreeSet<String>,
    writer: Option<i64>,
) -> Result<(), StoreError> {
    let key = doc.to_uuid_string();
    let existing: BTreeSet<String> = photo_link::Entity::find()
        .select_only()
        .column(photo_link::Column::Hash)
        .filter(photo_link::Column::DocId.eq(key.clone()))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let gone: Vec<String> = existing.difference(hashes).cloned().collect();
    if !gone.is_empty() {
        photo_link::Entity::delete_many()
            .filter(photo_link::Column::DocId.eq(key.clone()))
            .filter(photo_link::Column::Hash.is_in(gone))
            .exec(db)
            .await?;
    }
    let added: BTreeSet<String> = hashes.difference(&existing).cloned().collect();
    if added.is_empty() {
        return Ok(());
    }
    let stored = stored_among(db, &added).await?;
    let held = match writer {
        Some(user) => held_among(db, &stored, user).await?,
        None => BTreeSet::new(),
    };
    let rows = added.iter().map(|hash| photo_link::ActiveModel {
        doc_id: Set(key.clone()),
        hash: Set(hash.clone()),
        region_code: Set(region.to_owned()),
        grants: Set(!stored.contains(hash) || held.contains(hash)),
        linked_by: Set(writer),
        ..Default::default()
    });
    photo_link::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Moves a document's references to its new village.
pub async fn move_links<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
) -> Result<(), StoreError> {
    photo_link::Entity::update_many()
        .col_expr(photo_link::Column::RegionCode, Expr::value(region))
        .filter(photo_link::Column::DocId.eq(doc.to_uuid_string()))
        .exec(db)
        .await?;
    Ok(())
}

/// Of `hashes`, those with a stored blob.
async fn stored_among<C: ConnectionTrait>(
    db: &C,
    hashes: &BTreeSet<String>,
) -> Result<BTreeSet<String>, StoreError> {
    let mut stored = BTreeSet::new();
    for chunk in hashes.iter().cloned().collect::<Vec<_>>().chunks(500) {
        let found: Vec<String> = blob::Entity::find()
            .select_only()
            .column(blob::Column::Hash)
            .filter(blob::Column::Hash.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        stored.extend(found);
    }
    Ok(stored)
}

/// Of `hashes`, those `user` holds.
async fn held_among<C: ConnectionTrait>(
    db: &C,
    hashes: &BTreeSet<String>,
    user: i64,
) -> Result<BTreeSet<String>, StoreError> {
    if hashes.is_empty() {
        return Ok(BTreeSet::new());
    }
    let mut held = BTreeSet::new();
    for chunk in hashes.iter().cloned().collect::<Vec<_>>().chunks(500) {
        let found: Vec<String> = photo_holder::Entity::find()
            .select_only()
            .column(photo_holder::Column::Hash)
            .filter(photo_holder::Column::UserId.eq(user))
            .filter(photo_holder::Column::Hash.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        held.extend(found);
    }
    Ok(held)
}

/// Photos that households in the region `scope` reference and that the device must
/// upload (at most `limit`): those the server does not have, and those referenced without
/// granting access (stored, but the reference's writer never showed the bytes). Listing
/// the second kind too means the list never tells whether a photo is stored.
pub async fn missing_in_scope<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    limit: u64,
) -> Result<Vec<String>, StoreError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT DISTINCT l.hash FROM photo_links l LEFT JOIN blobs b ON b.hash = l.hash \
             WHERE (b.hash IS NULL OR NOT l.grants) AND l.region_code >= $1 \
             AND l.region_code < $2 ORDER BY l.hash LIMIT $3"
        }
        _ => {
            "SELECT DISTINCT l.hash FROM photo_links l LEFT JOIN blobs b ON b.hash = l.hash \
             WHERE (b.hash IS NULL OR NOT l.grants) AND l.region_code >= ? \
             AND l.region_code < ? ORDER BY l.hash LIMIT ?"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                scope.into(),
                format!("{scope}~").into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "hash").map_err(StoreError::from))
        .collect()
}

/// Photos that the documents `docs` reference and that their devices must upload (as for
/// [`missing_in_scope`]), at most `limit`.
pub async fn missing_among<C: ConnectionTrait>(
    db: &C,
    docs: &[DocId],
    limit: u64,
) -> Result<Vec<String>, StoreError> {
    let mut out = BTreeSet::new();
    let keys: Vec<String> = docs.iter().map(DocId::to_uuid_string).collect();
    for chunk in keys.chunks(500) {
        let links: Vec<(String, bool)> = photo_link::Entity::find()
            .select_only()
            .column(photo_link::Column::Hash)
            .column(photo_link::Column::Grants)
            .filter(photo_link::Column::DocId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        if links.is_empty() {
            continue;
        }
        let hashes: BTreeSet<String> = links.iter().map(|(h, _)| h.clone()).collect();
        let stored = stored_among(db, &hashes).await?;
        out.extend(
            links
                .into_iter()
                .filter(|(hash, grants)| !stored.contains(hash) || !grants)
                .map(|(hash, _)| hash),
        );
    }
    Ok(out.into_iter().take(limit as usize).collect())
}
