//! A fleet of simulated tablets against a real server process: the load generator
//! (`zoufang-load`), its benchmark and the short version the test suite runs. Each tablet
//! has its own login, device and village and syncs real edits (and now and then a photo);
//! an intruder mixes the trust boundary's hostile requests in at a low rate. The report
//! gives throughput, latency, errors by code, the server's CPU and peak memory, bytes per
//! household on the wire, and whether every acknowledged change is still there afterwards.

pub mod chaos;
pub mod checks;
pub mod hostile_mix;
pub mod node;
pub mod photos;
pub mod seed;
pub mod tablets;

use crate::Backend;
use crate::load::{Exchange, processes_cpu, quantile};
use hostile_mix::{HostileOutcome, StoredPhotos};
use node::{Node, NodeSpec};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use tablets::{FleetTablet, LoginStorm, Pace, Run};

/// What a fleet run does.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Honest tablets (each its own helper, device and village).
    pub tablets: usize,
    /// Households per village.
    pub households: usize,
    /// How long the tablets edit and sync.
    pub duration: Duration,
    /// A photo every this many rounds per tablet (0: none).
    pub photo_every: u64,
    /// A hostile request this often.
    pub hostile_every: Duration,
    /// What a tablet waits between a reply and its next edit (zero: back to back).
    pub pause: Duration,
}

/// What a fleet run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The run's configuration.
    pub config: FleetConfig,
    /// Everyone logging in at once.
    pub login: LoginStorm,
    /// The first sync of every tablet: households, bytes on the wire, bytes decompressed.
    pub first_download: (usize, usize, usize),
    /// Households acknowledged.
    pub merges: usize,
    /// How long the tablets ran.
    pub elapsed: Duration,
    /// Sync latencies, sorted.
    pub latencies: Vec<Duration>,
    /// Errors of the honest tablets by code.
    pub errors: BTreeMap<String, usize>,
    /// Photos uploaded and referenced.
    pub photos: usize,
    /// Bytes on the wire of the edit syncs (up, down).
    pub edit_bytes: (usize, usize),
    /// The intruder's attempts.
    pub hostile: HostileOutcome,
    /// The server process's CPU during the run.
    pub server_cpu: Duration,
    /// PostgreSQL's processes' CPU during the run.
    pub database_cpu: Duration,
    /// The server's peak resident memory.
    pub server_peak: u64,
    /// Acknowledged changes the server no longer has.
    pub lost: usize,
    /// `zoufang audit verify` passed afterwards.
    pub audit_intact: bool,
}

/// A database for a run: SQLite in `dir` or a fresh PostgreSQL database (`None` when
/// PostgreSQL is unreachable outside CI).
pub async fn database(backend: Backend, dir: &Path) -> Option<(String, Option<String>)> {
    match backend {
        Backend::Sqlite => Some((
            format!("sqlite://{}?mode=rwc", dir.join("zoufang.db").display()),
            None,
        )),
        Backend::Postgres => {
            let (url, name) = crate::fresh_postgres().await?;
            Some((url, Some(name)))
        }
    }
}

/// Runs a fleet against a node started from `binary` (the `zoufang-node` command line) on a
/// fresh database; `None` when PostgreSQL is unreachable outside CI.
pub async fn run(
    binary: &Path,
    backend: Backend,
    config: &FleetConfig,
) -> anyhow::Result<Option<Report>> {
    let dir = tempfile::tempdir()?;
    let Some((url, postgres)) = database(backend, dir.path()).await else {
        return Ok(None);
    };
    let seeded = seed::seed(
        crate::settings(&url, dir.path()),
        config.tablets,
        config.households,
    )
    .await?;
    let mut node = Node::start(&NodeSpec::new(binary, dir.path(), &url))?;
    let outcome = drive_fleet(&node, &seeded, config, backend).await;
    node.kill();
    let report = match outcome {
        Ok((mut report, tablets)) => {
            let leans: Vec<_> = tablets.iter().map(|t| &t.lean).collect();
            report.lost = checks::lost_changes(&url, &leans).await?;
            report.audit_intact = audit_verifies(binary, dir.path(), &url);
            Ok(Some(report))
        }
        Err(err) => Err(err),
    };
    if let Some(name) = postgres {
        crate::drop_postgres(&name).await;
    }
    report
}

