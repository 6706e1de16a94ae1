//! The append-only, hash-chained audit log. Writers append entries without any lock (one
//! insert in the transaction that makes the change, so both commit or neither does);
//! [`chain_pending`] then chains committed entries in the order it finds them, each entry's
//! hash covering the previous entry's hash and its own fields, under the chain head's lock
//! (one chainer at a time, on any number of nodes). Editing or deleting a chained entry
//! breaks the chain from there on; `zoufang audit verify` chains what is pending and walks
//! it. Entries wait at most one chaining interval (a second) unchained.

use super::entities::{audit_entry, audit_head};
use super::now;
use super::script::Script;
use crate::crypto::Digest256;
use crate::error::StoreError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
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

/// Appends an entry, to be chained by [`chain_pending`]. Call inside the transaction that
/// makes the change, so both commit or neither does. Takes no lock.
pub async fn append<C: ConnectionTrait>(db: &C, event: Event<'_>) -> Result<(), StoreError> {
    let mut script = Script::new(db.get_database_backend());
    append_into(&mut script, event);
    script.run(db).await?;
    Ok(())
}

/// [`append`], as a statement added to `script` (run it in the transaction that makes the
/// change).
pub fn append_into(script: &mut Script, event: Event<'_>) {
    let entry = audit_entry::ActiveModel {
        at: Set(now()),
        actor: Set(event.actor),
        action: Set(event.action.to_owned()),
        subject: Set(event.subject),
        detail: Set(event.detail.to_string()),
        prev_hash: Set(String::new()),
        hash: Set(String::new()),
        chain_seq: Set(None),
        ..Default::default()
    };
    script.push_query(&audit_entry::Entity::insert(entry));
}

/// Chains committed entries not chained yet, in the order of their ids, up to `limit`;
/// returns how many. One chainer works at a time (it holds the chain head).
pub async fn chain_pending(
    db: &DatabaseConnection,
    digest: &dyn Digest256,
    limit: u64,
) -> Result<u64, StoreError> {
    let txn = super::begin_write(db).await?;
    // Taking the head row first makes concurrent chainers wait for this one.
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
        .filter(audit_head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    let head = audit_head::Entity::find_by_id(1)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::Corrupt("audit head missing".into()))?;
    let pending = audit_entry::Entity::find()
        .filter(audit_entry::Column::ChainSeq.is_null())
        .order_by_asc(audit_entry::Column::Id)
        .limit(limit)
        .all(&txn)
        .await?;
    let (mut seq, mut prev) = (head.seq, head.hash);
    let mut links = Vec::with_capacity(pending.len());
    for entry in &pending {
        seq += 1;
        let event = Event {
            actor: entry.actor.clone(),
            action: &entry.action,
            subject: entry.subject.clone(),
            detail: serde_json::Value::Null,
        };
        let hash = entry_hash(digest, &prev, seq, entry.at, &event, &entry.detail);
        links.push(Link {
            id: entry.id,
            seq,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    for chunk in super::shaped(&links, LINKS_PER_STATEMENT) {
        set_links(&txn, chunk).await?;
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::value(seq))
        .col_expr(audit_head::Column::Hash, Expr::value(prev))
        .filter(audit_head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(pending.len() as u64)
}

/// Where one entry sits in the chain.
struct Link {
    id: i64,
    seq: i64,
    prev_hash: String,
    hash: String,
}

/// Entries chained by one statement.
const LINKS_PER_STATEMENT: usize = 256;

/// Writes the chain position of `links` in one statement (a chaining pass is a few
/// statements, however many entries it chains).
async fn set_links<C: ConnectionTrait>(db: &C, links: &[Link]) -> Result<(), StoreError> {
    use sea_orm::{Statement, Value};
    let backend = db.get_database_backend();
    let rows = super::values_rows(backend, links.len(), &["BIGINT", "BIGINT", "TEXT", "TEXT"]);
    let mut values: Vec<Value> = Vec::with_capacity(links.len() * 4);
    for link in links {
        values.extend([
            link.id.into(),
            link.seq.into(),
            link.prev_hash.clone().into(),
            link.hash.clone().into(),
        ]);
    }
    let sql = format!(
        "WITH v(id, seq, prev_hash, hash) AS (VALUES {rows}) \
         UPDATE audit_log SET chain_seq = v.seq, prev_hash = v.prev_hash, hash = v.hash \
         FROM v WHERE audit_log.id = v.id AND audit_log.chain_seq IS NULL"
    );
    let result = db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    if result.rows_affected() != links.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "{} of {} audit entries chained",
            result.rows_affected(),
            links.len()
        )));
    }
    Ok(())
}

/// Chains everything pending.
pub async fn chain_all(db: &DatabaseConnection, digest: &dyn Digest256) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let chained = chain_pending(db, digest, 1000).await?;
        total += chained;
        if chained < 1000 {
            return Ok(total);
        }
    }
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

/// Chains what is pending, then walks the whole chain in order, a page at a time.
pub async fn verify(
    db: &DatabaseConnection,
    digest: &dyn Digest256,
) -> Result<Verification, StoreError> {
    chain_all(db, digest).await?;
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    let mut entries = 0;
    let bad = |seq: i64, entries: u64, problem: String| Verification {
        entries,
        first_bad: Some(seq),
        problem: Some(problem),
    };
    let mut pages = audit_entry::Entity::find()
        .filter(audit_entry::Column::ChainSeq.is_not_null())
        .order_by_asc(audit_entry::Column::ChainSeq)
        .paginate(db, 500);
    while let Some(page) = pages.fetch_and_next().await? {
        for row in page {
            entries += 1;
            let seq = row.chain_seq.unwrap_or_default();
            if seq != expected_seq {
                return Ok(bad(
                    expected_seq,
                    entries,
                    format!("entry {expected_seq} is missing"),
                ));
            }
            if row.prev_hash != prev {
                return Ok(bad(seq, entries, "previous hash does not match".into()));
            }
            let event = Event {
                actor: row.actor.clone(),
                action: &row.action,
                subject: row.subject.clone(),
                detail: serde_json::Value::Null,
            };
            let hash = entry_hash(digest, &prev, seq, row.at, &event, &row.detail);
            if hash != row.hash {
                return Ok(bad(seq, entries, "entry was altered".into()));
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
