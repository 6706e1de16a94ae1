//! `zoufang export` and `zoufang report`: the county's verified data to files, from the
//! command line, with a progress bar for large exports.

use crate::masking::Exposure;
use crate::services::exports::{
    self, CsvSink, ExportRequest, ExportSink, Format, NdjsonSink, XlsxSink,
};
use crate::services::scale_report;
use crate::state::AppState;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use zoufang_schemas::Quarter;

/// What to export.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The round, `2022Q1`.
    #[arg(long)]
    pub round: String,
    /// A region code prefix (a county, township or village).
    #[arg(long)]
    pub region: String,
    /// `csv` (households), `csv-members`, `ndjson` or `xlsx`.
    #[arg(long, default_value = "xlsx")]
    pub format: String,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Mask ID numbers, phone numbers and bank accounts.
    #[arg(long)]
    pub masked: bool,
}

/// Which report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The round, `2022Q1`.
    #[arg(long)]
    pub round: String,
    /// A region code prefix.
    #[arg(long)]
    pub region: String,
    /// The XLSX file to write.
    #[arg(long)]
    pub out: PathBuf,
}

fn round(text: &str) -> anyhow::Result<Quarter> {
    Quarter::parse(text).map_err(|e| anyhow::anyhow!("{e}"))
}

fn region(text: &str) -> anyhow::Result<String> {
    zoufang_schemas::RegionCode::parse(text)
        .map(|r| r.as_str().to_owned())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Exports verified records to a file.
pub async fn export(state: &AppState, args: ExportArgs) -> anyhow::Result<u64> {
    let format = Format::parse(&args.format).map_err(|e| anyhow::anyhow!("{e}"))?;
    let request = ExportRequest {
        round: round(&args.round)?,
        region: region(&args.region)?,
        exposure: if args.masked {
            Exposure::Masked
        } else {
            Exposure::Full
        },
        actor: "cli".into(),
    };
    let open = || {
        std::fs::File::create(&args.out)
            .map(std::io::BufWriter::new)
            .with_context(|| format!("cannot write {}", args.out.display()))
    };
    let mut sink: Box<dyn ExportSink> = match format {
        Format::Xlsx => Box::new(XlsxSink::new(&args.out).map_err(|e| anyhow::anyhow!("{e}"))?),
        Format::Ndjson => Box::new(NdjsonSink::new(open()?)),
        Format::Csv | Format::CsvMembers => Box::new(
            CsvSink::new(open()?, format == Format::CsvMembers)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} households exported ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let done = exports::export(state, &request, sink.as_mut(), &mut |n| bar.set_position(n))
        .await
        .map_err(|e| anyhow::anyhow!("{e} ({})", e.code()))?;
    bar.finish_and_clear();
    Ok(done)
}

/// The training calendar as lines of text.
pub fn training_text(calendar: &crate::services::reports::training::Calendar) -> String {
    let mut out = format!("人员培训计划 {}\n", calendar.year);
    for s in &calendar.sessions {
        out.push_str(&format!(
            "{}  {} ({})  至少 {} 个村 / 辖区 {} 个村\n",
            s.month, s.name, s.county, s.min_villages, s.villages
        ));
    }
    out.push_str("培训内容:\n");
    for topic in &calendar.topics {
        out.push_str(&format!("  - {topic}\n"));
    }
    out
}

/// Which report the command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// 规模统计表.
    Scale,
    /// 帮扶措施落实情况统计表.
    Measures,
    /// 风险化解情况报告.
    Risks,
}

impl ReportKind {
    /// What the command says it wrote.
    pub fn title(self) -> &'static str {
        match self {
            ReportKind::Scale => "scale statistics",
            ReportKind::Measures => "measure implementation statistics",
            ReportKind::Risks => "risk resolution report",
        }
    }
}

/// Writes a report to the file the arguments name.
pub async fn report(state: &AppState, kind: ReportKind, args: ReportArgs) -> anyhow::Result<()> {
    let round = round(&args.round)?;
    let region = region(&args.region)?;
    let file = match kind {
        ReportKind::Scale => scale_report::xlsx(state, &region, &round).await,
        ReportKind::Measures => {
            crate::services::reports::measures::xlsx(state, &region, &round).await
        }
        ReportKind::Risks => crate::services::reports::risks::xlsx(state, &region, &round).await,
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::copy(file.path(), &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    Ok(())
}
