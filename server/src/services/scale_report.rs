//! The quarterly scale statistics table (规模统计表, Annex 1 of the plan) per county →
//! township → village, counted from the round's verified records: households and people in
//! all, 一般户 and 脱贫户, the 三类户 by category split eliminated / not eliminated, new
//! identifications and eliminations (by mode) in the quarter, and the natural increase and
//! decrease of people recorded in it.

use crate::error::ApiError;
use crate::services::reports;
use crate::state::AppState;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use zoufang_schemas::{
    EliminationMode, HouseholdRecord, HouseholdType, MonitorCategory, NaturalChangeKind, Quarter,
};

/// The counts of one region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Households.
    pub households: u64,
    /// People (members not removed).
    pub people: u64,
    /// 一般户: households, people.
    pub general: (u64, u64),
    /// 脱贫户: households, people.
    pub lifted: (u64, u64),
    /// Per 三类户 category (脱贫不稳定户, 边缘易致贫户, 突发严重困难户): households and
    /// people with the risk eliminated, and not.
    pub monitored: [MonitoredCounts; 3],
    /// Households identified as monitored in the quarter.
    pub identified: u64,
    /// Households whose risk was eliminated in the quarter: assisted, natural.
    pub eliminated: (u64, u64),
    /// People added in the quarter (births, marriages in, moves in).
    pub increase: u64,
    /// People gone in the quarter (deaths, marriages out, moves out).
    pub decrease: u64,
}

/// Households and people of one 三类户 category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitoredCounts {
    /// Eliminated: households, people.
    pub eliminated: (u64, u64),
    /// Still monitored: households, people.
    pub remaining: (u64, u64),
}

/// The categories in column order.
pub const CATEGORIES: [MonitorCategory; 3] = [
    MonitorCategory::UnstableLifted,
    MonitorCategory::Marginal,
    MonitorCategory::SuddenHardship,
];

/// Whether `date` falls in `quarter`.
pub fn in_quarter(quarter: &Quarter, date: NaiveDate) -> bool {
    crate::services::natural_ledger::quarter_days(quarter)
        .is_some_and(|(first, last)| (first..=last).contains(&date))
}

pub fn month_in_quarter(quarter: &Quarter, month: Option<&zoufang_schemas::YearMonth>) -> bool {
    month
        .and_then(|m| NaiveDate::parse_from_str(&format!("{}-01", m.as_str()), "%Y-%m-%d").ok())
        .is_some_and(|date| in_quarter(quarter, date))
}

impl Counts {
    /// Adds one household's record.
    pub fn add(&mut self, quarter: &Quarter, record: &HouseholdRecord) {
        let people = record.active_members().count() as u64;
        self.households += 1;
        self.people += people;
        let bucket = match record.household.hh_type {
            HouseholdType::General => &mut self.general,
            HouseholdType::Lifted => &mut self.lifted,
        };
        bucket.0 += 1;
        bucket.1 += people;
        let eliminated = record.monitoring.risk_eliminated == Some(true);
        if let Some(category) = record.household.monitor_category
            && let Some(i) = CATEGORIES.iter().position(|c| *c == category)
        {
            let counts = &mut self.monitored[i];
            let bucket = if eliminated {
                &mut counts.eliminated
            } else {
                &mut counts.remaining
            };
            bucket.0 += 1;
            bucket.1 += people;
        }
        if month_in_quarter(quarter, record.monitoring.identified_month.as_ref()) {
            self.identified += 1;
        }
        if eliminated && month_in_quarter(quarter, record.monitoring.eliminated_month.as_ref()) {
            match record.monitoring.elimination_mode {
                Some(EliminationMode::Assisted) => self.eliminated.0 += 1,
                Some(EliminationMode::Natural) => self.eliminated.1 += 1,
                None => {}
            }
        }
        for event in record
            .events
            .values()
            .filter(|e| e.status == zoufang_schemas::EntryStatus::Active)
        {
            if !event.date.is_some_and(|d| in_quarter(quarter, d)) {
                continue;
            }
            match event.kind {
                NaturalChangeKind::Birth
                | NaturalChangeKind::MarryIn
                | NaturalChangeKind::MoveIn => self.increase += 1,
                NaturalChangeKind::Death
                | NaturalChangeKind::MarryOut
                | NaturalChangeKind::MoveOut => self.decrease += 1,
                NaturalChangeKind::Other => {}
            }
        }
    }

