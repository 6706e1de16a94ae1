//! Photo records: stored blobs, uploads in progress, and which documents reference which
//! photos.

use super::entities::{blob, photo_link, upload};
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
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

/// An upload in progress.
pub async fn upload<C: ConnectionTrait>(
    db: &C,
    hash: &str,
) -> Result<Option<upload::Model>, StoreError> {
    Ok(upload::Entity::find_by_id(hash.to_owned()).one(db).await?)
}

/// Starts an upload.
pub async fn start_upload<C: ConnectionTrait>(
    db: &C,
    hash: &str,
    size: u64,
    user_id: i64,
) -> Result<(), StoreError> {
    let at = now();
    upload::ActiveModel {
        hash: Set(hash.to_owned()),
        size: Set(size as i64),
        user_id: Set(user_id),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Forgets an upload.
pub async fn end_upload<C: ConnectionTrait>(db: &C, hash: &str) -> Result<(), StoreError> {
    upload::Entity::delete_by_id(hash.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the photos a document references (its evidence entries).
pub async fn set_links<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
    hashes: &BTreeSet<String>,
) -> Result<(), StoreError> {
    let key = doc.to_uuid_string();
    photo_link::Entity::delete_many()
        .filter(photo_link::Column::DocId.eq(key.clone()))
        .exec(db)
        .await?;
    if hashes.is_empty() {
        return Ok(());
    }
    let rows = hashes.iter().map(|hash| photo_link::ActiveModel {
        doc_id: Set(key.clone()),
        hash: Set(hash.clone()),
        region_code: Set(region.to_owned()),
        ..Default::default()
    });
    photo_link::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Of `hashes`, those with no stored blob.
pub async fn missing<C: ConnectionTrait>(
    db: &C,
    hashes: &BTreeSet<String>,
) -> Result<BTreeSet<String>, StoreError> {
    if hashes.is_empty() {
        return Ok(BTreeSet::new());
    }
    let mut missing = hashes.clone();
    for chunk in hashes.iter().cloned().collect::<Vec<_>>().chunks(500) {
        let stored: Vec<String> = blob::Entity::find()
            .select_only()
            .column(blob::Column::Hash)
            .filter(blob::Column::Hash.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for hash in stored {
            missing.remove(&hash);
        }
    }
    Ok(missing)
}

/// Whether a household within the region `scope` references the photo.
pub async fn referenced_in_scope<C: ConnectionTrait>(
    db: &C,
    hash: &str,
    scope: &str,
) -> Result<bool, StoreError> {
    let count = photo_link::Entity::find()
        .filter(photo_link::Column::Hash.eq(hash))
        .filter(in_region(photo_link::Column::RegionCode, scope))
        .count(db)
        .await?;
    Ok(count > 0)
}

/// Photos referenced by households in the region `scope` that the server does not have
/// (at most `limit`).
pub async fn missing_in_scope<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    limit: u64,
) -> Result<Vec<String>, StoreError> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT DISTINCT l.hash FROM photo_links l LEFT JOIN blobs b ON b.hash = l.hash \
             WHERE b.hash IS NULL AND l.region_code >= $1 AND l.region_code < $2 \
             ORDER BY l.hash LIMIT $3"
        }
        _ => {
            "SELECT DISTINCT l.hash FROM photo_links l LEFT JOIN blobs b ON b.hash = l.hash \
             WHERE b.hash IS NULL AND l.region_code >= ? AND l.region_code < ? \
             ORDER BY l.hash LIMIT ?"
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
