//! Registration with every NameServer in `namesrvAddr`: at start, every
//! `registerNameServerPeriod` (30 s, clamped to 10–60 s), at once when topics change, and an
//! unregistration at shutdown.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferromq_model::RegisterBrokerBody;
use ferromq_protocol::headers::{
    RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnregisterBrokerRequestHeader,
};
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::RemotingClient;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::ha::Replication;
use crate::identity::Identity;
use crate::settings::Settings;
use crate::tables::Tables;

const TIMEOUT: Duration = Duration::from_secs(6);

/// How often a slave registers while the NameServers do not name its master.
const UNKNOWN_MASTER_RETRY: Duration = Duration::from_secs(3);

/// The broker's link to its NameServers: what it registers (identity, settings, topics) and
/// the client it registers with (set at start; absent in tests without NameServers).
pub struct Registration {
    identity: Arc<Identity>,
    settings: Arc<Settings>,
    tables: Arc<Tables>,
    replication: Arc<Replication>,
    client: OnceLock<RemotingClient>,
    needed: Notify,
}

impl Registration {
    /// A registration over the broker's state; no client yet.
    pub fn new(
        identity: Arc<Identity>,
        settings: Arc<Settings>,
        tables: Arc<Tables>,
        replication: Arc<Replication>,
    ) -> Self {
        Registration {
            identity,
            settings,
            tables,
            replication,
            client: OnceLock::new(),
            needed: Notify::new(),
        }
    }

    /// Sets the client that talks to the NameServers (once, at start).
    pub fn connect(&self, client: RemotingClient) {
        let _ = self.client.set(client);
    }

    /// Asks for a registration soon (topics changed; bursts are coalesced).
    pub fn request(&self) {
        self.needed.notify_one();
    }

    /// Registers with every NameServer now and waits for the answers: admin topic changes
    /// are routable when their response arrives, as with the Java broker. Returns how many
    /// NameServers accepted.
    pub async fn now(&self) -> usize {
        match self.client.get() {
            Some(c) => self.register_all(c).await,
            None => 0,
        }
    }

    /// Registers with every NameServer once; returns how many accepted.
    async fn register_all(&self, client: &RemotingClient) -> usize {
        if self.replication.is_fenced() {
            // Controller mode, no role yet: routes must not name this broker (Java's
            // `isIsolated`).
            return 0;
        }
        let Some((addrs, header, body)) = self.request_parts() else {
            return 0;
        };
        let mut ok = 0;
        for addr in addrs {
            let req =
                RemotingCommand::request_with(rc::REGISTER_BROKER, &header).with_body(body.clone());
            match client.invoke_sync(&addr, req, TIMEOUT).await {
                Ok(r) if r.code == response_code::SUCCESS => {
                    ok += 1;
                    self.learn_master(&r);
                    tracing::debug!(namesrv = %addr, "registered with the name server");
                }
                Ok(r) => {
                    tracing::warn!(namesrv = %addr, code = r.code, remark = ?r.remark, "name server refused the registration")
                }
                Err(e) => {
                    tracing::warn!(namesrv = %addr, error = %e, "registering with the name server failed")
                }
            }
        }
        ok
    }

    /// A slave learns where its master is from each registration's answer (Java's
    /// `updateMasterHAServerAddrPeriodically`).
    fn learn_master(&self, response: &RemotingCommand) {
        if !self.replication.is_slave() {
            return;
        }
        match response.decode_header::<RegisterBrokerResponseHeader>() {
            Ok(h) => self
                .replication
                .learn_master(h.master_addr, h.ha_server_addr),
            Err(e) => tracing::warn!(error = %e, "unreadable registration answer"),
        }
    }

    fn request_parts(&self) -> Option<(Vec<String>, RegisterBrokerRequestHeader, Vec<u8>)> {
        let cfg = self.settings.get();
        let body = RegisterBrokerBody {
            filter_server_list: Vec::new(),
            topic_config_serialize_wrapper: self.tables.topics().wrapper(),
        };
        let bytes = match body.encode(cfg.broker.compressed_register) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode the registration body");
                return None;
            }
        };
        let id = &self.identity;
        let header = RegisterBrokerRequestHeader {
            broker_name: id.name().to_string(),
            broker_addr: id.addr(),
            cluster_name: id.cluster().to_string(),
            ha_server_addr: match self.replication.listen_addr() {
                // The bound port (tests bind port 0), at the address advertised to slaves.
                Some(a) => format!("{}:{}", cfg.broker_ip2(), a.port()),
                None => cfg.ha_server_addr(),
            },
            broker_id: id.id(),
            // Only acting-master setups shorten the NameServer's 120 s expiry (as Java).
            heartbeat_timeout_millis: cfg
                .broker
                .enable_slave_acting_master
                .then_some(cfg.broker.broker_not_active_timeout_millis),
            enable_acting_master: Some(cfg.broker.enable_slave_acting_master),
            compressed: Some(cfg.broker.compressed_register),
            body_crc32: Some((crc32fast::hash(&bytes) & 0x7FFF_FFFF) as i32),
            zone_name: None,
        };
        Some((cfg.namesrv_addrs(), header, bytes))
    }

    /// Unregisters from every NameServer.
    pub async fn unregister_all(&self) {
        let Some(client) = self.client.get() else {
            return;
        };
        let addrs = self.settings.get().namesrv_addrs();
        let id = &self.identity;
        let header = UnregisterBrokerRequestHeader {
            broker_name: id.name().to_string(),
            broker_addr: id.addr(),
            cluster_name: id.cluster().to_string(),
            broker_id: id.id(),
        };
        for addr in addrs {
            let req = RemotingCommand::request_with(rc::UNREGISTER_BROKER, &header);
            if let Err(e) = client.invoke_sync(&addr, req, Duration::from_secs(3)).await {
                tracing::warn!(namesrv = %addr, error = %e, "unregistering from the name server failed");
            }
        }
    }

    /// Registers at start, every `registerNameServerPeriod` (clamped to 10–60 s) and when
    /// asked, until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let period = {
            let p = self.settings.get().broker.register_name_server_period;
            Duration::from_millis(p.clamp(10_000, 60_000) as u64)
        };
        self.now().await;
        loop {
            // A slave that does not know its master yet asks again soon, not in 30 s.
            let wait =
                if self.replication.is_slave() && self.replication.master().broker_addr.is_none() {
                    period.min(UNKNOWN_MASTER_RETRY)
                } else {
                    period
                };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                _ = self.needed.notified() => {
                    // Coalesce bursts of topic changes into one registration.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            self.now().await;
        }
    }
}
