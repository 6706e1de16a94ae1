//! Peak memory of the `zoufang` server process (VmHWM, reset after the tablets have logged
//! in) while 50 tablets sync, with 10,000 and with
//! 100,000 households stored: the same 50 villages of 100 households are synced in both
//! runs; the rest of the households sit in other villages. Memory must not grow with the
//! number of stored households.
//!
//! Run: `cargo bench -p zoufang-e2e --bench server_memory` (it builds the release server
//! binary first). SQLite by default; `ZOUFANG_BENCH_DATABASE=postgres` for PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use sea_orm::TransactionTrait;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Instant;
use zoufang_e2e::{HttpTablet, fresh_postgres, settings};
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{RegionCode, Role};
use zoufang_server::services::{accounts, documents};
use zoufang_sync::DocPath;

const TABLETS: usize = 50;
const PER_VILLAGE: usize = 100;

fn village(n: usize) -> RegionCode {
    // County 652801…652829, township 100…, village 201…: unique 12-digit codes.
    let county = [
        "652801", "652822", "652823", "652824", "652825", "652826", "652827", "652828", "652829",
    ][n % 9];
    RegionCode::parse(&format!(
        "{county}{:03}{:03}",
        100 + (n / 9) % 900,
        201 + n / 8100
    ))
    .unwrap()
}

async fn seed(url: &str, dir: &std::path::Path, stored: usize) {
    let state = zoufang_server::build_state(settings(url, dir))
        .await
        .unwrap();
    let mut rng = SampleRng::new(1);
    let started = Instant::now();
    let villages = stored / PER_VILLAGE;
    for v in 0..villages {
        let code = village(v);
        let txn = state.db.begin().await.unwrap();
        for _ in 0..PER_VILLAGE {
            let id = DocId(*uuid::Uuid::new_v4().as_bytes());
            documents::create_household(&state, &txn, &id, &household(&mut rng, &code))
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
        if v < TABLETS {
            accounts::add_user(
                &state,
                "bench",
                &format!("helper{v}"),
                zoufang_e2e::PASSWORD,
                Role::Helper,
                &code,
            )
            .await
            .unwrap();
        }
    }
    eprintln!(
        "seeded {stored} households in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

async fn tablet(address: &str, name: &str) -> HttpTablet {
    let client = zoufang_e2e::http_client();
    let login: serde_json::Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": name, "password": zoufang_e2e::PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    HttpTablet::register(address, &token, zoufang_sync::automerge::ActorId::random()).await
}

async fn run(binary: &str, stored: usize, postgres: bool) -> Option<(u64, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg_name) = if postgres {
        let (url, name) = fresh_postgres().await?;
        (url, Some(name))
    } else {
        (
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("zoufang.db").display()
            ),
            None,
        )
    };
    seed(&url, dir.path(), stored).await;
    let mut child = Command::new(binary)
        .args([
            "--data",
            dir.path().to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("DATABASE_URL", &url)
        .env("ZOUFANG__AUTH__JWT_SECRET", "test-secret-for-e2e")
        .env("ZOUFANG__LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let line = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .find_map(|l| {
            l.ok()
                .and_then(|l| l.strip_prefix("zoufang listening on ").map(str::to_owned))
        });
    let address = line.unwrap();
    // Log in and register every tablet first, then measure the syncs alone: the peak is
    // reset once the tablets exist.
    let mut fleet = Vec::new();
    for t in 0..TABLETS {
        fleet.push(tablet(&address, &format!("helper{t}")).await);
    }
    std::fs::write(format!("/proc/{}/clear_refs", child.id()), "5").unwrap();
    let started = Instant::now();
    let mut handles = Vec::new();
    for mut tablet in fleet {
        handles.push(tokio::spawn(async move {
            let first = tablet.sync().await.unwrap();
            assert_eq!(first.docs_received, PER_VILLAGE);
            for id in tablet.tablet.doc_ids().into_iter().take(10) {
                tablet
                    .tablet
                    .edit(&id, 1, |e| {
                        e.put(&DocPath::parse("household.phone").unwrap(), &"13900000000")
                    })
                    .unwrap();
            }
            tablet.sync().await.unwrap();
            tablet.sync().await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let peak = peak_rss_kib(child.id());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    if let Some(name) = pg_name {
        zoufang_e2e::drop_postgres(&name).await;
    }
    Some((peak, elapsed))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "zoufang-server",
            "--bin",
            "zoufang",
        ])
        .status()
        .unwrap();
    assert!(built.success());
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
    let binary = format!("{target}/release/zoufang");
    let postgres = std::env::var("ZOUFANG_BENCH_DATABASE").is_ok_and(|v| v == "postgres");
    println!(
        "Peak resident memory (VmHWM) of `zoufang serve` while {TABLETS} tablets each download {PER_VILLAGE} households, edit 10 and sync twice ({})\n",
        if postgres { "PostgreSQL" } else { "SQLite" }
    );
    println!("| households stored | peak server memory | wall time of the 50 syncs |");
    println!("|---:|---:|---:|");
    let mut peaks = Vec::new();
    for stored in [10_000, 100_000] {
        if let Some((peak, elapsed)) = run(&binary, stored, postgres).await {
            println!(
                "| {stored} | {:.1} MiB | {elapsed:.1} s |",
                peak as f64 / 1024.0
            );
            peaks.push(peak);
        }
    }
    if let [small, large] = peaks[..] {
        println!(
            "\nGrowth from 10,000 to 100,000 stored households: {:+.1} %",
            (large as f64 / small as f64 - 1.0) * 100.0
        );
    }
}
