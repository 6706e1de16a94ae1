//! A TCP proxy between a tablet and the server that can go offline and cut connections at
//! chosen points, to test interrupted syncs and uploads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;

/// How the proxy treats the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward everything.
    Pass,
    /// Forward this many request bytes, then cut the connection (and notify).
    CutRequestAfter(u64),
    /// Forward the whole request, let the server answer, but cut before the reply reaches
    /// the client (and notify).
    DropReply,
}

/// A proxy listening on a fixed local port.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    port: u16,
    upstream: String,
    mode: Arc<Mutex<Mode>>,
    /// Signalled when a connection was cut.
    pub cut: Arc<Notify>,
    /// Request bytes forwarded to the server, in total.
    pub forwarded: Arc<AtomicU64>,
    /// Every reply byte passed to the client, as it went over the wire.
    pub replies: Arc<std::sync::Mutex<Vec<u8>>>,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy = Proxy {
            address: format!("http://127.0.0.1:{port}"),
            port,
            upstream: upstream.trim_start_matches("http://").to_owned(),
            mode: Arc::new(Mutex::new(Mode::Pass)),
            cut: Arc::new(Notify::new()),
            forwarded: Arc::new(AtomicU64::new(0)),
            replies: Arc::default(),
            task: None,
        };
        proxy.serve(listener);
        proxy
    }

    /// Sets the mode for new connections.
    pub async fn set_mode(&self, mode: Mode) {
        *self.mode.lock().await = mode;
    }

    /// Stops listening: the tablet finds nothing at the address (no network).
    pub fn go_offline(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn go_online(&mut self) {
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) if attempts < 50 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.port),
            }
        };
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let (upstream, mode, cut, forwarded, replies) = (
            self.upstream.clone(),
            self.mode.clone(),
            self.cut.clone(),
            self.forwarded.clone(),
            self.replies.clone(),
        );
        self.task = Some(tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = *mode.lock().await;
                let tap = Tap {
                    cut: cut.clone(),
                    forwarded: forwarded.clone(),
                    replies: replies.clone(),
                };
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, mode, tap).await;
                    }
                });
            }
        }));
    }
}

impl Proxy {
    /// The content codings the server's replies through this proxy carried
    /// (`Content-Encoding` header values, lowercase).
    pub fn reply_codings(&self) -> Vec<String> {
        let replies = self.replies.lock().map(|r| r.clone()).unwrap_or_default();
        String::from_utf8_lossy(&replies)
            .lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-encoding")
                    .then(|| value.trim().to_ascii_lowercase())
            })
            .collect()
    }
}

/// What a relay reports to its proxy.
struct Tap {
    cut: Arc<Notify>,
    forwarded: Arc<AtomicU64>,
    replies: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.go_offline();
    }
}

async fn relay(client: TcpStream, server: TcpStream, mode: Mode, tap: Tap) {
    let Tap {
        cut,
        forwarded,
        replies,
    } = tap;
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let limit = match mode {
        Mode::CutRequestAfter(n) => n,
        _ => u64::MAX,
    };
    let up_cut = cut.clone();
    let up_forwarded = forwarded.clone();
    let upload = async move {
        let mut sent = 0u64;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let allowed = (limit - sent).min(n as u64) as usize;
            if server_write.write_all(&buf[..allowed]).await.is_err() {
                return;
            }
            sent += allowed as u64;
            up_forwarded.fetch_add(allowed as u64, Ordering::SeqCst);
            if sent >= limit {
                up_cut.notify_one();
                return;
            }
        }
    };
    let download = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if mode == Mode::DropReply {
                // The server has answered, so it has done the work; the client never hears.
                tokio::time::sleep(Duration::from_millis(200)).await;
                cut.notify_one();
                return;
            }
            if let Ok(mut seen) = replies.lock() {
                seen.extend_from_slice(&buf[..n]);
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    // Whichever side ends first ends the connection (both halves are dropped).
    tokio::select! {
        _ = upload => {}
        _ = download => {}
    }
}
