//! Household documents: a compacted snapshot plus the append-only change log since, the
//! current heads with a version for optimistic concurrency, and the relational projection
//! (households, members) that queries and exports read.

use super::entities::{doc_change, document, document_snapshot, household, member};
use super::now;
use super::script::Script;
use crate::error::StoreError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use std::collections::BTreeMap;
use zoufang_schemas::HouseholdRecord;
use zoufang_schemas::wire::{DocId, Head};
use zoufang_sync::automerge::{Automerge, Change};
use zoufang_sync::server::AppliedChange;

/// A document as loaded for a merge.
#[derive(Debug, Clone)]
pub struct LoadedDoc {
    /// The automerge document.
    pub doc: Automerge,
    /// Version at load time; writing back requires it unchanged.
    pub version: i64,
    /// The household's village code.
    pub region_code: String,
}

/// Who sent changes.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The device, for tablet changes.
    pub device_id: Option<&'a str>,
    /// The user.
    pub user_id: Option<i64>,
}

/// Heads as stored (JSON array of hex).
pub fn heads_to_text(heads: &[Head]) -> String {
    serde_json::to_string(&heads.iter().map(|h| hex::encode(h.0)).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Heads from their stored text.
pub fn heads_from_text(text: &str) -> Result<Vec<Head>, StoreError> {
    let hexes: Vec<String> =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    hexes
        .iter()
        .map(|h| {
            let mut out = [0u8; 32];
            hex::decode_to_slice(h, &mut out).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(Head(out))
        })
        .collect()
}

fn doc_key(id: &DocId) -> String {
    id.to_uuid_string()
}

/// Documents under a region prefix with their current heads and versions. Reads no
/// document body.
pub async fn scope<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<BTreeMap<DocId, (Vec<Head>, i64)>, StoreError> {
    let rows: Vec<(String, String, i64)> = document::Entity::find()
        .select_only()
        .columns([
            document::Column::DocId,
            document::Column::Heads,
            document::Column::Version,
        ])
        .filter(super::in_region(document::Column::RegionCode, prefix))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(id, heads, version)| {
            let id = DocId::parse(&id)
                .ok_or_else(|| StoreError::Corrupt(format!("document id {id}")))?;
            Ok((id, (heads_from_text(&heads)?, version)))
        })
        .collect()
}

/// Saved documents, for those of `ids` whose snapshot already holds every change (no
/// change stored after it), as they can be sent whole without loading.
pub async fn current_snapshots<C: ConnectionTrait>(
    db: &C,
    ids: &std::collections::BTreeSet<DocId>,
) -> Result<Vec<zoufang_schemas::wire::WholeDoc>, StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let mut out = Vec::with_capacity(ids.len());
    let keys: Vec<String> = ids.iter().map(doc_key).collect();
    for chunk in super::shaped(&keys, INSERT_CHUNK) {
        let query = with_snapshots(chunk.iter().cloned(), document::Column::Heads)
            .and_where(Expr::col((document::Entity, document::Column::ChangesSinceSnapshot)).eq(0))
            .to_owned();
        for row in db.query_all(&query).await? {
            let id: String = row.try_get("", "doc_id")?;
            let snapshot: Vec<u8> = row.try_get("", "snapshot")?;
            let heads: String = row.try_get("", "heads")?;
            let doc = DocId::parse(&id)
                .ok_or_else(|| StoreError::Corrupt(format!("document id {id}")))?;
            out.push(zoufang_schemas::wire::WholeDoc {
                doc,
                heads: heads_from_text(&heads)?,
                bytes: serde_bytes::ByteBuf::from(snapshot),
            });
        }
    }
    Ok(out)
}

/// `SELECT doc_id, snapshot, <also>` of the documents of `keys` that have a snapshot (every
/// stored one), for more columns or conditions to be added.
fn with_snapshots(
    keys: impl IntoIterator<Item = String>,
    also: document::Column,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Query::select()
        .column((document::Entity, document::Column::DocId))
        .column((
            document_snapshot::Entity,
            document_snapshot::Column::Snapshot,
        ))
        .column((document::Entity, also))
        .from(document::Entity)
        .inner_join(
            document_snapshot::Entity,
            Expr::col((document_snapshot::Entity, document_snapshot::Column::DocId))
                .equals((document::Entity, document::Column::DocId)),
        )
        .and_where(Expr::col((document::Entity, document::Column::DocId)).is_in(keys))
        .to_owned()
}

