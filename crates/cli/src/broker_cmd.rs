//! `ferromq broker`: a broker reading a RocketMQ `broker.conf`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use ferromq_broker::Broker;
use ferromq_config::{BrokerConfig, ConfigTable};
use tokio::net::TcpListener;

/// Options of `ferromq broker`, named as `mqbroker`'s.
#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// A broker.conf properties file (RocketMQ key names).
    #[arg(short = 'c', long = "configFile")]
    pub config_file: Option<PathBuf>,
    /// NameServer address(es), `host:port;host:port` (overrides namesrvAddr).
    #[arg(short = 'n', long = "namesrvAddr")]
    pub namesrv_addr: Option<String>,
    /// Print every config key with its value and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    pub print: bool,
}

/// Loads a broker config file (warning about unknown keys), then the environment.
pub fn load_config(path: Option<&PathBuf>) -> anyhow::Result<BrokerConfig> {
    let mut config = match path {
        Some(p) => {
            let loaded =
                BrokerConfig::load(p).with_context(|| format!("reading {}", p.display()))?;
            for w in &loaded.warnings {
                tracing::warn!("{}: {w}", p.display());
            }
            loaded.config
        }
        None => BrokerConfig::default(),
    };
    config.apply_env();
    Ok(config)
}

/// Binds the main port and, unless disabled, the fast port (listenPort − 2).
pub async fn bind(
    config: &BrokerConfig,
    fast_port: Option<u16>,
) -> anyhow::Result<(TcpListener, Option<TcpListener>)> {
    let host = config.netty.bind_address.clone();
    let main_addr = format!("{host}:{}", config.listen_port());
    let main = TcpListener::bind(&main_addr)
        .await
        .with_context(|| format!("binding the broker to {main_addr}"))?;
    let fast = match fast_port.filter(|p| *p != 0) {
        Some(p) => {
            let a = format!("{host}:{p}");
            Some(
                TcpListener::bind(&a)
                    .await
                    .with_context(|| format!("binding the fast port {a}"))?,
            )
        }
        None => None,
    };
    Ok((main, fast))
}

/// Runs the broker until SIGINT/SIGTERM.
pub async fn run(args: BrokerArgs) -> anyhow::Result<()> {
    let mut config = load_config(args.config_file.as_ref())?;
    if let Some(n) = args.namesrv_addr {
        config.set("namesrvAddr", &n)?;
    }
    config.apply_startup_rules()?;
    if args.print {
        print!("{}", config.to_properties());
        return Ok(());
    }
    if config.namesrv_addrs().is_empty() {
        tracing::warn!(
            "no namesrvAddr: the broker will not register anywhere (set -n or NAMESRV_ADDR)"
        );
    }
    let fast = config.fast_listen_port();
    let (main, fast) = bind(&config, fast).await?;
    let name = config.broker.broker_name.clone();
    let broker = Broker::start(config.clone(), main, fast).await?;
    let grpc = crate::proxy_cmd::start_local(&broker, &config).await?;
    println!("The broker[{name}, {}] boot success.", broker.addr());
    if let Some(g) = &grpc {
        println!("  gRPC proxy (LOCAL): {}", g.addr);
    }
    crate::shutdown::signal().await;
    if let Some(g) = grpc {
        g.shutdown().await;
    }
    broker.shutdown().await;
    Ok(())
}
