//! The lease several nodes share a deployment-wide duty by: the first to ask holds it and
//! keeps it by asking again; another takes it over only once it has run out; two asking at
//! once cannot both hold it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_server::store::leases::try_hold;

on_both_databases! {
    async fn a_lease_is_held_by_one_node_until_it_runs_out(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        assert!(try_hold(db, "duty", "node-a", 1_000, 120).await.unwrap(), "the first asks and holds");
        assert!(!try_hold(db, "duty", "node-b", 1_060, 120).await.unwrap(), "another waits while it runs");
        assert!(try_hold(db, "duty", "node-a", 1_100, 120).await.unwrap(), "the holder keeps it");
        assert!(!try_hold(db, "duty", "node-b", 1_220, 120).await.unwrap(), "kept until 1,220");
        assert!(try_hold(db, "duty", "node-b", 1_221, 120).await.unwrap(), "run out: taken over");
        assert!(!try_hold(db, "duty", "node-a", 1_222, 120).await.unwrap(), "the old holder lost it");
        assert!(try_hold(db, "other", "node-a", 1_222, 120).await.unwrap(), "each duty its own lease");

        // Many nodes asking at once for a free lease: exactly one holds it.
        let asks = (0..8).map(|n| {
            let db = db.clone();
            tokio::spawn(async move { try_hold(&db, "contended", &format!("node-{n}"), 5_000, 60).await.unwrap() })
        });
        let won = futures_util::future::join_all(asks).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
        assert_eq!(won, 1);
        app.teardown().await;
    }
}
