//! Import runs, the rows they rejected, the households their files no longer list, and the
//! values each household's last import wrote.

use super::entities::{household, import_absent, import_baseline, import_reject, import_run};
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::BTreeMap;

/// A run in progress.
pub const RUNNING: &str = "RUNNING";
/// A run that went through the whole file.
pub const DONE: &str = "DONE";
/// A run stopped by a failed batch (the batches before it stay).
pub const FAILED: &str = "FAILED";

/// Starts a run (a write transaction of its own: on SQLite, in turn with the other writers).
pub async fn start(
    db: &DatabaseConnection,
    kind: &str,
    file_name: &str,
    file_sha256: &str,
    region: &str,
    actor: &str,
) -> Result<import_run::Model, StoreError> {
    let run = import_run::ActiveModel {
        kind: Set(kind.to_owned()),
        file_name: Set(file_name.to_owned()),
        file_sha256: Set(file_sha256.to_owned()),
        region: Set(region.to_owned()),
        actor: Set(actor.to_owned()),
        status: Set(RUNNING.to_owned()),
        rows: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        rejected: Set(0),
        absent: Set(0),
        resume_row: Set(None),
        error: Set(None),
        started_at: Set(now()),
        finished_at: Set(None),
        ..Default::default()
    };
    let txn = super::begin_write(db).await?;
    let run = run.insert(&txn).await?;
    txn.commit().await?;
    Ok(run)
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Data rows read.
    pub rows: i64,
    /// Households (or regions) created.
    pub created: i64,
    /// Existing ones changed.
    pub updated: i64,
    /// Existing ones the file did not change.
    pub unchanged: i64,
    /// Rows rejected.
    pub rejected: i64,
    /// Households of the region the file did not list.
    pub absent: i64,
}

/// Records a run's counts (and, when it ended, its status).
pub async fn progress<C: ConnectionTrait>(
    db: &C,
    id: i64,
    counts: Counts,
    ended: Option<(&str, Option<i64>, Option<String>)>,
) -> Result<(), StoreError> {
    let mut run = import_run::ActiveModel {
        id: Set(id),
        rows: Set(counts.rows),
        created: Set(counts.created),
        updated: Set(counts.updated),
        unchanged: Set(counts.unchanged),
        rejected: Set(counts.rejected),
        absent: Set(counts.absent),
        ..Default::default()
    };
    if let Some((status, resume_row, error)) = ended {
        run.status = Set(status.to_owned());
        run.resume_row = Set(resume_row);
        run.error = Set(error);
        run.finished_at = Set(Some(now()));
    }
    run.update(db).await?;
    Ok(())
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    /// Row number as the spreadsheet shows it.
    pub row: i64,
    /// The column's header.
    pub column: String,
    /// Stable code.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// The cell as given.
    pub value: Option<String>,
}