/// A document as stored: its snapshot and the changes stored after it, not yet decoded.
#[derive(Debug)]
pub struct StoredDoc {
    /// The document.
    pub id: DocId,
    snapshot: Vec<u8>,
    tail: Vec<Vec<u8>>,
    version: i64,
    region_code: String,
}

impl StoredDoc {
    /// Decodes the snapshot and applies the changes after it (CPU work, no I/O).
    pub fn decode(self) -> Result<LoadedDoc, StoreError> {
        let id = self.id;
        let mut doc = zoufang_sync::guard::contain(|| Automerge::load(&self.snapshot))
            .and_then(Result::ok)
            .ok_or_else(|| StoreError::Corrupt(format!("snapshot of {id}")))?;
        if !self.tail.is_empty() {
            let changes = self
                .tail
                .iter()
                .map(|b| {
                    Change::try_from(b.as_slice()).map_err(|e| StoreError::Corrupt(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            doc.apply_changes(changes)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        Ok(LoadedDoc {
            doc,
            version: self.version,
            region_code: self.region_code,
        })
    }
}

/// Loads a document: its snapshot plus the changes stored after it.
pub async fn load<C: ConnectionTrait>(db: &C, id: &DocId) -> Result<Option<LoadedDoc>, StoreError> {
    match fetch_many(db, std::slice::from_ref(id)).await?.pop() {
        Some(stored) => stored.decode().map(Some),
        None => Ok(None),
    }
}

/// Reads the stored form of every document of `ids` that exists: two queries per 500
/// documents (the rows, then every change after each one's snapshot), however many there
/// are. Decoding them is left to the caller ([`StoredDoc::decode`]), which may spread it
/// over threads.
pub async fn fetch_many<C: ConnectionTrait>(
    db: &C,
    ids: &[DocId],
) -> Result<Vec<StoredDoc>, StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
    let mut out = Vec::with_capacity(ids.len());
    for chunk in super::shaped(ids, INSERT_CHUNK) {
        let keys: Vec<String> = chunk.iter().map(doc_key).collect();
        let rows_query = with_snapshots(keys.iter().cloned(), document::Column::Version)
            .column((document::Entity, document::Column::RegionCode))
            .to_owned();
        let mut rows = Vec::with_capacity(chunk.len());
        for row in db.query_all(&rows_query).await? {
            let key: String = row.try_get("", "doc_id")?;
            let snapshot: Vec<u8> = row.try_get("", "snapshot")?;
            let version: i64 = row.try_get("", "version")?;
            let region_code: String = row.try_get("", "region_code")?;
            rows.push((key, snapshot, version, region_code));
        }
        let tail_query = Query::select()
            .column((doc_change::Entity, doc_change::Column::DocId))
            .column((doc_change::Entity, doc_change::Column::Bytes))
            .from(doc_change::Entity)
            .inner_join(
                document_snapshot::Entity,
                Expr::col((document_snapshot::Entity, document_snapshot::Column::DocId))
                    .equals((doc_change::Entity, doc_change::Column::DocId)),
            )
            .and_where(Expr::col((doc_change::Entity, doc_change::Column::DocId)).is_in(keys))
            .and_where(
                Expr::col((doc_change::Entity, doc_change::Column::Id)).gt(Expr::col((
                    document_snapshot::Entity,
                    document_snapshot::Column::SnapshotUpto,
                ))),
            )
            .order_by((doc_change::Entity, doc_change::Column::Id), Order::Asc)
            .to_owned();
        let mut tails: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for row in db.query_all(&tail_query).await? {
            let doc: String = row.try_get("", "doc_id")?;
            let bytes: Vec<u8> = row.try_get("", "bytes")?;
            tails.entry(doc).or_default().push(bytes);
        }
        for (key, snapshot, version, region_code) in rows {
            let id = DocId::parse(&key)
                .ok_or_else(|| StoreError::Corrupt(format!("document id {key}")))?;
            out.push(StoredDoc {
                id,
                tail: tails.remove(&key).unwrap_or_default(),
                snapshot,
                version,
                region_code,
            });
        }
    }
    Ok(out)
}

/// Stores a new document created by the server, with its first change in the log.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    doc: &Automerge,
    record: &HouseholdRecord,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    create_many(db, vec![NewDoc::of(*id, doc, record)], origin).await
}

/// A new document made ready for storage (built off the async threads).
pub struct NewDoc<'a> {
    /// Document id.
    pub id: DocId,
    /// Its record.
    pub record: &'a HouseholdRecord,
    /// Its changes.
    pub changes: Vec<AppliedChange>,
    /// `Automerge::save` of it.
    pub snapshot: Vec<u8>,
    /// Its heads as stored.
    pub heads: String,
}

impl<'a> NewDoc<'a> {
    /// Prepares a document for [`create_many`].
    pub fn of(id: DocId, doc: &Automerge, record: &'a HouseholdRecord) -> Self {
        Self {
            id,
            record,
            changes: doc
                .get_changes(&[])
                .into_iter()
                .map(AppliedChange::of)
                .collect(),
            snapshot: doc.save(),
            heads: heads_to_text(&zoufang_sync::heads::to_wire(&doc.get_heads())),
        }
    }
}

/// Stores several new documents at once (an import's batch): their changes in bulk, one
/// document row each with its snapshot, and their projections; the same result as
/// [`create`] for each, in a handful of statements.
pub async fn create_many<C: ConnectionTrait>(
    db: &C,
    docs: Vec<NewDoc<'_>>,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    let stamp = super::clock::stamp(db).await?;
    let regions: Vec<String> = docs
        .iter()
        .map(|d| d.record.household.region_code.as_str().to_owned())
        .collect();
    let refs: Vec<(DocId, &str, &AppliedChange)> = docs
        .iter()
        .zip(&regions)
        .flat_map(|(d, region)| d.changes.iter().map(move |c| (d.id, region.as_str(), c)))
        .collect();
    insert_changes(db, &refs, origin).await?;
    drop(refs);
    let mut upto: BTreeMap<String, i64> = BTreeMap::new();
    for chunk in super::shaped(&docs, INSERT_CHUNK) {
        let rows: Vec<(String, Option<i64>)> = doc_change::Entity::find()
            .select_only()
            .column(doc_change::Column::DocId)
            .column_as(doc_change::Column::Id.max(), "max_id")
            .filter(doc_change::Column::DocId.is_in(chunk.iter().map(|d| doc_key(&d.id))))
            .group_by(doc_change::Column::DocId)
            .into_tuple()
            .all(db)
            .await?;
        upto.extend(rows.into_iter().filter_map(|(d, m)| Some((d, m?))));
    }
    let updated = now();
    let records: Vec<(DocId, &HouseholdRecord)> = docs.iter().map(|d| (d.id, d.record)).collect();
    let mut docs = docs.into_iter().peekable();
    while docs.peek().is_some() {
        let (rows, snapshots): (
            Vec<document::ActiveModel>,
            Vec<document_snapshot::ActiveModel>,
        ) = docs
            .by_ref()
            .take(INSERT_CHUNK)
            .map(|d| {
                let key = doc_key(&d.id);
                let snapshot = document_snapshot::ActiveModel {
                    doc_id: Set(key.clone()),
                    snapshot: Set(d.snapshot),
                    snapshot_upto: Set(upto.get(&key).copied().unwrap_or(0)),
                };
                let row = document::ActiveModel {
                    doc_id: Set(key),
                    region_code: Set(d.record.household.region_code.as_str().to_owned()),
                    county_code: Set(d.record.household.region_code.county().to_owned()),
                    heads: Set(d.heads),
                    version: Set(1),
                    changes_since_snapshot: Set(0),
                    updated_at: Set(updated),
                    change_seq: Set(stamp),
                    needs_validation: Set(false),
                };
                (row, snapshot)
            })
            .unzip();
        document::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        document_snapshot::Entity::insert_many(snapshots)
            .exec_without_returning(db)
            .await?;
    }
    project_many(db, &records).await
}

/// The change-log row of one change.
fn change_row(
    id: &DocId,
    region: &str,
    change: &AppliedChange,
    origin: Origin<'_>,
    received: i64,
) -> doc_change::ActiveModel {
    doc_change::ActiveModel {
        doc_id: Set(doc_key(id)),
        region_code: Set(region.to_owned()),
        hash: Set(hex::encode(change.hash.0)),
        actor: Set(change.actor.clone()),
        seq: Set(change.seq as i64),
        time: Set(change.time),
        device_id: Set(origin.device_id.map(str::to_owned)),
        user_id: Set(origin.user_id),
        bytes: Set(change.bytes.clone()),
        received_at: Set(received),
        ..Default::default()
    }
}

/// Rows per multi-row INSERT (well under both databases' bound-parameter limits).
const INSERT_CHUNK: usize = 500;

/// Stores changes in bulk; changes already stored (same document and hash) are skipped.
pub async fn insert_changes<C: ConnectionTrait>(
    db: &C,
    changes: &[(DocId, &str, &AppliedChange)],
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    let mut script = Script::new(db.get_database_backend());
    insert_changes_into(&mut script, changes, origin);
    script.run(db).await?;
    Ok(())
}

/// [`insert_changes`], as statements added to `script`.
pub fn insert_changes_into(
    script: &mut Script,
    changes: &[(DocId, &str, &AppliedChange)],
    origin: Origin<'_>,
) {
    let received = now();
    if changes.is_empty() {
        return;
    }
    if script.backend() == sea_orm::DbBackend::Postgres {
        script.push(insert_changes_unnest(changes, origin, received));
        return;
    }
    for chunk in super::shaped(changes, INSERT_CHUNK) {
        let models = chunk
            .iter()
            .map(|(id, region, change)| change_row(id, region, change, origin, received));
        script.push_query(
            &doc_change::Entity::insert_many(models)
                .on_conflict_do_nothing_on([doc_change::Column::DocId, doc_change::Column::Hash]),
        );
    }
}

/// PostgreSQL: every row in one statement, one array parameter per column, so a village
/// batch of thousands of changes costs one parse and one round trip.
fn insert_changes_unnest(
    changes: &[(DocId, &str, &AppliedChange)],
    origin: Origin<'_>,
    received: i64,
) -> sea_orm::Statement {
    use sea_orm::{DbBackend, Statement, Value};
    let column = |f: &dyn Fn(&(DocId, &str, &AppliedChange)) -> Value| -> Value {
        let values: Vec<Value> = changes.iter().map(f).collect();
        let kind = match values.first() {
            Some(Value::BigInt(_)) => sea_orm::sea_query::ArrayType::BigInt,
            Some(Value::Bytes(_)) => sea_orm::sea_query::ArrayType::Bytes,
            _ => sea_orm::sea_query::ArrayType::String,
        };
        Value::Array(kind, Some(Box::new(values)))
    };
    let values = vec![
        column(&|(id, _, _)| doc_key(id).into()),
        column(&|(_, region, _)| (*region).to_owned().into()),
        column(&|(_, _, c)| hex::encode(c.hash.0).into()),
        column(&|(_, _, c)| c.actor.clone().into()),
        column(&|(_, _, c)| (c.seq as i64).into()),
        column(&|(_, _, c)| c.time.into()),
        column(&|(_, _, c)| c.bytes.clone().into()),
        origin.device_id.map(str::to_owned).into(),
        origin.user_id.into(),
        received.into(),
    ];
    let sql = "INSERT INTO doc_changes \
         (doc_id, region_code, hash, actor, seq, time, bytes, device_id, user_id, received_at) \
         SELECT u.doc_id, u.region_code, u.hash, u.actor, u.seq, u.time, u.bytes, $8, $9, $10 \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], \
         $7::bytea[]) AS u(doc_id, region_code, hash, actor, seq, time, bytes) \
         ON CONFLICT (doc_id, hash) DO NOTHING";
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Moves a document to `heads` after `added` new changes, if nobody else wrote it since
/// `version` was read ([`StoreError::Contention`] otherwise: roll back and retry).
pub async fn advance<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    version: i64,
    heads: &[Head],
    added: usize,
) -> Result<i64, StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    super::clock::tick(db).await?;
    let stamp = super::clock::stamp_sql(db.get_database_backend());
    let result = document::Entity::update_many()
        .col_expr(document::Column::Heads, Expr::value(heads_to_text(heads)))
        .col_expr(document::Column::ChangeSeq, Expr::cust(stamp))
        .col_expr(
            document::Column::Version,
            Expr::col(document::Column::Version).add(1),
        )
        .col_expr(
            document::Column::ChangesSinceSnapshot,
            Expr::col(document::Column::ChangesSinceSnapshot).add(added as i32),
        )
        .col_expr(document::Column::UpdatedAt, Expr::value(now()))
        .filter(document::Column::DocId.eq(doc_key(id)))
        .filter(document::Column::Version.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::Contention);
    }
    Ok(version + 1)
}

