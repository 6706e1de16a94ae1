//! The server killed with SIGKILL at random points (seeded, repeatable) while two helpers
//! edit the same household, a third uploads a photo in chunks and a supervisor resolves
//! the conflicts, then started again: after every restart each change the server
//! acknowledged is stored, no photo is half-stored and the audit chain verifies; at the
//! end every tablet converges with the server.
//!
//! `ZOUFANG_FAULT_ROUNDS` (3) kills per database, `ZOUFANG_FAULT_SEED` (7) the seed:
//! `ZOUFANG_FAULT_ROUNDS=50 cargo nextest run -p zoufang-e2e --test faults_kill`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zoufang_e2e::fleet::chaos::{self, Tally};
use zoufang_e2e::fleet::node::{Node, NodeSpec};
use zoufang_e2e::fleet::{self, checks};
use zoufang_e2e::on_both_databases;
use zoufang_schemas::sample::SampleRng;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

on_both_databases! {
    async fn killed_at_random_points_the_server_loses_nothing_it_acknowledged(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let Some((url, postgres)) = fleet::database(backend, dir.path()).await else { return };
        let seeded = chaos::seed_crew(&url, dir.path()).await.unwrap();
        let binary = Path::new(env!("CARGO_BIN_EXE_zoufang-node"));
        let mut node = Node::start(&NodeSpec::new(binary, dir.path(), &url)).unwrap();
        let client = zoufang_e2e::http_client();
        let mut crew = chaos::connect_crew(&client, &node.address, &seeded).await.unwrap();
        let mut rng = SampleRng::new(setting("ZOUFANG_FAULT_SEED", 7));
        let mut tally = Tally::default();
        for round in 0..setting("ZOUFANG_FAULT_ROUNDS", 3) {
            let stop = Arc::new(AtomicBool::new(false));
            let work = tokio::spawn(crew.work(client.clone(), node.address.clone(), stop.clone()));
            tokio::time::sleep(Duration::from_millis(300 + rng.below(900))).await;
            tokio::task::block_in_place(|| node.kill());
            stop.store(true, Ordering::Relaxed);
            let (back, done) = work.await.unwrap();
            crew = back;
            tally.add(done);
            tokio::task::block_in_place(|| node.restart()).unwrap();
            let [a, b, c] = crew.tablets();
            let lost = checks::lost_changes(&url, &[&a.lean, &b.lean, &c.lean]).await.unwrap();
            assert_eq!(lost, 0, "round {round}: acknowledged changes are missing");
            let broken = checks::broken_photos(&url, &zoufang_e2e::settings(&url, dir.path())).await.unwrap();
            assert!(broken.is_empty(), "round {round}: {broken:?}");
            assert!(fleet::audit_verifies(binary, dir.path(), &url), "round {round}: the audit chain verifies");
        }
        println!("{tally:?}");
        assert!(tally.errors.is_empty(), "only cut-off requests failed: {:?}", tally.errors);
        assert!(tally.syncs > 0 && tally.photos > 0 && tally.resolved > 0, "{tally:?}");
        let diverged = checks::diverged(&client, &node.address, &url, &mut crew.tablets()).await.unwrap();
        assert!(diverged.is_empty(), "tablets converge: {diverged:?}");
        node.kill();
        if let Some(name) = postgres {
            zoufang_e2e::drop_postgres(&name).await;
        }
    }
}
