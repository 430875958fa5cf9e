//! A running controller: one port serving both the brokers' and mqadmin's controller
//! requests (904, 1001–1013) and its peers' Raft RPCs — as Java's DLedger controller serves
//! both on its peer port — plus the leader's scans that elect a new master when one dies.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::SyncStateSet;
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::{
    Channel, ClientConfig, Dispatcher, RemotingClient, RequestHandler, ResponseFuture,
    ServerConfig, Transport,
};
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::decide::{Decision, View};
use crate::liveness::{Heartbeat, LiveTable};
use crate::raft::{RaftNode, RaftService, RaftTiming};
use crate::state::{BrokerId, Event};
use crate::NodeId;

/// How a controller runs (Java's `ControllerConfig`, read by the NameServer or
/// `ferromq controller`).
#[derive(Debug, Clone)]
pub struct ControllerSettings {
    /// `controllerDLegerGroup`.
    pub group: String,
    /// This controller (`controllerDLegerSelfId`, `n0` → 0).
    pub self_id: NodeId,
    /// Every controller's address (`controllerDLegerPeers`): what brokers put in
    /// `controllerAddr` and what peers replicate over.
    pub peers: BTreeMap<NodeId, String>,
    /// Where the Raft log, vote and snapshots live (`controllerStorePath`).
    pub store_path: PathBuf,
    /// `enableElectUncleanMaster`.
    pub elect_unclean: bool,
    /// `notifyBrokerRoleChanged`.
    pub notify_role_changed: bool,
    /// `scanNotActiveBrokerInterval`.
    pub scan_not_active: Duration,
    /// `scanInactiveMasterInterval`.
    pub scan_inactive_master: Duration,
    /// `electMasterMaxRetryCount`.
    pub elect_retries: u32,
    /// Raft timing.
    pub timing: RaftTiming,
    /// The whole configuration as `key=value` lines (GET_CONTROLLER_CONFIG answers it).
    pub properties: String,
    /// How the controller port serves, Raft peers and brokers alike (`tls.server.*`, as
    /// Java's controller reads them).
    pub transport: Transport,
    /// How this controller calls its peers and brokers (TLS when `tls.enable` is set or the
    /// server side is enforcing, as Java's remoting client decides).
    pub client: ClientConfig,
}

/// Parses `n0-host:port;n1-host:port` (ids `n<k>`).
pub fn parse_peers(text: &str) -> Result<BTreeMap<NodeId, String>, String> {
    let mut peers = BTreeMap::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (id, addr) = part
            .split_once('-')
            .ok_or_else(|| format!("peer `{part}` is not `n<id>-host:port`"))?;
        peers.insert(parse_node_id(id)?, addr.to_string());
    }
    if peers.is_empty() {
        return Err("controllerDLegerPeers is empty".into());
    }
    Ok(peers)
}

/// `n0` → 0.
pub fn parse_node_id(id: &str) -> Result<NodeId, String> {
    id.trim()
        .strip_prefix('n')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("controller id `{id}` is not `n<number>`"))
}

/// A running controller.
pub struct Controller {
    node: RaftNode,
    settings: ControllerSettings,
    live: Mutex<LiveTable>,
    /// One leader operation at a time (Java's single-threaded event scheduler).
    ops: tokio::sync::Mutex<()>,
    client: RemotingClient,
    stop: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The term in which this leader confirmed its state is current (once per term, as
    /// Java's DLedger controller waits for its first proposal of a term to commit).
    confirmed_term: std::sync::atomic::AtomicU64,
}

fn now_ms() -> i64 {
    ferromq_protocol::time::now_ms()
}

impl Controller {
    /// Starts the controller serving `listener` (its address in `peers`), joins (or forms)
    /// the Raft group and starts the leader's scans.
    pub async fn start(
        settings: ControllerSettings,
        listener: TcpListener,
    ) -> std::io::Result<Arc<Self>> {
        // The Raft member's peers reach it through this controller's port and handler.
        let node = RaftNode::start(
            settings.self_id,
            &settings.store_path,
            None,
            settings.timing,
            settings.client.clone(),
        )
        .await?;
        let client = RemotingClient::new(settings.client.clone(), Arc::new(Dispatcher::new()));
        let controller = Arc::new(Controller {
            node,
            settings,
            live: Mutex::new(LiveTable::default()),
            ops: tokio::sync::Mutex::new(()),
            client,
            stop: CancellationToken::new(),
            tasks: Mutex::new(Vec::new()),
            confirmed_term: std::sync::atomic::AtomicU64::new(0),
        });
        let handler: Arc<dyn RequestHandler> = Arc::new(Handler {
            controller: controller.clone(),
            raft: RaftService::new(controller.node.raft().clone()),
        });
        let stop = controller.stop.clone();
        let transport = controller.settings.transport.clone();
        let serve = tokio::spawn(async move {
            ferromq_remoting::run_transport(
                listener,
                transport,
                handler,
                ServerConfig::default(),
                stop.cancelled_owned(),
            )
            .await;
        });
        let scan = tokio::spawn(controller.clone().scan_loop());
        controller.tasks.lock().extend([serve, scan]);
        controller.node.bootstrap(&controller.settings.peers).await;
        Ok(controller)
    }