/// Fails with [`StoreError::Contention`] unless the document is still at `version` (and
/// holds its row until the transaction ends).
pub async fn still_at<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    version: i64,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    let result = document::Entity::update_many()
        .col_expr(
            document::Column::Version,
            Expr::col(document::Column::Version),
        )
        .filter(document::Column::DocId.eq(doc_key(id)))
        .filter(document::Column::Version.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::Contention);
    }
    Ok(())
}

/// Adds to `script` the statements advancing several documents to their heads, each if
/// still at the version read, so that they go with the writer's other writes: a document
/// no longer at the version read writes no version, which the column refuses, and the
/// statement fails, and with it the script ([`moved_meanwhile`] tells that failure). On
/// PostgreSQL each statement is a plain `UPDATE`, which joins the script's writes to other
/// tables in one statement.
pub fn advance_into(script: &mut Script, docs: &[(DocId, i64, &[Head], usize)]) {
    let backend = script.backend();
    if let Some(tick) = super::clock::tick_statement(backend) {
        script.push(tick);
    }
    for chunk in super::shaped(docs, INSERT_CHUNK) {
        script.push(advancing(backend, chunk));
    }
}

/// Whether `err` is [`advance_into`]'s statement finding a document that moved on since
/// it was read: the script it was in failed, and the writer should read and merge again.
pub fn moved_meanwhile(err: &sea_orm::DbErr) -> bool {
    let text = err.to_string();
    // SQLite's words, and PostgreSQL's.
    text.contains("NOT NULL constraint failed: documents.version")
        || text.contains(r#"column "version" of relation "documents" violates not-null"#)
}

/// The statement advancing `chunk`'s documents to their heads, each if still at the version
/// read (a document that moved on gets no version: the statement fails).
fn advancing(
    backend: sea_orm::DbBackend,
    chunk: &[(DocId, i64, &[Head], usize)],
) -> sea_orm::Statement {
    let rows = super::values_rows(backend, chunk.len(), &["", "", "BIGINT", "INTEGER"]);
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 4 + 1);
    for (id, version, heads, added) in chunk {
        values.extend([
            doc_key(id).into(),
            heads_to_text(heads).into(),
            (*version).into(),
            (*added as i32).into(),
        ]);
    }
    let stamp = super::clock::stamp_sql(backend);
    // Bound, not written into the text: the statement's text stays the same from one
    // second to the next, and compiled once.
    let updated = match backend {
        sea_orm::DbBackend::Postgres => format!("${}", values.len() + 1),
        _ => "?".to_owned(),
    };
    values.push(now().into());
    let set = format!(
        "SET heads = v.heads, \
         version = CASE WHEN documents.version = v.version THEN documents.version + 1 END, \
         changes_since_snapshot = documents.changes_since_snapshot + v.added, \
         updated_at = {updated}, change_seq = {stamp}"
    );
    // SQLite names a `VALUES` list's columns only in a `WITH`; PostgreSQL names them in
    // the `FROM`, keeping the statement a plain `UPDATE` that joins others.
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!(
            "UPDATE documents {set} FROM (VALUES {rows}) AS v(doc_id, heads, version, added) \
             WHERE documents.doc_id = v.doc_id"
        ),
        _ => format!(
            "WITH v(doc_id, heads, version, added) AS (VALUES {rows}) \
             UPDATE documents {set} FROM v WHERE documents.doc_id = v.doc_id"
        ),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Moves a document to another village, with everything keyed by its village: its photo
/// references and its conflicts.
pub async fn move_region<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    region: &str,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    let county = region.get(..6).unwrap_or(region);
    super::clock::tick(db).await?;
    let stamp = super::clock::stamp_sql(db.get_database_backend());
    document::Entity::update_many()
        .col_expr(document::Column::RegionCode, Expr::value(region))
        .col_expr(document::Column::CountyCode, Expr::value(county))
        .col_expr(document::Column::ChangeSeq, Expr::cust(stamp))
        .filter(document::Column::DocId.eq(doc_key(id)))
        .exec(db)
        .await?;
    super::photos::move_links(db, id, region).await?;
    super::conflicts::move_region(db, id, region).await?;
    super::findings::move_region(db, id, region).await?;
    super::reviews::move_region(db, id, region).await?;
    super::tasks::move_region(db, id, region).await?;
    // Devices holding it learn at their next sync whether it left their scope.
    super::sync_states::flag_leaving(db, id).await?;
    Ok(())
}

