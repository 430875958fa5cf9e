//! `ferromq namesrv`: a standalone NameServer.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ferromq_config::ConfigTable;
use ferromq_config::NamesrvConfig;
use ferromq_namesrv::{LiveConfig, NameServer, NameServerOptions};

/// Options of `ferromq namesrv`, named as `mqnamesrv`'s.
#[derive(Debug, Args)]
pub struct NamesrvArgs {
    /// A namesrv.conf properties file (RocketMQ key names).
    #[arg(short = 'c', long = "configFile")]
    pub config_file: Option<PathBuf>,
    /// Print every config key with its value and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    pub print: bool,
    /// Override `listenPort`.
    #[arg(long = "listen-port")]
    pub listen_port: Option<u16>,
}

/// Loads the config file (warning about unknown keys) and applies the environment.
pub fn load_config(path: Option<&PathBuf>) -> anyhow::Result<NamesrvConfig> {
    let mut config = match path {
        Some(p) => {
            let loaded =
                NamesrvConfig::load(p).with_context(|| format!("reading {}", p.display()))?;
            for w in &loaded.warnings {
                tracing::warn!("{}: {w}", p.display());
            }
            loaded.config
        }
        None => NamesrvConfig::default(),
    };
    config.apply_env();
    Ok(config)
}

/// Maps the config onto the NameServer's options.
pub fn options(config: &NamesrvConfig) -> NameServerOptions {
    NameServerOptions {
        kv_config_path: Some(PathBuf::from(&config.namesrv.kv_config_path)),
        order_message_enable: config.namesrv.order_message_enable,
        scan_interval: std::time::Duration::from_millis(
            config.namesrv.scan_not_active_broker_interval.max(100) as u64,
        ),
        broker_expired: std::time::Duration::from_millis(
            config.namesrv.broker_expired_millis.max(1000) as u64,
        ),
        ..NameServerOptions::default()
    }
}

/// Runs the NameServer until SIGINT/SIGTERM.
pub async fn run(args: NamesrvArgs) -> anyhow::Result<()> {
    let mut config = load_config(args.config_file.as_ref())?;
    if let Some(p) = args.listen_port {
        config.netty.listen_port = p;
    }
    if args.print {
        print!("{}", config.to_properties());
        return Ok(());
    }
    let addr = format!("{}:{}", config.netty.bind_address, config.listen_port());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding the name server to {addr}"))?;
    // `enableControllerInNamesrv`: the controller runs beside, on its own peer address (as
    // Java's, whose controller port is its DLedger peer port, not the NameServer's).
    let controller = if config.namesrv.enable_controller_in_namesrv {
        Some(crate::controller_cmd::start(&config).await?)
    } else {
        None
    };
    // TLS as `tls.server.*` (and `tls.config.file`) say.
    let transport = ferromq_remoting::Transport::of(&config.tls.resolved()?)?;
    let ns = NameServer::new(options(&config), Arc::new(LiveConfig::new(config)));
    println!("The Name Server boot success. serializeType=JSON, address {addr}");
    ns.run_with(
        listener,
        transport,
        ferromq_remoting::ServerConfig::default(),
        crate::shutdown::signal(),
    )
    .await;
    if let Some(c) = controller {
        c.shutdown().await;
    }
    Ok(())
}
