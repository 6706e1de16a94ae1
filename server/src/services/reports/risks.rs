//! 风险化解情况报告: per region, the monitored households eliminated and remaining by
//! category and by risk type, the quarter's eliminations by mode (from the round's verified
//! records), and the doubtful-data list.

use super::{Row, Tally};
use crate::error::ApiError;
use crate::services::county::FindingView;
use crate::services::scale_report::month_in_quarter;
use crate::state::AppState;
use rust_xlsxwriter::{Format, Workbook};
use zoufang_schemas::{EliminationMode, HouseholdRecord, MonitorCategory, Quarter, RiskType};

/// The categories in column order.
const CATEGORIES: [MonitorCategory; 3] = [
    MonitorCategory::UnstableLifted,
    MonitorCategory::Marginal,
    MonitorCategory::SuddenHardship,
];

/// Eliminated and remaining households.
pub type Split = (u64, u64);

/// A region's monitored households.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskTally {
    /// By category (脱贫不稳定户, 边缘易致贫户, 突发严重困难户): eliminated, remaining.
    pub categories: [Split; 3],
    /// By risk type in the form's order: eliminated, remaining (a household with two risks
    /// counts under both).
    pub risks: Vec<Split>,
    /// Eliminated in the quarter: assisted, natural.
    pub eliminated_in_quarter: Split,
}

fn add_split(mine: &mut Split, theirs: Split) {
    mine.0 += theirs.0;
    mine.1 += theirs.1;
}

impl RiskTally {
    fn ensure(&mut self) {
        if self.risks.len() < RiskType::ALL.len() {
            self.risks.resize(RiskType::ALL.len(), (0, 0));
        }
    }

    /// Counts one household of `round` (only monitored ones count).
    pub fn add(&mut self, round: &Quarter, record: &HouseholdRecord) {
        self.ensure();
        let Some(category) = record.household.monitor_category else {
            return;
        };
        let eliminated = record.monitoring.risk_eliminated == Some(true);
        let one = if eliminated { (1, 0) } else { (0, 1) };
        if let Some(i) = CATEGORIES.iter().position(|c| *c == category) {
            add_split(&mut self.categories[i], one);
        }
        for risk in record.household.risk_types.iter() {
            if let Some(i) = RiskType::ALL.iter().position(|r| r == risk) {
                add_split(&mut self.risks[i], one);
            }
        }
        if eliminated && month_in_quarter(round, record.monitoring.eliminated_month.as_ref()) {
            match record.monitoring.elimination_mode {
                Some(EliminationMode::Assisted) => self.eliminated_in_quarter.0 += 1,
                Some(EliminationMode::Natural) => self.eliminated_in_quarter.1 += 1,
                None => {}
            }
        }
    }

    /// The category sheet's figures.
    pub fn category_figures(&self) -> Vec<f64> {
        let mut out = Vec::new();
        let mut total = (0, 0);
        for split in &self.categories {
            out.extend([split.0 as f64, split.1 as f64]);
            add_split(&mut total, *split);
        }
        out.extend([
            total.0 as f64,
            total.1 as f64,
            self.eliminated_in_quarter.0 as f64,
            self.eliminated_in_quarter.1 as f64,
        ]);
        out
    }

    /// The risk-type sheet's figures.
    pub fn risk_figures(&self) -> Vec<f64> {
        let mut tally = self.clone();
        tally.ensure();
        tally
            .risks
            .iter()
            .flat_map(|s| [s.0 as f64, s.1 as f64])
            .collect()
    }
}

impl Tally for RiskTally {
    fn merge(&mut self, other: &Self) {
        self.ensure();
        for (mine, theirs) in self.categories.iter_mut().zip(other.categories) {
            add_split(mine, theirs);
        }
        for (i, theirs) in other.risks.iter().enumerate() {
            add_split(&mut self.risks[i], *theirs);
        }
        add_split(&mut self.eliminated_in_quarter, other.eliminated_in_quarter);
    }
}

