//! The append-only, hash-chained audit log. Each entry's hash covers the previous entry's
//! hash and the entry's own fields, so editing or deleting any entry breaks the chain from
//! there on; `zoufang audit verify` walks it.

use super::entities::{audit_entry, audit_head};
use super::now;
use crate::crypto::Digest256;
use crate::error::StoreError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

/// One state change to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Who: `user:<name>`, `device:<id>`, `cli`, `system`.
    pub actor: String,
    /// What, e.g. `sync.merge`, `conflict.resolve`, `user.add`.
    pub action: &'a str,
    /// The subject, e.g. a document id or username.
    pub subject: String,
    /// Details as JSON.
    pub detail: serde_json::Value,
}

fn entry_hash(
    digest: &dyn Digest256,
    prev: &str,
    seq: i64,
    at: i64,
    e: &Event<'_>,
    detail: &str,
) -> String {
    let material = format!(
        "{prev}\n{seq}\n{at}\n{}\n{}\n{}\n{detail}",
        e.actor, e.action, e.subject
    );
    hex::encode(digest.digest(material.as_bytes()))
}

/// Appends an entry. Call inside the transaction that makes the change, so both commit or
/// neither does. Updating the single head row first serialises concurrent writers.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    digest: &dyn Digest256,
    event: Event<'_>,
) -> Result<(), StoreError> {
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).add(1),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(db)
        .await?;
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt("audit head missing".into()))?;
    let at = now();
    let detail = event.detail.to_string();
    let hash = entry_hash(digest, &head.hash, head.seq, at, &event, &detail);
    audit_entry::ActiveModel {
        id: Set(head.seq),
        at: Set(at),
        actor: Set(event.actor.clone()),
        action: Set(event.action.to_owned()),
        subject: Set(event.subject.clone()),
        detail: Set(detail),
        prev_hash: Set(head.hash.clone()),
        hash: Set(hash.clone()),
    }
    .insert(db)
    .await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Hash, Expr::value(hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(db)
        .await?;
    Ok(())
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// The first entry that does not fit the chain, if any.
    pub first_bad: Option<i64>,
    /// What is wrong there.
    pub problem: Option<String>,
}

impl Verification {
    /// The chain is intact.
    pub fn is_intact(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// Walks the whole chain in order, a page at a time.
pub async fn verify<C: ConnectionTrait>(
    db: &C,
    digest: &dyn Digest256,
) -> Result<Verification, StoreError> {
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    let mut entries = 0;
    let bad = |id: i64, entries: u64, problem: String| Verification {
        entries,
        first_bad: Some(id),
        problem: Some(problem),
    };
    let mut pages = audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .paginate(db, 500);
    while let Some(page) = pages.fetch_and_next().await? {
        for row in page {
            entries += 1;
            if row.id != expected_seq {
                return Ok(bad(
                    expected_seq,
                    entries,
                    format!("entry {expected_seq} is missing"),
                ));
            }
            if row.prev_hash != prev {
                return Ok(bad(row.id, entries, "previous hash does not match".into()));
            }
            let event = Event {
                actor: row.actor.clone(),
                action: &row.action,
                subject: row.subject.clone(),
                detail: serde_json::Value::Null,
            };
            let hash = entry_hash(digest, &prev, row.id, row.at, &event, &row.detail);
            if hash != row.hash {
                return Ok(bad(row.id, entries, "entry was altered".into()));
            }
            prev = row.hash;
            expected_seq += 1;
        }
    }
    let head = audit_head::Entity::find_by_id(1).one(db).await?;
    match head {
        Some(h) if h.hash == prev && h.seq == expected_seq - 1 => Ok(Verification {
            entries,
            first_bad: None,
            problem: None,
        }),
        _ => Ok(bad(
            expected_seq,
            entries,
            "entries after this one were removed".into(),
        )),
    }
}
