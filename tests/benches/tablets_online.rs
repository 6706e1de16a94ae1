//! Many tablets online at once, as a village office works: N tablets (separate users and
//! devices, each editing the households of its own village) loop "edit one household (one
//! change of 10 field edits) → sync it → wait for the reply" for a fixed time, and the same
//! with 30 households per request; on SQLite and PostgreSQL; with each device's scope 300
//! households (its village) and 30,000 (its township: 99 more villages of 300 it holds but
//! does not edit). The server runs as its own process (`zoufang-node serve`), so its CPU
//! time is its own; PostgreSQL's processes are added to it.
//!
//! Run: `cargo bench -p zoufang-e2e --bench tablets_online`
//! Environment: `ZOUFANG_BENCH_SECS` (30), `ZOUFANG_BENCH_TABLETS` (10),
//! `ZOUFANG_BENCH_SCOPES` (`300,30000`), `ZOUFANG_BENCH_BACKENDS` (`sqlite,postgres`; also
//! `postgres-tls`: PostgreSQL's connections over TLS, as sqlx's default `sslmode=prefer`
//! makes them wherever the server offers it — `postgres` connects over loopback without,
//! as a server next to its database would — and `postgres-socket`: over PostgreSQL's unix
//! socket, in `ZOUFANG_BENCH_PG_SOCKET`, `/var/run/postgresql` unless set),
//! `ZOUFANG_BENCH_BATCHES` (`1,30`), `ZOUFANG_BENCH_NODES` (server binaries to compare, each
//! case run against each in turn; default: the one built with this benchmark),
//! `ZOUFANG_BENCH_PROJECTED` (`1`: the tenth field edited is the per-capita net income, which
//! the household table holds, instead of the household's net income, which it does not).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use sea_orm::EntityTrait;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use zoufang_e2e::fleet::node::{Node, NodeSpec};
use zoufang_e2e::fleet::tablets::FIELDS;
use zoufang_e2e::load::{LeanTablet, peak_memory, process_cpu, processes_cpu, quantile};
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::{DocId, Head};
use zoufang_schemas::{RegionCode, Role};
use zoufang_server::services::{accounts, documents};
use zoufang_server::store::entities::{document, document_snapshot, region};
use zoufang_sync::DocPath;
use zoufang_sync::automerge::ActorId;

const VILLAGE_HOUSEHOLDS: usize = 300;

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One configuration of the run.
#[derive(Debug, Clone, Copy)]
struct Case {
    /// How the server reaches PostgreSQL; `None`: it works on SQLite.
    postgres: Option<Link>,
    scope: usize,
    batch: usize,
    tablets: usize,
    secs: u64,
}

/// How the server connects to PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// TCP over loopback, without TLS.
    Loopback,
    /// TCP over loopback, with TLS.
    Tls,
    /// PostgreSQL's unix socket.
    Socket,
}

/// What one configuration measured.
struct Figures {
    merges: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    errors: BTreeMap<String, usize>,
    server_cpu: Duration,
    database_cpu: Duration,
    /// The load generator's own CPU time (this process: the tablets' edits, encoding and
    /// HTTP), to tell how much of the machine's two cores the server could have had.
    client_cpu: Duration,
    peak_memory: u64,
    /// The server's own account of where a request's time went (its metrics over the
    /// measurement): mean milliseconds per sync phase and write turn step.
    phases: Vec<(String, f64)>,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run_all());
}