/// Logs in, connects and drives every tablet and the intruder; returns the report (without
/// the checks after the run) and the tablets.
async fn drive_fleet(
    node: &Node,
    seeded: &seed::Seeded,
    config: &FleetConfig,
    backend: Backend,
) -> anyhow::Result<(Report, Vec<FleetTablet>)> {
    // Replies are decompressed by the tablets themselves, so that the bytes on the wire
    // can be counted.
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(2))
        .no_gzip()
        .build()?;
    let address = node.address.clone();
    let (connected, intruder, login) = connect_fleet(&client, &address, seeded).await?;
    let first_download = connected.iter().fold((0, 0, 0), |acc, (t, first)| {
        (
            acc.0 + t.village.households.len(),
            acc.1 + first.bytes.1,
            acc.2 + first.reply_plain,
        )
    });
    let postgres = backend == Backend::Postgres;
    let database_before = database_cpu(postgres);
    let cpu_before = node.cpu();
    let started = Instant::now();
    let deadline = started + config.duration;
    let (hostile, runs) = start_driving(&client, &address, connected, intruder, config, deadline);
    let finished = futures_util::future::join_all(runs).await;
    let elapsed = started.elapsed();
    let hostile = hostile.await?;
    let mut report = Report {
        backend: if postgres { "postgres" } else { "sqlite" },
        config: config.clone(),
        login,
        first_download,
        merges: 0,
        elapsed,
        latencies: Vec::new(),
        errors: BTreeMap::new(),
        photos: 0,
        edit_bytes: (0, 0),
        hostile,
        server_cpu: node.cpu().saturating_sub(cpu_before),
        database_cpu: database_cpu(postgres).saturating_sub(database_before),
        server_peak: node.peak_memory(),
        lost: 0,
        audit_intact: false,
    };
    let mut tablets = Vec::new();
    for done in finished {
        let (tablet, run) = done?;
        report.add(run);
        tablets.push(tablet);
    }
    report.latencies.sort();
    Ok((report, tablets))
}

/// Sets the intruder and every tablet going until `deadline`.
fn start_driving(
    client: &reqwest::Client,
    address: &str,
    connected: Vec<(FleetTablet, Exchange)>,
    intruder: FleetTablet,
    config: &FleetConfig,
    deadline: Instant,
) -> (
    tokio::task::JoinHandle<HostileOutcome>,
    Vec<tokio::task::JoinHandle<(FleetTablet, Run)>>,
) {
    let stored: StoredPhotos = StoredPhotos::default();
    let foreign: Vec<_> = connected
        .iter()
        .filter_map(|(t, _)| t.village.households.first().copied())
        .collect();
    let at = address.to_owned();
    let hostile = tokio::spawn(hostile_mix::intrude(
        intruder.lean,
        client.clone(),
        move || at.clone(),
        foreign,
        stored.clone(),
        config.hostile_every,
        deadline,
    ));
    let runs = connected
        .into_iter()
        .enumerate()
        .map(|(number, (tablet, _))| {
            let at = address.to_owned();
            let pace = Pace {
                deadline,
                photo_every: config.photo_every,
                number,
                pause: config.pause,
            };
            tokio::spawn(tablets::drive(
                tablet,
                client.clone(),
                move || at.clone(),
                pace,
                stored.clone(),
            ))
        })
        .collect();
    (hostile, runs)
}

/// Logs every helper and the intruder in at once and connects their tablets; returns the
/// honest tablets with their first exchanges, the intruder's tablet and the login storm.
async fn connect_fleet(
    client: &reqwest::Client,
    address: &str,
    seeded: &seed::Seeded,
) -> anyhow::Result<(Vec<(FleetTablet, Exchange)>, FleetTablet, LoginStorm)> {
    let mut villages = seeded.villages.clone();
    villages.push(seeded.intruder.clone());
    let names: Vec<String> = villages.iter().map(|v| v.username.clone()).collect();
    let (tokens, login) = tablets::login_storm(client, address, &names).await;
    let connects = villages
        .into_iter()
        .zip(tokens)
        .map(|(village, token)| async move {
            let token =
                token.ok_or_else(|| anyhow::anyhow!("{} did not log in", village.username))?;
            tablets::connect(client, address, village, &token).await
        });
    let mut connected = futures_util::future::try_join_all(connects).await?;
    let (intruder, _) = connected
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no intruder"))?;
    Ok((connected, intruder, login))
}

