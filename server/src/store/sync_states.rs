//! What the server believes each device holds: per (device, document) the heads it last
//! knew the device to have, flagged when the document moved since; per device the digest of
//! all of them, the scope they were built for, and how far the device has read the change
//! feed. A sync writes only the rows that moved.

use super::entities::{device_cursor, device_doc};
use super::now;
use super::script::Script;
use crate::error::StoreError;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::BTreeMap;
use zoufang_schemas::wire::{Digest, DocId};
use zoufang_sync::server::{Belief, BeliefChanges};

/// What a sync checks first, read at once: whether the caller's session is live, the
/// device's owner and revocation, and where the device stands.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSession {
    /// The session.
    pub liveness: super::tokens::Liveness,
    /// The device's owner and whether it is revoked; `None` for an unknown device.
    pub device: Option<(i64, bool)>,
    /// The device's cursor.
    pub cursor: Option<Cursor>,
}

/// Reads the session of `user_id` in token family `family` syncing as `device_id`.
pub async fn session<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    family: &str,
    device_id: &str,
) -> Result<SyncSession, StoreError> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM (SELECT 1 AS one) o {}",
        session_joins(&p(1), &p(2), &p(3))
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [user_id.into(), family.into(), device_id.into()],
        ))
        .await?;
    match row {
        Some(row) => session_of(&row),
        None => Err(StoreError::Corrupt(
            "the session read returned no row".into(),
        )),
    }
}

/// The columns of a sync's session, named as [`session_of`] reads them, from the joins of
/// [`session_joins`].
pub const SESSION_COLUMNS: &str = "su.disabled AS disabled, sf.revoked AS revoked, \
    sf.revoked_reason AS reason, sd.user_id AS owner, sd.revoked AS device_revoked, \
    sc.scope AS scope, sc.digest AS digest, sc.seen_upto AS seen_upto";

/// Joins, to a one-row select, the user `user`, its token family `family` and the device
/// `device` with its cursor (each a placeholder or an SQL expression); every part may be
/// missing.
pub fn session_joins(user: &str, family: &str, device: &str) -> String {
    format!(
        "LEFT JOIN users su ON su.id = {user} \
         LEFT JOIN token_families sf ON sf.id = {family} AND sf.user_id = su.id \
         LEFT JOIN devices sd ON sd.id = {device} \
         LEFT JOIN device_cursors sc ON sc.device_id = sd.id"
    )
}

/// The session in a row holding [`SESSION_COLUMNS`].
pub fn session_of(row: &sea_orm::QueryResult) -> Result<SyncSession, StoreError> {
    let Some(disabled) = row.try_get::<Option<bool>>("", "disabled")? else {
        return Ok(SyncSession {
            liveness: super::tokens::Liveness::UserDisabled,
            device: None,
            cursor: None,
        });
    };
    let liveness = super::tokens::liveness_of(
        row.try_get("", "revoked")?,
        row.try_get("", "reason")?,
        disabled,
    );
    let owner: Option<i64> = row.try_get("", "owner")?;
    let device_revoked: Option<bool> = row.try_get("", "device_revoked")?;
    let scope: Option<String> = row.try_get("", "scope")?;
    let digest: Option<Vec<u8>> = row.try_get("", "digest")?;
    let seen_upto: Option<i64> = row.try_get("", "seen_upto")?;
    let cursor = match (
        scope,
        digest.and_then(|d| <[u8; 32]>::try_from(d).ok()),
        seen_upto,
    ) {
        (Some(scope), Some(digest), Some(seen_upto)) => Some(Cursor {
            scope,
            digest: Digest(digest),
            seen_upto,
        }),
        _ => None,
    };
    Ok(SyncSession {
        liveness,
        device: owner.map(|o| (o, device_revoked.unwrap_or(true))),
        cursor,
    })
}

/// Rows per statement.
const CHUNK: usize = 500;

/// Where a device stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The region prefix its belief was built for.
    pub scope: String,
    /// The digest of everything it holds.
    pub digest: Digest,
    /// The change stamps it has seen: everything below this.
    pub seen_upto: i64,
}

