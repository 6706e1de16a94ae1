//! The natural increase / decrease ledger (自然增减台账) of a village or township for a
//! quarter, built from the events recorded in the households' documents: member, household,
//! kind, date, note and who recorded it (the user whose change created the entry). A
//! removed event (recorded by mistake) is left out; a removed member keeps its name.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::entities::{doc_change, household, user};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::BTreeMap;
use zoufang_schemas::{EntryStatus, NaturalChangeKind, Quarter, Relation, Role};
use zoufang_sync::automerge::{self, Automerge, ReadDoc};

/// Roles that read the ledger.
pub const READERS: &[Role] = crate::services::REGION_ROLES;

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LedgerLine {
    /// Village.
    pub region_code: String,
    /// Household document.
    pub household: String,
    /// The head's name.
    pub head_name: Option<String>,
    /// The member concerned.
    pub member: String,
    /// The member's name.
    pub member_name: Option<String>,
    /// `BIRTH`, `MARRY_IN`, `MOVE_IN`, `DEATH`, `MARRY_OUT`, `MOVE_OUT` or `OTHER`.
    pub kind: String,
    /// Its Chinese label.
    pub kind_label: String,
    /// `INCREASE`, `DECREASE` or `OTHER`.
    pub direction: String,
    /// When it happened.
    pub date: NaiveDate,
    /// Note.
    pub note: Option<String>,
    /// Who recorded it (a username; `None` when the server did).
    pub recorded_by: Option<String>,
}

/// The ledger of a region and quarter.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ledger {
    /// The region.
    pub region: String,
    /// The quarter.
    pub quarter: String,
    /// Lines by village, date and household.
    pub lines: Vec<LedgerLine>,
    /// People added (births, marriages in, moves in).
    pub increase: u64,
    /// People gone (deaths, marriages out, moves out).
    pub decrease: u64,
}

/// Whether a kind adds or removes a person.
pub fn direction(kind: NaturalChangeKind) -> &'static str {
    match kind {
        NaturalChangeKind::Birth | NaturalChangeKind::MarryIn | NaturalChangeKind::MoveIn => {
            "INCREASE"
        }
        NaturalChangeKind::Death | NaturalChangeKind::MarryOut | NaturalChangeKind::MoveOut => {
            "DECREASE"
        }
        NaturalChangeKind::Other => "OTHER",
    }
}

/// The first and last day of a quarter.
pub fn quarter_days(quarter: &Quarter) -> Option<(NaiveDate, NaiveDate)> {
    let text = quarter.as_str();
    let year: i32 = text.get(..4)?.parse().ok()?;
    let q: u32 = text.get(5..)?.parse().ok()?;
    let first = NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1)?;
    let next = if q == 4 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, q * 3 + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

/// The changes of a document as (actor, first op, last op, hash), read once per document.
fn op_ranges(doc: &Automerge) -> Vec<(automerge::ActorId, u64, u64, String)> {
    doc.get_changes(&[])
        .into_iter()
        .map(|c| {
            (
                c.actor_id().clone(),
                c.start_op().get(),
                c.max_op(),
                hex::encode(c.hash().0),
            )
        })
        .collect()
}

/// The change that created the entry `key` of `section` (its object's first op).
fn creating_change(
    doc: &Automerge,
    ranges: &[(automerge::ActorId, u64, u64, String)],
    section: &str,
    key: &str,
) -> Option<String> {
    let (_, entries) = doc.get(automerge::ROOT, section).ok()??;
    let (_, entry) = doc.get(&entries, key).ok()??;
    let automerge::ObjId::Id(counter, actor, _) = entry else {
        return None;
    };
    ranges
        .iter()
        .find(|(a, first, last, _)| *a == actor && (*first..=*last).contains(&counter))
        .map(|(_, _, _, hash)| hash.clone())
}

/// The ledger of a village or township in the caller's scope for `quarter`.
pub async fn ledger(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    quarter: &Quarter,
) -> Result<Ledger, ApiError> {
    user.require(READERS)?;
    let region = crate::services::review::region_in_scope(user, region)?;
    if region.len() < 9 {
        return Err(ApiError::BadRequest(
            "region-too-large",
            "the ledger is kept per village or township: name one".into(),
        ));
    }
    let (first, last) = quarter_days(quarter)
        .ok_or_else(|| ApiError::BadRequest("round-invalid", "a quarter like 2026Q4".into()))?;
    let docs: Vec<(String, String)> = household::Entity::find()
        .select_only()
        .column(household::Column::DocId)
        .column(household::Column::RegionCode)
        .filter(crate::store::in_region(
            household::Column::RegionCode,
            region,
        ))
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut lines = Vec::new();
    let mut creators: Vec<(usize, String)> = Vec::new();
    for (doc_key, region_code) in docs {
        let Some((loaded, record)) =
            crate::services::documents::current_record(state, &doc_key).await?
        else {
            continue;
        };
        let household = Household {
            doc: &loaded.doc,
            record: &record,
            key: &doc_key,
            region_code: &region_code,
        };
        for (line, creator) in household_lines(household, (first, last)) {
            if let Some(hash) = creator {
                creators.push((lines.len(), hash));
            }
            lines.push(line);
        }
    }
    let who = recorders(state, creators.iter().map(|(_, h)| h.clone()).collect()).await?;
    for (line, hash) in creators {
        lines[line].recorded_by = who.get(&hash).cloned();
    }
    Ok(Ledger::of(region, quarter, lines))
}

/// One household's document and record, as the ledger reads them.
#[derive(Clone, Copy)]
struct Household<'a> {
    doc: &'a Automerge,
    record: &'a zoufang_schemas::HouseholdRecord,
    key: &'a str,
    region_code: &'a str,
}