/// CPU time of PostgreSQL's processes (zero on SQLite, which runs inside the server).
fn database_cpu(postgres: bool) -> Duration {
    if postgres {
        processes_cpu("postgres")
    } else {
        Duration::ZERO
    }
}

/// Runs `zoufang audit verify` on the database; `true` when the chain is intact.
pub fn audit_verifies(binary: &Path, data: &Path, url: &str) -> bool {
    std::process::Command::new(binary)
        .args(["--data", &data.display().to_string(), "audit", "verify"])
        .env("DATABASE_URL", url)
        .env("ZOUFANG__LOG__FILTER", "warn")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Report {
    /// Adds what one tablet did.
    fn add(&mut self, run: Run) {
        self.merges += run.merges;
        self.latencies.extend(run.latencies);
        self.photos += run.photos;
        self.edit_bytes.0 += run.bytes.0;
        self.edit_bytes.1 += run.bytes.1;
        for (code, n) in run.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }

    /// Acknowledged merges per second.
    pub fn merges_per_sec(&self) -> f64 {
        self.merges as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Sync latency at quantile `q`, in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        quantile(&self.latencies, q).as_secs_f64() * 1000.0
    }

    /// The report as the load generator prints it.
    pub fn print(&self) {
        let c = &self.config;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut logins = self.login.latencies.clone();
        logins.sort();
        let merges = self.merges.max(1) as f64;
        let (households, wire, plain) = self.first_download;
        let households = households.max(1) as f64;
        println!(
            "{}: {} tablets × {} households, {:.0} s, {} ms between a reply and the next edit, a photo every {} rounds, a hostile request every {} ms",
            self.backend,
            c.tablets,
            c.households,
            c.duration.as_secs_f64(),
            c.pause.as_millis(),
            c.photo_every,
            c.hostile_every.as_millis()
        );
        println!(
            "  login storm: {} at once, {} failed, all answered in {:.2} s (p50 {:.0} ms, p99 {:.0} ms){}",
            self.login.attempted,
            self.login.errors.values().sum::<usize>(),
            self.login.elapsed.as_secs_f64(),
            ms(quantile(&logins, 0.5)),
            ms(quantile(&logins, 0.99)),
            codes(&self.login.errors)
        );
        println!(
            "  first download: {:.0} bytes per household on the wire (gzip), {:.0} uncompressed",
            wire as f64 / households,
            plain as f64 / households
        );
        println!(
            "  syncs: {} households acknowledged, {:.0}/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; errors: {}; photos: {}",
            self.merges,
            self.merges_per_sec(),
            self.latency_ms(0.5),
            self.latency_ms(0.95),
            self.latency_ms(0.99),
            if self.errors.is_empty() {
                "0".into()
            } else {
                codes(&self.errors)
            },
            self.photos
        );
        println!(
            "  wire per edited household: {:.0} bytes up, {:.0} down",
            self.edit_bytes.0 as f64 / merges,
            self.edit_bytes.1 as f64 / merges
        );
        println!(
            "  hostile: {} sent {:?}, {} refused with their code; unexpected: {:?}",
            self.hostile.sent.values().sum::<usize>(),
            self.hostile.sent,
            self.hostile.refused,
            self.hostile.unexpected
        );
        println!(
            "  server: {:.3} ms CPU per merge (of which database {:.3}), peak memory {:.1} MiB",
            ms(self.server_cpu + self.database_cpu) / merges,
            ms(self.database_cpu) / merges,
            self.server_peak as f64 / (1024.0 * 1024.0)
        );
        println!(
            "  afterwards: {} acknowledged changes missing; audit chain {}",
            self.lost,
            if self.audit_intact {
                "intact"
            } else {
                "BROKEN"
            }
        );
    }
}

/// `code: n, …`.
fn codes(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(code, n)| format!("{code}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
