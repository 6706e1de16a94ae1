//! Typed, layered configuration: defaults → optional TOML file → `ZOUFANG__SECTION__KEY`
//! environment variables (and `DATABASE_URL`). Secrets are redacted in `Debug`.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret string that never prints.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether unset.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "Secret(unset)"
        } else {
            "Secret(***)"
        })
    }
}

/// Everything the server can be configured with.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Folder for the embedded database and keys.
    pub data_dir: PathBuf,
    /// HTTP listener.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Tokens.
    pub auth: AuthSettings,
    /// Sync limits and caches.
    pub sync: SyncSettings,
    /// Photo evidence.
    pub photos: PhotoSettings,
    /// Logging.
    pub log: LogSettings,
    /// Metrics.
    pub telemetry: TelemetrySettings,
    /// Imports, department uploads and the monthly risk-clue deadlines.
    pub workflow: WorkflowSettings,
}

/// Imports, department uploads and the plan's monthly deadlines.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowSettings {
    /// Largest file an import or a department upload takes, in bytes.
    pub max_file_bytes: u64,
    /// Day of the month by which departments push their risk clues.
    pub clue_push_day: u32,
    /// Day of the month by which townships verify the month's clues.
    pub clue_verify_day: u32,
    /// Day of the month by which the county reports the month's verified clues.
    pub clue_report_day: u32,
    /// Seconds between the passes that flag households for identification.
    pub flag_scan_secs: u64,
    /// Days of public notice after a household is nominated for risk elimination (at
    /// least five).
    pub elimination_notice_days: u32,
    /// Weekdays off (`YYYY-MM-DD`) for the reports' working-day deadlines.
    pub holidays: Vec<String>,
    /// Weekend days worked instead (调休), `YYYY-MM-DD`.
    pub workdays: Vec<String>,
    /// Monitoring thresholds used for a year no national row is stored for.
    pub thresholds: ThresholdDefaults,
}

/// The national defaults of the monitoring thresholds, in yuan: what a year falls back to
/// when neither its county, its prefecture nor the national row sets one.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct ThresholdDefaults {
    /// Per-capita net income below which a household is flagged.
    pub income: f64,
    /// Compliant out-of-pocket medical spending from which a 脱贫户 is flagged.
    pub medical_lifted: f64,
    /// The same for every other household.
    pub medical_other: f64,
    /// Net education cost above which a household is flagged.
    pub education: f64,
}

/// Metrics settings.
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// Bearer token a Prometheus scraper sends for `/metrics` (admins' access tokens work
    /// too); empty: admins only.
    pub metrics_token: Secret,
}

/// HTTP listener settings.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: String,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Take the client's address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// HTTP worker threads; 0: one per core.
    pub workers: usize,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `postgres://…` or `sqlite://…`; empty means SQLite under the data folder.
    pub url: Secret,
    /// Connection pool size.
    pub max_connections: u32,
    /// How long a request waits for a connection (also while the database is away) before
    /// it is answered 503 `database-unreachable`.
    pub acquire_timeout_secs: u64,
}

/// Token settings.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HMAC key for access tokens; empty means a key kept in the data folder.
    pub jwt_secret: Secret,
    /// Key id put in token headers.
    pub key_id: String,
    /// Access token lifetime.
    pub access_ttl_secs: i64,
    /// Refresh token lifetime.
    pub refresh_ttl_secs: i64,
    /// Login throttling.
    pub throttle: ThrottleSettings,
}

/// Login throttling: after the free failures, each failure doubles the wait before the
/// next attempt (answered 429 with `Retry-After` meanwhile).
#[derive(Debug, Clone, Deserialize)]
pub struct ThrottleSettings {
    /// Failed logins of one account without a wait.
    pub account_free_failures: i32,
    /// Failed logins from one address without a wait (a village office shares one).
    pub address_free_failures: i32,
    /// The first wait, in seconds.
    pub base_delay_secs: i64,
    /// The longest wait, in seconds.
    pub max_delay_secs: i64,
    /// Failures older than this are forgotten, in seconds.
    pub forget_after_secs: i64,
}

/// Sync limits and caches.
#[derive(Debug, Clone, Deserialize)]
pub struct SyncSettings {
    /// Largest accepted request body (after decompression).
    pub max_body_bytes: usize,
    /// Documents kept loaded in memory.
    pub cache_documents: usize,
    /// Changes after which a document's log is folded into a new snapshot.
    pub compact_after_changes: i32,
    /// Seconds between compaction passes.
    pub compact_every_secs: u64,
    /// Updates of documents outside the sender's scope answered one by one; a request with
    /// more is refused whole (`scope-exceeded`).
    pub max_out_of_scope_updates: usize,
}