async fn run_all() {
    let secs = env_number("ZOUFANG_BENCH_SECS", 30);
    let tablets = env_number("ZOUFANG_BENCH_TABLETS", 10) as usize;
    println!(
        "{tablets} tablets, {secs} s each; targets: single ≥ 1,000 merges/s with p99 < 250 ms and ≤ 1 ms CPU per merge; 30 per request ≥ 3,000/s at ≤ 0.3 ms; ≤ 10 % slower at a scope of 30,000\n"
    );
    println!(
        "| database | scope | per request | merges/s | p50 ms | p95 ms | p99 ms | errors | server CPU/merge ms | of which database ms | load generator CPU/merge ms | server peak MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    let nodes = zoufang_e2e::load::bench_nodes(env!("CARGO_BIN_EXE_zoufang-node"));
    for backend in env_list("ZOUFANG_BENCH_BACKENDS", "sqlite,postgres") {
        for scope in env_list("ZOUFANG_BENCH_SCOPES", "300,30000") {
            for batch in env_list("ZOUFANG_BENCH_BATCHES", "1,30") {
                let postgres = match backend.as_str() {
                    "sqlite" => None,
                    "postgres" => Some(Link::Loopback),
                    "postgres-tls" => Some(Link::Tls),
                    "postgres-socket" => Some(Link::Socket),
                    other => panic!(
                        "unknown backend {other}: sqlite, postgres, postgres-tls or postgres-socket"
                    ),
                };
                let case = Case {
                    postgres,
                    scope: scope.parse().unwrap(),
                    batch: batch.parse().unwrap(),
                    tablets,
                    secs,
                };
                for node in &nodes {
                    let Some(figures) = measure(case, node).await else {
                        println!("| {backend} | PostgreSQL unreachable: not measured |");
                        continue;
                    };
                    let label = match nodes.len() {
                        1 => backend.clone(),
                        _ => format!("{backend} ({})", node.display()),
                    };
                    print_row(&label, case, &figures);
                }
            }
        }
    }
}

fn print_row(backend: &str, case: Case, f: &Figures) {
    let mut sorted = f.latencies.clone();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let merges = f.merges.max(1) as f64;
    let errors = if f.errors.is_empty() {
        "0".to_owned()
    } else {
        f.errors
            .iter()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "| {backend} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {errors} | {:.3} | {:.3} | {:.3} | {:.1} |",
        case.scope,
        case.batch,
        f.merges as f64 / f.elapsed.as_secs_f64(),
        ms(quantile(&sorted, 0.5)),
        ms(quantile(&sorted, 0.95)),
        ms(quantile(&sorted, 0.99)),
        ms(f.server_cpu + f.database_cpu) / merges,
        ms(f.database_cpu) / merges,
        ms(f.client_cpu) / merges,
        f.peak_memory as f64 / (1024.0 * 1024.0),
    );
    let phases: Vec<String> = f
        .phases
        .iter()
        .map(|(name, mean)| format!("{name} {mean:.2}"))
        .collect();
    eprintln!(
        "  where a request's time went (mean ms; writers per group): {}",
        phases.join(", ")
    );
}

async fn measure(case: Case, binary: &std::path::Path) -> Option<Figures> {
    let dir = tempfile::tempdir().unwrap();
    let backend = if case.postgres.is_some() {
        zoufang_e2e::Backend::Postgres
    } else {
        zoufang_e2e::Backend::Sqlite
    };
    let (url, postgres_db) = zoufang_e2e::fleet::database(backend, dir.path()).await?;
    let url = match case.postgres {
        None => url,
        Some(Link::Loopback) => format!("{url}?sslmode=disable"),
        Some(Link::Tls) => format!("{url}?sslmode=require"),
        Some(Link::Socket) => {
            let dir = std::env::var("ZOUFANG_BENCH_PG_SOCKET")
                .unwrap_or_else(|_| "/var/run/postgresql".to_owned());
            format!("{url}?host={dir}")
        }
    };
    let settings = zoufang_e2e::settings(&url, dir.path());
    let seeded = seed(case, settings).await;
    // The server as its own process, so that its CPU time is its own.
    let spec = NodeSpec::new(binary, dir.path(), &url)
        .with("ZOUFANG__SYNC__CACHE_DOCUMENTS", "4000")
        .with("ZOUFANG__LOG__FILTER", "info")
        .with("ZOUFANG__TELEMETRY__METRICS_TOKEN", METRICS_TOKEN);
    let mut server = Node::start(&spec).unwrap();
    let address = server.address.clone();
    let client = zoufang_e2e::http_client();
    let mut fleet = Vec::new();
    for (t, (own, others)) in seeded.into_iter().enumerate() {
        fleet.push(connect(&client, &address, t, &others, own).await);
    }
    analyze(&url).await;
    let pid = server.pid;
    let me = std::process::id();
    let (cpu_before, db_before, client_before) =
        (process_cpu(pid), postgres_cpu(case), process_cpu(me));
    let metrics_before = server_metrics(&client, &address).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(case.secs);
    let runs = fleet.into_iter().enumerate().map(|(t, tablet)| {
        tokio::spawn(drive(
            tablet,
            client.clone(),
            address.clone(),
            case.batch,
            t,
            deadline,
        ))
    });
    let results = futures_util::future::join_all(runs).await;
    let elapsed = started.elapsed();
    let figures = Figures {
        server_cpu: process_cpu(pid) - cpu_before,
        database_cpu: postgres_cpu(case).saturating_sub(db_before),
        client_cpu: process_cpu(me).saturating_sub(client_before),
        peak_memory: peak_memory(pid),
        phases: means_between(&metrics_before, &server_metrics(&client, &address).await),
        elapsed,
        merges: 0,
        latencies: Vec::new(),
        errors: BTreeMap::new(),
    };
    let figures = results
        .into_iter()
        .map(Result::unwrap)
        .fold(figures, |mut f, run| {
            f.merges += run.merges;
            f.latencies.extend(run.latencies);
            for (code, n) in run.errors {
                *f.errors.entry(code).or_default() += n;
            }
            f
        });
    server.kill();
    if let Some(name) = postgres_db {
        zoufang_e2e::drop_postgres(&name).await;
    }
    Some(figures)
}

const METRICS_TOKEN: &str = "tablets-online-bench";

/// The server's histograms' sums and counts (`name{labels}_sum` → value).
async fn server_metrics(client: &reqwest::Client, address: &str) -> BTreeMap<String, f64> {
    let text = client
        .get(format!("{address}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(key, _)| key.contains("_sum") || key.contains("_count"))
        .filter_map(|(key, value)| Some((key.to_owned(), value.parse().ok()?)))
        .collect()
}

/// Mean per observation of each phase and write turn histogram between two readings, in
/// milliseconds (writers per group as they are).
fn means_between(
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
) -> Vec<(String, f64)> {
    let delta = |key: &str| {
        after.get(key).copied().unwrap_or(0.0) - before.get(key).copied().unwrap_or(0.0)
    };
    let mut out = Vec::new();
    for (key, _) in after.iter().filter(|(k, _)| k.contains("_sum")) {
        let name = key.replace("_sum", "");
        if !(name.starts_with("zoufang_sync_phase") || name.starts_with("zoufang_write_")) {
            continue;
        }
        let count = delta(&key.replace("_sum", "_count"));
        if count <= 0.0 {
            continue;
        }
        let scale = if name.contains("writers") {
            1.0
        } else {
            1000.0
        };
        let short = name
            .trim_start_matches("zoufang_")
            .replace("_seconds", "")
            .replace("sync_phase{phase=\"", "")
            .replace("\"}", "");
        out.push((short, delta(key) / count * scale));
    }
    out
}

/// Brings the planner's statistics up to date after seeding, so that the database does not
/// do it in the middle of the measurement.
async fn analyze(url: &str) {
    use sea_orm::ConnectionTrait;
    let db = zoufang_server::store::connect(url, 1).await.unwrap();
    let statement = if url.starts_with("postgres") {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    db.execute_unprepared(statement).await.unwrap();
    db.close().await.unwrap();
}

fn postgres_cpu(case: Case) -> Duration {
    if case.postgres.is_some() {
        processes_cpu("postgres")
    } else {
        Duration::ZERO
    }
}

/// Seeds, per tablet, a user, its village of 300 households, and (scope 30,000) 99 more
/// villages of its township; returns per tablet its village's households and the heads of
/// the rest of its scope.
async fn seed(
    case: Case,
    settings: zoufang_server::Settings,
) -> Vec<(Vec<DocId>, BTreeMap<DocId, Vec<Head>>)> {
    let state = zoufang_server::build_state(settings).await.unwrap();
    let mut rng = SampleRng::new(9);
    let mut out = Vec::new();
    for t in 0..case.tablets {
        let township = format!("652822{:03}", 100 + t);
        let village = format!("{township}201");
        let scope = if case.scope > VILLAGE_HOUSEHOLDS {
            &township
        } else {
            &village
        };
        let role = if case.scope > VILLAGE_HOUSEHOLDS {
            Role::TownshipSupervisor
        } else {
            Role::Helper
        };
        accounts::add_user(
            &state,
            "bench",
            &format!("bench{t}"),
            zoufang_e2e::PASSWORD,
            role,
            &RegionCode::parse(scope).unwrap(),
        )
        .await
        .unwrap();
        let code = RegionCode::parse(&village).unwrap();
        let mut own = Vec::new();
        for _ in 0..VILLAGE_HOUSEHOLDS {
            let id = DocId(*uuid::Uuid::new_v4().as_bytes());
            documents::create_household(&state, &state.db, &id, &household(&mut rng, &code))
                .await
                .unwrap();
            own.push(id);
        }
        let others = fillers(
            &state,
            &township,
            case.scope.saturating_sub(VILLAGE_HOUSEHOLDS),
            &mut rng,
        )
        .await;
        out.push((own, others));
    }
    out
}

/// `count` households in villages 202, 203, … of `township`, stored in bulk as one shared
/// snapshot (nobody edits them: they only make the scope large).
async fn fillers(
    state: &zoufang_server::AppState,
    township: &str,
    count: usize,
    rng: &mut SampleRng,
) -> BTreeMap<DocId, Vec<Head>> {
    if count == 0 {
        return BTreeMap::new();
    }
    let code = RegionCode::parse(&format!("{township}202")).unwrap();
    let record = household(rng, &code);
    let doc = zoufang_sync::HouseholdDoc::create(&record, ActorId::from([7u8; 16]), 1_700_000_000)
        .unwrap();
    let heads = doc.heads();
    let snapshot = doc.save();
    let heads_text = zoufang_server::store::documents::heads_to_text(&heads);
    let mut out = BTreeMap::new();
    let ids: Vec<(DocId, String)> = (0..count)
        .map(|n| {
            let village = format!("{township}{:03}", 202 + n / VILLAGE_HOUSEHOLDS);
            (DocId(*uuid::Uuid::new_v4().as_bytes()), village)
        })
        .collect();
    let villages: std::collections::BTreeSet<&String> = ids.iter().map(|(_, v)| v).collect();
    zoufang_server::store::regions::insert_many(
        &state.db,
        villages
            .iter()
            .map(|v| region::Model {
                code: (*v).clone(),
                name: (*v).clone(),
                level: "VILLAGE".into(),
                parent: Some(township.to_owned()),
            })
            .collect(),
    )
    .await
    .unwrap();
    for chunk in ids.chunks(500) {
        let rows = chunk.iter().map(|(id, village)| {
            out.insert(*id, heads.clone());
            document::ActiveModel {
                doc_id: sea_orm::Set(id.to_uuid_string()),
                region_code: sea_orm::Set(village.clone()),
                county_code: sea_orm::Set(village[..6].to_owned()),
                heads: sea_orm::Set(heads_text.clone()),
                version: sea_orm::Set(1),
                changes_since_snapshot: sea_orm::Set(0),
                updated_at: sea_orm::Set(0),
                change_seq: sea_orm::Set(0),
                needs_validation: sea_orm::Set(false),
            }
        });
        document::Entity::insert_many(rows)
            .exec_without_returning(&state.db)
            .await
            .unwrap();
        let snapshots = chunk.iter().map(|(id, _)| document_snapshot::ActiveModel {
            doc_id: sea_orm::Set(id.to_uuid_string()),
            snapshot: sea_orm::Set(snapshot.clone()),
            snapshot_upto: sea_orm::Set(0),
        });
        document_snapshot::Entity::insert_many(snapshots)
            .exec_without_returning(&state.db)
            .await
            .unwrap();
    }
    out
}

/// Logs tablet `t` in, registers its device, and makes its first sync: its village's
/// households arrive whole; the rest of its scope it reports as held.
async fn connect(
    client: &reqwest::Client,
    address: &str,
    t: usize,
    others: &BTreeMap<DocId, Vec<Head>>,
    own: Vec<DocId>,
) -> LeanTablet {
    let login: serde_json::Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": format!("bench{t}"), "password": zoufang_e2e::PASSWORD }))
        .send().await.unwrap().json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let actor = ActorId::random();
    let device: serde_json::Value = client
        .post(format!("{address}/api/v1/devices"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "name": format!("平板{t}"), "actors": [actor.to_hex_string()] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut tablet = LeanTablet::new(device["id"].as_str().unwrap(), &token, actor, others);
    let first = tablet.request(true);
    let done = tablet.exchange(client, address, first).await;
    assert_eq!(done.status, 200, "{:?}", done.errors);
    assert_eq!(tablet.households().len(), own.len(), "its village arrived");
    tablet
}

/// What one tablet did.
struct Run {
    merges: usize,
    latencies: Vec<Duration>,
    errors: Vec<(String, usize)>,
}

/// Edits `batch` households per round and syncs them, until `deadline`.
async fn drive(
    mut tablet: LeanTablet,
    client: reqwest::Client,
    address: String,
    batch: usize,
    t: usize,
    deadline: Instant,
) -> Run {
    let households = tablet.households();
    let mut fields = FIELDS;
    if env_number("ZOUFANG_BENCH_PROJECTED", 0) == 1 {
        fields[9] = "income.per_capita_net";
    }
    let paths: Vec<DocPath> = fields.iter().map(|f| DocPath::parse(f).unwrap()).collect();
    let mut run = Run {
        merges: 0,
        latencies: Vec::new(),
        errors: Vec::new(),
    };
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut next = 0;
    let mut round = 0u64;
    while Instant::now() < deadline {
        round += 1;
        for _ in 0..batch {
            let id = households[next % households.len()];
            next += 1;
            zoufang_e2e::fleet::tablets::edit(&mut tablet, &id, &paths, t, round, None);
        }
        let request = tablet.request(false);
        let done = tablet.exchange(&client, &address, request).await;
        run.merges += done.acknowledged;
        run.latencies.push(done.latency);
        for code in done.errors {
            *errors.entry(code).or_default() += 1;
        }
    }
    run.errors = errors.into_iter().collect();
    run
}
