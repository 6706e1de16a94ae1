//! A real load balancer in front of several server nodes: Debian's HAProxy, started by
//! the test with a generated configuration (round robin per request, health checks on
//! `/healthz`, a request whose node refuses the connection redispatched to another).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running HAProxy.
pub struct Balancer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    _dir: tempfile::TempDir,
}

impl Balancer {
    /// Balances over `nodes` (`http://127.0.0.1:PORT` each); `None` (loudly) when HAProxy
    /// is not installed outside CI.
    pub fn start(nodes: &[String]) -> Option<Balancer> {
        let installed = Command::new("haproxy")
            .arg("-v")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            return crate::missing("haproxy (scripts/test installs it)");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let servers: String = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                format!(
                    "  server node{i} {} check\n",
                    node.trim_start_matches("http://")
                )
            })
            .collect();
        let config = format!(
            "global\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  retries 3\n  option redispatch\n\
             frontend zoufang\n  bind 127.0.0.1:{port}\n  default_backend nodes\n\
             backend nodes\n  balance roundrobin\n  option httpchk GET /healthz\n  default-server inter 300ms fall 1 rise 2\n{servers}"
        );
        let dir = tempfile::tempdir().expect("a temporary folder");
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).expect("the configuration");
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "haproxy did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Balancer {
            child,
            address: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        })
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
