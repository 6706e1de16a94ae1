//! The `zoufang` binary driven as an operator would: accounts from scripts, devices, the
//! audit check, and `serve` starting, answering and stopping on SIGTERM. On SQLite and on
//! PostgreSQL (`DATABASE_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ConnectionTrait, Database, Statement};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};

const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Where the commands keep their data: a temporary folder, and a PostgreSQL database when
/// `postgres` is set.
struct Place {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Place {
    async fn new(postgres: bool) -> Option<Place> {
        let dir = tempfile::tempdir().unwrap();
        if !postgres {
            return Some(Place {
                dir,
                database_url: None,
            });
        }
        let admin = match Database::connect(POSTGRES_ADMIN_URL).await {
            Ok(db) => db,
            Err(err) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("PostgreSQL is required under CI: {err}")
            }
            Err(err) => {
                eprintln!(
                    "\n!!!!! PostgreSQL unreachable ({err}): the PostgreSQL CLI test DID NOT RUN.\n"
                );
                return None;
            }
        };
        let name = format!("zoufang_cli_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        Some(Place {
            dir,
            database_url: Some(format!("postgres://postgres@127.0.0.1:5432/{name}")),
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zoufang"));
        command
            .arg("--data")
            .arg(self.dir.path())
            .args(args)
            .env("ZOUFANG__LOG__FILTER", "warn");
        command.env_remove("DATABASE_URL");
        if let Some(url) = &self.database_url {
            command.env("DATABASE_URL", url);
        }
        command
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    async fn database(&self) -> sea_orm::DatabaseConnection {
        let url = self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", self.dir.path().join("zoufang.db").display())
        });
        Database::connect(url).await.unwrap()
    }

    async fn teardown(self) {
        if let Some(url) = &self.database_url {
            let name = url.rsplit('/').next().unwrap().to_owned();
            let admin = Database::connect(POSTGRES_ADMIN_URL).await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn account_and_audit_commands(postgres: bool) {
    let Some(place) = Place::new(postgres).await else {
        return;
    };
    let added = place.run(
        &[
            "user",
            "add",
            "--username",
            "aygul",
            "--role",
            "helper",
            "--region",
            "652822100201",
            "--password-stdin",
        ],
        "s3cret-pass\n",
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("user aygul added"));
    let again = place.run(
        &[
            "user",
            "add",
            "--username",
            "aygul",
            "--role",
            "helper",
            "--region",
            "652822100201",
            "--password-stdin",
        ],
        "s3cret-pass\n",
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("username-taken"),
        "{}",
        stderr(&again)
    );
    let bad_role = place.run(
        &[
            "user",
            "add",
            "--username",
            "x",
            "--role",
            "mayor",
            "--region",
            "6528",
            "--password-stdin",
        ],
        "s3cret-pass\n",
    );
    assert!(!bad_role.status.success());
    assert!(
        stderr(&bad_role).contains("township_supervisor"),
        "{}",
        stderr(&bad_role)
    );
    let short = place.run(
        &[
            "user",
            "add",
            "--username",
            "y",
            "--role",
            "admin",
            "--region",
            "65",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(
        place
            .run(
                &["user", "passwd", "--username", "aygul", "--password-stdin"],
                "another-pass\n"
            )
            .status
            .success()
    );
    assert!(
        place
            .run(&["user", "disable", "--username", "aygul"], "")
            .status
            .success()
    );
    assert!(
        !place
            .run(&["user", "disable", "--username", "nobody"], "")
            .status
            .success()
    );
    let revoke = place.run(&["device", "revoke", "--id", "no-such-device"], "");
    assert!(!revoke.status.success());
    assert!(stderr(&revoke).contains("not-found"));
    assert!(place.run(&["device", "list"], "").status.success());

    let verified = place.run(&["audit", "verify"], "");
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("audit log intact: 3 entries"),
        "{}",
        stdout(&verified)
    );
    let db = place.database().await;
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        "DELETE FROM audit_log WHERE id = 2",
    ))
    .await
    .unwrap();
    drop(db);
    let broken = place.run(&["audit", "verify"], "");
    assert!(!broken.status.success());
    assert!(
        stderr(&broken).contains("audit log broken at entry 2"),
        "{}",
        stderr(&broken)
    );
    place.teardown().await;
}

async fn serve_starts_with_demo_data_answers_and_stops_on_sigterm(postgres: bool) {
    let Some(place) = Place::new(postgres).await else {
        return;
    };
    let mut child = place
        .command(&["serve", "--demo", "--demo-households-per-village", "1"])
        // The listen address comes from the environment layer of the configuration.
        .env("ZOUFANG__SERVER__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let address = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push(line.clone());
        if let Some(address) = line.strip_prefix("zoufang listening on http://") {
            break address.to_owned();
        }
    };
    let printed = printed.join("\n");
    assert!(printed.contains("81 villages, 81 households"), "{printed}");
    assert!(
        printed.contains("supervisor") && printed.contains("zoufang-demo"),
        "{printed}"
    );
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    place.teardown().await;
}

#[tokio::test]
async fn account_and_audit_commands_on_sqlite() {
    account_and_audit_commands(false).await;
}

#[tokio::test]
async fn account_and_audit_commands_on_postgres() {
    account_and_audit_commands(true).await;
}

#[tokio::test]
async fn serve_on_sqlite() {
    serve_starts_with_demo_data_answers_and_stops_on_sigterm(false).await;
}

#[tokio::test]
async fn serve_on_postgres() {
    serve_starts_with_demo_data_answers_and_stops_on_sigterm(true).await;
}
