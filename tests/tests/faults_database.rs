//! PostgreSQL stopped and started again underneath a running server: while it is away
//! every request that needs it is answered 503 `database-unreachable` (with Retry-After),
//! the server keeps running, and once it is back the same tablet's sync goes through with
//! nothing lost, without restarting Zoufang.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::Path;
use std::time::{Duration, Instant};
use zoufang_e2e::fleet::node::{Node, NodeSpec};
use zoufang_e2e::fleet::{self, checks, seed, tablets};
use zoufang_e2e::private_postgres::PrivatePostgres;
use zoufang_sync::DocPath;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_underneath_gives_clear_503s_and_the_server_recovers_by_itself() {
    let Some(postgres) = tokio::task::block_in_place(PrivatePostgres::start) else {
        return;
    };
    let url = postgres.url();
    let dir = tempfile::tempdir().unwrap();
    let seeded = seed::seed(zoufang_e2e::settings(&url, dir.path()), 1, 3)
        .await
        .unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_zoufang-node"));
    let spec = NodeSpec::new(binary, dir.path(), &url)
        .with("ZOUFANG__DATABASE__ACQUIRE_TIMEOUT_SECS", "2");
    let mut node = Node::start(&spec).unwrap();
    let client = zoufang_e2e::http_client();
    let names = vec![seeded.villages[0].username.clone()];
    let (tokens, _) = tablets::login_storm(&client, &node.address, &names).await;
    let token = tokens[0].clone().unwrap();
    let (mut tablet, _) =
        tablets::connect(&client, &node.address, seeded.villages[0].clone(), &token)
            .await
            .unwrap();
    let household = tablet.lean.households()[0];
    let phone = DocPath::parse("household.phone").unwrap();

    tokio::task::block_in_place(|| postgres.stop());
    tablet
        .lean
        .edit_with(&household, 1_800_000_000, |e| e.put(&phone, &"13912345678"));
    let request = tablet.lean.request(false);
    let began = Instant::now();
    let away = tablet.lean.exchange(&client, &node.address, request).await;
    assert_eq!(
        (away.status, away.errors.clone()),
        (503, vec!["database-unreachable".to_owned()])
    );
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "answered within the acquire timeout"
    );
    let ready = client
        .get(format!("{}/readyz", node.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let login = client
        .post(format!("{}/api/v1/auth/login", node.address))
        .json(&serde_json::json!({ "username": names[0], "password": zoufang_e2e::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 503);
    assert_eq!(login.headers()["retry-after"], "5");
    let body: serde_json::Value = login.json().await.unwrap();
    assert_eq!(body["code"], "database-unreachable");
    assert!(
        node.running(),
        "the server keeps running while the database is away"
    );

    tokio::task::block_in_place(|| postgres.start_again());
    let back = tablet
        .lean
        .sync_until_answered(&client, &node.address, Duration::from_secs(30))
        .await;
    assert_eq!(
        (back.status, back.acknowledged),
        (200, 1),
        "{:?}",
        back.errors
    );
    assert_eq!(
        checks::lost_changes(&url, &[&tablet.lean]).await.unwrap(),
        0
    );
    let ready = client
        .get(format!("{}/readyz", node.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    node.kill();
    assert!(fleet::audit_verifies(binary, dir.path(), &url));
}