/// Appends one document's new changes and advances it (see [`advance`]).
pub async fn append<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    region: &str,
    version: i64,
    changes: &[AppliedChange],
    heads: &[Head],
    origin: Origin<'_>,
) -> Result<i64, StoreError> {
    let rows: Vec<_> = changes.iter().map(|c| (*id, region, c)).collect();
    insert_changes(db, &rows, origin).await?;
    advance(db, id, version, heads, changes.len()).await
}

/// Rewrites the projection rows of one household from its record.
pub async fn project<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    record: &HouseholdRecord,
) -> Result<(), StoreError> {
    project_many(db, &[(*id, record)]).await
}

/// Rewrites the projection rows (households, members) of several households in bulk.
pub async fn project_many<C: ConnectionTrait>(
    db: &C,
    records: &[(DocId, &HouseholdRecord)],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let updated = now();
    for chunk in super::shaped(records, INSERT_CHUNK) {
        let rows = chunk.iter().map(|(id, record)| {
            household_row(
                id,
                HouseholdColumns {
                    info: &record.household,
                    monitoring: &record.monitoring,
                    income: &record.income,
                },
                Some(WholeColumns::of(record)),
                updated,
            )
        });
        upsert_households(db, rows, true).await?;
        member::Entity::delete_many()
            .filter(member::Column::DocId.is_in(chunk.iter().map(|(id, _)| doc_key(id))))
            .exec(db)
            .await?;
    }
    let members: Vec<member::ActiveModel> = records
        .iter()
        .flat_map(|(id, record)| {
            let region = record.household.region_code.as_str().to_owned();
            record
                .members
                .iter()
                .map(move |(key, m)| member::ActiveModel {
                    doc_id: Set(doc_key(id)),
                    member_key: Set(key.as_str().to_owned()),
                    region_code: Set(region.clone()),
                    name: Set(m.name.clone()),
                    sex: Set(m.sex.code().to_owned()),
                    birth_date: Set(m.birth_date.map(|d| d.to_string())),
                    id_number: Set(m.id_number.clone()),
                    relation: Set(m.relation.code().to_owned()),
                    status: Set(m.status.code().to_owned()),
                    ..Default::default()
                })
        })
        .collect();
    for chunk in super::shaped(&members, INSERT_CHUNK) {
        member::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The document fields the household row's own columns come from ([`household_row`]): a
/// merge that writes none of them (nor members) leaves the row as it is.
pub const PROJECTED_FIELDS: [&str; 7] = [
    "household.region_code",
    "household.national_number",
    "household.hh_type",
    "household.monitor_category",
    "monitoring.risk_eliminated",
    "income.per_capita_net",
    "income.compliant_out_of_pocket",
];

/// The sections a household row's own columns come from.
#[derive(Debug, Clone, Copy)]
pub struct HouseholdColumns<'a> {
    /// The `household` section.
    pub info: &'a zoufang_schemas::HouseholdInfo,
    /// The `monitoring` section.
    pub monitoring: &'a zoufang_schemas::Monitoring,
    /// The `income` section (what identification judges a household by).
    pub income: &'a zoufang_schemas::Income,
}

/// The household row's columns only a whole record gives: the head's name, the member
/// count, and what the row keeps of the measures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WholeColumns {
    /// The head's name.
    pub head_name: Option<String>,
    /// Members not removed.
    pub member_count: i32,
    /// Active measures.
    pub measures_active: i32,
    /// Active measures not done.
    pub measures_open: i32,
    /// The latest start month of an active measure.
    pub measure_latest_start: Option<String>,
    /// The quarter every active measure has been checked through (`""`: one never was;
    /// `None`: no active measure).
    pub measures_checked_through: Option<String>,
}

