//! End-to-end test support: the real server on port 0 with a fresh database (SQLite in a
//! temporary folder, or a new PostgreSQL database on 127.0.0.1:5432), seeded accounts and
//! households, and tablets that sync over HTTP.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failure is a failed test

use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::net::TcpListener;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{RegionCode, Role};
use zoufang_server::services::{accounts, documents};
use zoufang_server::settings::Secret;
use zoufang_server::{AppState, Settings};
use zoufang_sync::automerge::ActorId;
use zoufang_sync::codec::encode;
use zoufang_sync::memory::{MemoryTablet, SyncStats};

pub mod balancer;
pub mod browser;
pub mod cli_tablet;
pub mod console;
pub mod fleet;
pub mod hostile;
pub mod images;
pub mod import_files;
pub mod load;
pub mod private_postgres;
pub mod proxy;
pub mod tmpfs;
pub mod workflows;

/// An HTTP client that never reuses a connection the server may be closing: idle
/// connections are dropped well before the server's keep-alive (5 s) ends them.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap()
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in a temporary folder.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// Runs an async test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($backend: $crate::Backend) $body
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run($crate::Backend::Postgres).await
                }
            }
        )*
    };
}

/// The PostgreSQL server tests use.
pub const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The password of every seeded account.
pub const PASSWORD: &str = "correct horse battery";

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The server's state (database, caches) for direct checks.
    pub state: AppState,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// Households of village 652822100201.
    pub village_a: Vec<DocId>,
    /// Households of village 652822100202.
    pub village_b: Vec<DocId>,
    postgres_db: Option<String>,
    config: Settings,
    server: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

/// The first stored document (in key order): its key, id and version.
pub async fn first_document(db: &impl sea_orm::ConnectionTrait) -> (String, DocId, i64) {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT doc_id, version FROM documents ORDER BY doc_id LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let key: String = row.try_get("", "doc_id").unwrap();
    let version: i64 = row.try_get("", "version").unwrap();
    let id = DocId::parse(&key).unwrap();
    (key, id, version)
}

/// What a test does when something it needs is missing: under CI (`CI=true`) it fails;
/// elsewhere it says loudly that it (or its half) did not run, and the caller returns.
pub fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("required under CI: {what}");
    }
    eprintln!("\n!!!!! {what}: this test (or this half of it) DID NOT RUN.\n");
    None
}

/// A fresh PostgreSQL database URL, or `None` (loudly) when PostgreSQL is not reachable
/// outside CI. Under CI (`CI=true`) an unreachable PostgreSQL fails the test.
pub async fn fresh_postgres() -> Option<(String, String)> {
    let admin = match Database::connect(POSTGRES_ADMIN_URL).await {
        Ok(db) => db,
        Err(err) => return missing(&format!("PostgreSQL at 127.0.0.1:5432 ({err})")),
    };
    let name = format!("zoufang_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    Some((format!("postgres://postgres@127.0.0.1:5432/{name}"), name))
}

/// A fresh database of `backend`: its URL, its PostgreSQL name (to drop) and the temporary
/// folder that holds the SQLite file (and whatever else the test keeps there).
pub async fn fresh_database(
    backend: Backend,
) -> Option<(String, Option<String>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            Some((url, None, dir))
        }
        Backend::Postgres => {
            let (url, name) = fresh_postgres().await?;
            Some((url, Some(name), dir))
        }
    }
}

