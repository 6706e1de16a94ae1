//! The command line: every command works on the home folder's store, prints text for a
//! person or, with `--json`, one JSON document for a program. Errors carry the same stable
//! codes as [`TabletError`]; the exit status tells scripts what to do next.

mod args;
mod output;

pub use args::{Cli, Command};

use crate::error::TabletError;
use crate::tablet::Tablet;
use std::io::{BufRead, Write};

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: the command failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit status: bad arguments.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: the server was unreachable or the connection broke; try again later.
pub const EXIT_RETRY: i32 = 3;
/// Exit status: this device was revoked and wiped.
pub const EXIT_REVOKED: i32 = 4;

fn exit_status(err: &TabletError) -> i32 {
    match err {
        TabletError::Unreachable(_) | TabletError::Interrupted(_) => EXIT_RETRY,
        TabletError::DeviceRevoked => EXIT_REVOKED,
        TabletError::Invalid(_) | TabletError::UnknownHousehold(_) => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

/// Runs one command; returns the process exit status.
pub async fn run(
    cli: Cli,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let json = cli.json;
    let result = match Tablet::open(&cli.home).await {
        Ok(tablet) => args::execute(&tablet, cli.command, input).await,
        Err(e) => Err(e),
    };
    let written = match result {
        Ok(report) => output::print(out, &report, json).map(|_| EXIT_OK),
        Err(e) => output::print_error(err, &e, json).map(|_| exit_status(&e)),
    };
    written.unwrap_or(EXIT_FAILED)
}
