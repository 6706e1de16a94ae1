//! Household merges per second through `POST /api/v1/sync`, on SQLite and PostgreSQL: a
//! 300-household village uploaded in one batch (the server's document cache cold, then
//! warm), and the same households synced one per request. The server runs in this process on port 0; time is measured around the HTTP
//! requests only.
//!
//! Run: `cargo bench -p zoufang-e2e --bench server_sync`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use std::time::{Duration, Instant};
use zoufang_e2e::fleet::tablets::FIELDS;
use zoufang_e2e::{Backend, TestApp};
use zoufang_schemas::RegionCode;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_server::services::documents;
use zoufang_sync::DocPath;
use zoufang_sync::codec::encode;

const VILLAGE: &str = "652822100203";
const HOUSEHOLDS: usize = 300;
fn edit(tablet: &mut zoufang_e2e::HttpTablet, id: &DocId, round: usize) {
    for (i, field) in FIELDS.iter().enumerate() {
        let path = DocPath::parse(field).unwrap();
        let value = match i {
            2..=5 | 8 | 9 => serde_json::json!((round * 100 + i) as f64),
            _ => serde_json::json!(format!("{field}-{round}")),
        };
        tablet
            .tablet
            .edit(id, (round * 10 + i) as i64, |e| e.put(&path, &value))
            .unwrap();
    }
}

async fn upload(tablet: &mut zoufang_e2e::HttpTablet) -> Duration {
    let (request, held) = tablet.tablet.request();
    let bytes = encode(&request);
    let started = Instant::now();
    let (status, reply) = tablet.post_sync(bytes).await;
    let elapsed = started.elapsed();
    assert_eq!(status, 200);
    tablet.tablet.receive(&request, &held, &reply).unwrap();
    elapsed
}

/// Several tablets of different villages upload a 300-household batch each, at once.
async fn measure_concurrent(backend: Backend, tablets: usize) -> Option<f64> {
    let app = TestApp::spawn(backend).await?;
    let mut rng = SampleRng::new(8);
    let mut fleet = Vec::new();
    for t in 0..tablets {
        let code = RegionCode::parse(&format!("65282210{t}201")).unwrap();
        let mut ids = Vec::new();
        for _ in 0..HOUSEHOLDS {
            let id = DocId(*uuid::Uuid::new_v4().as_bytes());
            documents::create_household(
                &app.state,
                &app.state.db,
                &id,
                &household(&mut rng, &code),
            )
            .await
            .unwrap();
            ids.push(id);
        }
        let name = format!("bench{t}");
        zoufang_server::services::accounts::add_user(
            &app.state,
            "bench",
            &name,
            zoufang_e2e::PASSWORD,
            zoufang_schemas::Role::Helper,
            &code,
        )
        .await
        .unwrap();
        let mut tablet = app.tablet(&name).await;
        tablet.sync().await.unwrap();
        for id in &ids {
            edit(&mut tablet, id, 1);
        }
        fleet.push(tablet);
    }
    let bodies: Vec<Vec<u8>> = fleet
        .iter()
        .map(|t| encode(&t.tablet.request().0))
        .collect();
    let started = Instant::now();
    let replies =
        futures_util::future::join_all(fleet.iter().zip(bodies).map(|(t, body)| t.post_sync(body)))
            .await;
    let elapsed = started.elapsed();
    assert!(replies.iter().all(|(status, _)| *status == 200));
    app.teardown().await;
    Some((tablets * HOUSEHOLDS) as f64 / elapsed.as_secs_f64())
}

async fn measure(backend: Backend) -> Option<Rates> {
    let app = TestApp::spawn(backend).await?;
    let code = RegionCode::parse(VILLAGE).unwrap();
    let mut rng = SampleRng::new(7);
    let mut ids = Vec::new();
    for _ in 0..HOUSEHOLDS {
        let id = DocId(*uuid::Uuid::new_v4().as_bytes());
        documents::create_household(&app.state, &app.state.db, &id, &household(&mut rng, &code))
            .await
            .unwrap();
        ids.push(id);
    }
    zoufang_server::services::accounts::add_user(
        &app.state,
        "bench",
        "bench",
        zoufang_e2e::PASSWORD,
        zoufang_schemas::Role::Helper,
        &code,
    )
    .await
    .unwrap();
    let mut tablet = app.tablet("bench").await;
    tablet.sync().await.unwrap();

    // The first batch finds the server's document cache cold (the first download sent
    // stored snapshots without loading them); the next three find it warm.
    let mut batch = Vec::new();
    for round in 0..4 {
        for id in &ids {
            edit(&mut tablet, id, round);
        }
        batch.push(upload(&mut tablet).await);
    }
    let cold = batch.remove(0);
    let mut single = Duration::ZERO;
    for id in &ids {
        edit(&mut tablet, id, 9);
        single += upload(&mut tablet).await;
    }
    batch.sort();
    let rate = |d: Duration| HOUSEHOLDS as f64 / d.as_secs_f64();
    let rates = Rates {
        warm: rate(batch[1]),
        cold: rate(cold),
        single: rate(single),
    };
    app.teardown().await;
    Some(rates)
}

/// Households merged per second: a batch with the document cache warm (median of three)
/// and cold, and one household per request.
struct Rates {
    warm: f64,
    cold: f64,
    single: f64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!(
        "Changed households merged per second through POST /api/v1/sync ({HOUSEHOLDS} households, 10 field edits each)\n"
    );
    println!(
        "| database | one 300-household batch | same, document cache cold | 4 tablets' batches at once | one household per request | target |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, backend) in [
        ("SQLite", Backend::Sqlite),
        ("PostgreSQL", Backend::Postgres),
    ] {
        let concurrent = measure_concurrent(backend, 4).await;
        match (measure(backend).await, concurrent) {
            (Some(r), Some(concurrent)) => println!(
                "| {name} | {:.0}/s | {:.0}/s | {concurrent:.0}/s | {:.0}/s | {} |",
                r.warm,
                r.cold,
                r.single,
                if backend == Backend::Postgres {
                    "≥ 2000/s"
                } else {
                    "—"
                }
            ),
            _ => println!("| {name} | not measured: database unreachable | | | | |"),
        }
    }
}
