//! Department uploads, their rows, ledger entries and risk clues.

use super::entities::{clue, dept_upload, dept_upload_row, ledger_entry, member};
use super::{in_region, now};
use crate::error::StoreError;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeMap;

/// A clue pushed, not yet checked at the door.
pub const PUSHED: &str = "PUSHED";
/// Checked at the door by a helper.
pub const FOUND: &str = "FOUND";
/// Decided by the township.
pub const DECIDED: &str = "DECIDED";
/// Reported by the county.
pub const REPORTED: &str = "REPORTED";

/// The upload of this department, kind, period and content, if there is one.
pub async fn find_upload_by_file<C: ConnectionTrait>(
    db: &C,
    department: &str,
    kind: &str,
    period: &str,
    sha256: &str,
) -> Result<Option<dept_upload::Model>, StoreError> {
    Ok(dept_upload::Entity::find()
        .filter(dept_upload::Column::Department.eq(department))
        .filter(dept_upload::Column::Kind.eq(kind))
        .filter(dept_upload::Column::Period.eq(period))
        .filter(dept_upload::Column::FileSha256.eq(sha256))
        .one(db)
        .await?)
}

/// What a new upload is.
pub struct NewUpload<'a> {
    /// `LEDGER` or `CLUES`.
    pub kind: &'a str,
    /// Department code.
    pub department: &'a str,
    /// `2026Q4` for a ledger, `2026-11` for clues.
    pub period: &'a str,
    /// Who uploaded.
    pub user_id: i64,
    /// The file's name.
    pub file_name: &'a str,
    /// The file's SHA-256.
    pub sha256: &'a str,
}

