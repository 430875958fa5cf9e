//! `ferromq controller -c controller.conf`: a standalone controller (like `mqcontroller`),
//! and the controller a NameServer embeds with `enableControllerInNamesrv=true`. Both read
//! Java's `ControllerConfig` keys: `controllerDLegerGroup`, `controllerDLegerPeers`
//! (`n0-host:port;…`: each controller's address, which brokers list in `controllerAddr`),
//! `controllerDLegerSelfId`, `controllerStorePath`, `enableElectUncleanMaster`,
//! `notifyBrokerRoleChanged`, `scanInactiveMasterInterval`, `electMasterMaxRetryCount`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use ferromq_config::{ConfigTable, NamesrvConfig};
use ferromq_controller::{parse_node_id, parse_peers, Controller, ControllerSettings, RaftTiming};
use ferromq_remoting::{client_tls, ClientConfig, Transport};

/// `ferromq controller` options.
#[derive(Debug, Args)]
pub struct ControllerArgs {
    /// Controller config file (Java `ControllerConfig` keys).
    #[arg(short = 'c', long = "configFile")]
    pub config_file: Option<PathBuf>,
    /// Print every config key with its value and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    pub print: bool,
}

/// The controller settings of a config (a standalone controller's or a NameServer's).
pub fn settings(config: &NamesrvConfig) -> anyhow::Result<ControllerSettings> {
    let c = &config.controller;
    let Some(peers) = c.controller_dledger_peers.as_deref() else {
        bail!("controllerDLegerPeers is required (n0-host:port;n1-host:port;…)");
    };
    let peers = parse_peers(peers).map_err(anyhow::Error::msg)?;
    let self_id = match c.controller_dledger_self_id.as_deref() {
        Some(id) => parse_node_id(id).map_err(anyhow::Error::msg)?,
        None => bail!("controllerDLegerSelfId is required (n0, n1, …)"),
    };
    if !peers.contains_key(&self_id) {
        bail!("controllerDLegerSelfId n{self_id} is not one of controllerDLegerPeers");
    }
    let store_path = if c.controller_store_path.is_empty() {
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
        PathBuf::from(home).join(format!("{}Controller", c.controller_type))
    } else {
        PathBuf::from(&c.controller_store_path)
    };
    let tls = config.tls.resolved().context("tls.config.file")?;
    let scan = Duration::from_millis(c.scan_inactive_master_interval.clamp(100, 60_000) as u64);
    Ok(ControllerSettings {
        group: c
            .controller_dledger_group
            .clone()
            .unwrap_or_else(|| "group1".into()),
        self_id,
        peers,
        store_path,
        elect_unclean: c.enable_elect_unclean_master,
        notify_role_changed: c.notify_broker_role_changed,
        scan_not_active: scan,
        scan_inactive_master: scan,
        elect_retries: c.elect_master_max_retry_count.max(1) as u32,
        timing: RaftTiming::default(),
        properties: config.to_properties(),
        transport: Transport::of(&tls).context("tls.server.*")?,
        client: ClientConfig {
            tls: client_tls(&tls).context("tls.client.*")?,
            ..ClientConfig::default()
        },
    })
}

/// Starts the controller of `config` on its own peer address.
pub async fn start(config: &NamesrvConfig) -> anyhow::Result<Arc<Controller>> {
    let s = settings(config)?;
    let addr = s.peers[&s.self_id].clone();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding the controller to {addr}"))?;
    let controller = Controller::start(s, listener)
        .await
        .context("starting the controller")?;
    println!("The controller boot success, address {addr}");
    Ok(controller)
}

/// Runs a standalone controller until SIGINT/SIGTERM.
pub async fn run(args: ControllerArgs) -> anyhow::Result<()> {
    let config = crate::namesrv_cmd::load_config(args.config_file.as_ref())?;
    if args.print {
        print!("{}", config.to_properties());
        return Ok(());
    }
    let controller = start(&config).await?;
    crate::shutdown::signal().await;
    controller.shutdown().await;
    Ok(())
}
