//! The `zoufang-tablet` binary itself: exit statuses and machine-readable errors.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::io::Write;
use std::process::{Command, Stdio};

fn tablet(home: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zoufang-tablet"))
        .arg("--home")
        .arg(home)
        .args(args)
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
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_tablet_that_never_logged_in_says_so_with_a_code() {
    let home = tempfile::tempdir().unwrap();
    let (status, _, err) = tablet(home.path(), &["--json", "sync"], "");
    assert_eq!(status, 1);
    let body: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(body["error"]["code"], "not-logged-in");
    let (status, out, _) = tablet(home.path(), &["status"], "");
    assert_eq!(status, 0);
    assert!(out.contains("not logged in"), "{out}");
}

#[test]
fn logging_in_without_a_server_fails_as_retryable() {
    let home = tempfile::tempdir().unwrap();
    let login = [
        "login",
        "--server",
        "http://127.0.0.1:9",
        "--user",
        "helper",
        "--password-stdin",
    ];
    let (status, _, err) = tablet(home.path(), &login, "secret\n");
    assert_eq!(status, 3, "{err}");
    assert!(err.contains("server-unreachable"), "{err}");
    let (status, _, err) = tablet(home.path(), &login, "");
    assert_eq!(status, 2, "an empty password is a usage error: {err}");
}
