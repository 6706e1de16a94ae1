//! Load generation: lean tablets that hold full documents only for the households they
//! edit and (document, heads) pairs for the rest of their scope, keeping the held digest up
//! to date per document, so that a load generator sharing the machine with the server
//! spends its time on the server's work, not its own; and CPU and memory readings of
//! processes from `/proc`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use zoufang_schemas::wire::{self, Digest, DocId, Head, SyncReply};
use zoufang_sync::HouseholdDoc;
use zoufang_sync::automerge::ActorId;
use zoufang_sync::codec::{Limits, decode_reply, encode};
use zoufang_sync::heads::{Toggle, canonical};

/// A tablet for load: its households, what the server acknowledged of them, and the digest
/// of everything it holds.
pub struct LeanTablet {
    /// The device id.
    pub device: String,
    /// Access token.
    pub token: String,
    actor: ActorId,
    docs: BTreeMap<DocId, HouseholdDoc>,
    synced: BTreeMap<DocId, Vec<Head>>,
    /// Households changed since the server last acknowledged or sent them: a request looks
    /// at these, not at every household it holds.
    edited: BTreeSet<DocId>,
    digest: Digest,
    gzip: bool,
}

/// The outcome of one sync request.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// HTTP status.
    pub status: u16,
    /// Updates sent.
    pub sent: usize,
    /// Updates acknowledged (merged or already known), refusals excluded.
    pub acknowledged: usize,
    /// Error or refusal codes.
    pub errors: Vec<String>,
    /// Time from sending to the decoded reply.
    pub latency: Duration,
    /// Request and reply bytes on the wire.
    pub bytes: (usize, usize),
    /// Reply bytes once decompressed.
    pub reply_plain: usize,
}

impl LeanTablet {
    /// A tablet of a registered device that also holds `others` (pairs it never loads).
    pub fn new(
        device: &str,
        token: &str,
        actor: ActorId,
        others: &BTreeMap<DocId, Vec<Head>>,
    ) -> Self {
        Self {
            device: device.to_owned(),
            token: token.to_owned(),
            actor,
            docs: BTreeMap::new(),
            synced: others.clone(),
            edited: BTreeSet::new(),
            digest: zoufang_sync::heads::held_digest(others),
            gzip: false,
        }
    }

    /// The actor it signs with.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// The heads of `household` the server last acknowledged or sent.
    pub fn synced(&self, household: &DocId) -> Option<&Vec<Head>> {
        self.synced.get(household)
    }

    /// The heads of its copy of `household`.
    pub fn heads(&self, household: &DocId) -> Option<Vec<Head>> {
        self.docs.get(household).map(HouseholdDoc::heads)
    }