/// A statement written with PostgreSQL's numbered parameters, as `backend` takes it (`?` on
/// SQLite, where parameters bind in order).
pub fn bound<const N: usize>(
    backend: sea_orm::DbBackend,
    postgres: &str,
    values: [sea_orm::Value; N],
) -> sea_orm::Statement {
    let sql = match backend {
        sea_orm::DbBackend::Postgres => postgres.to_owned(),
        _ => (1..=N).rev().fold(postgres.to_owned(), |sql, n| {
            sql.replace(&format!("${n}"), "?")
        }),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Drops a test database.
pub async fn drop_postgres(name: &str) {
    if let Ok(admin) = Database::connect(POSTGRES_ADMIN_URL).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

/// Test settings over a database URL and data folder.
pub fn settings(url: &str, dir: &std::path::Path) -> Settings {
    let mut settings = Settings::load(None).unwrap();
    settings.data_dir = dir.to_path_buf();
    settings.database.url = Secret::new(url);
    settings.database.max_connections = 5;
    settings.auth.jwt_secret = Secret::new("test-secret-for-e2e");
    settings.sync.cache_documents = 2000;
    settings
}

impl TestApp {
    /// Starts a server on a fresh database with accounts and households; `None` only when
    /// PostgreSQL is unreachable outside CI.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings adjusted by `adjust`.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let (url, postgres_db, dir) = fresh_database(backend).await?;
        let mut config = settings(&url, dir.path());
        adjust(&mut config);
        let state = zoufang_server::build_state(config.clone()).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let server = zoufang_server::run(listener, state.clone()).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        let mut app = TestApp {
            address,
            state,
            client: http_client(),
            village_a: Vec::new(),
            village_b: Vec::new(),
            postgres_db,
            config,
            server: handle,
            _dir: dir,
        };
        app.seed().await;
        Some(app)
    }

    /// The URL of the test's database.
    pub fn database_url(&self) -> String {
        self.config.database_url()
    }

    /// Stops the server at once, as a killed process would: requests in flight are dropped
    /// and their transactions roll back.
    pub async fn kill(&mut self) {
        self.server.stop(false).await;
        // Connections opened on the stopped server's workers die with them: checks after
        // the kill read through a new pool.
        self.state.db = zoufang_server::store::connect(&self.config.database_url(), 2)
            .await
            .unwrap();
    }

    /// Starts a new server process-equivalent (fresh caches) on the same database and port.
    pub async fn restart(&mut self) {
        let state = zoufang_server::build_state(self.config.clone())
            .await
            .unwrap();
        let addr = self.address.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind(&addr).unwrap();
        let server = zoufang_server::run(listener, state.clone()).unwrap();
        self.server = server.handle();
        tokio::spawn(server);
        self.state = state;
    }

    async fn seed(&mut self) {
        let accounts: [(&str, Role, &str); 6] = [
            ("helper_a", Role::Helper, "652822100201"),
            ("helper_a2", Role::Helper, "652822100201"),
            ("helper_b", Role::Helper, "652822100202"),
            ("supervisor", Role::TownshipSupervisor, "652822100"),
            ("other_supervisor", Role::TownshipSupervisor, "652823100"),
            ("county", Role::CountyOfficer, "652822"),
        ];
        for (name, role, scope) in accounts {
            accounts::add_user(
                &self.state,
                "test",
                name,
                PASSWORD,
                role,
                &RegionCode::parse(scope).unwrap(),
            )
            .await
            .unwrap();
        }
        let regions = [
            ("652822", "轮台县", "COUNTY", Some("6528")),
            ("652822100", "轮台镇", "TOWNSHIP", Some("652822")),
            ("652822100201", "一村", "VILLAGE", Some("652822100")),
            ("652822100202", "二村", "VILLAGE", Some("652822100")),
            ("652823", "尉犁县", "COUNTY", Some("6528")),
            ("652823100", "尉犁镇", "TOWNSHIP", Some("652823")),
            ("652823100201", "尉犁一村", "VILLAGE", Some("652823100")),
        ];
        zoufang_server::store::regions::insert_many(
            &self.state.db,
            regions
                .iter()
                .map(
                    |(code, name, level, parent)| zoufang_server::store::entities::region::Model {
                        code: (*code).into(),
                        name: (*name).into(),
                        level: (*level).into(),
                        parent: parent.map(Into::into),
                    },
                )
                .collect(),
        )
        .await
        .unwrap();
        let mut rng = SampleRng::new(42);
        for (village, count) in [("652822100201", 3), ("652822100202", 2)] {
            let code = RegionCode::parse(village).unwrap();
            for _ in 0..count {
                let id = DocId(*uuid::Uuid::new_v4().as_bytes());
                documents::create_household(
                    &self.state,
                    &self.state.db,
                    &id,
                    &household(&mut rng, &code),
                )
                .await
                .unwrap();
                if village.ends_with("201") {
                    self.village_a.push(id)
                } else {
                    self.village_b.push(id)
                }
            }
        }
    }

    /// An absolute URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Logs in; returns the token response.
    pub async fn login(&self, username: &str) -> Value {
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login of {username}");
        response.json().await.unwrap()
    }

    /// An access token for `username`.
    pub async fn token(&self, username: &str) -> String {
        self.login(username).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// GET with a bearer token; returns status and JSON body.
    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POST JSON with a bearer token; returns status and JSON body.
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(self.client.post(self.url(path)), token, body)
            .await
    }

    /// PUT JSON with a bearer token; returns status and JSON body.
    pub async fn put(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(self.client.put(self.url(path)), token, body)
            .await
    }

    async fn send_json(
        &self,
        request: reqwest::RequestBuilder,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        let response = request.bearer_auth(token).json(body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A tablet of `username`, registered with a fresh actor.
    pub async fn tablet(&self, username: &str) -> HttpTablet {
        let actor = ActorId::random();
        self.tablet_with_actor(username, actor.clone(), actor).await
    }

    /// A tablet registered with `registered` that signs with `signs` (to test refusals).
    pub async fn tablet_with_actor(
        &self,
        username: &str,
        registered: ActorId,
        signs: ActorId,
    ) -> HttpTablet {
        let token = self.token(username).await;
        let registered = HttpTablet::register(&self.address, &token, registered).await;
        HttpTablet {
            tablet: MemoryTablet::new(registered.device_id(), signs),
            ..registered
        }
    }

    /// Stops using the database (drops a PostgreSQL test database).
    pub async fn teardown(self) {
        if let Some(name) = &self.postgres_db {
            let _ = self.state.db.clone().close().await;
            drop_postgres(name).await;
        }
    }
}

/// Why a sync failed.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncFailure {
    /// HTTP status.
    pub status: u16,
    /// The error code.
    pub code: String,
}

/// A tablet that syncs with the server over HTTP (the sync-core client over reqwest).
pub struct HttpTablet {
    /// The tablet's documents and sync state.
    pub tablet: MemoryTablet,
    /// Access token.
    pub token: String,
    address: String,
    client: reqwest::Client,
}

impl HttpTablet {
    /// Registers a device for the holder of `token` with `actor` and returns its tablet.
    pub async fn register(address: &str, token: &str, actor: ActorId) -> HttpTablet {
        let client = http_client();
        let response = client
            .post(format!("{address}/api/v1/devices"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "name": "平板", "actors": [actor.to_hex_string()] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let device: Value = response.json().await.unwrap();
        let device_id = device["id"].as_str().unwrap().to_owned();
        HttpTablet {
            tablet: MemoryTablet::new(&device_id, actor),
            token: token.to_owned(),
            address: address.to_owned(),
            client,
        }
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        &self.tablet.device
    }

    /// POSTs raw bytes to the sync endpoint.
    pub async fn post_sync(&self, body: Vec<u8>) -> (u16, Vec<u8>) {
        let response = self
            .client
            .post(format!("{}/api/v1/sync", self.address))
            .bearer_auth(&self.token)
            .header("x-zoufang-device", self.device_id())
            .header("content-type", "application/cbor")
            .body(body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.bytes().await.unwrap().to_vec(),
        )
    }

    /// Syncs until nothing more is needed.
    pub async fn sync(&mut self) -> Result<SyncStats, SyncFailure> {
        let mut stats = SyncStats::default();
        for _ in 0..4 {
            let (request, held) = self.tablet.request();
            let bytes = encode(&request);
            stats.bytes_up += bytes.len();
            stats.docs_sent += request.updates.len();
            let (status, body) = self.post_sync(bytes).await;
            if status != 200 {
                let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                return Err(SyncFailure {
                    status,
                    code: error["code"].as_str().unwrap_or_default().to_owned(),
                });
            }
            stats.bytes_down += body.len();
            stats.round_trips += 1;
            let (again, received) = self.tablet.receive(&request, &held, &body).unwrap();
            stats.docs_received += received;
            if !again {
                break;
            }
        }
        Ok(stats)
    }
}

/// The S3-compatible test server (`ZOUFANG_TEST_S3`, started by `scripts/test`) with a
/// fresh bucket; `None` (loudly) outside CI when it is not running. Under CI
/// (`CI=true`) a missing S3 server fails the test.
pub async fn fresh_s3_bucket() -> Option<(String, String)> {
    let endpoint = match std::env::var("ZOUFANG_TEST_S3") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => {
            return missing(
                "ZOUFANG_TEST_S3, the S3 test server (./scripts/test starts one and sets it)",
            );
        }
    };
    let bucket = format!("zoufang-test-{}", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "cannot create bucket: {}",
        response.status()
    );
    Some((endpoint, bucket))
}
