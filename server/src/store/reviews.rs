//! Visits as households record them, the review of each household's round, its history in
//! commit order, and what the county reads: coverage per village, verified records, the
//! feed of verification steps.

use super::entities::{household, review, review_event, visit};
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};
use std::collections::BTreeMap;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{EntryId, EntryStatus, Visit};

/// Per round, the latest time an active visit of it was first seen (0 if never).
pub type RoundsVisited = BTreeMap<String, i64>;

/// Stores a household's visits as its document records them; returns, per round with an
/// active visit, when its latest visit was first seen.
pub async fn project_visits<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
    visits: &BTreeMap<EntryId, Visit>,
) -> Result<RoundsVisited, StoreError> {
    let key = doc.to_uuid_string();
    let known: BTreeMap<String, visit::Model> = visit::Entity::find()
        .filter(visit::Column::DocId.eq(key.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.visit_key.clone(), v))
        .collect();
    let at = now();
    let mut rounds = RoundsVisited::new();
    for (id, entry) in visits {
        let status = entry.status.code();
        let first_seen_at = match known.get(id.as_str()) {
            Some(row) => {
                if row.status != status || row.round != entry.quarter.as_str() {
                    visit::Entity::update_many()
                        .col_expr(visit::Column::Status, Expr::value(status))
                        .col_expr(visit::Column::Round, Expr::value(entry.quarter.as_str()))
                        .filter(visit::Column::DocId.eq(key.clone()))
                        .filter(visit::Column::VisitKey.eq(id.as_str()))
                        .exec(db)
                        .await?;
                }
                row.first_seen_at
            }
            None => {
                visit::ActiveModel {
                    doc_id: Set(key.clone()),
                    visit_key: Set(id.as_str().to_owned()),
                    region_code: Set(region.to_owned()),
                    round: Set(entry.quarter.as_str().to_owned()),
                    visited_on: Set(entry.visited_on.to_string()),
                    visitor: Set(entry.visitor.clone()),
                    status: Set(status.to_owned()),
                    first_seen_at: Set(at),
                }
                .insert(db)
                .await?;
                at
            }
        };
        if entry.status == EntryStatus::Active {
            let latest = rounds.entry(entry.quarter.as_str().to_owned()).or_default();
            *latest = (*latest).max(first_seen_at);
        }
    }
    Ok(rounds)
}

/// The review of a household's round.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    round: &str,
) -> Result<Option<review::Model>, StoreError> {
    Ok(
        review::Entity::find_by_id((doc.to_uuid_string(), round.to_owned()))
            .one(db)
            .await?,
    )
}

/// Opens the review of a round, submitted.
pub async fn insert_submitted<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    round: &str,
    region: &str,
) -> Result<review::Model, StoreError> {
    let at = now();
    Ok(review::ActiveModel {
        doc_id: Set(doc.to_uuid_string()),
        round: Set(round.to_owned()),
        region_code: Set(region.to_owned()),
        state: Set("SUBMITTED".into()),
        reason: Set(None),
        submitted_at: Set(at),
        village_reviewed_by: Set(None),
        village_reviewed_at: Set(None),
        verified_by: Set(None),
        verified_at: Set(None),
        verified_heads: Set(None),
        verified_record: Set(None),
        accepted_by: Set(None),
        accepted_at: Set(None),
        returned_by: Set(None),
        returned_at: Set(None),
        changed_since_verification: Set(false),
        updated_at: Set(at),
    }
    .insert(db)
    .await?)
}

/// Stores a review moved on from `from` (its state when read): [`StoreError::Contention`]
/// if another reviewer moved it meanwhile.
pub async fn save_moved<C: ConnectionTrait>(
    db: &C,
    moved: review::Model,
    from: &str,
) -> Result<(), StoreError> {
    let mut model: review::ActiveModel = moved.clone().into();
    model = sea_orm::ActiveModelTrait::reset_all(model);
    model.updated_at = Set(now());
    let done = review::Entity::update_many()
        .set(model)
        .filter(review::Column::DocId.eq(moved.doc_id))
        .filter(review::Column::Round.eq(moved.round))
        .filter(review::Column::State.eq(from))
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Err(StoreError::Contention);
    }
    Ok(())
}

/// One step of a review, for its history and the feed.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    /// The household.
    pub doc: &'a DocId,
    /// The round.
    pub round: &'a str,
    /// Its village.
    pub region: &'a str,
    /// The action's code.
    pub action: &'a str,
    /// The state reached.
    pub state: &'a str,
    /// Who: `user:<name>` or `system`.
    pub actor: &'a str,
    /// A return's reason.
    pub reason: Option<&'a str>,
}

