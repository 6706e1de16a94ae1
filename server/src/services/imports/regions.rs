//! Importing the region tree: code, name, level and parent from CSV or XLSX (Chinese or
//! English headers), and Bayingolin's nine counties as a built-in set. A code has the length
//! of its level (2, 4, 6, 9, 12 digits) and starts with its parent's code; the parent is
//! known already or comes earlier in the file. Existing regions take the file's name.

use super::Importer;
use super::table;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::{import_run, region};
use crate::store::imports::{self, Counts, Rejected};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeSet;
use std::path::Path;

/// The levels, with their code lengths.
pub const LEVELS: [(&str, usize, &str); 5] = [
    ("PROVINCE", 2, "省"),
    ("PREFECTURE", 4, "州"),
    ("COUNTY", 6, "县"),
    ("TOWNSHIP", 9, "乡"),
    ("VILLAGE", 12, "村"),
];

/// Bayingolin with its nine counties and cities.
pub fn bayingolin() -> Vec<region::Model> {
    let mut rows = vec![
        region::Model {
            code: "65".into(),
            name: "新疆维吾尔自治区".into(),
            level: "PROVINCE".into(),
            parent: None,
        },
        region::Model {
            code: "6528".into(),
            name: "巴音郭楞蒙古自治州".into(),
            level: "PREFECTURE".into(),
            parent: Some("65".into()),
        },
    ];
    rows.extend(
        crate::demo::COUNTIES
            .iter()
            .map(|(code, name)| region::Model {
                code: (*code).into(),
                name: (*name).into(),
                level: "COUNTY".into(),
                parent: Some("6528".into()),
            }),
    );
    rows
}

fn level_of(text: &str, code: &str) -> Option<&'static str> {
    let text = text.trim();
    if text.is_empty() {
        return LEVELS
            .iter()
            .find(|(_, len, _)| *len == code.len())
            .map(|(l, _, _)| *l);
    }
    LEVELS
        .iter()
        .find(|(level, _, zh)| {
            level.eq_ignore_ascii_case(text)
                || text.starts_with(zh)
                || (*zh == "州" && text.starts_with("市"))
                || (*zh == "乡" && (text.starts_with("镇") || text.contains("街道")))
                || (*zh == "村" && text.contains("社区"))
        })
        .map(|(l, _, _)| *l)
}

fn parent_len(level: &str) -> Option<usize> {
    let at = LEVELS.iter().position(|(l, _, _)| *l == level)?;
    at.checked_sub(1).map(|p| LEVELS[p].1)
}

/// A region row read and checked; `Err` is the rejection.
fn check_row(
    cells: &[String],
    positions: &[Option<usize>; 4],
    known: &BTreeSet<String>,
    row: u64,
    headers: &[String],
) -> Result<region::Model, Rejected> {
    let cell = |i: usize| {
        positions[i]
            .and_then(|p| cells.get(p))
            .map_or("", |c| c.trim())
    };
    let header = |i: usize| {
        positions[i]
            .and_then(|p| headers.get(p))
            .cloned()
            .unwrap_or_default()
    };
    let refuse = |i: usize, code: &str, message: String| Rejected {
        row: row as i64,
        column: header(i),
        code: code.into(),
        message,
        value: Some(cell(i).to_owned()),
    };
    let code = cell(0);
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse(
            0,
            "region-invalid",
            format!("`{code}` is not a region code"),
        ));
    }
    let name = cell(1);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(refuse(
            1,
            "name-missing",
            "a region needs a name of 1–100 characters".into(),
        ));
    }
    let level = level_of(cell(2), code)
        .ok_or_else(|| refuse(2, "level-invalid", format!("`{}` is not a level", cell(2))))?;
    let length = LEVELS
        .iter()
        .find(|(l, _, _)| *l == level)
        .map_or(0, |(_, n, _)| *n);
    if code.len() != length {
        return Err(refuse(
            0,
            "region-invalid",
            format!(
                "a {level} code has {length} digits, `{code}` has {}",
                code.len()
            ),
        ));
    }
    let parent = match parent_len(level) {
        None => None,
        Some(len) => {
            let expected = &code[..len];
            let given = cell(3);
            if !given.is_empty() && given != expected {
                return Err(refuse(
                    3,
                    "parent-mismatch",
                    format!("the parent of {code} is {expected}, not {given}"),
                ));
            }
            if !known.contains(expected) {
                return Err(refuse(
                    3,
                    "parent-unknown",
                    format!("the parent {expected} is neither stored nor earlier in the file"),
                ));
            }
            Some(expected.to_owned())
        }
    };
    Ok(region::Model {
        code: code.to_owned(),
        name: name.to_owned(),
        level: level.to_owned(),
        parent,
    })
}

const HEADERS: [&[&str]; 4] = [
    &["区划代码", "代码", "行政区划代码", "code"],
    &["名称", "区划名称", "name"],
    &["级别", "层级", "level"],
    &["上级代码", "上级区划代码", "parent"],
];

