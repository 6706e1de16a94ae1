//! What one sync of a device concerns, read in one statement: the documents of its scope
//! stamped since its cursor, the documents its request names, and the documents it holds
//! that moved; each with the server's heads and version and what the server believes the
//! device holds of it; whether any of its tasks changed; and the horizon of the read (see
//! [`super::clock`]).

use super::clock::horizon_sql;
use super::documents::heads_from_text;
use crate::error::StoreError;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use zoufang_schemas::wire::{DocId, Head};

/// Named documents read in the one statement; more are read in further ones.
const NAMED_IN_ONE: usize = 400;

/// A document a sync concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedDoc {
    /// The document.
    pub id: DocId,
    /// Its village, `None` if it does not exist.
    pub region_code: Option<String>,
    /// The server's heads.
    pub heads: Vec<Head>,
    /// Its version.
    pub version: i64,
    /// What the server believes the device holds of it.
    pub believed: Option<Vec<Head>>,
    /// The device holds it and it moved since.
    pub moved: bool,
    /// It has open conflicts.
    pub open_conflicts: bool,
    /// It references photos its devices must upload.
    pub photos_missing: bool,
    /// It has a verified review not yet marked changed.
    pub verified: bool,
}

/// What a sync concerns.
#[derive(Debug, Clone, Default)]
pub struct Feed {
    /// The horizon of the read: the device's next cursor.
    pub horizon: i64,
    /// The documents, each once.
    pub docs: Vec<FeedDoc>,
    /// Whether a task of the scope was stamped since the cursor.
    pub tasks_changed: bool,
}

/// Which documents to read.
#[derive(Debug, Clone, Copy)]
pub struct FeedQuery<'a> {
    /// The device.
    pub device_id: &'a str,
    /// Its user's region prefix.
    pub scope: &'a str,
    /// The counties the scope covers.
    pub counties: &'a [String],
    /// The device's cursor.
    pub since: i64,
    /// Documents the request names.
    pub named: &'a [DocId],
}

/// An SQL statement with its bound values, in either database's placeholder style.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }
}

const COLUMNS: &str = "d.doc_id, d.region_code, d.heads, d.version, b.heads, b.leaving, \
    EXISTS (SELECT 1 FROM conflicts x WHERE x.doc_id = d.doc_id AND x.status = 'OPEN'), \
    EXISTS (SELECT 1 FROM photo_links l LEFT JOIN blobs p ON p.hash = l.hash \
    WHERE l.doc_id = d.doc_id AND (p.hash IS NULL OR NOT l.grants)), \
    EXISTS (SELECT 1 FROM reviews r WHERE r.doc_id = d.doc_id AND NOT r.changed_since_verification \
    AND r.state IN ('TOWNSHIP_VERIFIED', 'COUNTY_ACCEPTED'))";

/// The kind of the row saying a task of the scope changed since the cursor.
const TASKS_CHANGED: i32 = 4;

/// The first row: the horizon, and the columns' types for the rows that follow.
fn horizon_row(backend: DbBackend) -> String {
    format!(
        "SELECT 0 AS kind, {} AS horizon, CAST(NULL AS TEXT) AS doc_id, \
         CAST(NULL AS TEXT) AS region_code, CAST(NULL AS TEXT) AS heads, \
         CAST(NULL AS BIGINT) AS version, CAST(NULL AS TEXT) AS held, \
         CAST(NULL AS BOOLEAN) AS leaving, CAST(NULL AS BOOLEAN) AS open_conflicts, \
         CAST(NULL AS BOOLEAN) AS photos_missing, CAST(NULL AS BOOLEAN) AS verified",
        horizon_sql(backend)
    )
}

/// On SQLite, the index the county's documents stamped since the cursor are found by.
/// Its planner, not told the values bound (the server keeps plans stable, see
/// `store::db`), takes the region range for the narrower one and walks every document of
/// the scope, each looked up in the table for its stamp: the read then costs the scope,
/// not what changed.
fn feed_index(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "INDEXED BY idx_documents_feed",
        _ => "",
    }
}

