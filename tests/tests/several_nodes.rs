//! Three `zoufang serve` nodes on one PostgreSQL database and one S3-compatible photo store,
//! behind HAProxy: two helpers edit the same household and a third uploads photos in
//! chunks through the balancer (each request may land on another node), a supervisor
//! resolves conflicts, and one node is killed in the middle. Nothing acknowledged is lost,
//! every conflict is recorded once, an upload started on one node is finished on another,
//! tokens signed by one node are honoured by the others (the key is shared by
//! configuration), the tablets converge and the audit chain verifies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::EntityTrait;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zoufang_e2e::balancer::Balancer;
use zoufang_e2e::fleet::node::{Node, NodeSpec};
use zoufang_e2e::fleet::{self, chaos, checks};
use zoufang_server::store::entities::conflict;

/// A node's settings: the shared database, the shared bucket, its own data folder.
fn spec(binary: &Path, data: &Path, url: &str, endpoint: &str, bucket: &str) -> NodeSpec {
    NodeSpec::new(binary, data, url)
        .with("ZOUFANG__PHOTOS__STORAGE", "s3")
        .with("ZOUFANG__PHOTOS__S3__ENDPOINT", endpoint)
        .with("ZOUFANG__PHOTOS__S3__BUCKET", bucket)
        .with("ZOUFANG__PHOTOS__S3__ALLOW_HTTP", "true")
        .with("ZOUFANG__PHOTOS__S3__ACCESS_KEY_ID", "test")
        .with("ZOUFANG__PHOTOS__S3__SECRET_ACCESS_KEY", "test")
}

/// Sends `request` with the tablet's credentials; the status and JSON body.
async fn call(
    request: reqwest::RequestBuilder,
    token: &str,
    device: &str,
) -> (u16, serde_json::Value) {
    let response = request
        .bearer_auth(token)
        .header("x-zoufang-device", device)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_behind_a_balancer_lose_nothing_when_one_is_killed() {
    let Some((url, database)) = zoufang_e2e::fresh_postgres().await else {
        return;
    };
    let Some((endpoint, bucket)) = zoufang_e2e::fresh_s3_bucket().await else {
        return;
    };
    let seed_dir = tempfile::tempdir().unwrap();
    let seeded = chaos::seed_crew(&url, seed_dir.path()).await.unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_zoufang-node"));
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes: Vec<Node> = dirs
        .iter()
        .map(|d| Node::start(&spec(binary, d.path(), &url, &endpoint, &bucket)).unwrap())
        .collect();
    let addresses: Vec<String> = nodes.iter().map(|n| n.address.clone()).collect();
    let Some(balancer) = Balancer::start(&addresses) else {
        return;
    };
    let client = zoufang_e2e::http_client();
    let mut crew = chaos::connect_crew(&client, &balancer.address, &seeded)
        .await
        .unwrap();

    // An upload started on one node and finished on another; the photo read on a third.
    let photo = zoufang_e2e::images::jpeg(320, 240, 4242);
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&photo))
    };
    let (token, device) = (crew.c.lean.token.clone(), crew.c.lean.device.clone());
    let half = photo.len() / 2;
    let (status, _) = call(
        client
            .post(format!("{}/api/v1/photos/uploads", addresses[0]))
            .json(&serde_json::json!({ "hash": hash, "size": photo.len() })),
        &token,
        &device,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        client
            .put(format!(
                "{}/api/v1/photos/uploads/{hash}?offset=0",
                addresses[0]
            ))
            .body(photo[..half].to_vec()),
        &token,
        &device,
    )
    .await;
    assert_eq!(status, 200);
    let (status, at) = call(
        client.get(format!("{}/api/v1/photos/uploads/{hash}", addresses[2])),
        &token,
        &device,
    )
    .await;
    assert_eq!(
        (status, at["offset"].as_u64()),
        (200, Some(half as u64)),
        "the other node sees the staged half"
    );
    let (status, _) = call(
        client
            .put(format!(
                "{}/api/v1/photos/uploads/{hash}?offset={half}",
                addresses[2]
            ))
            .body(photo[half..].to_vec()),
        &token,
        &device,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        client.post(format!(
            "{}/api/v1/photos/uploads/{hash}/finish",
            addresses[2]
        )),
        &token,
        &device,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let original = client
        .get(format!("{}/api/v1/photos/{hash}/original", addresses[1]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(original.status(), 200);
    assert_eq!(
        original.bytes().await.unwrap().to_vec(),
        photo,
        "the third node serves the photo byte for byte"
    );

    // Work through the balancer; node 1 is killed in the middle.
    let stop = Arc::new(AtomicBool::new(false));
    let work = tokio::spawn(crew.work(client.clone(), balancer.address.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    tokio::task::block_in_place(|| nodes[1].kill());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, Ordering::Relaxed);
    let (back, tally) = work.await.unwrap();
    crew = back;
    println!("{tally:?}");
    assert!(tally.errors.is_empty(), "{:?}", tally.errors);
    assert!(
        tally.syncs > 0 && tally.photos > 0 && tally.resolved > 0,
        "{tally:?}"
    );

    let [a, b, c] = crew.tablets();
    assert_eq!(
        checks::lost_changes(&url, &[&a.lean, &b.lean, &c.lean])
            .await
            .unwrap(),
        0
    );
    let mut settings = zoufang_e2e::settings(&url, dirs[0].path());
    settings.photos.storage = "s3".into();
    settings.photos.s3.endpoint = endpoint.clone();
    settings.photos.s3.bucket = bucket.clone();
    settings.photos.s3.allow_http = true;
    settings.photos.s3.access_key_id = zoufang_server::settings::Secret::new("test");
    settings.photos.s3.secret_access_key = zoufang_server::settings::Secret::new("test");
    let broken = checks::broken_photos(&url, &settings).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let diverged = checks::diverged(&client, &balancer.address, &url, &mut crew.tablets())
        .await
        .unwrap();
    assert!(diverged.is_empty(), "{diverged:?}");

    // Each conflict once: never two open on one field, never the same candidates twice.
    let db = zoufang_server::store::connect(&url, 2).await.unwrap();
    let conflicts = conflict::Entity::find().all(&db).await.unwrap();
    assert!(!conflicts.is_empty());
    let mut open: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for c in &conflicts {
        if c.status == "OPEN" {
            *open.entry((c.doc_id.clone(), c.path.clone())).or_default() += 1;
        }
        *seen
            .entry((c.doc_id.clone(), c.path.clone(), c.candidates.clone()))
            .or_default() += 1;
    }
    assert!(open.values().all(|n| *n == 1), "{open:?}");
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    db.close().await.unwrap();

    drop(balancer);
    for node in &mut nodes {
        node.kill();
    }
    assert!(fleet::audit_verifies(binary, dirs[0].path(), &url));
    zoufang_e2e::drop_postgres(&database).await;
}