    /// Whether this controller leads the group now.
    pub fn is_leader(&self) -> bool {
        self.node.raft().metrics().borrow().current_leader == Some(self.node.id())
    }

    /// The current leader's id, if known.
    pub fn leader(&self) -> Option<NodeId> {
        self.node.raft().metrics().borrow().current_leader
    }

    /// Reads the applied state.
    pub fn read<T>(&self, f: impl FnOnce(&crate::ControllerState) -> T) -> T {
        self.node.state().read(f)
    }

    /// Stops serving and leaves the group.
    pub async fn shutdown(self: Arc<Self>) {
        self.stop.cancel();
        let tasks: Vec<_> = self.tasks.lock().drain(..).collect();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        self.client.shutdown();
        match Arc::try_unwrap(self) {
            Ok(c) => c.node.shutdown().await,
            Err(c) => {
                let _ = c.node.raft().shutdown().await;
            }
        }
    }

    /// Runs a leader-only operation: refuses on a follower (CONTROLLER_NOT_LEADER, as
    /// Java), waits until the applied state is current, decides, replicates the events and
    /// only then answers.
    async fn leader_op(
        &self,
        decide: impl FnOnce(&View) -> Decision,
    ) -> (RemotingCommand, Vec<Event>) {
        let not_leader = || {
            RemotingCommand::error(
                code::CONTROLLER_NOT_LEADER,
                "The controller is not in leader state",
            )
        };
        if !self.is_leader() {
            return (not_leader(), Vec::new());
        }
        let _serial = self.ops.lock().await;
        if !self.state_is_current().await {
            return (not_leader(), Vec::new());
        }
        let decision = self.node.state().read(|state| {
            let live = self.live.lock();
            decide(&View {
                state,
                live: &live,
                now_ms: now_ms(),
                elect_unclean: self.settings.elect_unclean,
            })
        });
        for e in &decision.events {
            if let Err(err) = self.node.raft().client_write(e.clone()).await {
                tracing::warn!(error = %err, "replicating a controller event failed");
                return (
                    RemotingCommand::error(
                        code::SYSTEM_ERROR,
                        format!("replication failed: {err}"),
                    ),
                    Vec::new(),
                );
            }
        }
        (decision.response, decision.events)
    }

    /// Whether this leader's applied state includes everything committed before its term:
    /// confirmed once per term (a read barrier through the group), then trusted while the
    /// term lasts — the leader is the only writer.
    async fn state_is_current(&self) -> bool {
        use std::sync::atomic::Ordering;
        let term = self.node.raft().metrics().borrow().current_term;
        if term != 0 && self.confirmed_term.load(Ordering::Acquire) == term {
            return true;
        }
        if self.node.raft().ensure_linearizable().await.is_err() {
            return false;
        }
        self.confirmed_term.store(term, Ordering::Release);
        true
    }

    fn heartbeat(&self, channel: &Channel, req: &RemotingCommand) -> RemotingCommand {
        let h: BrokerHeartbeatRequestHeader = match req.decode_header() {
            Ok(h) => h,
            Err(e) => return RemotingCommand::error(code::SYSTEM_ERROR, e.to_string()),
        };
        let Some(id) = h.broker_id.and_then(|i| u64::try_from(i).ok()) else {
            return RemotingCommand::error(
                code::CONTROLLER_INVALID_REQUEST,
                "Heart beat with empty brokerId",
            );
        };
        let hb = Heartbeat {
            cluster: h.cluster_name,
            broker_name: h.broker_name,
            broker_id: id,
            addr: h.broker_addr,
            epoch: h.epoch.unwrap_or(-1),
            max_offset: h.max_offset.unwrap_or(-1),
            confirm_offset: h.confirm_offset.unwrap_or(-1),
            timeout_ms: h.heartbeat_timeout_mills.unwrap_or(10_000),
            election_priority: h.election_priority.unwrap_or(i32::MAX),
        };
        if !ferromq_model::validate::is_valid_broker_name(&hb.broker_name) {
            return RemotingCommand::error(code::CONTROLLER_INVALID_REQUEST, "invalid broker name");
        }
        if !self.live.lock().heartbeat(hb, channel.id(), now_ms()) {
            return RemotingCommand::error(
                code::SYSTEM_BUSY,
                "the controller tracks no more brokers",
            );
        }
        RemotingCommand::success().with_remark("Heart beat success")
    }