/// The ledger lines of a household's active events dated within `days`, each with the
/// hash of the change that created it, when found (who recorded it is looked up later).
fn household_lines(
    household: Household<'_>,
    (first, last): (NaiveDate, NaiveDate),
) -> Vec<(LedgerLine, Option<String>)> {
    let Household {
        doc,
        record,
        key,
        region_code,
    } = household;
    let head = record
        .active_members()
        .find(|(_, m)| m.relation == Relation::Head)
        .map(|(_, m)| m.name.clone());
    let mut ranges = None;
    let mut out = Vec::new();
    for (entry, event) in &record.events {
        let Some(date) = event.date.filter(|d| (first..=last).contains(d)) else {
            continue;
        };
        if event.status != EntryStatus::Active {
            continue;
        }
        let creator = creating_change(
            doc,
            ranges.get_or_insert_with(|| op_ranges(doc)),
            "events",
            entry.as_str(),
        );
        let line = LedgerLine {
            region_code: region_code.to_owned(),
            household: key.to_owned(),
            head_name: head.clone(),
            member: event.member.as_str().to_owned(),
            member_name: record.members.get(&event.member).map(|m| m.name.clone()),
            kind: event.kind.code().to_owned(),
            kind_label: event.kind.label_zh().to_owned(),
            direction: direction(event.kind).to_owned(),
            date,
            note: event.note.clone(),
            recorded_by: None,
        };
        out.push((line, creator));
    }
    out
}

impl Ledger {
    /// The ledger of `region` and `quarter` from its lines, sorted by village, date,
    /// household and member, with its totals.
    fn of(region: &str, quarter: &Quarter, mut lines: Vec<LedgerLine>) -> Self {
        lines.sort_by(|a, b| {
            (&a.region_code, a.date, &a.household, &a.member).cmp(&(
                &b.region_code,
                b.date,
                &b.household,
                &b.member,
            ))
        });
        let count = |d: &str| lines.iter().filter(|l| l.direction == d).count() as u64;
        Ledger {
            region: region.to_owned(),
            quarter: quarter.as_str().to_owned(),
            increase: count("INCREASE"),
            decrease: count("DECREASE"),
            lines,
        }
    }
}

/// The usernames behind change hashes.
async fn recorders(
    state: &AppState,
    hashes: Vec<String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut by_hash: BTreeMap<String, i64> = BTreeMap::new();
    for chunk in hashes.chunks(500) {
        let rows: Vec<(String, Option<i64>)> = doc_change::Entity::find()
            .select_only()
            .column(doc_change::Column::Hash)
            .column(doc_change::Column::UserId)
            .filter(doc_change::Column::Hash.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&state.db)
            .await?;
        by_hash.extend(rows.into_iter().filter_map(|(h, u)| Some((h, u?))));
    }
    let ids: Vec<i64> = by_hash.values().copied().collect();
    let names: BTreeMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(by_hash
        .into_iter()
        .filter_map(|(h, u)| Some((h, names.get(&u)?.clone())))
        .collect())
}

/// The ledger as XLSX (Chinese headers), with the totals below the lines.
pub fn xlsx(ledger: &Ledger, regions: &BTreeMap<String, String>) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    const HEADERS: [&str; 8] = [
        "村",
        "户主",
        "成员",
        "变动类型",
        "增减",
        "日期",
        "说明",
        "登记人",
    ];
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(format!("自然增减台账{}", ledger.quarter))
        .map_err(fail)?;
    let bold = Format::new().set_bold();
    for (c, header) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *header, &bold)
            .map_err(fail)?;
    }
    let mut r = 1u32;
    for line in &ledger.lines {
        let direction = match line.direction.as_str() {
            "INCREASE" => "增加",
            "DECREASE" => "减少",
            _ => "其他",
        };
        let cells = [
            regions
                .get(&line.region_code)
                .cloned()
                .unwrap_or_else(|| line.region_code.clone()),
            line.head_name.clone().unwrap_or_default(),
            line.member_name.clone().unwrap_or_default(),
            line.kind_label.clone(),
            direction.to_owned(),
            line.date.to_string(),
            line.note.clone().unwrap_or_default(),
            line.recorded_by
                .clone()
                .unwrap_or_else(|| "系统".to_owned()),
        ];
        for (c, cell) in cells.iter().enumerate() {
            sheet.write_string(r, c as u16, cell).map_err(fail)?;
        }
        r += 1;
    }
    sheet
        .write_string_with_format(r + 1, 0, "增加(人)", &bold)
        .map_err(fail)?;
    sheet
        .write_number(r + 1, 1, ledger.increase as f64)
        .map_err(fail)?;
    sheet
        .write_string_with_format(r + 2, 0, "减少(人)", &bold)
        .map_err(fail)?;
    sheet
        .write_number(r + 2, 1, ledger.decrease as f64)
        .map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_have_their_days_and_kinds_their_direction() {
        let q = |s| quarter_days(&Quarter::parse(s).unwrap()).unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(q("2026Q1"), (d(2026, 1, 1), d(2026, 3, 31)));
        assert_eq!(q("2024Q1").1, d(2024, 3, 31));
        assert_eq!(q("2026Q4"), (d(2026, 10, 1), d(2026, 12, 31)));
        assert_eq!(direction(NaturalChangeKind::Birth), "INCREASE");
        assert_eq!(direction(NaturalChangeKind::MarryOut), "DECREASE");
        assert_eq!(direction(NaturalChangeKind::Other), "OTHER");
    }
}