/// Records an upload.
pub async fn insert_upload<C: ConnectionTrait>(
    db: &C,
    new: NewUpload<'_>,
) -> Result<dept_upload::Model, StoreError> {
    Ok(dept_upload::ActiveModel {
        kind: Set(new.kind.to_owned()),
        department: Set(new.department.to_owned()),
        period: Set(new.period.to_owned()),
        user_id: Set(new.user_id),
        file_name: Set(new.file_name.to_owned()),
        file_sha256: Set(new.sha256.to_owned()),
        rows: Set(0),
        matched: Set(0),
        unmatched: Set(0),
        rejected: Set(0),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Saves an upload's counts.
pub async fn save_upload<C: ConnectionTrait>(
    db: &C,
    upload: dept_upload::Model,
) -> Result<dept_upload::Model, StoreError> {
    let mut active: dept_upload::ActiveModel = upload.clone().into();
    active.rows = Set(upload.rows);
    active.matched = Set(upload.matched);
    active.unmatched = Set(upload.unmatched);
    active.rejected = Set(upload.rejected);
    Ok(active.update(db).await?)
}

/// Adds row outcomes.
pub async fn add_rows<C: ConnectionTrait>(
    db: &C,
    rows: Vec<dept_upload_row::ActiveModel>,
) -> Result<(), StoreError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(300).collect();
        dept_upload_row::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Uploads, newest first: one department's, or every one when `department` is `None`.
pub async fn uploads<C: ConnectionTrait>(
    db: &C,
    department: Option<&str>,
    user_ids: Option<&[i64]>,
) -> Result<Vec<dept_upload::Model>, StoreError> {
    let mut query = dept_upload::Entity::find();
    if let Some(d) = department {
        query = query.filter(dept_upload::Column::Department.eq(d));
    }
    if let Some(ids) = user_ids {
        query = query.filter(dept_upload::Column::UserId.is_in(ids.iter().copied()));
    }
    Ok(query
        .order_by_desc(dept_upload::Column::Id)
        .limit(200)
        .all(db)
        .await?)
}

/// One upload.
pub async fn upload<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<dept_upload::Model>, StoreError> {
    Ok(dept_upload::Entity::find_by_id(id).one(db).await?)
}

/// Which rows of an upload to read.
#[derive(Debug, Clone, Copy)]
pub struct RowsPage<'a> {
    /// Rows after this row number (0: from the first).
    pub after: i64,
    /// Rows at most.
    pub limit: u64,
    /// Only rows matched under this region prefix, and rows matched to no one.
    pub region: Option<&'a str>,
}

/// A page of an upload's rows, in file order.
pub async fn upload_rows<C: ConnectionTrait>(
    db: &C,
    id: i64,
    page: RowsPage<'_>,
) -> Result<Vec<dept_upload_row::Model>, StoreError> {
    let mut query = dept_upload_row::Entity::find()
        .filter(dept_upload_row::Column::UploadId.eq(id))
        .filter(dept_upload_row::Column::Row.gt(page.after));
    if let Some(region) = page.region {
        query = query.filter(
            sea_orm::Condition::any()
                .add(dept_upload_row::Column::RegionCode.is_null())
                .add(in_region(dept_upload_row::Column::RegionCode, region)),
        );
    }
    Ok(query
        .order_by_asc(dept_upload_row::Column::Row)
        .limit(page.limit)
        .all(db)
        .await?)
}

/// A member found by ID number.
#[derive(Debug, Clone)]
pub struct Person {
    /// Household document.
    pub doc_id: String,
    /// Member entry.
    pub member_key: String,
    /// Village.
    pub region_code: String,
    /// Name.
    pub name: String,
}

/// Active members by ID number, under a region prefix.
pub async fn people_by_id_number<C: ConnectionTrait>(
    db: &C,
    numbers: &[String],
    scope: &str,
) -> Result<BTreeMap<String, Person>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in numbers.chunks(500) {
        let rows = member::Entity::find()
            .filter(member::Column::IdNumber.is_in(chunk.iter().cloned()))
            .filter(member::Column::Status.ne("REMOVED"))
            .filter(in_region(member::Column::RegionCode, scope))
            .all(db)
            .await?;
        for m in rows {
            if let Some(number) = m.id_number {
                out.insert(
                    number,
                    Person {
                        doc_id: m.doc_id,
                        member_key: m.member_key,
                        region_code: m.region_code,
                        name: m.name,
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Adds a ledger row.
pub async fn add_ledger<C: ConnectionTrait>(
    db: &C,
    entry: ledger_entry::ActiveModel,
) -> Result<(), StoreError> {
    ledger_entry::Entity::insert(entry)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// What identifies a clue: one kind of clue per person, department and month.
#[derive(Debug, Clone)]
pub struct ClueKey {
    /// Department code.
    pub department: String,
    /// `2026-11`.
    pub month: String,
    /// The person's ID number.
    pub id_number: String,
    /// `ClueType` code.
    pub clue_type: String,
}

/// Adds a clue unless the department already pushed the same kind of clue for the same
/// person in that month; returns the stored clue and whether it is new.
pub async fn add_clue<C: ConnectionTrait>(
    db: &C,
    key: &ClueKey,
    mut new: clue::ActiveModel,
) -> Result<(clue::Model, bool), StoreError> {
    new.department = Set(key.department.clone());
    new.month = Set(key.month.clone());
    new.id_number = Set(key.id_number.clone());
    new.clue_type = Set(key.clue_type.clone());
    let inserted = clue::Entity::insert(new)
        .on_conflict(
            OnConflict::columns([
                clue::Column::Department,
                clue::Column::Month,
                clue::Column::IdNumber,
                clue::Column::ClueType,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let stored = clue::Entity::find()
        .filter(clue::Column::Department.eq(key.department.as_str()))
        .filter(clue::Column::Month.eq(key.month.as_str()))
        .filter(clue::Column::IdNumber.eq(key.id_number.as_str()))
        .filter(clue::Column::ClueType.eq(key.clue_type.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a clue just stored is missing".into()))?;
    Ok((stored, inserted > 0))
}

/// One clue.
pub async fn clue<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<clue::Model>, StoreError> {
    Ok(clue::Entity::find_by_id(id).one(db).await?)
}

/// Saves a clue's new state.
pub async fn save_clue<C: ConnectionTrait>(
    db: &C,
    clue: clue::Model,
) -> Result<clue::Model, StoreError> {
    let active = clue::ActiveModel::from(clue).reset_all();
    Ok(active.update(db).await?)
}

/// The clues of a region prefix, optionally of one month, oldest first.
pub async fn clues_under<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    month: Option<&str>,
) -> Result<Vec<clue::Model>, StoreError> {
    let mut query = clue::Entity::find().filter(in_region(clue::Column::RegionCode, scope));
    if let Some(m) = month {
        query = query.filter(clue::Column::Month.eq(m));
    }
    Ok(query
        .order_by_asc(clue::Column::RegionCode)
        .order_by_asc(clue::Column::Id)
        .limit(5000)
        .all(db)
        .await?)
}

/// The departments that uploaded clues for a month.
pub async fn departments_with_clues<C: ConnectionTrait>(
    db: &C,
    month: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(dept_upload::Entity::find()
        .select_only()
        .column(dept_upload::Column::Department)
        .filter(dept_upload::Column::Kind.eq("CLUES"))
        .filter(dept_upload::Column::Period.eq(month))
        .distinct()
        .into_tuple()
        .all(db)
        .await?)
}
