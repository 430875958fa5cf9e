//! `ferromq`: one binary for the FerroMQ NameServer, broker, standalone mode and tools.

mod logging;
mod namesrv_cmd;
mod shutdown;

use clap::{Parser, Subcommand};

/// FerroMQ: Apache RocketMQ, rebuilt in Rust.
#[derive(Debug, Parser)]
#[command(name = "ferromq", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a NameServer (like `mqnamesrv`).
    Namesrv(namesrv_cmd::NamesrvArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let stem = match &cli.command {
        Command::Namesrv(_) => "namesrv",
    };
    let _guard = logging::init(stem);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Namesrv(args) => namesrv_cmd::run(args).await,
        }
    })
}