/// Stores regions (new ones added, known ones renamed) in one transaction.
pub async fn store(
    db: &impl sea_orm::ConnectionTrait,
    rows: Vec<region::Model>,
) -> Result<(), ApiError> {
    for chunk in rows.chunks(500) {
        region::Entity::insert_many(chunk.iter().cloned().map(region::ActiveModel::from))
            .on_conflict(
                OnConflict::column(region::Column::Code)
                    .update_columns([region::Column::Name])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Imports a region file (in the importer's region) in one transaction.
pub async fn import(
    state: &AppState,
    importer: &Importer,
    path: &Path,
    file_name: &str,
) -> Result<import_run::Model, ApiError> {
    let sha256 = super::file_sha256(path).await?;
    let mut table = table::open(path).await?;
    let normalized: Vec<String> = table
        .headers
        .iter()
        .map(|h| super::columns::normalize_header(h))
        .collect();
    let mut positions: [Option<usize>; 4] = [None; 4];
    for (i, names) in HEADERS.iter().enumerate() {
        positions[i] = normalized
            .iter()
            .position(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)));
    }
    if positions[0].is_none() || positions[1].is_none() {
        return Err(ApiError::BadRequest(
            "columns-missing",
            "a region file needs the columns 区划代码 and 名称".into(),
        ));
    }
    let mut known: BTreeSet<String> = region::Entity::find()
        .filter(region::Column::Code.starts_with(importer.region.get(..2).unwrap_or("")))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let run = imports::start(
        &state.db,
        "REGIONS",
        file_name,
        &sha256,
        &importer.region,
        &importer.actor,
    )
    .await?;
    let mut counts = Counts::default();
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    while let Some(row) = table.next().await? {
        counts.rows += 1;
        match check_row(&row.cells, &positions, &known, row.number, &table.headers) {
            Ok(r)
                if !r.code.starts_with(&importer.region)
                    && !importer.region.starts_with(&r.code) =>
            {
                rejected.push(Rejected {
                    row: row.number as i64,
                    column: table
                        .headers
                        .get(positions[0].unwrap_or(0))
                        .cloned()
                        .unwrap_or_default(),
                    code: "region-out-of-scope".into(),
                    message: format!("{} is outside {}", r.code, importer.region),
                    value: Some(r.code),
                })
            }
            Ok(r) => {
                if known.insert(r.code.clone()) {
                    counts.created += 1;
                } else {
                    counts.unchanged += 1;
                }
                rows.push(r);
            }
            Err(bad) => rejected.push(bad),
        }
    }
    counts.rejected = rejected.len() as i64;
    let txn = crate::store::begin_write(&state.db).await?;
    store(&txn, rows).await?;
    imports::add_rejects(&txn, run.id, &rejected).await?;
    imports::progress(&txn, run.id, counts, Some((imports::DONE, None, None))).await?;
    audit::append(
        &txn,
        Event {
            actor: importer.actor.clone(),
            action: "import.regions",
            subject: format!("{}/{}", importer.region, run.id),
            detail: serde_json::json!({ "file": file_name, "sha256": sha256, "counts": counts }),
        },
    )
    .await?;
    txn.commit().await?;
    imports::find(&state.db, run.id)
        .await?
        .ok_or_else(|| ApiError::Internal("the import run vanished".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cells: &[&str], known: &[&str]) -> Result<region::Model, String> {
        let cells: Vec<String> = cells.iter().map(|c| (*c).to_owned()).collect();
        let headers: Vec<String> = ["代码", "名称", "级别", "上级"]
            .iter()
            .map(|h| (*h).to_owned())
            .collect();
        let known = known.iter().map(|k| (*k).to_owned()).collect();
        check_row(
            &cells,
            &[Some(0), Some(1), Some(2), Some(3)],
            &known,
            2,
            &headers,
        )
        .map_err(|r| r.code)
    }

    #[test]
    fn codes_have_their_levels_length_and_their_parents_prefix() {
        assert_eq!(
            check(&["652822100", "轮台镇", "乡镇", ""], &["652822"])
                .unwrap()
                .parent
                .as_deref(),
            Some("652822")
        );
        assert_eq!(
            check(&["652822100201", "一村", "", ""], &["652822100"])
                .unwrap()
                .level,
            "VILLAGE"
        );
        assert_eq!(
            check(&["652822100201", "一村", "村", "652822200"], &["652822100"]).unwrap_err(),
            "parent-mismatch"
        );
        assert_eq!(
            check(&["652822100201", "一村", "村", ""], &[]).unwrap_err(),
            "parent-unknown"
        );
        assert_eq!(
            check(&["65282210020", "一村", "村", ""], &["652822100"]).unwrap_err(),
            "region-invalid"
        );
        assert_eq!(
            check(&["652822", "", "县", ""], &["6528"]).unwrap_err(),
            "name-missing"
        );
        assert_eq!(
            check(&["652822", "轮台县", "国", ""], &["6528"]).unwrap_err(),
            "level-invalid"
        );
        assert_eq!(
            check(&["65", "新疆维吾尔自治区", "省", ""], &[])
                .unwrap()
                .parent,
            None
        );
    }

    #[test]
    fn the_built_in_set_holds_the_prefecture_and_its_nine_counties() {
        let rows = bayingolin();
        assert_eq!(rows.len(), 11);
        assert!(
            rows.iter()
                .filter(|r| r.level == "COUNTY")
                .all(|r| r.parent.as_deref() == Some("6528") && r.code.len() == 6)
        );
    }
}