impl WholeColumns {
    /// The columns of a record.
    pub fn of(record: &HouseholdRecord) -> Self {
        let head_name = record
            .active_members()
            .find(|(_, m)| m.relation == zoufang_schemas::Relation::Head)
            .map(|(_, m)| m.name.clone());
        let active: Vec<&zoufang_schemas::Measure> =
            record.measures.values().filter(|m| m.is_active()).collect();
        let checked_through = active
            .iter()
            .map(|m| {
                m.checked_quarter
                    .as_ref()
                    .map_or(String::new(), |q| q.as_str().to_owned())
            })
            .min();
        Self {
            head_name,
            member_count: record.active_members().count() as i32,
            measures_active: active.len() as i32,
            measures_open: active
                .iter()
                .filter(|m| m.progress != zoufang_schemas::MeasureStatus::Done)
                .count() as i32,
            measure_latest_start: active
                .iter()
                .filter_map(|m| m.start_month.as_ref().map(|s| s.as_str().to_owned()))
                .max(),
            measures_checked_through: checked_through,
        }
    }
}

/// A household projection row; `whole` gives the columns only a whole record has.
fn household_row(
    id: &DocId,
    columns: HouseholdColumns<'_>,
    whole: Option<WholeColumns>,
    updated: i64,
) -> household::ActiveModel {
    let HouseholdColumns {
        info,
        monitoring,
        income,
    } = columns;
    let whole = whole.unwrap_or_default();
    household::ActiveModel {
        doc_id: Set(doc_key(id)),
        region_code: Set(info.region_code.as_str().to_owned()),
        county_code: Set(info.region_code.county().to_owned()),
        national_number: Set(info.national_number.clone()),
        hh_type: Set(info.hh_type.code().to_owned()),
        monitor_category: Set(info.monitor_category.map(|c| c.code().to_owned())),
        head_name: Set(whole.head_name),
        member_count: Set(whole.member_count),
        measures_active: Set(whole.measures_active),
        measures_open: Set(whole.measures_open),
        measure_latest_start: Set(whole.measure_latest_start),
        measures_checked_through: Set(whole.measures_checked_through),
        risk_eliminated: Set(monitoring.risk_eliminated),
        per_capita_net: Set(income.per_capita_net),
        out_of_pocket: Set(income.compliant_out_of_pocket),
        updated_at: Set(updated),
    }
}

