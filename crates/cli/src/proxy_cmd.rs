//! `ferromq proxy`: the 5.x gRPC proxy in CLUSTER mode, in front of any RocketMQ cluster
//! (like `mqproxy`), and the LOCAL proxy a broker serves on `grpcServerPort`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ferromq_broker::{Broker, BrokerHandler};
use ferromq_config::BrokerConfig;
use ferromq_proxy::{Proxy, ProxyConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Options of `ferromq proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// NameServer address(es), `host:port;host:port` (overrides namesrvAddr).
    #[arg(short = 'n', long = "namesrvAddr")]
    pub namesrv_addr: Option<String>,
    /// A Java `rmq-proxy.json` (rocketMQClusterName, grpcServerPort, namesrvAddr, …).
    #[arg(short = 'c', long = "configFile")]
    pub config_file: Option<PathBuf>,
    /// The gRPC port (overrides grpcServerPort; default 8081).
    #[arg(long = "grpc-port")]
    pub grpc_port: Option<u16>,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: String,
}

/// A running gRPC server with its proxy.
pub struct Running {
    pub proxy: Arc<Proxy>,
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops serving and closes the proxy's broker connections.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.task).await;
        self.proxy.shutdown().await;
    }
}

/// Binds `config.grpc_listen` and serves a proxy for the config with the bound address (so
/// port 0 works); `setup` runs before the first request.
async fn start(mut config: ProxyConfig, setup: impl FnOnce(&Proxy)) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(config.grpc_listen)
        .await
        .with_context(|| format!("binding the gRPC port {}", config.grpc_listen))?;
    let addr = listener.local_addr()?;
    config.grpc_listen = addr;
    let proxy = Proxy::new(config);
    setup(&proxy);
    let stop = CancellationToken::new();
    let (p, s) = (proxy.clone(), stop.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = ferromq_proxy::serve(p, listener, s).await {
            tracing::error!(error = %e, "gRPC server failed");
        }
    });
    tracing::info!(addr = %addr, "gRPC proxy listening");
    Ok(Running {
        proxy,
        addr,
        stop,
        task,
    })
}

/// LOCAL mode: the gRPC proxy inside `broker`, on `grpcServerPort` unless
/// `enableGrpcServer=false` or the port is 0. Requests reach this broker in memory.
pub async fn start_local(
    broker: &Broker,
    config: &BrokerConfig,
) -> anyhow::Result<Option<Running>> {
    let port = config.broker.grpc_server_port;
    if !config.broker.enable_grpc_server || port == 0 {
        return Ok(None);
    }
    let bind: std::net::IpAddr = config
        .netty
        .bind_address
        .parse()
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let mut pc = ProxyConfig::new(SocketAddr::new(bind, port), config.namesrv_addrs());
    pc.cluster_name = config.broker.broker_cluster_name.clone();
    pc.max_message_size =
        usize::try_from(config.store.max_message_size).unwrap_or(pc.max_message_size);
    let handler = Arc::new(BrokerHandler::new(broker.context().clone()));
    let local = broker.addr().to_string();
    let setup = |p: &Proxy| {
        p.add_local_broker(&local, handler);
        local_credentials(p, broker, config);
    };
    match start(pc, setup).await {
        Ok(running) => Ok(Some(running)),
        Err(e) => {
            // Several brokers on one host (the shipped 2m-2s sets, test suites) would fight
            // over one port: the broker still serves remoting, without gRPC.
            tracing::warn!(error = %format!("{e:#}"), "gRPC proxy not started (set grpcServerPort, or enableGrpcServer=false)");
            Ok(None)
        }
    }
}

/// ACL 2.0 through the LOCAL proxy: clients' signatures are checked against this broker's
/// users, and the proxy's own requests carry `innerClientAuthenticationCredentials`.
fn local_credentials(p: &Proxy, broker: &Broker, config: &BrokerConfig) {
    if config.auth.authentication_enabled {
        let ctx = broker.context().clone();
        p.auth().set_users(Arc::new(move |name: String| {
            let secret = (|| {
                let user = ctx.access().store().ok()?.get_user(Some(&name)).ok()??;
                let disabled = user
                    .user_status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("disable"));
                user.password.filter(|_| !disabled)
            })();
            Box::pin(async move { secret })
        }));
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        access_key: String,
        secret_key: String,
    }
    let inner = config
        .auth
        .inner_client_authentication_credentials
        .as_deref();
    if let Some(Ok(c)) = inner.map(serde_json::from_str::<Inner>) {
        p.auth().set_inner(&c.access_key, &c.secret_key);
    }
}

/// Runs the CLUSTER proxy until SIGINT/SIGTERM.
pub async fn run(args: ProxyArgs) -> anyhow::Result<()> {
    let listen: SocketAddr = format!("{}:8081", args.bind)
        .parse()
        .with_context(|| format!("bad --bind {}", args.bind))?;
    let env_ns = std::env::var("NAMESRV_ADDR").ok();
    let mut config = ProxyConfig::new(listen, vec![]);
    if let Some(p) = &args.config_file {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        for k in config.apply_json(&text)? {
            tracing::warn!("{}: unknown key `{k}`", p.display());
        }
    }
    if let Some(n) = args.namesrv_addr.or(env_ns) {
        config.namesrv_addrs = n
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if config.namesrv_addrs.is_empty() {
        anyhow::bail!("no NameServer: pass -n host:port (or NAMESRV_ADDR, or namesrvAddr in -c)");
    }
    if let Some(p) = args.grpc_port {
        config.grpc_listen.set_port(p);
    }
    let inner = config.inner_credentials.clone();
    let check_users = config.authentication_enabled;
    if check_users && inner.is_none() {
        anyhow::bail!("authenticationEnabled needs innerClientAuthenticationCredentials (the proxy reads the users with them)");
    }
    let running = start(config, |p| {
        if let Some((ak, sk)) = &inner {
            p.auth().set_inner(ak, sk);
        }
    })
    .await?;
    if check_users {
        running.proxy.use_cluster_users();
    }
    println!("The proxy boot success. gRPC {}", running.addr);
    crate::shutdown::signal().await;
    running.shutdown().await;
    Ok(())
}
