//! A server node as its own process (`zoufang-node serve`): started on a database and data
//! folder, its address read from what it prints, its CPU and memory read from `/proc`, and
//! killed with SIGKILL as a crash would.

use crate::load::{peak_memory, process_cpu};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How to start a node.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// The `zoufang-node` binary.
    pub binary: PathBuf,
    /// Its data folder (SQLite database, photos on disk, token key).
    pub data: PathBuf,
    /// The database URL.
    pub database_url: String,
    /// Address to listen on (`127.0.0.1:0` picks a port).
    pub listen: String,
    /// Further `ZOUFANG__…` settings.
    pub env: Vec<(String, String)>,
}

impl NodeSpec {
    /// A node on `database_url` and `data`, on a free port, with the shared token key.
    pub fn new(binary: &Path, data: &Path, database_url: &str) -> Self {
        Self {
            binary: binary.to_path_buf(),
            data: data.to_path_buf(),
            database_url: database_url.to_owned(),
            listen: "127.0.0.1:0".into(),
            env: vec![
                (
                    "ZOUFANG__AUTH__JWT_SECRET".into(),
                    "fleet-shared-secret".into(),
                ),
                ("ZOUFANG__LOG__FILTER".into(), "warn".into()),
            ],
        }
    }

    /// The same node with `key` set to `value`.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// A running node.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Process id.
    pub pid: u32,
    spec: NodeSpec,
}

impl Node {
    /// Starts a node and waits (up to a minute) until it listens.
    pub fn start(spec: &NodeSpec) -> anyhow::Result<Node> {
        let mut child = Command::new(&spec.binary)
            .args(["--data", &spec.data.display().to_string()])
            .args(["serve", "--listen", &spec.listen])
            .env("DATABASE_URL", &spec.database_url)
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("zoufang listening on ") {
                    let _ = sender.send(address.trim().to_owned());
                }
            }
        });
        match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(address) => Ok(Node {
                pid: child.id(),
                child,
                address,
                spec: spec.clone(),
            }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait()?;
                anyhow::bail!("the node did not start listening ({status})")
            }
        }
    }

    /// Kills the node with SIGKILL (no shutdown: requests in flight are cut off) and waits
    /// for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the node again on the same settings and, when it had one, the same port.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        let mut spec = self.spec.clone();
        spec.listen = self.address.trim_start_matches("http://").to_owned();
        let mut last = None;
        // The port is free again as soon as the killed process is reaped; a few tries cover
        // a slow release.
        for _ in 0..20 {
            match Node::start(&spec) {
                Ok(node) => {
                    *self = node;
                    self.spec.listen = spec.listen.clone();
                    return Ok(());
                }
                Err(err) => last = Some(err),
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("the node did not start again")))
    }

    /// CPU time the node has used.
    pub fn cpu(&self) -> Duration {
        process_cpu(self.pid)
    }

    /// The node's peak resident memory in bytes.
    pub fn peak_memory(&self) -> u64 {
        peak_memory(self.pid)
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