/// Reads what a sync concerns.
pub async fn read<C: ConnectionTrait>(db: &C, query: FeedQuery<'_>) -> Result<Feed, StoreError> {
    let backend = db.get_database_backend();
    let (first, rest) = query.named.split_at(query.named.len().min(NAMED_IN_ONE));
    let mut sql = Sql {
        backend,
        text: horizon_row(backend),
        values: Vec::new(),
    };
    for code in query.counties {
        // The county's documents stamped since the cursor, then whether any of its tasks was.
        let device = sql.bind(query.device_id);
        let county = sql.bind(code.as_str());
        let since = sql.bind(query.since);
        let low = sql.bind(query.scope);
        let high = sql.bind(format!("{}~", query.scope));
        let by_feed = feed_index(backend);
        sql.text.push_str(&format!(
            " UNION ALL SELECT 1, NULL, {COLUMNS} FROM documents d {by_feed} LEFT JOIN device_docs b \
             ON b.device_id = {device} AND b.doc_id = d.doc_id WHERE d.county_code = {county} \
             AND d.change_seq >= {since} AND d.region_code >= {low} AND d.region_code < {high}"
        ));
        let county = sql.bind(code.as_str());
        let since = sql.bind(query.since);
        let low = sql.bind(query.scope);
        let high = sql.bind(format!("{}~", query.scope));
        sql.text.push_str(&format!(
            " UNION ALL SELECT {TASKS_CHANGED}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.county_code = {county} \
             AND t.change_seq >= {since} AND t.region_code >= {low} AND t.region_code < {high})"
        ));
    }
    if !first.is_empty() {
        push_named(&mut sql, query.device_id, first);
    }
    let device = sql.bind(query.device_id);
    let moved = sql.bind(true);
    sql.text.push_str(&format!(
        " UNION ALL SELECT 3, NULL, {COLUMNS} FROM device_docs b LEFT JOIN documents d \
         ON d.doc_id = b.doc_id WHERE b.device_id = {device} AND b.leaving = {moved}"
    ));
    let mut feed = run(db, sql).await?;
    for chunk in rest.chunks(NAMED_IN_ONE) {
        let mut more = Sql {
            backend,
            text: horizon_row(backend),
            values: Vec::new(),
        };
        push_named(&mut more, query.device_id, chunk);
        let extra = run(db, more).await?;
        merge_docs(&mut feed.docs, extra.docs);
    }
    Ok(feed)
}

fn push_named(sql: &mut Sql, device_id: &str, named: &[DocId]) {
    let device = sql.bind(device_id);
    let ids: Vec<String> = named
        .iter()
        .map(|id| sql.bind(id.to_uuid_string()))
        .collect();
    sql.text.push_str(&format!(
        " UNION ALL SELECT 2, NULL, {COLUMNS} FROM documents d LEFT JOIN device_docs b \
         ON b.device_id = {device} AND b.doc_id = d.doc_id WHERE d.doc_id IN ({})",
        ids.join(", ")
    ));
}

async fn run<C: ConnectionTrait>(db: &C, sql: Sql) -> Result<Feed, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            sql.backend,
            sql.text,
            sql.values,
        ))
        .await?;
    let mut feed = Feed::default();
    let mut docs = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: i32 = row.try_get("", "kind")?;
        if kind == 0 {
            feed.horizon = row.try_get("", "horizon")?;
            continue;
        }
        if kind == TASKS_CHANGED {
            feed.tasks_changed = true;
            continue;
        }
        let Some(id) = row.try_get::<Option<String>>("", "doc_id")? else {
            continue;
        };
        let id =
            DocId::parse(&id).ok_or_else(|| StoreError::Corrupt(format!("document id {id}")))?;
        let heads: Option<String> = row.try_get("", "heads")?;
        let held: Option<String> = row.try_get("", "held")?;
        let leaving: Option<bool> = row.try_get("", "leaving")?;
        docs.push(FeedDoc {
            id,
            region_code: row.try_get("", "region_code")?,
            heads: heads
                .as_deref()
                .map(heads_from_text)
                .transpose()?
                .unwrap_or_default(),
            version: row.try_get::<Option<i64>>("", "version")?.unwrap_or(0),
            believed: held.as_deref().map(heads_from_text).transpose()?,
            moved: leaving.unwrap_or(false),
            open_conflicts: row
                .try_get::<Option<bool>>("", "open_conflicts")?
                .unwrap_or(false),
            photos_missing: row
                .try_get::<Option<bool>>("", "photos_missing")?
                .unwrap_or(false),
            verified: row
                .try_get::<Option<bool>>("", "verified")?
                .unwrap_or(false),
        });
    }
    merge_docs(&mut feed.docs, docs);
    Ok(feed)
}

/// Adds `more` to `docs`, each document once (flags of both kept).
fn merge_docs(docs: &mut Vec<FeedDoc>, more: Vec<FeedDoc>) {
    let mut at: std::collections::HashMap<DocId, usize> =
        docs.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    for doc in more {
        match at.get(&doc.id) {
            Some(&i) => docs[i].moved |= doc.moved,
            None => {
                at.insert(doc.id, docs.len());
                docs.push(doc);
            }
        }
    }
}
