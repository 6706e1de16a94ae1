//! What one sync of a device concerns, read in one statement with the caller's session:
//! the documents of its scope stamped since its cursor, the documents its request names,
//! and the documents it holds that moved; each with the server's heads and version and
//! what the server believes the device holds of it; whether any of its tasks changed; and
//! the horizon of the read (see [`super::clock`]).
//!
//! No document is read unless the session is live, the device is the caller's and not
//! revoked, and its cursor was built for the caller's scope (the statement's gate); the
//! session's own columns say which check failed.

use super::clock::horizon_sql;
use super::documents::heads_from_text;
use super::sync_states::{SESSION_COLUMNS, SyncSession, session_joins, session_of};
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
#[derive(Debug, Clone)]
pub struct Feed {
    /// The caller's session, read with the documents.
    pub session: SyncSession,
    /// Whether the gate was open: the session live, the device the caller's and not
    /// revoked, its cursor built for the scope. Closed, no document was read.
    pub gate: bool,
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
    /// The caller.
    pub user_id: i64,
    /// The caller's token family.
    pub family: &'a str,
    /// Its user's region prefix.
    pub scope: &'a str,
    /// The counties the scope covers.
    pub counties: &'a [String],
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
    fn into_statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }

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

/// The columns after a document's for the rows other than the first: the first row's
/// session and gate.
const NO_SESSION: &str = ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL";

