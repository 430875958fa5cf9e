//! `ferromq standalone`: a NameServer and a broker in one process, on embedded defaults.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ferromq_broker::Broker;
use ferromq_config::ConfigTable;
use ferromq_config::NamesrvConfig;
use ferromq_namesrv::NameServer;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Options of `ferromq standalone`.
#[derive(Debug, Args)]
pub struct StandaloneArgs {
    /// Where messages, queues and config live.
    #[arg(long, default_value = "./data")]
    pub data: PathBuf,
    /// NameServer port.
    #[arg(long = "namesrv-port", default_value_t = 9876)]
    pub namesrv_port: u16,
    /// Broker port (`listenPort`); the fast port is this − 2.
    #[arg(long = "broker-port", default_value_t = 10911)]
    pub broker_port: u16,
    /// Fast ("VIP") port; 0 disables it. Default: broker port − 2.
    #[arg(long = "fast-port")]
    pub fast_port: Option<u16>,
    /// The gRPC proxy's port for 5.x clients (`grpcServerPort`); 0 disables it.
    #[arg(long = "grpc-port")]
    pub grpc_port: Option<u16>,
    /// Address to listen on (also advertised when brokerIP1 is not set and this is not 0.0.0.0).
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: String,
    /// A broker.conf whose keys override the defaults (e.g. flushDiskType=SYNC_FLUSH).
    #[arg(short = 'c', long = "configFile")]
    pub config_file: Option<PathBuf>,
}

/// Runs the standalone server until SIGINT/SIGTERM.
pub async fn run(args: StandaloneArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating {}", args.data.display()))?;
    let data = std::fs::canonicalize(&args.data).unwrap_or(args.data.clone());

    // The broker: defaults, then the config file, then what standalone decides.
    let mut config = crate::broker_cmd::load_config(args.config_file.as_ref())?;

    // The NameServer, serving TLS as the file's `tls.*` keys say (one process, one setting).
    let mut ns_config = NamesrvConfig {
        tls: config.tls.clone(),
        ..NamesrvConfig::default()
    };
    ns_config.netty.listen_port = args.namesrv_port;
    ns_config.netty.bind_address = args.bind.clone();
    ns_config.namesrv.kv_config_path = data
        .join("namesrv")
        .join("kvConfig.json")
        .to_string_lossy()
        .into_owned();
    ns_config.apply_env();
    let ns_addr = format!("{}:{}", args.bind, args.namesrv_port);
    let ns_listener = TcpListener::bind(&ns_addr)
        .await
        .with_context(|| format!("binding the name server to {ns_addr}"))?;
    let transport = ferromq_remoting::Transport::of(&ns_config.tls.resolved()?)?;
    let ns = NameServer::new(
        crate::namesrv_cmd::options(&ns_config),
        Arc::new(ferromq_namesrv::LiveConfig::new(ns_config)),
    );
    let stop = CancellationToken::new();
    let ns_task = tokio::spawn(ns.run_with(
        ns_listener,
        transport,
        ferromq_remoting::ServerConfig::default(),
        stop.clone().cancelled_owned(),
    ));

    let file_keys = match &args.config_file {
        Some(p) => ferromq_config::Properties::parse(&std::fs::read_to_string(p)?)
            .map(|p| p.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let unset = |k: &str| !file_keys.iter().any(|f| f == k);
    if unset("storePathRootDir") {
        config.set("storePathRootDir", &data.to_string_lossy())?;
    }
    if unset("brokerName") {
        config.set("brokerName", "broker-a")?;
    }
    if unset("namesrvAddr") {
        let host = if args.bind == "0.0.0.0" {
            "127.0.0.1"
        } else {
            &args.bind
        };
        config.set("namesrvAddr", &format!("{host}:{}", args.namesrv_port))?;
    }
    config.set("listenPort", &args.broker_port.to_string())?;
    if let Some(p) = args.grpc_port {
        config.set("grpcServerPort", &p.to_string())?;
    }
    config.set("bindAddress", &args.bind)?;
    if unset("brokerIP1") && args.bind != "0.0.0.0" {
        config.set("brokerIP1", &args.bind)?;
    }
    config.apply_startup_rules()?;
    let fast = match args.fast_port {
        Some(p) => Some(p),
        None => config.fast_listen_port(),
    };
    let (main, fast) = crate::broker_cmd::bind(&config, fast).await?;
    let broker = Broker::start(config.clone(), main, fast).await?;
    broker.register_now().await;
    let grpc = crate::proxy_cmd::start_local(&broker, &config).await?;

    println!("FerroMQ standalone is running.");
    println!(
        "  name server : {ns_addr}   (clients: -n 127.0.0.1:{})",
        args.namesrv_port
    );
    println!(
        "  broker      : {} (advertised brokerIP1:listenPort)",
        broker.addr()
    );
    if let Some(g) = &grpc {
        println!(
            "  gRPC proxy  : {} (5.x clients: endpoints 127.0.0.1:{})",
            g.addr,
            g.addr.port()
        );
    }
    println!("  data        : {}", data.display());
    println!("  logs        : {}", crate::logging::log_dir().display());

    crate::shutdown::signal().await;
    if let Some(g) = grpc {
        g.shutdown().await;
    }
    broker.shutdown().await;
    stop.cancel();
    let _ = ns_task.await;
    Ok(())
}