/// Everything the server believes the device holds.
pub async fn whole_belief<C: ConnectionTrait>(
    db: &C,
    device_id: &str,
) -> Result<Belief, StoreError> {
    let rows = device_doc::Entity::find()
        .filter(device_doc::Column::DeviceId.eq(device_id))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let id = DocId::parse(&row.doc_id)
                .ok_or_else(|| StoreError::Corrupt(format!("document id {}", row.doc_id)))?;
            Ok((id, super::documents::heads_from_text(&row.heads)?))
        })
        .collect()
}

/// Stores how the belief moved, and where the device now stands; documents flagged as
/// moved that the device still holds lose their flag (`checked`): statements added to
/// `script`, run in the sync's transaction.
pub fn save_into(
    script: &mut Script,
    device_id: &str,
    changes: &BeliefChanges,
    cursor: &Cursor,
    checked: &[DocId],
) {
    let mut kept: Vec<device_doc::ActiveModel> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    for (doc, heads) in &changes.changed {
        match heads {
            Some(heads) => kept.push(device_doc::ActiveModel {
                device_id: Set(device_id.to_owned()),
                doc_id: Set(doc.to_uuid_string()),
                heads: Set(super::documents::heads_to_text(heads)),
                leaving: Set(false),
            }),
            None => dropped.push(doc.to_uuid_string()),
        }
    }
    for chunk in kept.chunks(CHUNK) {
        script.push_query(
            &device_doc::Entity::insert_many(chunk.to_vec()).on_conflict(
                OnConflict::columns([device_doc::Column::DeviceId, device_doc::Column::DocId])
                    .update_columns([device_doc::Column::Heads, device_doc::Column::Leaving])
                    .to_owned(),
            ),
        );
    }
    for chunk in dropped.chunks(CHUNK) {
        script.push_query(
            &device_doc::Entity::delete_many()
                .filter(device_doc::Column::DeviceId.eq(device_id))
                .filter(device_doc::Column::DocId.is_in(chunk.iter().cloned())),
        );
    }
    let checked: Vec<String> = checked.iter().map(DocId::to_uuid_string).collect();
    for chunk in checked.chunks(CHUNK) {
        script.push_query(
            &device_doc::Entity::update_many()
                .col_expr(device_doc::Column::Leaving, Expr::value(false))
                .filter(device_doc::Column::DeviceId.eq(device_id))
                .filter(device_doc::Column::DocId.is_in(chunk.iter().cloned())),
        );
    }
    let row = device_cursor::ActiveModel {
        device_id: Set(device_id.to_owned()),
        scope: Set(cursor.scope.clone()),
        digest: Set(cursor.digest.0.to_vec()),
        seen_upto: Set(cursor.seen_upto),
        updated_at: Set(now()),
    };
    script.push_query(
        &device_cursor::Entity::insert(row).on_conflict(
            OnConflict::column(device_cursor::Column::DeviceId)
                .update_columns([
                    device_cursor::Column::Scope,
                    device_cursor::Column::Digest,
                    device_cursor::Column::SeenUpto,
                    device_cursor::Column::UpdatedAt,
                ])
                .to_owned(),
        ),
    );
}

/// Flags a moved document for every device that holds it: each checks at its next sync
/// whether it is still in scope.
pub async fn flag_leaving<C: ConnectionTrait>(db: &C, doc: &DocId) -> Result<(), StoreError> {
    device_doc::Entity::update_many()
        .col_expr(device_doc::Column::Leaving, Expr::value(true))
        .filter(device_doc::Column::DocId.eq(doc.to_uuid_string()))
        .exec(db)
        .await?;
    Ok(())
}

/// When each of `devices` last completed a sync.
pub async fn last_syncs<C: ConnectionTrait>(
    db: &C,
    devices: Vec<String>,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in devices.chunks(CHUNK) {
        let rows = device_cursor::Entity::find()
            .filter(device_cursor::Column::DeviceId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|r| (r.device_id, r.updated_at)));
    }
    Ok(out)
}