    /// Adds another region's counts.
    pub fn merge(&mut self, other: &Counts) {
        let add = |a: &mut (u64, u64), b: (u64, u64)| {
            a.0 += b.0;
            a.1 += b.1;
        };
        self.households += other.households;
        self.people += other.people;
        add(&mut self.general, other.general);
        add(&mut self.lifted, other.lifted);
        for (mine, theirs) in self.monitored.iter_mut().zip(other.monitored) {
            add(&mut mine.eliminated, theirs.eliminated);
            add(&mut mine.remaining, theirs.remaining);
        }
        self.identified += other.identified;
        add(&mut self.eliminated, other.eliminated);
        self.increase += other.increase;
        self.decrease += other.decrease;
    }

    /// The row's figures in column order.
    pub fn figures(&self) -> Vec<u64> {
        let mut out = vec![
            self.households,
            self.people,
            self.general.0,
            self.general.1,
            self.lifted.0,
            self.lifted.1,
        ];
        for category in &self.monitored {
            out.extend([
                category.remaining.0,
                category.remaining.1,
                category.eliminated.0,
                category.eliminated.1,
            ]);
        }
        out.extend([
            self.identified,
            self.eliminated.0,
            self.eliminated.1,
            self.increase,
            self.decrease,
        ]);
        out
    }
}

/// Column headers after the region's code and name.
pub fn headers() -> Vec<String> {
    let mut out: Vec<String> = [
        "总户数",
        "总人数",
        "一般户户数",
        "一般户人数",
        "脱贫户户数",
        "脱贫户人数",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for category in CATEGORIES {
        let name = category.label_zh();
        out.extend([
            format!("{name}未消除户数"),
            format!("{name}未消除人数"),
            format!("{name}已消除户数"),
            format!("{name}已消除人数"),
        ]);
    }
    out.extend(
        [
            "本季度新识别户数",
            "本季度帮扶消除户数",
            "本季度自然消除户数",
            "本季度自然增加人数",
            "本季度自然减少人数",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    out
}

impl crate::services::reports::Tally for Counts {
    fn merge(&mut self, other: &Self) {
        Counts::merge(self, other);
    }
}

/// Counts per village of the round's verified records under `prefix`.
pub async fn per_village(
    state: &AppState,
    prefix: &str,
    round: &Quarter,
) -> Result<BTreeMap<String, Counts>, ApiError> {
    reports::per_village(state, prefix, round, |c: &mut Counts, r| c.add(round, r)).await
}

/// One row of the table: a region with its level and counts.
pub type Row = reports::Row<Counts>;

/// Writes the table as a workbook at `path`.
pub fn write_xlsx(path: &std::path::Path, round: &Quarter, rows: &[Row]) -> Result<(), ApiError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("规模统计表").map_err(reports::sheet_error)?;
    let title = format!("防止返贫监测规模统计表({})", round.as_str());
    let first = reports::write_heading(sheet, &title, &headers())?;
    for (i, row) in rows.iter().enumerate() {
        let r = first + i as u32;
        let format = reports::write_region(sheet, r, row)?;
        let figures: Vec<f64> = row.tally.figures().iter().map(|f| *f as f64).collect();
        reports::write_figures(sheet, r, 2, &figures, &format)?;
    }
    workbook.save(path).map_err(reports::sheet_error)
}

/// The table of a round under a region, written to a temporary file.
pub async fn xlsx(
    state: &AppState,
    region: &str,
    round: &Quarter,
) -> Result<tempfile::NamedTempFile, ApiError> {
    let villages = per_village(state, region, round).await?;
    let names = reports::region_names(state, region).await?;
    let rows = reports::hierarchy(&villages, &names);
    let file = tempfile::NamedTempFile::new().map_err(|e| ApiError::Internal(e.to_string()))?;
    write_xlsx(file.path(), round, &rows)?;
    Ok(file)
}
