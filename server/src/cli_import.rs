//! `zoufang import`: the region tree and households from files, with a progress bar, the
//! refused rows written next to the file (or where `--rejects` says).

use crate::services::imports::{Importer, households, regions, report};
use crate::state::AppState;
use crate::store::entities::import_run;
use crate::store::imports as import_store;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The region tree: a CSV/XLSX file (区划代码, 名称, 级别, 上级代码) or `--builtin bayingolin`.
    Regions(RegionArgs),
    /// Households: the national system's or the regional platform's export (CSV/XLSX).
    Households(HouseholdArgs),
}

/// A region import.
#[derive(Debug, Args)]
pub struct RegionArgs {
    /// The file.
    pub file: Option<PathBuf>,
    /// A built-in set instead of a file: `bayingolin` (the prefecture's nine counties).
    #[arg(long)]
    pub builtin: Option<String>,
    /// Only regions under this code are taken.
    #[arg(long, default_value = "65")]
    pub region: String,
    /// Where to write the refused rows (default: next to the file, `.rejects.csv`).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
}

/// A household import.
#[derive(Debug, Args)]
pub struct HouseholdArgs {
    /// The file.
    pub file: PathBuf,
    /// The region the file is for (a county); rows elsewhere are refused and its households
    /// the file does not list are flagged.
    #[arg(long)]
    pub region: String,
    /// Skip the rows before this one (the row a failed run says to resume from).
    #[arg(long)]
    pub resume_from: Option<u64>,
    /// Where to write the refused rows (default: next to the file, `.rejects.csv`).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
}

fn rejects_path(file: &Path, given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let mut name = file
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".rejects.csv");
        file.with_file_name(name)
    })
}

fn file_name(file: &Path) -> String {
    file.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

async fn write_rejects(state: &AppState, run: &import_run::Model, to: &Path) -> anyhow::Result<()> {
    if run.rejected == 0 {
        return Ok(());
    }
    let file =
        std::fs::File::create(to).with_context(|| format!("cannot write {}", to.display()))?;
    let count = report::write_csv(&state.db, run.id, std::io::BufWriter::new(file))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{count} rows refused: see {}", to.display());
    Ok(())
}

fn summary(run: &import_run::Model) -> String {
    format!(
        "import {} {}: {} rows, {} created, {} updated, {} unchanged, {} refused, {} absent from the file",
        run.id,
        run.status,
        run.rows,
        run.created,
        run.updated,
        run.unchanged,
        run.rejected,
        run.absent
    )
}

/// Runs an import command.
pub async fn run(state: &AppState, command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Regions(args) => {
            if let Some(set) = &args.builtin {
                anyhow::ensure!(set == "bayingolin", "the only built-in set is `bayingolin`");
                let txn = crate::store::begin_write(&state.db).await?;
                regions::store(&txn, regions::bayingolin())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                txn.commit().await?;
                println!("Bayingolin and its nine counties are in the region tree");
                return Ok(());
            }
            let file = args.file.context("give a file or --builtin bayingolin")?;
            let importer = Importer::cli(&args.region).map_err(|e| anyhow::anyhow!("{e}"))?;
            let done = regions::import(state, &importer, &file, &file_name(&file))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", summary(&done));
            write_rejects(state, &done, &rejects_path(&file, args.rejects)).await?;
        }
        ImportCommand::Households(args) => {
            let importer = Importer::cli(&args.region).map_err(|e| anyhow::anyhow!("{e}"))?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            let mut progress = |c: &import_store::Counts| {
                bar.set_message(format!(
                    "{} rows: {} created, {} updated, {} unchanged, {} refused",
                    c.rows, c.created, c.updated, c.unchanged, c.rejected
                ));
            };
            let done = households::import(
                state,
                &importer,
                &args.file,
                &file_name(&args.file),
                args.resume_from,
                &mut progress,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            bar.finish_and_clear();
            println!("{}", summary(&done));
            write_rejects(state, &done, &rejects_path(&args.file, args.rejects)).await?;
            if done.status == import_store::FAILED {
                anyhow::bail!(
                    "stopped: {}; the batches before are stored — run again with --resume-from {}",
                    done.error.unwrap_or_default(),
                    done.resume_row.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
