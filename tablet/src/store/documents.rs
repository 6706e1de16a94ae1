//! Household documents held by the tablet, and carrying out a sync reply atomically.

use super::settings::put_client_state;
use super::{Store, now, sql};
use crate::error::TabletError;
use sea_orm::{ConnectionTrait, TransactionTrait};
use zoufang_schemas::Task;
use zoufang_schemas::wire::{DocId, Refusal};
use zoufang_sync::HouseholdDoc;
use zoufang_sync::automerge::ActorId;
use zoufang_sync::client::{ClientOp, ClientState};
use zoufang_sync::conflicts::all_conflicts;

/// A document as held on the tablet.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// The household's document id.
    pub id: DocId,
    /// The household's village.
    pub region_code: String,
    /// The document, signing local edits with the tablet's actor.
    pub doc: HouseholdDoc,
}

/// What carrying out a reply did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Documents that received changes or were replaced.
    pub received: usize,
    /// Documents purged.
    pub purged: usize,
    /// Fields in conflict in the documents received.
    pub conflicts: usize,
    /// Documents whose purge was skipped because they changed meanwhile.
    pub kept: usize,
}

fn load(bytes: &[u8], actor: &ActorId) -> Result<HouseholdDoc, TabletError> {
    HouseholdDoc::load(bytes, actor.clone())
        .map_err(|e| TabletError::Store(format!("a stored document is unreadable: {e}")))
}

async fn read_doc<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    actor: &ActorId,
) -> Result<Option<HouseholdDoc>, TabletError> {
    let row = db
        .query_one_raw(sql(
            "SELECT bytes FROM documents WHERE doc_id = ?",
            [id.to_string().into()],
        ))
        .await?;
    match row {
        Some(row) => {
            let bytes: Vec<u8> = row.try_get("", "bytes")?;
            Ok(Some(load(&bytes, actor)?))
        }
        None => Ok(None),
    }
}

async fn write_doc<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    doc: &HouseholdDoc,
) -> Result<(), TabletError> {
    let region = doc
        .region_code()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    db.execute_raw(sql(
        "INSERT INTO documents (doc_id, region_code, bytes, updated_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (doc_id) DO UPDATE SET region_code = excluded.region_code, \
         bytes = excluded.bytes, updated_at = excluded.updated_at",
        [
            id.to_string().into(),
            region.into(),
            doc.save().into(),
            now().into(),
        ],
    ))
    .await?;
    Ok(())
}

impl Store {
    /// Every document held, in id order.
    pub async fn docs(&self, actor: &ActorId) -> Result<Vec<StoredDoc>, TabletError> {
        let rows = self
            .db()
            .query_all_raw(sql(
                "SELECT doc_id, region_code, bytes FROM documents ORDER BY doc_id",
                [],
            ))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("", "doc_id")?;
            let bytes: Vec<u8> = row.try_get("", "bytes")?;
            out.push(StoredDoc {
                id: DocId::parse(&id)
                    .ok_or_else(|| TabletError::Store(format!("bad document id {id}")))?,
                region_code: row.try_get("", "region_code")?,
                doc: load(&bytes, actor)?,
            });
        }
        Ok(out)
    }

    /// Ids of the documents held.
    pub async fn doc_ids(&self) -> Result<Vec<DocId>, TabletError> {
        let rows = self
            .db()
            .query_all_raw(sql("SELECT doc_id FROM documents ORDER BY doc_id", []))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("", "doc_id")?;
            if let Some(id) = DocId::parse(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Finds a held household by its full id or a unique prefix of it.
    pub async fn resolve(&self, text: &str) -> Result<DocId, TabletError> {
        let wanted = text.trim().to_ascii_lowercase();
        if let Some(id) = DocId::parse(&wanted) {
            return Ok(id);
        }
        let matches: Vec<DocId> = self
            .doc_ids()
            .await?
            .into_iter()
            .filter(|id| wanted.len() >= 4 && id.to_string().starts_with(&wanted))
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(TabletError::UnknownHousehold(text.to_owned())),
            _ => Err(TabletError::Invalid(format!(
                "{text} matches {} households; give more of the id",
                matches.len()
            ))),
        }
    }

    /// One held document.
    pub async fn doc(&self, id: &DocId, actor: &ActorId) -> Result<HouseholdDoc, TabletError> {
        read_doc(self.db(), id, actor)
            .await?
            .ok_or_else(|| TabletError::UnknownHousehold(id.to_string()))
    }

    /// Stores a document after a local edit.
    pub async fn save_doc(&self, id: &DocId, doc: &HouseholdDoc) -> Result<(), TabletError> {
        write_doc(self.db(), id, doc).await
    }

    /// Carries out a sync reply in one transaction: the document operations, the new sync
    /// state, the tasks and the refusals. Either all of it is stored or none.
    pub async fn apply_reply(
        &self,
        actor: &ActorId,
        ops: Vec<ClientOp>,
        state: &ClientState,
        refused: &[Refusal],
        tasks: Option<&[Task]>,
    ) -> Result<Applied, TabletError> {
        let txn = self.db().begin().await?;
        let mut applied = Applied::default();
        for op in ops {
            match op {
                ClientOp::Apply { doc, changes } => {
                    if let Some(mut held) = read_doc(&txn, &doc, actor).await? {
                        held.apply_changes(&changes).map_err(|e| {
                            TabletError::Protocol(format!("changes for {doc} do not apply: {e}"))
                        })?;
                        write_doc(&txn, &doc, &held).await?;
                        applied.received += 1;
                        applied.conflicts += all_conflicts(held.automerge()).len();
                    }
                }
                ClientOp::Replace { doc, bytes } => {
                    let loaded = HouseholdDoc::load(&bytes, actor.clone()).map_err(|e| {
                        TabletError::Protocol(format!("document {doc} is unreadable: {e}"))
                    })?;
                    write_doc(&txn, &doc, &loaded).await?;
                    applied.received += 1;
                    applied.conflicts += all_conflicts(loaded.automerge()).len();
                }
                ClientOp::Purge { doc, if_heads } => {
                    let unchanged = read_doc(&txn, &doc, actor)
                        .await?
                        .is_some_and(|held| held.heads() == if_heads);
                    if unchanged {
                        txn.execute_raw(sql(
                            "DELETE FROM documents WHERE doc_id = ?",
                            [doc.to_string().into()],
                        ))
                        .await?;
                        applied.purged += 1;
                    } else {
                        applied.kept += 1;
                    }
                }
            }
        }
        put_client_state(&txn, state).await?;
        for refusal in refused {
            txn.execute_raw(sql(
                "INSERT INTO refusals (doc_id, code, message, at) VALUES (?, ?, ?, ?)",
                [
                    refusal.doc.to_string().into(),
                    refusal.code.clone().into(),
                    refusal.message.clone().into(),
                    now().into(),
                ],
            ))
            .await?;
        }
        if let Some(tasks) = tasks {
            super::tasks::replace(&txn, tasks).await?;
        }
        txn.commit().await?;
        Ok(applied)
    }

    /// Refusals received, newest first: (household, code, message, when).
    pub async fn refusals(&self) -> Result<Vec<(String, String, String, i64)>, TabletError> {
        let rows = self
            .db()
            .query_all_raw(sql(
                "SELECT doc_id, code, message, at FROM refusals ORDER BY id DESC",
                [],
            ))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push((
                row.try_get("", "doc_id")?,
                row.try_get("", "code")?,
                row.try_get("", "message")?,
                row.try_get("", "at")?,
            ));
        }
        Ok(out)
    }
}