    fn metadata(&self) -> RemotingCommand {
        let leader = self.leader();
        let peers: String = self
            .settings
            .peers
            .iter()
            .map(|(id, addr)| format!("n{id}:{addr};"))
            .collect();
        RemotingCommand::success().with_header(&GetMetaDataResponseHeader {
            group: Some(self.settings.group.clone()),
            controller_leader_id: leader.map(|l| format!("n{l}")),
            controller_leader_address: leader.and_then(|l| self.settings.peers.get(&l).cloned()),
            is_leader: leader == Some(self.node.id()),
            peers: Some(peers),
        })
    }

    /// After a new master was elected: tell the set's live members (one-way, as Java).
    async fn notify_role_changed(&self, broker_name: &str, response: &RemotingCommand) {
        if !self.settings.notify_role_changed || response.code != code::SUCCESS {
            return;
        }
        let Ok(h) = response.decode_header::<ElectMasterResponseHeader>() else {
            return;
        };
        let targets: Vec<String> = self.read(|s| {
            let Some(set) = s.set(broker_name) else {
                return Vec::new();
            };
            let live = self.live.lock();
            set.members()
                .iter()
                .filter(|(id, _)| live.is_alive(broker_name, **id, now_ms()))
                .map(|(_, m)| m.address.clone())
                .collect()
        });
        let body = serde_json::to_vec(&SyncStateSet {
            sync_state_set: h.master_broker_id.into_iter().collect(),
            sync_state_set_epoch: h.sync_state_set_epoch.unwrap_or(0),
        })
        .unwrap_or_default();
        let notify = NotifyBrokerRoleChangedRequestHeader {
            master_address: h.master_address.clone(),
            master_epoch: h.master_epoch,
            sync_state_set_epoch: h.sync_state_set_epoch,
            master_broker_id: h.master_broker_id,
        };
        for addr in targets {
            let req = RemotingCommand::request_with(rc::NOTIFY_BROKER_ROLE_CHANGED, &notify)
                .with_body(body.clone());
            if let Err(e) = self.client.invoke_oneway(&addr, req).await {
                tracing::warn!(broker = %addr, error = %e, "notifying a role change failed");
            }
        }
    }

    /// Elects a new master of `broker_name` for the controller itself (the master stopped
    /// heart-beating), retrying as Java does, and tells the brokers.
    async fn reelect(&self, broker_name: &str) {
        let h = ElectMasterRequestHeader {
            cluster_name: Some(String::new()),
            broker_name: broker_name.to_string(),
            broker_id: Some(-1),
            designate_elect: Some(false),
            invoke_time: Some(now_ms()),
        };
        for _ in 0..self.settings.elect_retries.max(1) {
            let (resp, _) = self.leader_op(|v| v.elect_master(&h)).await;
            tracing::info!(broker = broker_name, code = resp.code, remark = ?resp.remark, "controller-triggered election");
            if resp.code == code::SUCCESS {
                self.notify_role_changed(broker_name, &resp).await;
                return;
            }
            if resp.code != code::SYSTEM_ERROR {
                return;
            }
        }
    }

    /// Every `scanNotActiveBrokerInterval`: forget silent brokers (each controller); the
    /// leader re-elects for sets whose master is gone while a member lives.
    async fn scan_loop(self: Arc<Self>) {
        let first = Duration::from_millis(2000).min(self.settings.scan_not_active);
        let mut wait = first;
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = self
                .settings
                .scan_not_active
                .min(self.settings.scan_inactive_master);
            let expired = self.live.lock().expire(now_ms());
            for (_, name, id) in &expired {
                tracing::info!(broker = %name, id, "broker inactive (no heartbeat)");
            }
            if self.is_leader() {
                for name in self.sets_without_live_master() {
                    self.reelect(&name).await;
                }
            }
        }
    }

    fn sets_without_live_master(&self) -> Vec<String> {
        let now = now_ms();
        self.read(|s| {
            let live = self.live.lock();
            s.sets()
                .filter(|set| {
                    let name = set.broker_name();
                    let master_alive = set.master().is_some_and(|m| live.is_alive(name, m, now));
                    let someone_alive =
                        set.members().keys().any(|id| live.is_alive(name, *id, now));
                    set.master().is_some() && !master_alive && someone_alive
                })
                .map(|set| set.broker_name().to_string())
                .collect()
        })
    }