/// Starts a statement: the gate `g`, one row (its `since`, the device's cursor) when the
/// caller's session is live, the device is the caller's and not revoked, and its cursor
/// was built for `query.scope`; then the first row: the horizon, the session, whether the
/// gate is open, and the columns' types for the rows that follow.
fn opening(backend: DbBackend, query: &FeedQuery<'_>) -> Sql {
    let mut sql = Sql {
        backend,
        text: String::new(),
        values: Vec::new(),
    };
    let device = sql.bind(query.device_id);
    let user = sql.bind(query.user_id);
    let family = sql.bind(query.family);
    let scope = sql.bind(query.scope);
    sql.text = format!(
        "WITH g AS (SELECT gc.seen_upto AS since FROM device_cursors gc \
         JOIN devices gd ON gd.id = gc.device_id JOIN users gu ON gu.id = gd.user_id \
         JOIN token_families gf ON gf.user_id = gu.id \
         WHERE gc.device_id = {device} AND gd.user_id = {user} AND gf.id = {family} \
         AND gc.scope = {scope} AND gu.disabled = FALSE AND gf.revoked = FALSE \
         AND gd.revoked = FALSE) \
         SELECT 0 AS kind, {} AS horizon, CAST(NULL AS TEXT) AS doc_id, \
         CAST(NULL AS TEXT) AS region_code, CAST(NULL AS TEXT) AS heads, \
         CAST(NULL AS BIGINT) AS version, CAST(NULL AS TEXT) AS held, \
         CAST(NULL AS BOOLEAN) AS leaving, CAST(NULL AS BOOLEAN) AS open_conflicts, \
         CAST(NULL AS BOOLEAN) AS photos_missing, CAST(NULL AS BOOLEAN) AS verified, \
         {SESSION_COLUMNS}, EXISTS (SELECT 1 FROM g) AS gate FROM (SELECT 1 AS one) o ",
        horizon_sql(backend)
    );
    let (user, family, device) = (
        sql.bind(query.user_id),
        sql.bind(query.family),
        sql.bind(query.device_id),
    );
    sql.text.push_str(&session_joins(&user, &family, &device));
    sql
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

/// The conditions on the rows of `alias` of one county in the scope stamped since the
/// cursor, found by the county-and-stamp index.
///
/// On PostgreSQL the statement is planned once for any values (see
/// `store::connect_sync_reads`). Not told the values, the planner takes an open range on
/// the stamp for a third of the table and a bounded one for a two-hundredth, so the stamp
/// gets an upper bound; and the scope is a prefix test no index serves, or the region
/// index would look as narrow and the read walk the whole scope.
fn stamped_since(sql: &mut Sql, alias: &str, county: &str, scope: &str) -> String {
    let county = sql.bind(county);
    let since = "(SELECT since FROM g)";
    match sql.backend {
        DbBackend::Postgres => {
            let upper = sql.bind(i64::MAX);
            let scope = sql.bind(scope);
            format!(
                "{alias}.county_code = {county} AND {alias}.change_seq >= {since} \
                 AND {alias}.change_seq <= {upper} AND starts_with({alias}.region_code, {scope})"
            )
        }
        _ => {
            let low = sql.bind(scope);
            let high = sql.bind(format!("{scope}~"));
            format!(
                "{alias}.county_code = {county} AND {alias}.change_seq >= {since} \
                 AND {alias}.region_code >= {low} AND {alias}.region_code < {high}"
            )
        }
    }
}

/// Reads what a sync concerns, with the caller's session. The named documents past the
/// first statement's are read only once its gate was open.
pub async fn read<C: ConnectionTrait>(db: &C, query: FeedQuery<'_>) -> Result<Feed, StoreError> {
    let backend = db.get_database_backend();
    let rest = &query.named[query.named.len().min(NAMED_IN_ONE)..];
    let mut feed = run(db, first_statement(backend, query)).await?;
    if !feed.gate {
        return Ok(feed);
    }
    for chunk in rest.chunks(NAMED_IN_ONE) {
        let mut more = opening(backend, &query);
        let named = named_ids(&mut more, chunk);
        push_documents(&mut more, query.device_id, &[named]);
        let extra = run(db, more.into_statement()).await?;
        merge_docs(&mut feed.docs, extra.docs);
    }
    Ok(feed)
}

/// The statement a sync's read starts with: the horizon and the session, whether a task
/// of the scope was stamped since the cursor, and the documents: the scope's stamped since
/// the cursor, the first [`NAMED_IN_ONE`] named, and the held ones that moved. Public so
/// that its plan can be checked.
pub fn first_statement(backend: DbBackend, query: FeedQuery<'_>) -> Statement {
    let first = &query.named[..query.named.len().min(NAMED_IN_ONE)];
    let mut sql = opening(backend, &query);
    for code in query.counties {
        let stamped = stamped_since(&mut sql, "t", code, query.scope);
        sql.text.push_str(&format!(
            " UNION ALL SELECT {TASKS_CHANGED}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL{NO_SESSION} WHERE EXISTS (SELECT 1 FROM tasks t WHERE {stamped})"
        ));
    }
    let mut found = Vec::new();
    for code in query.counties {
        let stamped = stamped_since(&mut sql, "d", code, query.scope);
        let by_feed = feed_index(backend);
        found.push(format!(
            "SELECT 1 AS kind, d.doc_id AS id FROM documents d {by_feed} WHERE {stamped}"
        ));
    }
    if !first.is_empty() {
        found.push(named_ids(&mut sql, first));
    }
    let device = sql.bind(query.device_id);
    found.push(format!(
        "SELECT 3 AS kind, b.doc_id AS id FROM device_docs b \
         WHERE b.device_id = {device} AND b.leaving = TRUE AND EXISTS (SELECT 1 FROM g)"
    ));
    push_documents(&mut sql, query.device_id, &found);
    sql.into_statement()
}

/// Adds the rows of the documents `found` selects (as `kind, id`, their values bound to
/// `sql` already), each with its columns. The columns, with their three subqueries, appear
/// once in the statement however many ways a document is found: PostgreSQL sets up every
/// part of a statement each time it runs it, rows or none.
fn push_documents(sql: &mut Sql, device_id: &str, found: &[String]) {
    let found = found.join(" UNION ALL ");
    let device = sql.bind(device_id);
    sql.text.push_str(&format!(
        " UNION ALL SELECT f.kind, NULL, {COLUMNS}{NO_SESSION} FROM ({found}) f \
         JOIN documents d ON d.doc_id = f.id \
         LEFT JOIN device_docs b ON b.device_id = {device} AND b.doc_id = f.id"
    ));
}

/// Selects the documents named (as `kind, id`), when the gate is open.
fn named_ids(sql: &mut Sql, named: &[DocId]) -> String {
    let ids: Vec<String> = named
        .iter()
        .map(|id| sql.bind(id.to_uuid_string()))
        .collect();
    format!(
        "SELECT 2 AS kind, d.doc_id AS id FROM documents d WHERE d.doc_id IN ({}) \
         AND EXISTS (SELECT 1 FROM g)",
        ids.join(", ")
    )
}

async fn run<C: ConnectionTrait>(db: &C, statement: Statement) -> Result<Feed, StoreError> {
    let rows = db.query_all_raw(statement).await?;
    let mut first = None;
    let mut tasks_changed = false;
    let mut docs = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: i32 = row.try_get("", "kind")?;
        if kind == 0 {
            first = Some((
                row.try_get::<i64>("", "horizon")?,
                session_of(&row)?,
                row.try_get::<bool>("", "gate")?,
            ));
            continue;
        }
        if kind == TASKS_CHANGED {
            tasks_changed = true;
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
    let Some((horizon, session, gate)) = first else {
        return Err(StoreError::Corrupt(
            "the feed read returned no first row".into(),
        ));
    };
    let mut feed = Feed {
        session,
        gate,
        horizon,
        docs: Vec::new(),
        tasks_changed,
    };
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
