//! The load generator: N simulated tablets (each its own login, device and village) log in
//! at once, download their villages, then sync real edits (a change of 10 field edits per
//! household, a housing photo every few rounds) against a real server process on loopback,
//! with an intruder's hostile requests mixed in; on SQLite and PostgreSQL. Prints
//! throughput, latency quantiles, errors by code, the server's CPU and peak memory, bytes
//! per household on the wire, and whether every acknowledged change is still stored and
//! the audit chain verifies afterwards.
//!
//! Run: `cargo bench -p zoufang-e2e --bench load`
//! Environment: `ZOUFANG_LOAD_TABLETS` (200), `ZOUFANG_LOAD_SECS` (300),
//! `ZOUFANG_LOAD_HOUSEHOLDS` (30 per village), `ZOUFANG_LOAD_PHOTO_EVERY` (20 rounds),
//! `ZOUFANG_LOAD_HOSTILE_MS` (500), `ZOUFANG_LOAD_PAUSE_MS` (0: each tablet syncs again as
//! soon as its reply arrives), `ZOUFANG_BENCH_BACKENDS` (`sqlite,postgres`),
//! `ZOUFANG_BENCH_NODES` (server binaries to compare, each run in turn; default: the one
//! built with this benchmark).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use std::time::Duration;
use zoufang_e2e::Backend;
use zoufang_e2e::fleet::{FleetConfig, run};

fn number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let config = FleetConfig {
        tablets: number("ZOUFANG_LOAD_TABLETS", 200) as usize,
        households: number("ZOUFANG_LOAD_HOUSEHOLDS", 30) as usize,
        duration: Duration::from_secs(number("ZOUFANG_LOAD_SECS", 300)),
        photo_every: number("ZOUFANG_LOAD_PHOTO_EVERY", 20),
        hostile_every: Duration::from_millis(number("ZOUFANG_LOAD_HOSTILE_MS", 500)),
        pause: Duration::from_millis(number("ZOUFANG_LOAD_PAUSE_MS", 0)),
    };
    let backends =
        std::env::var("ZOUFANG_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "target: {} tablets with zero errors and p99 sync latency < 1 s\n",
        config.tablets
    );
    let nodes = zoufang_e2e::load::bench_nodes(env!("CARGO_BIN_EXE_zoufang-node"));
    for backend in backends.split(',').map(str::trim) {
        let backend = if backend == "postgres" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        for binary in &nodes {
            if nodes.len() > 1 {
                println!("server: {}", binary.display());
            }
            match runtime.block_on(run(binary, backend, &config)).unwrap() {
                Some(report) => {
                    report.print();
                    let met = report.errors.is_empty()
                        && report.login.errors.is_empty()
                        && report.latency_ms(0.99) < 1000.0;
                    println!(
                        "  target (0 errors, p99 < 1,000 ms): {}\n",
                        if met { "met" } else { "NOT met" }
                    );
                }
                None => println!("{backend:?}: PostgreSQL unreachable, not measured\n"),
            }
        }
    }
}