/// Inserts or updates household rows; the columns only a whole record gives when `whole`.
async fn upsert_households<C: ConnectionTrait>(
    db: &C,
    rows: impl IntoIterator<Item = household::ActiveModel>,
    whole: bool,
) -> Result<(), StoreError> {
    households_upsert(rows, whole)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The statement inserting or updating household rows; the columns only a whole record
/// gives when `whole`.
fn households_upsert(
    rows: impl IntoIterator<Item = household::ActiveModel>,
    whole: bool,
) -> sea_orm::InsertMany<household::ActiveModel> {
    use household::Column as H;
    let mut columns = vec![
        H::RegionCode,
        H::CountyCode,
        H::NationalNumber,
        H::HhType,
        H::MonitorCategory,
        H::RiskEliminated,
        H::PerCapitaNet,
        H::OutOfPocket,
        H::UpdatedAt,
    ];
    if whole {
        columns.extend([
            H::HeadName,
            H::MemberCount,
            H::MeasuresActive,
            H::MeasuresOpen,
            H::MeasureLatestStart,
            H::MeasuresCheckedThrough,
        ]);
    }
    household::Entity::insert_many(rows).on_conflict(
        sea_orm::sea_query::OnConflict::column(H::DocId)
            .update_columns(columns)
            .to_owned(),
    )
}

/// Adds to `script` the updates of the household rows' own columns (identification,
/// category, elimination) from the `household` and `monitoring` sections, leaving the
/// member-derived columns alone: for merges that did not touch members. Nothing in a sync
/// reads them back, so they go with its last writes.
pub fn project_households_into(script: &mut Script, rows: &[(DocId, HouseholdColumns<'_>)]) {
    let updated = now();
    for chunk in super::shaped(rows, INSERT_CHUNK) {
        let models = chunk
            .iter()
            .map(|(id, columns)| household_row(id, *columns, None, updated));
        script.push_query(&households_upsert(models, false));
    }
}

/// Folds the change log of one document into a new snapshot. The changes stay in the log
/// (the audit needs them); loading just starts from the newer snapshot. Nothing is written
/// when the document moved on since it was read (its version changed); run it in a
/// transaction, as its two writes belong together.
pub async fn compact<C: ConnectionTrait>(db: &C, id: &DocId) -> Result<bool, StoreError> {
    let Some(loaded) = load(db, id).await? else {
        return Ok(false);
    };
    let upto: Option<i64> = doc_change::Entity::find()
        .select_only()
        .column_as(doc_change::Column::Id.max(), "max_id")
        .filter(doc_change::Column::DocId.eq(doc_key(id)))
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    use sea_orm::sea_query::Expr;
    // The version first: once it is known unchanged, nothing stored after the read can be
    // left out of the snapshot.
    let result = document::Entity::update_many()
        .col_expr(document::Column::ChangesSinceSnapshot, Expr::value(0))
        .filter(document::Column::DocId.eq(doc_key(id)))
        .filter(document::Column::Version.eq(loaded.version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(false);
    }
    let mut update = document_snapshot::Entity::update_many()
        .col_expr(
            document_snapshot::Column::Snapshot,
            Expr::value(loaded.doc.save()),
        )
        .filter(document_snapshot::Column::DocId.eq(doc_key(id)));
    if let Some(upto) = upto {
        update = update.col_expr(document_snapshot::Column::SnapshotUpto, Expr::value(upto));
    }
    update.exec(db).await?;
    Ok(true)
}

/// Documents whose change log since the snapshot is longer than `threshold`.
pub async fn needing_compaction<C: ConnectionTrait>(
    db: &C,
    threshold: i32,
    limit: u64,
) -> Result<Vec<DocId>, StoreError> {
    let ids: Vec<String> = document::Entity::find()
        .select_only()
        .column(document::Column::DocId)
        .filter(document::Column::ChangesSinceSnapshot.gt(threshold))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.iter().filter_map(|i| DocId::parse(i)).collect())
}

/// Number of stored changes of a document.
pub async fn change_count<C: ConnectionTrait>(db: &C, id: &DocId) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(doc_change::Entity::find()
        .filter(doc_change::Column::DocId.eq(doc_key(id)))
        .count(db)
        .await?)
}

/// The village a document belongs to now.
pub async fn region_of<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
) -> Result<Option<String>, StoreError> {
    Ok(document::Entity::find_by_id(doc_key(id))
        .select_only()
        .column(document::Column::RegionCode)
        .into_tuple()
        .one(db)
        .await?)
}

/// One change of a document's history: who sent it, from which device, when.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    /// The change hash (hex).
    pub hash: String,
    /// When the writer made it (Unix milliseconds, the writer's clock).
    pub time: i64,
    /// When the server received it (Unix seconds).
    pub received_at: i64,
    /// The user who sent it; `None` for the server's own changes.
    pub username: Option<String>,
    /// The device it came from.
    pub device: Option<String>,
}

