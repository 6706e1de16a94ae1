//! Keeping what queries read in step with a household's document: the household and member
//! rows, the validation findings, the visits and the reviews they open or resubmit, the
//! photo references, and the mark on verified reviews that the record changed since.

use crate::error::ApiError;
use crate::review::machine::{Action, Facts, State, transition};
use crate::store::{documents, findings, photos, reviews, tasks};
use sea_orm::ConnectionTrait;
use std::collections::BTreeSet;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{HouseholdRecord, Role};

/// Fields the validation rules read: a change that touches none of them leaves the
/// findings as they are.
pub const VALIDATED_FIELDS: &[&str] = &[
    "household.region_code",
    "household.risk_types",
    "household.monitor_category",
    "household.no_labour",
    "members",
    "monitoring",
    "measures",
    "guarantees",
    "housing.danger_grade",
    "water.safe",
];

/// Whether a change of `fields` (`section.key`) may change the findings.
pub fn touches_validation(fields: &BTreeSet<String>) -> bool {
    fields.iter().any(|field| {
        VALIDATED_FIELDS.iter().any(|v| {
            field == v
                || field
                    .strip_prefix(v)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    })
}

/// Projects a whole record (a server write or a newly created household).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    record: &HouseholdRecord,
    writer: Option<i64>,
) -> Result<(), ApiError> {
    let region = record.household.region_code.as_str();
    documents::project(db, doc, record).await?;
    findings::replace(db, doc, region, &zoufang_schemas::validate(record)).await?;
    visits(db, doc, region, record, "system").await?;
    let hashes: BTreeSet<String> = record
        .evidence
        .keys()
        .map(|h| h.as_str().to_owned())
        .collect();
    photos::set_links(db, doc, region, &hashes, writer).await?;
    reviews::mark_changed(db, &[*doc]).await?;
    Ok(())
}

/// Stores the household's visits; a round with a visit gets its review (submitted), and a
/// returned round with a visit recorded after the return is submitted again.
pub async fn visits<C: ConnectionTrait>(
    db: &C,
    doc: &DocId,
    region: &str,
    record: &HouseholdRecord,
    actor: &str,
) -> Result<(), ApiError> {
    let rounds = reviews::project_visits(db, doc, region, &record.visits).await?;
    for (round, latest_visit) in rounds {
        match reviews::find(db, doc, &round).await? {
            None => {
                reviews::insert_submitted(db, doc, &round, region).await?;
                reviews::record_step(
                    db,
                    reviews::Step {
                        doc,
                        round: &round,
                        region,
                        action: "submit",
                        state: State::Submitted.code(),
                        actor,
                        reason: None,
                    },
                )
                .await?;
            }
            Some(review)
                if review.state == State::Returned.code()
                    && review.returned_at.is_some_and(|at| latest_visit >= at) =>
            {
                resubmit(db, review, actor).await?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A returned round visited again: submitted once more, its return task closed.
async fn resubmit<C: ConnectionTrait>(
    db: &C,
    review: crate::store::entities::review::Model,
    actor: &str,
) -> Result<(), ApiError> {
    let Some(doc) = DocId::parse(&review.doc_id) else {
        return Ok(());
    };
    let from = review.state.clone();
    let (state, _) = transition(
        State::Returned,
        &Action::Resubmit,
        Role::Helper,
        Facts::default(),
    )
    .map_err(|r| ApiError::Conflict(r.code(), r.to_string()))?;
    let task = crate::services::review::return_task(&review, None);
    tasks::put(db, &review.region_code, &task, true).await?;
    let moved = crate::store::entities::review::Model {
        state: state.code().to_owned(),
        ..review.clone()
    };
    reviews::save_moved(db, moved, &from).await?;
    reviews::record_step(
        db,
        reviews::Step {
            doc: &doc,
            round: &review.round,
            region: &review.region_code,
            action: Action::Resubmit.code(),
            state: state.code(),
            actor,
            reason: None,
        },
    )
    .await?;
    Ok(())
}

/// Validates households stored before findings existed, `limit` at a time; returns how
/// many.
pub async fn validate_waiting(
    state: &crate::state::AppState,
    limit: u64,
) -> Result<usize, ApiError> {
    let waiting = findings::waiting(&state.db, limit).await?;
    for id in &waiting {
        let Some(loaded) = crate::services::documents::load_at(state, &state.db, id, None).await?
        else {
            continue;
        };
        let report = match zoufang_sync::read_record(&loaded.doc) {
            Ok(record) => zoufang_schemas::validate(&record),
            // A record that does not read is reported once, as an error of its own.
            Err(err) => unreadable(&err.to_string()),
        };
        findings::replace(&state.db, id, &loaded.region_code, &report).await?;
    }
    Ok(waiting.len())
}

fn unreadable(reason: &str) -> zoufang_schemas::validate::Report {
    zoufang_schemas::validate::Report {
        issues: vec![zoufang_schemas::validate::Issue {
            severity: zoufang_schemas::validate::Severity::Error,
            code: "record-unreadable",
            path: String::new(),
            message_zh: "记录无法按采集表读取".into(),
            message_en: format!("the record does not read as the form: {reason}"),
        }],
    }
}

/// Projects every household under `prefix` again from its document (after an upgrade that
/// added projected columns); returns how many were projected.
pub async fn reproject_all(state: &crate::state::AppState, prefix: &str) -> Result<u64, ApiError> {
    const PAGE: u64 = 500;
    let mut after = String::new();
    let mut done = 0;
    loop {
        let page =
            crate::store::identification::households_page(&state.db, prefix, &after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.doc_id.clone();
        let mut records = Vec::with_capacity(page.len());
        for h in &page {
            if let Some((_, record)) =
                crate::services::documents::current_record(state, &h.doc_id).await?
                && let Some(id) = DocId::parse(&h.doc_id)
            {
                records.push((id, record));
            }
        }
        let refs: Vec<(DocId, &HouseholdRecord)> = records.iter().map(|(id, r)| (*id, r)).collect();
        let txn = crate::store::begin_write(&state.db).await?;
        documents::project_many(&txn, &refs).await?;
        txn.commit().await?;
        done += refs.len() as u64;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|f| (*f).to_owned()).collect()
    }

    #[test]
    fn only_fields_the_rules_read_trigger_validation() {
        assert!(!touches_validation(&fields(&[
            "household.phone",
            "income.wage",
            "housing.fuel"
        ])));
        assert!(touches_validation(&fields(&[
            "members.0b6f5a3c-7d1e-4c2a-9f00-123456789abc"
        ])));
        assert!(touches_validation(&fields(&["housing.danger_grade"])));
        assert!(touches_validation(&fields(&["household.risk_types"])));
        assert!(!touches_validation(&fields(&["household.risk_types_note"])));
    }
}