/// The category sheet's headers.
pub fn category_headers() -> Vec<String> {
    let mut out = Vec::new();
    for category in CATEGORIES {
        out.push(format!("{}:已消除", category.label_zh()));
        out.push(format!("{}:未消除", category.label_zh()));
    }
    out.extend(
        [
            "合计:已消除",
            "合计:未消除",
            "本季度帮扶消除",
            "本季度自然消除",
        ]
        .map(str::to_owned),
    );
    out
}

/// The risk-type sheet's headers.
pub fn risk_headers() -> Vec<String> {
    RiskType::ALL
        .iter()
        .flat_map(|r| {
            [
                format!("{}:已消除", r.label_zh()),
                format!("{}:未消除", r.label_zh()),
            ]
        })
        .collect()
}

/// The report's rows of a round under a region.
pub async fn rows(
    state: &AppState,
    region: &str,
    round: &Quarter,
) -> Result<Vec<Row<RiskTally>>, ApiError> {
    let villages =
        super::per_village(state, region, round, |t: &mut RiskTally, r| t.add(round, r)).await?;
    let names = super::region_names(state, region).await?;
    Ok(super::hierarchy(&villages, &names))
}

/// The figures one sheet shows of a tally.
type Figures = fn(&RiskTally) -> Vec<f64>;

/// The workbook: by category, by risk type, the doubtful data.
pub fn workbook(
    rows: &[Row<RiskTally>],
    findings: &[FindingView],
    heads: &std::collections::BTreeMap<String, String>,
    round: &Quarter,
    due: chrono::NaiveDate,
) -> Result<Workbook, ApiError> {
    let mut book = Workbook::new();
    let title = format!("风险化解情况报告({},报送期限 {due})", round.as_str());
    let sheets: [(&str, Vec<String>, Figures); 2] = [
        (
            "按监测类别",
            category_headers(),
            RiskTally::category_figures,
        ),
        ("按风险类型", risk_headers(), RiskTally::risk_figures),
    ];
    for (name, headers, figures) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).map_err(super::sheet_error)?;
        let first = super::write_heading(sheet, &title, &headers)?;
        for (r, row) in (first..).zip(rows) {
            let format = super::write_region(sheet, r, row)?;
            super::write_figures(sheet, r, 2, &figures(&row.tally), &format)?;
        }
        sheet.set_column_width(1, 18).map_err(super::sheet_error)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("疑点数据").map_err(super::sheet_error)?;
    let bold = Format::new().set_bold();
    for (c, header) in ["区划代码", "户主", "类别", "代码", "位置", "说明"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string_with_format(0, c as u16, *header, &bold)
            .map_err(super::sheet_error)?;
    }
    for (i, f) in findings.iter().enumerate() {
        let r = i as u32 + 1;
        let severity = if f.severity == "ERROR" {
            "错误"
        } else {
            "疑点"
        };
        let cells = [
            f.region_code.as_str(),
            heads.get(&f.household).map_or("", String::as_str),
            severity,
            f.code.as_str(),
            f.path.as_str(),
            f.message_zh.as_str(),
        ];
        for (c, cell) in cells.iter().enumerate() {
            sheet
                .write_string(r, c as u16, *cell)
                .map_err(super::sheet_error)?;
        }
    }
    sheet.set_column_width(5, 40).map_err(super::sheet_error)?;
    Ok(book)
}

/// The workbook of a round under a region, in a temporary file.
pub async fn xlsx(
    state: &AppState,
    region: &str,
    round: &Quarter,
) -> Result<tempfile::NamedTempFile, ApiError> {
    let rows = rows(state, region, round).await?;
    let findings: Vec<FindingView> = crate::store::findings::under(&state.db, region, None, 5000)
        .await?
        .into_iter()
        .map(FindingView::from)
        .collect();
    let heads = crate::store::documents::head_names(&state.db, region).await?;
    let due = super::due::due_of(state, round);
    super::save(workbook(&rows, &findings, &heads, round, due)?)
}
