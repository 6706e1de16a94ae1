//! A full disk and a data folder that turns read-only underneath a running server (a
//! tmpfs holding the SQLite database and the photos): writes are refused with a clear code
//! (507 `storage-full`), nothing is corrupted, and once there is room again the same
//! requests go through on the same server with nothing lost.
//! A server started on a read-only data folder stops at once, saying so. (A folder turning
//! read-only under a running server cannot be staged here: Linux refuses to remount a
//! filesystem read-only while files on it are open for writing.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ConnectionTrait, Statement};
use std::path::Path;
use std::time::{Duration, Instant};
use zoufang_e2e::fleet::node::{Node, NodeSpec};
use zoufang_e2e::fleet::tablets::{self, FleetTablet};
use zoufang_e2e::fleet::{self, checks, photos, seed};
use zoufang_e2e::load::Exchange;
use zoufang_e2e::tmpfs::Tmpfs;
use zoufang_sync::DocPath;

struct Site {
    node: Node,
    tablet: FleetTablet,
    client: reqwest::Client,
    url: String,
    binary: &'static Path,
}

/// A server on a 24 MiB tmpfs at `data` with one connected tablet.
async fn site(data: &Path) -> Site {
    let url = format!("sqlite://{}?mode=rwc", data.join("zoufang.db").display());
    let seeded = seed::seed(zoufang_e2e::settings(&url, data), 1, 3)
        .await
        .unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_zoufang-node"));
    let node = Node::start(&NodeSpec::new(binary, data, &url)).unwrap();
    let client = zoufang_e2e::http_client();
    let (tokens, _) = tablets::login_storm(
        &client,
        &node.address,
        &[seeded.villages[0].username.clone()],
    )
    .await;
    let (tablet, _) = tablets::connect(
        &client,
        &node.address,
        seeded.villages[0].clone(),
        tokens[0].as_ref().unwrap(),
    )
    .await
    .unwrap();
    Site {
        node,
        tablet,
        client,
        url,
        binary,
    }
}

impl Site {
    async fn edit_and_sync(&mut self, round: u64) -> Exchange {
        let household = self.tablet.lean.households()[0];
        let phone = DocPath::parse("household.address").unwrap();
        self.tablet
            .lean
            .edit_with(&household, 1_800_000_000 + round as i64, |e| {
                e.put(&phone, &format!("{}号 {}", round, "x".repeat(150)))
            });
        self.sync().await
    }

    async fn sync(&mut self) -> Exchange {
        let request = self.tablet.lean.request(false);
        self.tablet
            .lean
            .exchange(&self.client, &self.node.address, request)
            .await
    }

    /// Uploads a photo of 640×480 noisy pixels; the status and code of a refusal.
    async fn upload(&self, seed: u32) -> (u16, String) {
        let bytes = zoufang_e2e::images::jpeg(640, 480, seed);
        match photos::upload(
            &self.client,
            &self.node.address,
            &self.tablet.lean,
            &bytes,
            usize::MAX,
        )
        .await
        {
            Ok(_) => (200, String::new()),
            Err(refused) => (refused.status, refused.code),
        }
    }

    /// Stops the server and checks the database, the photos and the audit chain.
    async fn check_intact(mut self, data: &Path) {
        assert_eq!(
            checks::lost_changes(&self.url, &[&self.tablet.lean])
                .await
                .unwrap(),
            0
        );
        assert!(
            checks::broken_photos(&self.url, &zoufang_e2e::settings(&self.url, data))
                .await
                .unwrap()
                .is_empty()
        );
        self.node.kill();
        let db = zoufang_server::store::connect(&self.url, 1).await.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
        db.close().await.unwrap();
        assert!(fleet::audit_verifies(self.binary, data, &self.url));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_clearly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let Some(disk) = Tmpfs::mount(&data, 24) else {
        return;
    };
    let mut site = site(&data).await;
    assert_eq!(site.edit_and_sync(1).await.status, 200);
    assert_eq!(site.upload(1).await, (200, String::new()));
    let filler = disk.fill();
    // Writes fail once what the database had in hand is used up.
    let mut refused = None;
    for round in 2..200 {
        let done = site.edit_and_sync(round).await;
        if done.status != 200 {
            refused = Some((done.status, done.errors));
            break;
        }
    }
    assert_eq!(refused, Some((507, vec!["storage-full".to_owned()])));
    let (status, code) = site.upload(2).await;
    assert_eq!((status, code.as_str()), (507, "storage-full"));
    assert!(site.node.running());

    // Room again: the same server goes on.
    std::fs::remove_file(filler).unwrap();
    let back = site
        .tablet
        .lean
        .sync_until_answered(&site.client, &site.node.address, Duration::from_secs(10))
        .await;
    assert_eq!(
        (back.status, back.acknowledged),
        (200, 1),
        "{:?}",
        back.errors
    );
    assert_eq!(site.upload(2).await, (200, String::new()));
    site.check_intact(&data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_will_not_start_on_a_read_only_data_folder_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let Some(disk) = Tmpfs::mount(&data, 24) else {
        return;
    };
    let url = format!("sqlite://{}?mode=rwc", data.join("zoufang.db").display());
    seed::seed(zoufang_e2e::settings(&url, &data), 1, 2)
        .await
        .unwrap();
    disk.writable(false);
    let binary = Path::new(env!("CARGO_BIN_EXE_zoufang-node"));
    let mut server = std::process::Command::new(binary)
        .args([
            "--data",
            &data.display().to_string(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("DATABASE_URL", &url)
        .env("ZOUFANG__AUTH__JWT_SECRET", "fleet-shared-secret")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = server.kill();
    let output = server.wait_with_output().unwrap();
    assert!(!output.status.success(), "it stopped");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!(
            "the data folder {} is not writable",
            data.display()
        )),
        "{said}"
    );
    // Writable again, the same folder serves, its data intact.
    disk.writable(true);
    let mut node = Node::start(&NodeSpec::new(binary, &data, &url)).unwrap();
    node.kill();
    assert!(fleet::audit_verifies(binary, &data, &url));
}