/// Records a step under the next number of the review clock. The clock's row stays locked
/// until the transaction ends, so numbers follow commit order and a reader of the feed
/// never skips a step that commits late.
pub async fn record_step<C: ConnectionTrait>(db: &C, step: Step<'_>) -> Result<i64, StoreError> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE review_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("review clock missing".into()))?;
    let seq: i64 = row.try_get("", "seq")?;
    review_event::ActiveModel {
        seq: Set(seq),
        doc_id: Set(step.doc.to_uuid_string()),
        round: Set(step.round.to_owned()),
        region_code: Set(step.region.to_owned()),
        action: Set(step.action.to_owned()),
        state: Set(step.state.to_owned()),
        actor: Set(step.actor.to_owned()),
        reason: Set(step.reason.map(str::to_owned)),
        at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(seq)
}

/// Reviews under a region prefix for a round, optionally in one state, at most `limit`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    round: &str,
    state: Option<&str>,
    limit: u64,
) -> Result<Vec<review::Model>, StoreError> {
    let mut query = review::Entity::find()
        .filter(in_region(review::Column::RegionCode, prefix))
        .filter(review::Column::Round.eq(round));
    if let Some(state) = state {
        query = query.filter(review::Column::State.eq(state));
    }
    Ok(query
        .order_by_asc(review::Column::RegionCode)
        .order_by_asc(review::Column::DocId)
        .limit(limit)
        .all(db)
        .await?)
}

/// Marks the verified reviews of `docs` as changed since verification.
pub async fn mark_changed<C: ConnectionTrait>(db: &C, docs: &[DocId]) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    review::Entity::update_many()
        .col_expr(review::Column::ChangedSinceVerification, Expr::value(true))
        .filter(review::Column::DocId.is_in(docs.iter().map(DocId::to_uuid_string)))
        .filter(review::Column::State.is_in(["TOWNSHIP_VERIFIED", "COUNTY_ACCEPTED"]))
        .filter(review::Column::ChangedSinceVerification.eq(false))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves a household's visits and reviews to its new village.
pub async fn move_region<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
) -> Result<(), StoreError> {
    let key = doc.to_uuid_string();
    visit::Entity::update_many()
        .col_expr(visit::Column::RegionCode, Expr::value(region))
        .filter(visit::Column::DocId.eq(key.clone()))
        .exec(db)
        .await?;
    review::Entity::update_many()
        .col_expr(review::Column::RegionCode, Expr::value(region))
        .filter(review::Column::DocId.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Per village, the count of reviews in each state for a round.
pub async fn states_per_village<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    round: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(review::Entity::find()
        .select_only()
        .column(review::Column::RegionCode)
        .column(review::Column::State)
        .column_as(review::Column::DocId.count(), "n")
        .filter(in_region(review::Column::RegionCode, prefix))
        .filter(review::Column::Round.eq(round))
        .group_by(review::Column::RegionCode)
        .group_by(review::Column::State)
        .into_tuple()
        .all(db)
        .await?)
}

/// Per village, its households.
pub async fn households_per_village<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(household::Entity::find()
        .select_only()
        .column(household::Column::RegionCode)
        .column_as(household::Column::DocId.count(), "n")
        .filter(in_region(household::Column::RegionCode, prefix))
        .group_by(household::Column::RegionCode)
        .into_tuple()
        .all(db)
        .await?)
}

/// Steps after `after` under a region prefix that reached a verified state, at most
/// `limit`, in order.
pub async fn verified_steps_after<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<review_event::Model>, StoreError> {
    Ok(review_event::Entity::find()
        .filter(review_event::Column::Seq.gt(after))
        .filter(in_region(review_event::Column::RegionCode, prefix))
        .filter(review_event::Column::State.is_in(["TOWNSHIP_VERIFIED", "COUNTY_ACCEPTED"]))
        .order_by_asc(review_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// The history of a household's round.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    round: &str,
) -> Result<Vec<review_event::Model>, StoreError> {
    Ok(review_event::Entity::find()
        .filter(review_event::Column::DocId.eq(doc.to_uuid_string()))
        .filter(review_event::Column::Round.eq(round))
        .order_by_asc(review_event::Column::Seq)
        .all(db)
        .await?)
}

/// One verified record for export: its household, village and the record as pinned.
#[derive(Debug, Clone)]
pub struct VerifiedRow {
    /// The household.
    pub doc_id: String,
    /// Its village.
    pub region_code: String,
    /// The review's state.
    pub state: String,
    /// The record as pinned (JSON).
    pub record: String,
    /// Who verified it.
    pub verified_by: Option<String>,
    /// When (Unix seconds).
    pub verified_at: Option<i64>,
}

/// A page of verified records of a round under a prefix, after household `after` in
/// household order (keyset paging, so an export reads the database a page at a time).
pub async fn verified_page<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    round: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<VerifiedRow>, StoreError> {
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "SELECT doc_id, region_code, state, verified_record, verified_by, verified_at FROM reviews \
         WHERE region_code >= {} AND region_code < {} AND round = {} AND doc_id > {} \
         AND state IN ('TOWNSHIP_VERIFIED', 'COUNTY_ACCEPTED') AND verified_record IS NOT NULL \
         ORDER BY doc_id LIMIT {}",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5)
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                prefix.into(),
                format!("{prefix}~").into(),
                round.into(),
                after.unwrap_or("").into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(VerifiedRow {
                doc_id: row.try_get("", "doc_id")?,
                region_code: row.try_get("", "region_code")?,
                state: row.try_get("", "state")?,
                record: row.try_get("", "verified_record")?,
                verified_by: row.try_get("", "verified_by")?,
                verified_at: row.try_get("", "verified_at")?,
            })
        })
        .collect()
}

/// The latest round with a review under a region prefix.
pub async fn latest_round<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<Option<String>, StoreError> {
    Ok(review::Entity::find()
        .select_only()
        .column(review::Column::Round)
        .filter(in_region(review::Column::RegionCode, prefix))
        .order_by_desc(review::Column::Round)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}