    /// A broker's heartbeat connection closed: it is gone (Java), and if it was a master
    /// the leader elects another.
    fn channel_closed(self: &Arc<Self>, channel: &Channel) {
        if self.stop.is_cancelled() {
            // Our own shutdown closes every connection: no broker left.
            return;
        }
        let gone = self.live.lock().channel_closed(channel.id());
        if gone.is_empty() || !self.is_leader() {
            return;
        }
        let masters: Vec<String> = self.read(|s| {
            gone.iter()
                .filter(|(_, name, id)| s.set(name).and_then(|set| set.master()) == Some(*id))
                .map(|(_, name, _)| name.clone())
                .collect()
        });
        for name in masters {
            let c = self.clone();
            tokio::spawn(async move { c.reelect(&name).await });
        }
    }
}

/// The controller's request handler (controller codes and Raft peers' codes).
struct Handler {
    controller: Arc<Controller>,
    raft: Arc<RaftService>,
}

fn decode_or<H: ferromq_protocol::CommandHeader>(
    req: &RemotingCommand,
) -> Result<H, RemotingCommand> {
    req.decode_header::<H>()
        .map_err(|e| RemotingCommand::error(code::SYSTEM_ERROR, e.to_string()))
}

impl RequestHandler for Handler {
    fn handle(&self, channel: Channel, req: RemotingCommand) -> ResponseFuture {
        if RaftService::serves(req.code) {
            return self.raft.handle(channel, req);
        }
        let c = self.controller.clone();
        Box::pin(async move { Some(dispatch(&c, &channel, req).await) })
    }

    fn on_channel_close(&self, channel: &Channel) {
        self.controller.channel_closed(channel);
    }
}

async fn dispatch(c: &Arc<Controller>, channel: &Channel, req: RemotingCommand) -> RemotingCommand {
    macro_rules! header {
        ($t:ty) => {
            match decode_or::<$t>(&req) {
                Ok(h) => h,
                Err(e) => return e,
            }
        };
    }
    match req.code {
        rc::BROKER_HEARTBEAT => c.heartbeat(channel, &req),
        rc::CONTROLLER_GET_METADATA_INFO => c.metadata(),
        // Any controller answers with its own configuration (no consensus), as Java's.
        rc::GET_CONTROLLER_CONFIG => {
            RemotingCommand::success().with_body(c.settings.properties.clone().into_bytes())
        }
        rc::CONTROLLER_ALTER_SYNC_STATE_SET => {
            let h = header!(AlterSyncStateSetRequestHeader);
            let body: SyncStateSet = match from_fastjson_slice(&req.body.to_bytes()) {
                Ok(b) => b,
                Err(e) => return RemotingCommand::error(code::SYSTEM_ERROR, e.to_string()),
            };
            c.leader_op(|v| v.alter_sync_state_set(&h, &body)).await.0
        }
        rc::CONTROLLER_ELECT_MASTER => {
            let h = header!(ElectMasterRequestHeader);
            let (resp, _) = c.leader_op(|v| v.elect_master(&h)).await;
            c.notify_role_changed(&h.broker_name, &resp).await;
            resp
        }
        rc::CONTROLLER_REGISTER_BROKER => {
            let h = header!(RegisterBrokerToControllerRequestHeader);
            c.leader_op(|v| v.register_broker(&h)).await.0
        }
        rc::CONTROLLER_GET_REPLICA_INFO => {
            let h = header!(GetReplicaInfoRequestHeader);
            c.leader_op(|v| v.get_replica_info(&h)).await.0
        }
        rc::CONTROLLER_GET_SYNC_STATE_DATA => {
            let names: Vec<String> = match from_fastjson_slice(&req.body.to_bytes()) {
                Ok(n) => n,
                Err(_) => {
                    return RemotingCommand::error(code::SYSTEM_ERROR, "not set any response code")
                }
            };
            c.leader_op(|v| v.sync_state_data(&names)).await.0
        }
        rc::CLEAN_BROKER_DATA => {
            let h = header!(CleanControllerBrokerDataRequestHeader);
            c.leader_op(|v| v.clean_broker_data(&h)).await.0
        }
        rc::CONTROLLER_GET_NEXT_BROKER_ID => {
            let h = header!(GetNextBrokerIdRequestHeader);
            c.leader_op(|v| v.next_broker_id(&h)).await.0
        }
        rc::CONTROLLER_APPLY_BROKER_ID => {
            let h = header!(ApplyBrokerIdRequestHeader);
            c.leader_op(|v| v.apply_broker_id(&h)).await.0
        }
        other => ferromq_remoting::not_supported(other),
    }
}

/// Controller ids of a set's members, for tests and admin.
pub fn member_ids(c: &Controller, broker_name: &str) -> Vec<BrokerId> {
    c.read(|s| {
        s.set(broker_name)
            .map(|set| set.members().keys().copied().collect())
            .unwrap_or_default()
    })
}
