//! Exporting verified households: 100,000 verified records of a round exported as CSV and
//! as XLSX by `zoufang export` (this benchmark started again as the command, so that its
//! peak memory is the export's own), on SQLite and PostgreSQL; the same with 10,000 to show
//! that memory does not grow with the number exported.
//!
//! Run: `cargo bench -p zoufang-e2e --bench export_verified`
//! Environment: `ZOUFANG_BENCH_EXPORT` (`100000`), `ZOUFANG_BENCH_BACKENDS`
//! (`sqlite,postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use sea_orm::{ConnectionTrait, EntityTrait, Set};
use std::time::Duration;
use zoufang_schemas::RegionCode;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_server::store::entities::review;

const ROUND: &str = "2026Q4";

fn main() {
    if zoufang_e2e::load::run_as_cli_when_asked() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run_all());
}

async fn run_all() {
    let big: usize = std::env::var("ZOUFANG_BENCH_EXPORT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let backends =
        std::env::var("ZOUFANG_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    println!(
        "targets: each export under 30 s and 300 MB, memory not growing with the number exported\n"
    );
    println!("| database | households | format | seconds | peak MiB | file MiB |");
    println!("|---|---:|---|---:|---:|---:|");
    for backend in backends.split(',') {
        for count in [big / 10, big] {
            let dir = tempfile::tempdir().unwrap();
            let (url, postgres) = if backend == "postgres" {
                let Some((url, name)) = zoufang_e2e::fresh_postgres().await else {
                    println!("| postgres | PostgreSQL unreachable: not measured |");
                    continue;
                };
                (url, Some(name))
            } else {
                (
                    format!("sqlite://{}?mode=rwc", dir.path().join("z.db").display()),
                    None,
                )
            };
            seed(&url, dir.path(), count).await;
            for format in ["csv", "xlsx"] {
                let out = dir.path().join(format!("export.{format}"));
                let (elapsed, peak) = export(&url, dir.path(), format, &out);
                let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
                println!(
                    "| {backend} | {count} | {format} | {:.1} | {:.1} | {:.1} |",
                    elapsed.as_secs_f64(),
                    peak as f64 / (1024.0 * 1024.0),
                    size as f64 / (1024.0 * 1024.0)
                );
            }
            if let Some(name) = postgres {
                zoufang_e2e::drop_postgres(&name).await;
            }
        }
    }
}

/// `count` verified reviews of the round across 100 villages, stored directly.
async fn seed(url: &str, dir: &std::path::Path, count: usize) {
    let state = zoufang_server::build_state(zoufang_e2e::settings(url, dir))
        .await
        .unwrap();
    let mut rng = SampleRng::new(3);
    let mut rows = Vec::with_capacity(500);
    for n in 0..count {
        let village = format!("652822{:03}{:03}", 100 + (n / 10_000) % 10, 201 + n % 10);
        let record = household(&mut rng, &RegionCode::parse(&village).unwrap());
        let id = uuid::Uuid::new_v4().to_string();
        rows.push(review::ActiveModel {
            doc_id: Set(id),
            round: Set(ROUND.into()),
            region_code: Set(village),
            state: Set("TOWNSHIP_VERIFIED".into()),
            reason: Set(None),
            submitted_at: Set(0),
            village_reviewed_by: Set(Some("user:helper".into())),
            village_reviewed_at: Set(Some(0)),
            verified_by: Set(Some("user:supervisor".into())),
            verified_at: Set(Some(1_800_000_000)),
            verified_heads: Set(Some("[]".into())),
            verified_record: Set(Some(serde_json::to_string(&record).unwrap())),
            accepted_by: Set(None),
            accepted_at: Set(None),
            returned_by: Set(None),
            returned_at: Set(None),
            changed_since_verification: Set(false),
            updated_at: Set(0),
        });
        if rows.len() == 500 {
            review::Entity::insert_many(std::mem::take(&mut rows))
                .exec_without_returning(&state.db)
                .await
                .unwrap();
        }
    }
    if !rows.is_empty() {
        review::Entity::insert_many(rows)
            .exec_without_returning(&state.db)
            .await
            .unwrap();
    }
    let analyze = if url.starts_with("postgres") {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    state.db.execute_unprepared(analyze).await.unwrap();
}

/// Runs `zoufang export` as its own process; returns its time and peak memory.
fn export(
    url: &str,
    dir: &std::path::Path,
    format: &str,
    out: &std::path::Path,
) -> (Duration, u64) {
    let args = [
        "export",
        "--round",
        ROUND,
        "--region",
        "652822",
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ];
    zoufang_e2e::load::run_cli_measured(url, dir, &args)
}