/// Photo uploads, checks and storage.
#[derive(Debug, Clone, Deserialize)]
pub struct PhotoSettings {
    /// Largest photo accepted, in bytes.
    pub max_bytes: u64,
    /// Largest upload chunk, in bytes.
    pub max_chunk_bytes: usize,
    /// Most pixels (width × height) a photo may have.
    pub max_pixels: u64,
    /// Most memory a decoder may allocate, in bytes.
    pub max_decode_bytes: u64,
    /// Bytes one user's unfinished uploads may hold.
    pub max_staged_bytes_per_user: u64,
    /// Seconds after which an unfinished upload that received nothing is forgotten.
    pub upload_expiry_secs: i64,
    /// `local` (under `data_dir/blobs`) or `s3`.
    pub storage: String,
    /// The S3-compatible object store, when `storage = "s3"`.
    pub s3: S3Settings,
}

/// An S3-compatible object store (AWS, MinIO, Ceph RGW, a government cloud's OSS).
#[derive(Debug, Clone, Deserialize)]
pub struct S3Settings {
    /// Bucket.
    pub bucket: String,
    /// Endpoint URL; empty for AWS itself.
    pub endpoint: String,
    /// Region.
    pub region: String,
    /// Access key id.
    pub access_key_id: Secret,
    /// Secret access key.
    pub secret_access_key: Secret,
    /// Allow plain HTTP (a store inside the local network).
    pub allow_http: bool,
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// JSON lines instead of text.
    pub json: bool,
    /// `tracing` filter, e.g. `info,zoufang_server=debug`.
    pub filter: String,
}

const DEFAULTS: &str = r#"
data_dir = "./data"
[server]
listen = "127.0.0.1:8080"
shutdown_timeout_secs = 30
trust_forwarded_for = false
workers = 0
[database]
url = ""
max_connections = 8
acquire_timeout_secs = 5
[auth]
jwt_secret = ""
key_id = "k1"
access_ttl_secs = 900
refresh_ttl_secs = 2592000
[auth.throttle]
account_free_failures = 5
address_free_failures = 30
base_delay_secs = 1
max_delay_secs = 900
forget_after_secs = 3600
[sync]
max_body_bytes = 33554432
cache_documents = 2000
compact_after_changes = 200
compact_every_secs = 300
max_out_of_scope_updates = 16
[photos]
max_bytes = 31457280
max_chunk_bytes = 1048576
max_pixels = 50000000
max_decode_bytes = 536870912
max_staged_bytes_per_user = 268435456
upload_expiry_secs = 1209600
storage = "local"
[photos.s3]
bucket = ""
endpoint = ""
region = "us-east-1"
access_key_id = ""
secret_access_key = ""
allow_http = false
[telemetry]
metrics_token = ""
[workflow]
max_file_bytes = 536870912
clue_push_day = 5
clue_verify_day = 20
clue_report_day = 25
flag_scan_secs = 3600
elimination_notice_days = 5
holidays = []
workdays = []
[workflow.thresholds]
income = 6000.0
medical_lifted = 5000.0
medical_other = 20000.0
education = 10000.0
[log]
json = false
filter = "info"
"#;

impl Settings {
    /// Loads defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("ZOUFANG")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        builder.build()?.try_deserialize()
    }

    /// The database URL to use: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("zoufang.db").display()
            )
        } else {
            self.database.url.expose().to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_sqlite_in_the_data_folder_and_hide_secrets() {
        let settings = Settings::load(None).unwrap();
        assert_eq!(settings.server.listen, "127.0.0.1:8080");
        assert!(settings.database_url().starts_with("sqlite://"));
        let shown = format!(
            "{:?}",
            Settings {
                auth: AuthSettings {
                    jwt_secret: Secret::new("hunter2"),
                    ..settings.auth.clone()
                },
                ..settings
            }
        );
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("Secret(***)"));
    }

    #[test]
    fn a_file_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("zoufang-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("zoufang.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"0.0.0.0:9000\"\n[sync]\ncache_documents = 5\n",
        )
        .unwrap();
        let settings = Settings::load(Some(&file)).unwrap();
        assert_eq!(settings.server.listen, "0.0.0.0:9000");
        assert_eq!(settings.sync.cache_documents, 5);
        assert_eq!(settings.auth.key_id, "k1");
    }
}