/// A change's hash, time, arrival, device and user.
type HistoryRow = (String, i64, i64, Option<String>, Option<i64>);

/// The latest `limit` changes of a document, newest first, with user and device names.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    id: &DocId,
    limit: u64,
) -> Result<Vec<HistoryEntry>, StoreError> {
    use super::entities::{device, user};
    use sea_orm::QueryOrder;
    let rows: Vec<HistoryRow> = doc_change::Entity::find()
        .select_only()
        .column(doc_change::Column::Hash)
        .column(doc_change::Column::Time)
        .column(doc_change::Column::ReceivedAt)
        .column(doc_change::Column::DeviceId)
        .column(doc_change::Column::UserId)
        .filter(doc_change::Column::DocId.eq(doc_key(id)))
        .order_by_desc(doc_change::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.4).collect();
    let device_ids: Vec<String> = rows.iter().filter_map(|r| r.3.clone()).collect();
    let users: BTreeMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let devices: BTreeMap<String, String> = device::Entity::find()
        .filter(device::Column::Id.is_in(device_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(
            |(hash, time, received_at, device_id, user_id)| HistoryEntry {
                hash,
                time,
                received_at,
                username: user_id.and_then(|u| users.get(&u).cloned()),
                device: device_id.and_then(|d| devices.get(&d).cloned()),
            },
        )
        .collect())
}

/// The head's name of each household under a region prefix (from the projection).
pub async fn head_names<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<BTreeMap<String, String>, StoreError> {
    let rows: Vec<(String, Option<String>)> = household::Entity::find()
        .select_only()
        .column(household::Column::DocId)
        .column(household::Column::HeadName)
        .filter(super::in_region(household::Column::RegionCode, prefix))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name)| Some((id, name?)))
        .collect())
}

/// The names of the members of these households, by (household, member entry).
pub async fn member_names<C: ConnectionTrait>(
    db: &C,
    docs: &[String],
) -> Result<BTreeMap<(String, String), String>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in super::shaped(docs, 500) {
        let rows: Vec<(String, String, String)> = super::entities::member::Entity::find()
            .select_only()
            .column(super::entities::member::Column::DocId)
            .column(super::entities::member::Column::MemberKey)
            .column(super::entities::member::Column::Name)
            .filter(super::entities::member::Column::DocId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|(d, k, n)| ((d, k), n)));
    }
    Ok(out)
}
