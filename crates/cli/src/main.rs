//! `ferromq`: one binary for the FerroMQ NameServer, broker, standalone mode and tools.

mod admin;
mod bench;
mod broker_cmd;
mod controller_cmd;
mod credentials;
mod logging;
mod namesrv_cmd;
mod proxy_cmd;
mod shutdown;
mod standalone_cmd;

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
    /// NameServer + broker in one process on embedded defaults (ports 9876 and 10911).
    Standalone(standalone_cmd::StandaloneArgs),
    /// Run a NameServer (like `mqnamesrv`).
    Namesrv(namesrv_cmd::NamesrvArgs),
    /// Run a broker (like `mqbroker`).
    Broker(broker_cmd::BrokerArgs),
    /// Run the 5.x gRPC proxy in front of a cluster (like `mqproxy`, CLUSTER mode).
    Proxy(proxy_cmd::ProxyArgs),
    /// Run a controller for automatic master failover (like `mqcontroller`).
    Controller(controller_cmd::ControllerArgs),
    /// Administration commands with mqadmin's names (clusterList, topicList, updateTopic, …).
    Admin(admin::AdminArgs),
    /// Producer and consumer benchmarks against any RocketMQ-protocol cluster.
    // Boxed: its options outweigh every other command's.
    Bench(Box<bench::BenchArgs>),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let stem = match &cli.command {
        Command::Standalone(_) => "standalone",
        Command::Namesrv(_) => "namesrv",
        Command::Broker(_) => "broker",
        Command::Controller(_) => "controller",
        Command::Proxy(_) => "proxy",
        Command::Admin(_) => "admin",
        Command::Bench(_) => "bench",
    };
    let _guard = logging::init(stem);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Standalone(args) => standalone_cmd::run(args).await,
            Command::Namesrv(args) => namesrv_cmd::run(args).await,
            Command::Broker(args) => broker_cmd::run(args).await,
            Command::Controller(args) => controller_cmd::run(args).await,
            Command::Proxy(args) => proxy_cmd::run(args).await,
            Command::Admin(args) => admin::run(args).await,
            Command::Bench(args) => bench::run(*args).await,
        }
    })
}
