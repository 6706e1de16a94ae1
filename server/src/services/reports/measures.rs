//! 帮扶措施落实情况统计表: per region and measure kind, how many measures, the households
//! and people they cover by household group, how many are done, in progress and planned,
//! and the funds, from the round's verified records.

use super::{Row, Tally};
use crate::error::ApiError;
use crate::state::AppState;
use rust_xlsxwriter::Workbook;
use std::collections::{BTreeMap, BTreeSet};
use zoufang_schemas::{
    HouseholdRecord, HouseholdType, MeasureKind, MeasureStatus, MonitorCategory, Quarter,
};

/// The household groups measures are counted by.
pub const GROUPS: [&str; 5] = [
    "一般户",
    "脱贫户",
    "脱贫不稳定户",
    "边缘易致贫户",
    "突发严重困难户",
];

/// The group of a household: its monitoring category if it has one (eliminated or not),
/// else 脱贫户 or 一般户.
pub fn group(record: &HouseholdRecord) -> usize {
    match record.household.monitor_category {
        Some(MonitorCategory::UnstableLifted) => 2,
        Some(MonitorCategory::Marginal) => 3,
        Some(MonitorCategory::SuddenHardship) => 4,
        None if record.household.hh_type == HouseholdType::Lifted => 1,
        None => 0,
    }
}

/// The figures of one measure kind.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KindTally {
    /// Measures.
    pub measures: u64,
    /// Households with at least one, by group.
    pub households: [u64; 5],
    /// Their people, by group.
    pub people: [u64; 5],
    /// Measures done.
    pub done: u64,
    /// Measures in progress.
    pub in_progress: u64,
    /// Measures planned.
    pub planned: u64,
    /// Funds, yuan.
    pub funds: f64,
}

impl KindTally {
    fn merge(&mut self, other: &KindTally) {
        self.measures += other.measures;
        for g in 0..GROUPS.len() {
            self.households[g] += other.households[g];
            self.people[g] += other.people[g];
        }
        self.done += other.done;
        self.in_progress += other.in_progress;
        self.planned += other.planned;
        self.funds += other.funds;
    }

    /// The figures in column order.
    pub fn figures(&self) -> Vec<f64> {
        let mut out = vec![self.measures as f64];
        out.extend(self.households.iter().map(|h| *h as f64));
        out.push(self.households.iter().sum::<u64>() as f64);
        out.extend(self.people.iter().map(|p| *p as f64));
        out.push(self.people.iter().sum::<u64>() as f64);
        out.extend([
            self.done as f64,
            self.in_progress as f64,
            self.planned as f64,
            self.funds,
        ]);
        out
    }
}

/// A region's measures, kind by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasureTally {
    /// Kinds with at least one measure.
    pub kinds: BTreeMap<MeasureKind, KindTally>,
}

impl MeasureTally {
    /// Counts one household's active measures.
    pub fn add(&mut self, record: &HouseholdRecord) {
        let g = group(record);
        let people = record.active_members().count() as u64;
        let mut counted = BTreeSet::new();
        for measure in record.measures.values().filter(|m| m.is_active()) {
            let kind = self.kinds.entry(measure.kind).or_default();
            kind.measures += 1;
            match measure.progress {
                MeasureStatus::Done => kind.done += 1,
                MeasureStatus::InProgress => kind.in_progress += 1,
                MeasureStatus::Planned => kind.planned += 1,
            }
            kind.funds += measure.funds.filter(|f| f.is_finite()).unwrap_or(0.0);
            if counted.insert(measure.kind) {
                kind.households[g] += 1;
                kind.people[g] += people;
            }
        }
    }

    /// All kinds together (a household with measures of two kinds counts in both).
    pub fn all(&self) -> KindTally {
        let mut total = KindTally::default();
        for kind in self.kinds.values() {
            total.merge(kind);
        }
        total
    }
}

impl Tally for MeasureTally {
    fn merge(&mut self, other: &Self) {
        for (kind, tally) in &other.kinds {
            self.kinds.entry(*kind).or_default().merge(tally);
        }
    }
}

/// The headers after the region columns.
pub fn headers() -> Vec<String> {
    let mut out = vec!["帮扶措施".to_owned(), "措施数".to_owned()];
    for what in ["户数", "人数"] {
        out.extend(GROUPS.iter().map(|g| format!("{what}:{g}")));
        out.push(format!("{what}:合计"));
    }
    out.extend(["已完成", "实施中", "计划中", "资金(元)"].map(str::to_owned));
    out
}

/// The table's rows of a round under a region.
pub async fn rows(
    state: &AppState,
    region: &str,
    round: &Quarter,
) -> Result<Vec<Row<MeasureTally>>, ApiError> {
    let villages = super::per_village(state, region, round, MeasureTally::add).await?;
    let names = super::region_names(state, region).await?;
    Ok(super::hierarchy(&villages, &names))
}

/// The workbook: each region's 小计 line, then a line per measure kind it has.
pub fn workbook(
    rows: &[Row<MeasureTally>],
    round: &Quarter,
    due: chrono::NaiveDate,
) -> Result<Workbook, ApiError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name("帮扶措施落实情况统计表")
        .map_err(super::sheet_error)?;
    let title = format!("帮扶措施落实情况统计表({},报送期限 {due})", round.as_str());
    let mut r = super::write_heading(sheet, &title, &headers())?;
    for row in rows {
        let format = super::write_region(sheet, r, row)?;
        sheet
            .write_string_with_format(r, 2, "小计", &format)
            .map_err(super::sheet_error)?;
        super::write_figures(sheet, r, 3, &row.tally.all().figures(), &format)?;
        r += 1;
        for (kind, tally) in &row.tally.kinds {
            sheet
                .write_string(r, 2, kind.label_zh())
                .map_err(super::sheet_error)?;
            super::write_figures(
                sheet,
                r,
                3,
                &tally.figures(),
                &rust_xlsxwriter::Format::new(),
            )?;
            r += 1;
        }
    }
    sheet.set_column_width(1, 18).map_err(super::sheet_error)?;
    sheet.set_column_width(2, 14).map_err(super::sheet_error)?;
    Ok(book)
}

/// The workbook of a round under a region, in a temporary file.
pub async fn xlsx(
    state: &AppState,
    region: &str,
    round: &Quarter,
) -> Result<tempfile::NamedTempFile, ApiError> {
    let rows = rows(state, region, round).await?;
    let due = super::due::due_of(state, round);
    super::save(workbook(&rows, round, due)?)
}