    /// The households it edits.
    pub fn households(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// Edits `household` with one change of `edits` field writes.
    pub fn edit(
        &mut self,
        household: &DocId,
        time: i64,
        edits: &[(zoufang_sync::DocPath, serde_json::Value)],
    ) {
        self.edit_with(household, time, |e| {
            for (path, value) in edits {
                e.put(path, value)?;
            }
            Ok(())
        });
    }

    /// Edits `household` with one change of whatever `f` writes; `false` when it failed (and
    /// nothing was written).
    pub fn edit_with(
        &mut self,
        household: &DocId,
        time: i64,
        f: impl FnOnce(&mut zoufang_sync::Editor<'_, '_>) -> Result<(), zoufang_sync::DocError>,
    ) -> bool {
        self.change(household, |doc| doc.edit(time, f).is_ok())
    }

    /// Changes its copy of `household` with `f` (`false`: nothing changed) and keeps the
    /// held digest up to date.
    fn change(&mut self, household: &DocId, f: impl FnOnce(&mut HouseholdDoc) -> bool) -> bool {
        let Some(doc) = self.docs.get_mut(household) else {
            return false;
        };
        let before = doc.heads();
        if !f(doc) {
            return false;
        }
        self.digest.toggle(household, &before);
        self.digest.toggle(household, &doc.heads());
        self.edited.insert(*household);
        true
    }

    /// Writes into `household` beneath the form's checks, as a hostile tablet would: one
    /// raw automerge change made by `f`.
    pub fn forge(
        &mut self,
        household: &DocId,
        f: impl FnOnce(&mut zoufang_sync::automerge::transaction::Transaction<'_>),
    ) -> bool {
        self.change(household, |doc| {
            let mut tx = doc.automerge_mut().transaction();
            f(&mut tx);
            tx.commit();
            true
        })
    }

    /// Asks the server for gzip-compressed replies (as the real tablets do) and counts the
    /// bytes on the wire.
    pub fn compressed(mut self) -> Self {
        self.gzip = true;
        self
    }

    /// The request: everything edited since the server acknowledged it, and `held` when
    /// `with_held` (the first sync, naming the pairs it holds without documents).
    pub fn request(&self, with_held: bool) -> wire::SyncRequest {
        let updates = self
            .edited
            .iter()
            .filter_map(|id| {
                let doc = self.docs.get(id)?;
                let synced = self.synced.get(id)?;
                let heads = doc.heads();
                (canonical(synced) != heads).then(|| wire::DocUpdate {
                    doc: *id,
                    changes: zoufang_sync::memory::changes_since(doc.automerge(), synced)
                        .into_iter()
                        .map(serde_bytes::ByteBuf::from)
                        .collect(),
                    heads,
                })
            })
            .collect();
        wire::SyncRequest {
            v: wire::PROTOCOL_VERSION,
            digest: self.digest,
            updates,
            held: with_held.then(|| {
                self.synced
                    .iter()
                    .filter(|(id, _)| !self.docs.contains_key(id))
                    .map(|(doc, heads)| wire::DocHeads {
                        doc: *doc,
                        heads: heads.clone(),
                    })
                    .chain(self.docs.iter().map(|(doc, d)| wire::DocHeads {
                        doc: *doc,
                        heads: d.heads(),
                    }))
                    .collect()
            }),
        }
    }

    /// Carries out a reply to `request`.
    pub fn receive(&mut self, request: &wire::SyncRequest, reply: SyncReply) -> usize {
        for update in &request.updates {
            self.synced.insert(update.doc, update.heads.clone());
            if self.heads(&update.doc).as_ref() == Some(&update.heads) {
                self.edited.remove(&update.doc);
            }
        }
        let refused = reply.refused.len();
        for refusal in reply.refused {
            if let Some(copy) = refusal.server_copy
                && let Ok(doc) = HouseholdDoc::load(&copy.bytes, self.actor.clone())
            {
                self.replace(refusal.doc, doc, copy.heads);
            }
        }
        for whole in reply.assigned {
            if let Ok(doc) = HouseholdDoc::load(&whole.bytes, self.actor.clone()) {
                self.replace(whole.doc, doc, whole.heads);
            }
        }
        for changes in reply.changes {
            let bytes: Vec<Vec<u8>> = changes.changes.into_iter().map(|b| b.into_vec()).collect();
            self.change(&changes.doc, |doc| doc.apply_changes(&bytes).is_ok());
            if self.heads(&changes.doc).as_ref() == Some(&changes.heads) {
                self.edited.remove(&changes.doc);
            }
            self.synced.insert(changes.doc, changes.heads);
        }
        refused
    }

    fn replace(&mut self, id: DocId, doc: HouseholdDoc, heads: Vec<Head>) {
        let before = self
            .docs
            .get(&id)
            .map(HouseholdDoc::heads)
            .or_else(|| self.synced.get(&id).cloned());
        if let Some(before) = before {
            self.digest.toggle(&id, &before);
        }
        self.digest.toggle(&id, &doc.heads());
        if canonical(&heads) != doc.heads() {
            self.edited.insert(id);
        } else {
            self.edited.remove(&id);
        }
        self.docs.insert(id, doc);
        self.synced.insert(id, heads);
    }

    /// Syncs what it has (no `held`) until the server answers 200 or `within` has passed
    /// (a server restarting, a database coming back); returns the last exchange.
    pub async fn sync_until_answered(
        &mut self,
        client: &reqwest::Client,
        address: &str,
        within: Duration,
    ) -> Exchange {
        let deadline = Instant::now() + within;
        loop {
            let request = self.request(false);
            let done = self.exchange(client, address, request).await;
            if done.status == 200 || Instant::now() > deadline {
                return done;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends `request` and carries out the reply.
    pub async fn exchange(
        &mut self,
        client: &reqwest::Client,
        address: &str,
        request: wire::SyncRequest,
    ) -> Exchange {
        let body = encode(&request);
        let up = body.len();
        let started = Instant::now();
        let mut post = client
            .post(format!("{address}/api/v1/sync"))
            .bearer_auth(&self.token)
            .header("x-zoufang-device", &self.device)
            .header("content-type", "application/cbor");
        if self.gzip {
            post = post.header("accept-encoding", "gzip");
        }
        let sent = post.body(body).send().await;
        let mut out = Exchange {
            sent: request.updates.len(),
            bytes: (up, 0),
            ..Exchange::default()
        };
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                out.errors.push(format!("transport: {err}"));
                out.latency = started.elapsed();
                return out;
            }
        };
        out.status = response.status().as_u16();
        let gzipped = response
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v.as_bytes() == b"gzip");
        let wire = response.bytes().await.unwrap_or_default();
        out.latency = started.elapsed();
        out.bytes.1 = wire.len();
        let bytes = if gzipped {
            let mut plain = Vec::new();
            let _ = std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(&wire[..]),
                &mut plain,
            );
            plain
        } else {
            wire.to_vec()
        };
        out.reply_plain = bytes.len();
        if out.status != 200 {
            let error: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            out.errors.push(
                error["code"]
                    .as_str()
                    .map_or_else(|| format!("http-{}", out.status), str::to_owned),
            );
            return out;
        }
        match decode_reply(&bytes, &Limits::default()) {
            Ok(reply) => {
                out.errors
                    .extend(reply.refused.iter().map(|r| r.code.clone()));
                let refused = self.receive(&request, reply);
                out.acknowledged = out.sent.saturating_sub(refused);
            }
            Err(err) => out.errors.push(err.code().to_owned()),
        }
        out
    }
}

/// The server binaries a benchmark compares: `ZOUFANG_BENCH_NODES` (comma-separated), or
/// `default` (the one built with the benchmark).
pub fn bench_nodes(default: &str) -> Vec<std::path::PathBuf> {
    std::env::var("ZOUFANG_BENCH_NODES")
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(Into::into)
        .collect()
}

/// CPU time (user + system) a process has used, from `/proc/<pid>/stat`.
pub fn process_cpu(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // The command name may hold spaces; the fields after it are space-separated.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name.
    let total = ticks(11) + ticks(12);
    Duration::from_millis(total * 1000 / clock_ticks())
}

/// Clock ticks per second of `/proc` times: Linux's `USER_HZ`, 100 on every common
/// architecture.
fn clock_ticks() -> u64 {
    100
}

/// CPU time of every process whose command is `name` (e.g. all of PostgreSQL's).
pub fn processes_cpu(name: &str) -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == name)
        })
        .map(process_cpu)
        .sum()
}

