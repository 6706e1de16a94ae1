//! The tablet's command line driven in-process with `--json`: the same entry point as the
//! `zoufang-tablet` binary, with standard input and output captured.

use clap::Parser;
use serde_json::Value;
use zoufang_tablet::cli::{Cli, run};

/// One tablet: a home folder driven through the CLI.
pub struct CliTablet {
    home: tempfile::TempDir,
}

/// A command's exit status, standard output and standard error.
#[derive(Debug)]
pub struct Ran {
    /// Exit status.
    pub status: i32,
    /// Standard output.
    pub out: String,
    /// Standard error.
    pub err: String,
}

impl Ran {
    /// The error's code (with `--json`).
    pub fn code(&self) -> String {
        let body: Value = serde_json::from_str(self.err.trim()).unwrap_or(Value::Null);
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Default for CliTablet {
    fn default() -> Self {
        Self::new()
    }
}

impl CliTablet {
    /// A tablet with an empty home folder.
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// The home folder.
    pub fn home(&self) -> &std::path::Path {
        self.home.path()
    }

    /// Runs `zoufang-tablet --json --home HOME ARGS...` with `stdin`.
    pub async fn run(&self, args: &[&str], stdin: &str) -> Ran {
        let home = self.home.path().display().to_string();
        let mut full = vec!["zoufang-tablet", "--json", "--home", home.as_str()];
        full.extend_from_slice(args);
        let cli = Cli::try_parse_from(full).unwrap();
        let mut input = std::io::Cursor::new(stdin.as_bytes().to_vec());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = run(cli, &mut input, &mut out, &mut err).await;
        Ran {
            status,
            out: String::from_utf8(out).unwrap(),
            err: String::from_utf8(err).unwrap(),
        }
    }

    /// Runs a command that must succeed; returns its JSON output.
    pub async fn ok(&self, args: &[&str]) -> Value {
        let ran = self.run(args, "").await;
        assert_eq!(ran.status, 0, "{args:?} failed: {}", ran.err);
        serde_json::from_str(ran.out.trim()).unwrap()
    }

    /// Logs in as `user` on `server`.
    pub async fn login(&self, server: &str, user: &str) -> Value {
        let ran = self
            .run(
                &[
                    "login",
                    "--server",
                    server,
                    "--user",
                    user,
                    "--password-stdin",
                ],
                &format!("{}\n", crate::PASSWORD),
            )
            .await;
        assert_eq!(ran.status, 0, "login failed: {}", ran.err);
        serde_json::from_str(ran.out.trim()).unwrap()
    }
}