/// Stores rejected rows of a run.
pub async fn add_rejects<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    rejects: &[Rejected],
) -> Result<(), StoreError> {
    for chunk in super::shaped(rejects, 500) {
        import_reject::Entity::insert_many(chunk.iter().map(|r| import_reject::ActiveModel {
            import_id: Set(import_id),
            row: Set(r.row),
            column: Set(r.column.clone()),
            code: Set(r.code.clone()),
            message: Set(r.message.clone()),
            value: Set(r.value.clone()),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// A run.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<import_run::Model>, StoreError> {
    Ok(import_run::Entity::find_by_id(id).one(db).await?)
}

/// The latest runs under a region prefix, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    limit: u64,
) -> Result<Vec<import_run::Model>, StoreError> {
    Ok(import_run::Entity::find()
        .filter(in_region(import_run::Column::Region, prefix))
        .order_by_desc(import_run::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The rows a run rejected, in row order (row, then the order they were refused in), a page
/// at a time: at most `limit` of those after `after` (the last page's row and id).
pub async fn rejects_page<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    after: Option<(i64, i64)>,
    limit: u64,
) -> Result<Vec<import_reject::Model>, StoreError> {
    let mut query =
        import_reject::Entity::find().filter(import_reject::Column::ImportId.eq(import_id));
    if let Some((row, id)) = after {
        // `row >= r` keeps the (import_id, row) index usable; the rest breaks the tie.
        query = query.filter(import_reject::Column::Row.gte(row)).filter(
            Condition::any()
                .add(import_reject::Column::Row.gt(row))
                .add(import_reject::Column::Id.gt(id)),
        );
    }
    Ok(query
        .order_by_asc(import_reject::Column::Row)
        .order_by_asc(import_reject::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

impl From<import_reject::Model> for Rejected {
    fn from(r: import_reject::Model) -> Self {
        Rejected {
            row: r.row,
            column: r.column,
            code: r.code,
            message: r.message,
            value: r.value,
        }
    }
}

/// Baselines of some households (doc id → the values the last import wrote).
pub async fn baselines<C: ConnectionTrait>(
    db: &C,
    doc_ids: Vec<String>,
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in super::shaped(&doc_ids, 500) {
        for row in import_baseline::Entity::find()
            .filter(import_baseline::Column::DocId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            out.insert(row.doc_id, row.baseline);
        }
    }
    Ok(out)
}

/// A household the projection knows: its document, village and national number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Document id.
    pub doc_id: String,
    /// Village.
    pub region_code: String,
    /// 户编号.
    pub national_number: Option<String>,
}

/// Households by national number.
pub async fn by_national_numbers<C: ConnectionTrait>(
    db: &C,
    numbers: Vec<String>,
) -> Result<BTreeMap<String, Known>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in super::shaped(&numbers, 500) {
        let rows: Vec<(String, String, Option<String>)> = household::Entity::find()
            .select_only()
            .column(household::Column::DocId)
            .column(household::Column::RegionCode)
            .column(household::Column::NationalNumber)
            .filter(household::Column::NationalNumber.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (doc_id, region_code, number) in rows {
            if let Some(number) = number {
                out.insert(
                    number.clone(),
                    Known {
                        doc_id,
                        region_code,
                        national_number: Some(number),
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Stores the baselines of several households (new or updated) in bulk.
pub async fn put_baselines<C: ConnectionTrait>(
    db: &C,
    baselines: &[(String, String)],
    import_id: i64,
) -> Result<(), StoreError> {
    let at = now();
    for chunk in super::shaped(baselines, 300) {
        import_baseline::Entity::insert_many(chunk.iter().map(|(doc_id, baseline)| {
            import_baseline::ActiveModel {
                doc_id: Set(doc_id.clone()),
                baseline: Set(baseline.clone()),
                import_id: Set(import_id),
                updated_at: Set(at),
            }
        }))
        .on_conflict(
            OnConflict::column(import_baseline::Column::DocId)
                .update_columns([
                    import_baseline::Column::Baseline,
                    import_baseline::Column::ImportId,
                    import_baseline::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Households under a region prefix that an import wrote (they have a baseline): the ones a
/// later file may find absent. Households only the tablets or another source know are not.
pub async fn numbered_under<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<Vec<Known>, StoreError> {
    numbered_page(db, prefix, "", u64::MAX).await
}

/// A page of [`numbered_under`], after `after` in document order.
pub async fn numbered_page<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    after: &str,
    limit: u64,
) -> Result<Vec<Known>, StoreError> {
    let mut query = household::Entity::find()
        .select_only()
        .column(household::Column::DocId)
        .column(household::Column::RegionCode)
        .column(household::Column::NationalNumber)
        .filter(in_region(household::Column::RegionCode, prefix))
        .filter(household::Column::NationalNumber.is_not_null())
        .filter(
            household::Column::DocId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(import_baseline::Column::DocId)
                    .from(import_baseline::Entity)
                    .to_owned(),
            ),
        )
        .filter(household::Column::DocId.gt(after))
        .order_by_asc(household::Column::DocId);
    if limit != u64::MAX {
        query = query.limit(limit);
    }
    let rows: Vec<(String, String, Option<String>)> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(doc_id, region_code, national_number)| Known {
            doc_id,
            region_code,
            national_number,
        })
        .collect())
}

/// Flags households a run's file did not list.
pub async fn add_absent<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    absent: &[Known],
) -> Result<(), StoreError> {
    for chunk in super::shaped(absent, 500) {
        import_absent::Entity::insert_many(chunk.iter().map(|k| import_absent::ActiveModel {
            import_id: Set(import_id),
            doc_id: Set(k.doc_id.clone()),
            region_code: Set(k.region_code.clone()),
            national_number: Set(k.national_number.clone()),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The households a run flagged as absent from its file, by document id, a page at a time:
/// at most `limit` of those after `after` (the last page's last id; empty for the first).
pub async fn absent_page<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    after: &str,
    limit: u64,
) -> Result<Vec<Known>, StoreError> {
    Ok(import_absent::Entity::find()
        .filter(import_absent::Column::ImportId.eq(import_id))
        .filter(import_absent::Column::DocId.gt(after))
        .order_by_asc(import_absent::Column::DocId)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|a| Known {
            doc_id: a.doc_id,
            region_code: a.region_code,
            national_number: a.national_number,
        })
        .collect())
}
