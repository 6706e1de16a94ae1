//! `zoufang`: the server binary.

use clap::Parser;

#[global_allocator]
static ALLOCATOR: zoufang_server::Allocator = zoufang_server::Allocator;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = zoufang_server::cli::Cli::parse();
    match zoufang_server::cli::main(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("zoufang: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
