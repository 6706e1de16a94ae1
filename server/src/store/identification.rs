//! Monitoring thresholds, identification proposals, the flags of households that crossed
//! a threshold, and what the pass that raises them reads (households' standing, ledger
//! sums).

use super::entities::{household, identification, identification_flag, ledger_entry, threshold};
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeMap;

/// A flag whose village has a task to check the household.
pub const FLAG_OPEN: &str = "OPEN";
/// A flag an identification proposal took up.
pub const FLAG_PROPOSED: &str = "PROPOSED";
/// A flag whose household no longer crosses the threshold (or is monitored now).
pub const FLAG_CLEARED: &str = "CLEARED";

/// The stored thresholds of a year.
pub async fn thresholds_of_year<C: ConnectionTrait>(
    db: &C,
    year: i32,
) -> Result<Vec<threshold::Model>, StoreError> {
    Ok(threshold::Entity::find()
        .filter(threshold::Column::Year.eq(year))
        .order_by_asc(threshold::Column::RegionCode)
        .order_by_asc(threshold::Column::Kind)
        .all(db)
        .await?)
}

/// Sets (or with `None` removes) a threshold row; returns the amount it replaced.
pub async fn put_threshold<C: ConnectionTrait>(
    db: &C,
    year: i32,
    region: &str,
    kind: &str,
    amount: Option<f64>,
    by: &str,
) -> Result<Option<f64>, StoreError> {
    let find = || {
        threshold::Entity::find()
            .filter(threshold::Column::Year.eq(year))
            .filter(threshold::Column::RegionCode.eq(region))
            .filter(threshold::Column::Kind.eq(kind))
    };
    let before = find().one(db).await?.map(|t| t.amount);
    match amount {
        None => {
            threshold::Entity::delete_many()
                .filter(threshold::Column::Year.eq(year))
                .filter(threshold::Column::RegionCode.eq(region))
                .filter(threshold::Column::Kind.eq(kind))
                .exec(db)
                .await?;
        }
        Some(amount) => {
            let row = threshold::ActiveModel {
                year: Set(year),
                region_code: Set(region.to_owned()),
                kind: Set(kind.to_owned()),
                amount: Set(amount),
                updated_by: Set(by.to_owned()),
                updated_at: Set(now()),
                ..Default::default()
            };
            threshold::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        threshold::Column::Year,
                        threshold::Column::RegionCode,
                        threshold::Column::Kind,
                    ])
                    .update_columns([
                        threshold::Column::Amount,
                        threshold::Column::UpdatedBy,
                        threshold::Column::UpdatedAt,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(before)
}

/// What a new proposal is.
#[derive(Debug, Clone)]
pub struct NewProposal {
    /// The household document.
    pub doc_id: String,
    /// Its village.
    pub region_code: String,
    /// The category proposed.
    pub category: Option<String>,
    /// Risk type codes, comma-separated.
    pub risk_types: String,
    /// Why.
    pub reason: String,
    /// `HELPER`, `TOWNSHIP` or `CLUE`.
    pub source: String,
    /// The included clue it came from.
    pub clue_id: Option<i64>,
    /// `user:name`.
    pub proposed_by: String,
}

/// Records a new proposal.
pub async fn insert_proposal<C: ConnectionTrait>(
    db: &C,
    new: NewProposal,
) -> Result<identification::Model, StoreError> {
    Ok(identification::ActiveModel {
        doc_id: Set(new.doc_id),
        region_code: Set(new.region_code),
        category: Set(new.category),
        risk_types: Set(new.risk_types),
        reason: Set(new.reason),
        source: Set(new.source),
        clue_id: Set(new.clue_id),
        status: Set(crate::services::identification::life::PROPOSED.to_owned()),
        proposed_by: Set(new.proposed_by),
        proposed_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A proposal by id.
pub async fn proposal<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<identification::Model>, StoreError> {
    Ok(identification::Entity::find_by_id(id).one(db).await?)
}

/// The household's proposal still waiting for the county, if any.
pub async fn open_proposal_of<C: ConnectionTrait>(
    db: &C,
    doc_id: &str,
) -> Result<Option<identification::Model>, StoreError> {
    Ok(identification::Entity::find()
        .filter(identification::Column::DocId.eq(doc_id))
        .filter(identification::Column::Status.eq(crate::services::identification::life::PROPOSED))
        .one(db)
        .await?)
}

/// Saves a proposal's new state.
pub async fn save_proposal<C: ConnectionTrait>(
    db: &C,
    proposal: identification::Model,
) -> Result<identification::Model, StoreError> {
    Ok(identification::ActiveModel::from(proposal)
        .reset_all()
        .update(db)
        .await?)
}

/// The proposals of a region prefix, optionally in one state, newest first.
pub async fn proposals_under<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    status: Option<&str>,
) -> Result<Vec<identification::Model>, StoreError> {
    let mut query =
        identification::Entity::find().filter(in_region(identification::Column::RegionCode, scope));
    if let Some(s) = status {
        query = query.filter(identification::Column::Status.eq(s));
    }
    Ok(query
        .order_by_desc(identification::Column::Id)
        .limit(5000)
        .all(db)
        .await?)
}

/// The households with a proposal waiting, under a region prefix.
pub async fn docs_with_open_proposals<C: ConnectionTrait>(
    db: &C,
    scope: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(identification::Entity::find()
        .select_only()
        .column(identification::Column::DocId)
        .filter(in_region(identification::Column::RegionCode, scope))
        .filter(identification::Column::Status.eq(crate::services::identification::life::PROPOSED))
        .into_tuple()
        .all(db)
        .await?)
}

/// The flags of a year under a region prefix, keyed by (document, kind).
pub async fn flags_of_year<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    year: i32,
) -> Result<BTreeMap<(String, String), identification_flag::Model>, StoreError> {
    Ok(identification_flag::Entity::find()
        .filter(in_region(identification_flag::Column::RegionCode, scope))
        .filter(identification_flag::Column::Year.eq(year))
        .all(db)
        .await?
        .into_iter()
        .map(|f| ((f.doc_id.clone(), f.kind.clone()), f))
        .collect())
}

/// The flags under a region prefix in `statuses`, by village.
pub async fn flags_under<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    statuses: &[&str],
) -> Result<Vec<identification_flag::Model>, StoreError> {
    Ok(identification_flag::Entity::find()
        .filter(in_region(identification_flag::Column::RegionCode, scope))
        .filter(identification_flag::Column::Status.is_in(statuses.iter().copied()))
        .order_by_asc(identification_flag::Column::RegionCode)
        .order_by_asc(identification_flag::Column::DocId)
        .order_by_asc(identification_flag::Column::Kind)
        .limit(20_000)
        .all(db)
        .await?)
}

/// Inserts or updates a flag (by document, year and kind).
pub async fn put_flag<C: ConnectionTrait>(
    db: &C,
    flag: identification_flag::Model,
) -> Result<(), StoreError> {
    let mut row = identification_flag::ActiveModel::from(flag).reset_all();
    row.id = sea_orm::ActiveValue::NotSet;
    use identification_flag::Column as F;
    identification_flag::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([F::DocId, F::Year, F::Kind])
                .update_columns([
                    F::RegionCode,
                    F::Value,
                    F::Threshold,
                    F::Status,
                    F::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Moves a household's flags in `from` to `to`; returns how many moved.
pub async fn move_flags<C: ConnectionTrait>(
    db: &C,
    doc_id: &str,
    from: &str,
    to: &str,
) -> Result<u64, StoreError> {
    use sea_orm::sea_query::Expr;
    Ok(identification_flag::Entity::update_many()
        .col_expr(identification_flag::Column::Status, Expr::value(to))
        .col_expr(identification_flag::Column::UpdatedAt, Expr::value(now()))
        .filter(identification_flag::Column::DocId.eq(doc_id))
        .filter(identification_flag::Column::Status.eq(from))
        .exec(db)
        .await?
        .rows_affected)
}

/// A page of households under a region prefix, after `after` in document order.
pub async fn households_page<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    after: &str,
    limit: u64,
) -> Result<Vec<household::Model>, StoreError> {
    Ok(household::Entity::find()
        .filter(in_region(household::Column::RegionCode, scope))
        .filter(household::Column::DocId.gt(after))
        .order_by_asc(household::Column::DocId)
        .limit(limit)
        .all(db)
        .await?)
}

/// The sum of a department's ledger amounts per household, over the periods of a year
/// (`2026Q1` … `2026Q4`), under a region prefix.
pub async fn ledger_sums<C: ConnectionTrait>(
    db: &C,
    department: &str,
    year: i32,
    scope: &str,
) -> Result<BTreeMap<String, f64>, StoreError> {
    let rows: Vec<(String, Option<f64>)> = ledger_entry::Entity::find()
        .select_only()
        .column(ledger_entry::Column::DocId)
        .column(ledger_entry::Column::Amount)
        .filter(ledger_entry::Column::Department.eq(department))
        .filter(in_region(ledger_entry::Column::RegionCode, scope))
        .filter(ledger_entry::Column::Period.starts_with(format!("{year}Q")))
        .into_tuple()
        .all(db)
        .await?;
    let mut sums = BTreeMap::new();
    for (doc, amount) in rows {
        if let Some(a) = amount.filter(|a| a.is_finite()) {
            *sums.entry(doc).or_insert(0.0) += a;
        }
    }
    Ok(sums)
}

/// A household's projection row.
pub async fn household<C: ConnectionTrait>(
    db: &C,
    doc_id: &str,
) -> Result<Option<household::Model>, StoreError> {
    Ok(household::Entity::find_by_id(doc_id.to_owned())
        .one(db)
        .await?)
}
