//! Validation findings per household (errors and doubtful-data warnings, located by path),
//! replaced whenever the household's validated fields change, and reviewers'
//! acknowledgements of warnings per round.

use super::entities::{finding, finding_ack};
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use zoufang_schemas::validate::{Report, Severity};
use zoufang_schemas::wire::DocId;

/// Stable severity codes.
pub fn severity_code(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
    }
}

/// Replaces a household's findings with `report`'s, and marks it validated.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
    report: &Report,
) -> Result<(), StoreError> {
    let key = doc.to_uuid_string();
    finding::Entity::delete_many()
        .filter(finding::Column::DocId.eq(key.clone()))
        .exec(db)
        .await?;
    if !report.issues.is_empty() {
        let rows = report.issues.iter().map(|issue| finding::ActiveModel {
            doc_id: Set(key.clone()),
            region_code: Set(region.to_owned()),
            severity: Set(severity_code(issue.severity).to_owned()),
            code: Set(issue.code.to_owned()),
            path: Set(issue.path.clone()),
            message_zh: Set(issue.message_zh.clone()),
            message_en: Set(issue.message_en.clone()),
            ..Default::default()
        });
        finding::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    use super::entities::document;
    document::Entity::update_many()
        .col_expr(document::Column::NeedsValidation, Expr::value(false))
        .filter(document::Column::DocId.eq(key))
        .filter(document::Column::NeedsValidation.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores the findings of new households (nothing to replace yet), in bulk.
pub async fn insert_new<C: ConnectionTrait>(
    db: &C,
    reports: &[(DocId, &str, Report)],
) -> Result<(), StoreError> {
    let rows: Vec<finding::ActiveModel> = reports
        .iter()
        .flat_map(|(doc, region, report)| {
            let key = doc.to_uuid_string();
            report.issues.iter().map(move |issue| finding::ActiveModel {
                doc_id: Set(key.clone()),
                region_code: Set((*region).to_owned()),
                severity: Set(severity_code(issue.severity).to_owned()),
                code: Set(issue.code.to_owned()),
                path: Set(issue.path.clone()),
                message_zh: Set(issue.message_zh.clone()),
                message_en: Set(issue.message_en.clone()),
                ..Default::default()
            })
        })
        .collect();
    for chunk in super::shaped(&rows, 300) {
        finding::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Moves a household's findings to its new village.
pub async fn move_region<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
) -> Result<(), StoreError> {
    finding::Entity::update_many()
        .col_expr(finding::Column::RegionCode, Expr::value(region))
        .filter(finding::Column::DocId.eq(doc.to_uuid_string()))
        .exec(db)
        .await?;
    Ok(())
}

/// A household's findings.
pub async fn of_household<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
) -> Result<Vec<finding::Model>, StoreError> {
    Ok(finding::Entity::find()
        .filter(finding::Column::DocId.eq(doc.to_uuid_string()))
        .order_by_asc(finding::Column::Id)
        .all(db)
        .await?)
}

/// Findings under a region prefix, optionally of one severity, at most `limit`.
pub async fn under<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    severity: Option<&str>,
    limit: u64,
) -> Result<Vec<finding::Model>, StoreError> {
    let mut query = finding::Entity::find().filter(in_region(finding::Column::RegionCode, prefix));
    if let Some(severity) = severity {
        query = query.filter(finding::Column::Severity.eq(severity));
    }
    Ok(query
        .order_by_asc(finding::Column::RegionCode)
        .order_by_asc(finding::Column::DocId)
        .order_by_asc(finding::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Acknowledges a warning of a household for a round (again: no change).
pub async fn acknowledge<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    round: &str,
    code: &str,
    path: &str,
    by: &str,
) -> Result<(), StoreError> {
    finding_ack::Entity::insert(finding_ack::ActiveModel {
        doc_id: Set(doc.to_uuid_string()),
        round: Set(round.to_owned()),
        code: Set(code.to_owned()),
        path: Set(path.to_owned()),
        acked_by: Set(by.to_owned()),
        acked_at: Set(now()),
    })
    .on_conflict_do_nothing_on([
        finding_ack::Column::DocId,
        finding_ack::Column::Round,
        finding_ack::Column::Code,
        finding_ack::Column::Path,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Errors, and warnings nobody acknowledged for `round`, of a household.
pub async fn open_counts<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    round: &str,
) -> Result<(usize, usize), StoreError> {
    let findings = of_household(db, doc).await?;
    let acks: Vec<(String, String)> = finding_ack::Entity::find()
        .select_only()
        .column(finding_ack::Column::Code)
        .column(finding_ack::Column::Path)
        .filter(finding_ack::Column::DocId.eq(doc.to_uuid_string()))
        .filter(finding_ack::Column::Round.eq(round))
        .into_tuple()
        .all(db)
        .await?;
    let errors = findings.iter().filter(|f| f.severity == "ERROR").count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == "WARNING")
        .filter(|f| !acks.iter().any(|(c, p)| *c == f.code && *p == f.path))
        .count();
    Ok((errors, warnings))
}

/// Households waiting for their first validation (stored before findings existed).
pub async fn waiting<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<DocId>, StoreError> {
    use super::entities::document;
    let ids: Vec<String> = document::Entity::find()
        .select_only()
        .column(document::Column::DocId)
        .filter(document::Column::NeedsValidation.eq(true))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.iter().filter_map(|id| DocId::parse(id)).collect())
}

/// Number of findings under a prefix by severity.
pub async fn count_under<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    severity: &str,
) -> Result<u64, StoreError> {
    Ok(finding::Entity::find()
        .filter(in_region(finding::Column::RegionCode, prefix))
        .filter(finding::Column::Severity.eq(severity))
        .count(db)
        .await?)
}

/// The warnings of a household acknowledged for a round, as (code, path).
pub async fn acknowledged<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    round: &str,
) -> Result<std::collections::BTreeSet<(String, String)>, StoreError> {
    Ok(finding_ack::Entity::find()
        .filter(finding_ack::Column::DocId.eq(doc.to_uuid_string()))
        .filter(finding_ack::Column::Round.eq(round))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.code, a.path))
        .collect())
}