/// Peak resident memory of a process, from `/proc/<pid>/status` (`VmHWM`), in bytes.
pub fn peak_memory(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The value at quantile `q` (0–1) of sorted samples.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// In a benchmark binary started again by [`run_cli_measured`]: runs the `zoufang` command
/// line with the process's arguments and returns `true` (the benchmark then ends).
pub fn run_as_cli_when_asked() -> bool {
    if std::env::var("ZOUFANG_BENCH_ROLE").as_deref() != Ok("cli") {
        return false;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let cli = <zoufang_server::cli::Cli as clap::Parser>::parse_from(
        std::iter::once("zoufang".to_owned()).chain(args),
    );
    actix_web::rt::System::new()
        .block_on(zoufang_server::cli::main(cli))
        .unwrap();
    true
}

/// Runs `zoufang --data DIR ARGS…` on the database `url` as its own process (this binary
/// started again, see [`run_as_cli_when_asked`]); returns its time and peak memory.
pub fn run_cli_measured(url: &str, dir: &std::path::Path, args: &[&str]) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("ZOUFANG_BENCH_ROLE", "cli")
        .env("DATABASE_URL", url)
        .env("ZOUFANG__LOG__FILTER", "warn")
        .args(["--data", dir.to_str().unwrap()])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    loop {
        peak = peak.max(peak_memory(pid));
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "zoufang {args:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (started.elapsed(), peak)
}
