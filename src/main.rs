//! The `skiff` binary: parse arguments, set up logging, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use skiff::cli::{self, args::Cli};
use skiff::config::Dirs;

/// Logs go to a file in the state directory, never to the terminal the TUI
/// owns. `SKIFF_LOG` sets the filter (default `info`).
fn init_logging(dirs: &Dirs) {
    if std::fs::create_dir_all(&dirs.state).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dirs.state.join("skiff.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SKIFF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let dirs = Dirs::discover();
    init_logging(&dirs);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("skiff: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli, dirs)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("skiff: {e:#}");
            ExitCode::FAILURE
        }
    }
}
