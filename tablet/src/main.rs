//! `zoufang-tablet`: the reference tablet client's command line.

#![forbid(unsafe_code)]

use clap::Parser;
use zoufang_tablet::cli::{Cli, run};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = Cli::parse();
    let stdin = std::io::stdin();
    let code = run(
        cli,
        &mut stdin.lock(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
    .await;
    std::process::exit(code);
}
