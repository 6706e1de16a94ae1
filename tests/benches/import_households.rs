//! Importing the national system's export: a CSV of 100,000 households (about 350,000
//! member rows, Chinese headers, UTF-8 with a BOM) imported by `zoufang import households`
//! (this benchmark started again as the command, so that its peak memory is the import's
//! own) into a fresh database, then the same file again (every household compared and left
//! unchanged), then once more for another county (every row refused, the report of refused
//! rows as long as the file), on SQLite and PostgreSQL; 10,000 households too, to show that memory does not
//! grow with the file.
//!
//! Run: `cargo bench -p zoufang-e2e --bench import_households`
//! Environment: `ZOUFANG_BENCH_IMPORT` (`100000`), `ZOUFANG_BENCH_BACKENDS`
//! (`sqlite,postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use std::io::Write;
use std::time::Duration;
use zoufang_e2e::import_files::{NATIONAL_HEADERS, id_number};
use zoufang_server::store::entities::region;

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

const VILLAGES: usize = 100;

fn village(n: usize) -> String {
    format!("652822{:03}{:03}", 100 + n / 10, 201 + n % 10)
}

async fn run_all() {
    let big: usize = std::env::var("ZOUFANG_BENCH_IMPORT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let backends =
        std::env::var("ZOUFANG_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    println!("target: 100,000 households in under 120 s, memory not growing with the file\n");
    println!("| database | households | rows | run | seconds | households/s | peak MiB |");
    println!("|---|---:|---:|---|---:|---:|---:|");
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
            seed_regions(&url, dir.path()).await;
            let file = dir.path().join("national.csv");
            let rows = write_file(&file, count);
            for run in ["first", "again", "refused"] {
                let region = if run == "refused" { "652823" } else { "652822" };
                let (elapsed, peak) = import(&url, dir.path(), &file, region);
                verify(&url, dir.path(), count, rows, run).await;
                println!(
                    "| {backend} | {count} | {rows} | {run} | {:.1} | {:.0} | {:.1} |",
                    elapsed.as_secs_f64(),
                    count as f64 / elapsed.as_secs_f64(),
                    peak as f64 / (1024.0 * 1024.0)
                );
            }
            if let Some(name) = postgres {
                zoufang_e2e::drop_postgres(&name).await;
            }
        }
    }
}

/// Checks that the run went through: every household created on the first run, every one
/// left unchanged on the second, every row refused on the third (a file for another county),
/// and as many households stored as the file has.
async fn verify(url: &str, dir: &std::path::Path, count: usize, rows: usize, run: &str) {
    let state = zoufang_server::build_state(zoufang_e2e::settings(url, dir))
        .await
        .unwrap();
    let region = if run == "refused" { "652823" } else { "652822" };
    let runs = zoufang_server::store::imports::list(&state.db, region, 1)
        .await
        .unwrap();
    let last = &runs[0];
    assert_eq!(last.status, "DONE", "{last:?}");
    let expected = match run {
        "first" => (count as i64, 0),
        "again" => (0, count as i64),
        _ => (0, 0),
    };
    assert_eq!((last.created, last.unchanged), expected, "{last:?}");
    if run == "refused" {
        assert!(last.rejected >= rows as i64, "every row refused: {last:?}");
    }
    let stored = zoufang_server::store::imports::numbered_under(&state.db, "652822")
        .await
        .unwrap()
        .len();
    assert_eq!(stored, count, "households stored");
}

/// The county, its ten townships and their hundred villages.
async fn seed_regions(url: &str, dir: &std::path::Path) {
    let state = zoufang_server::build_state(zoufang_e2e::settings(url, dir))
        .await
        .unwrap();
    let model = |code: String, level: &str, parent: Option<String>| region::Model {
        name: format!("区划{code}"),
        code,
        level: level.into(),
        parent,
    };
    let mut regions = vec![model("652822".into(), "COUNTY", Some("6528".into()))];
    for t in 0..VILLAGES / 10 {
        regions.push(model(
            format!("652822{:03}", 100 + t),
            "TOWNSHIP",
            Some("652822".into()),
        ));
    }
    for v in 0..VILLAGES {
        let code = village(v);
        let parent = code[..9].to_owned();
        regions.push(model(code, "VILLAGE", Some(parent)));
    }
    zoufang_server::store::regions::insert_many(&state.db, regions)
        .await
        .unwrap();
}

/// `count` households of one to six members; returns the number of rows.
fn write_file(path: &std::path::Path, count: usize) -> usize {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"\xEF\xBB\xBF").unwrap();
    write!(out, "{}\r\n", NATIONAL_HEADERS.join(",")).unwrap();
    let relations = ["户主", "配偶", "之子", "之女", "之孙子", "父亲"];
    let sexes = ["男", "女", "男", "女", "男", "男"];
    let mut rows = 0;
    for n in 0..count {
        let members = 1 + (n * 7) % 6;
        let hh_type = if n % 3 == 0 { "脱贫户" } else { "一般户" };
        for m in 0..members {
            let id = id_number(1940 + ((n + m) % 60) as i32, ((n * 6 + m) % 1000) as u16);
            write!(
                out,
                "H{n:07},{},{hh_type},139{n:08},成员{n}之{m},{},{id},{},维吾尔族\r\n",
                village(n % VILLAGES),
                sexes[m],
                relations[m]
            )
            .unwrap();
            rows += 1;
        }
    }
    out.flush().unwrap();
    rows
}

/// Runs `zoufang import households` for `region` as its own process; returns its time and
/// peak memory.
fn import(
    url: &str,
    dir: &std::path::Path,
    file: &std::path::Path,
    region: &str,
) -> (Duration, u64) {
    let args = [
        "import",
        "households",
        file.to_str().unwrap(),
        "--region",
        region,
    ];
    zoufang_e2e::load::run_cli_measured(url, dir, &args)
}
