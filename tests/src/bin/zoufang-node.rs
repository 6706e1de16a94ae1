//! The `zoufang` command line, built inside the end-to-end crate so that its tests and
//! benchmarks can start real server processes, kill them and start them again.

use clap::Parser;

#[global_allocator]
static ALLOCATOR: zoufang_server::Allocator = zoufang_server::Allocator;

fn main() -> std::process::ExitCode {
    let cli = zoufang_server::cli::Cli::parse();
    match actix_web::rt::System::new().block_on(zoufang_server::cli::main(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("zoufang: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
