//! The broker side of controller mode (RIP-44; Java's `ReplicasManager`): the broker starts
//! fenced, finds the controller leader, obtains a persistent controller id, registers, and
//! takes the role the controller gives — master of its set, or slave of the master it
//! names — asking for an election when the set has none. Then it heartbeats every
//! controller, polls its replica info, reports SyncStateSet changes as master, and follows
//! role announcements (NOTIFY_BROKER_ROLE_CHANGED).
//!
//! - `rpc`: the requests to controllers.
//! - `identity_file`: the persistent controller id.
//! - `decide`: what to do with a controller's answer (pure).
//! - `roles`: becoming master or slave.

mod decide;
mod identity_file;
mod roles;
mod rpc;

use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::response_code;
use ferromq_remoting::RemotingClient;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use decide::{step, Local, Step};
use identity_file::{IdentityFiles, IdentityRecord};
use rpc::{Beat, MasterInfo, Me, RpcError};

/// Tries of the identity handshake and registration per start attempt (Java: 5).
const REGISTER_TRIES: u32 = 5;
/// Pause between start attempts (Java: 5 s).
const START_RETRY: Duration = Duration::from_secs(5);

/// The controller-mode driver of one broker.
pub(crate) struct ReplicasManager {
    ctx: Arc<BrokerContext>,
    client: RemotingClient,
    controllers: Vec<String>,
    leader: Mutex<Option<String>>,
    me: Me,
    files: IdentityFiles,
    /// Cancels the master-only services (delay, timer, transaction check) on demotion.
    master_services: Mutex<Option<CancellationToken>>,
    stop: CancellationToken,
}

/// Runs controller mode for the broker of `ctx` until `stop`.
pub(crate) async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    let cfg = ctx.settings().get();
    let controllers: Vec<String> = cfg
        .broker
        .controller_addr
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    if controllers.is_empty() {
        tracing::error!("enableControllerMode without controllerAddr: the broker stays fenced");
        return;
    }
    let id = ctx.identity();
    let me = Me {
        cluster: id.cluster().to_string(),
        name: id.name().to_string(),
        addr: id.addr(),
    };
    let files = IdentityFiles::new(cfg.store_path_broker_identity());
    // Controllers call back only with one-way role announcements, which arrive on the
    // broker's own port: this client needs no handler.
    // TLS and signed like the broker's other requests.
    let config = match crate::broker::outgoing_client_config(&ctx) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the controller client cannot be configured: the broker stays fenced");
            return;
        }
    };
    let client = RemotingClient::new(config, Arc::new(ferromq_remoting::Dispatcher::new()));
    let m = Arc::new(ReplicasManager {
        ctx,
        client: client.clone(),
        controllers,
        leader: Mutex::new(None),
        me,
        files,
        master_services: Mutex::new(None),
        stop: stop.clone(),
    });
    m.clone().serve().await;
    if let Some(t) = m.master_services.lock().take() {
        t.cancel();
    }
    client.shutdown();
}

impl ReplicasManager {
    async fn serve(self: Arc<Self>) {
        loop {
            match self.start_once().await {
                Ok(()) => break,
                Err(e) => tracing::warn!(error = %e, "controller-mode start failed; retrying"),
            }
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = tokio::time::sleep(START_RETRY) => {}
            }
        }
        tracing::info!(id = self.my_id(), role = ?self.ctx.replication().role(), "controller mode running");
        tokio::spawn(self.clone().heartbeats());
        self.watch().await;
    }

    fn controlled(&self) -> &crate::ha::Controlled {
        self.ctx
            .replication()
            .controlled()
            .expect("the replicas manager runs only in controller mode")
    }

    fn my_id(&self) -> i64 {
        self.controlled().my_id()
    }

    /// One start: leader, identity, registration, then a role (Java's
    /// `startBasicService`).
    async fn start_once(&self) -> Result<(), RpcError> {
        self.refresh_leader().await?;
        let mut last = None;
        for _ in 0..REGISTER_TRIES {
            match self.register().await {
                Ok(info) => {
                    last = None;
                    self.beat_all().await;
                    let info = match info.master() {
                        Some(_) => info,
                        None => self.elect().await?,
                    };
                    if info.master().is_none() {
                        return Err(RpcError::Unreadable("no master elected".into()));
                    }
                    self.apply(&info).await;
                    break;
                }
                Err(e) => {
                    let pause = rand::random::<u64>() % 1000;
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    last = Some(e);
                }
            }
        }
        match last {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The identity handshake (1012 → temp file → 1013 → identity file) when needed, then
    /// CONTROLLER_REGISTER_BROKER.
    async fn register(&self) -> Result<MasterInfo, RpcError> {
        let id = self.ensure_id().await?;
        let leader = self.leader()?;
        rpc::register(&self.client, &leader, &self.me, id).await
    }

    async fn ensure_id(&self) -> Result<i64, RpcError> {
        let mine = |r: &IdentityRecord| r.cluster == self.me.cluster && r.name == self.me.name;
        if let Some(r) = self.files.load() {
            if !mine(&r) {
                return Err(RpcError::Unreadable(format!(
                    "the broker identity file names {}/{}, not this broker",
                    r.cluster, r.name
                )));
            }
            self.controlled().set_my_id(r.id);
            return Ok(r.id);
        }
        let leader = self.leader()?;
        let temp = match self.files.load_temp().filter(mine) {
            Some(t) => t,
            None => {
                let id = rpc::next_broker_id(&self.client, &leader, &self.me).await?;
                let t = IdentityRecord {
                    cluster: self.me.cluster.clone(),
                    name: self.me.name.clone(),
                    id,
                    check_code: Some(format!(
                        "{};{}",
                        self.me.addr,
                        ferromq_protocol::time::now_ms()
                    )),
                };
                self.save(|f| f.save_temp(&t))?;
                t
            }
        };
        let code = temp.check_code.clone().unwrap_or_default();
        match rpc::apply_broker_id(&self.client, &leader, &self.me, temp.id, &code).await {
            Ok(()) => {
                self.save(|f| f.save(&temp))?;
                tracing::info!(id = temp.id, "controller id applied");
                self.controlled().set_my_id(temp.id);
                Ok(temp.id)
            }
            Err(e) => {
                if e.code().is_some() {
                    self.files.remove_temp();
                }
                Err(e)
            }
        }
    }

    fn save(&self, f: impl FnOnce(&IdentityFiles) -> std::io::Result<()>) -> Result<(), RpcError> {
        f(&self.files).map_err(|e| RpcError::Unreadable(format!("identity file: {e}")))
    }

    fn leader(&self) -> Result<String, RpcError> {
        self.leader.lock().clone().ok_or(RpcError::Unreachable {
            addr: self.controllers.join(";"),
            why: "no controller leader known".into(),
        })
    }

    /// Asks every controller who leads; the first answer naming one wins.
    async fn refresh_leader(&self) -> Result<(), RpcError> {
        let mut last = None;
        for addr in &self.controllers {
            match rpc::leader_of(&self.client, addr).await {
                Ok(Some(l)) => {
                    let mut cur = self.leader.lock();
                    if cur.as_deref() != Some(l.as_str()) {
                        tracing::info!(leader = %l, "controller leader");
                    }
                    *cur = Some(l);
                    return Ok(());
                }
                Ok(None) => {}
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(RpcError::Unreachable {
            addr: self.controllers.join(";"),
            why: "no controller knows a leader".into(),
        }))
    }

    /// A leader-only request failed: a follower's NOT_LEADER or a dead leader means the
    /// leader moved; look it up now rather than at the next periodic refresh.
    async fn on_error(&self, e: &RpcError) {
        let moved = matches!(e, RpcError::Unreachable { .. })
            || e.code() == Some(response_code::CONTROLLER_NOT_LEADER);
        if moved {
            let _ = self.refresh_leader().await;
        }
    }

    async fn elect(&self) -> Result<MasterInfo, RpcError> {
        let leader = self.leader()?;
        let r = rpc::elect(&self.client, &leader, &self.me, self.my_id()).await;
        if let Err(e) = &r {
            self.on_error(e).await;
        }
        r
    }

    fn local(&self) -> Local {
        let repl = self.ctx.replication();
        let c = self.controlled();
        Local {
            me: c.my_id(),
            master_epoch: c.master_epoch(),
            is_master: !repl.is_slave() && c.master_id() == c.my_id(),
            fenced: repl.is_fenced(),
        }
    }

    /// Acts on a controller's view of the set.
    async fn apply(&self, info: &MasterInfo) {
        match step(self.local(), info) {
            Step::BecomeMaster {
                epoch,
                sync_state_set_epoch,
                sync_state_set,
            } => {
                self.become_master(epoch, sync_state_set_epoch, sync_state_set)
                    .await
            }
            Step::BecomeSlave {
                master_id,
                master_addr,
                epoch,
            } => self.become_slave(master_id, master_addr, epoch).await,
            Step::Elect => match self.elect().await {
                Ok(elected) if elected.master().is_some() => {
                    Box::pin(self.apply(&elected)).await;
                }
                Ok(_) => tracing::warn!("the controller elected no master"),
                Err(e) => tracing::warn!(error = %e, "asking for an election failed"),
            },
            Step::AdoptSyncStateSet {
                epoch,
                sync_state_set,
            } => {
                let adopted = self
                    .controlled()
                    .update_sync_set(|s| s.adopt(sync_state_set, epoch));
                if adopted {
                    self.refresh_confirm();
                }
            }
            Step::Nothing => {}
        }
    }

    fn refresh_confirm(&self) {
        let all_ack = self.ctx.settings().get().store.all_ack_in_sync_state_set;
        self.ctx
            .replication()
            .refresh_confirm_offset(self.ctx.store(), all_ack);
    }

    /// The periodic work after start.
    async fn watch(&self) {
        let cfg = self.ctx.settings().get();
        let period = |ms: i64| Duration::from_millis(ms.clamp(100, 600_000) as u64);
        let mut metadata = tokio::time::interval(period(cfg.broker.sync_broker_metadata_period));
        let mut leader = tokio::time::interval(period(cfg.broker.sync_controller_metadata_period));
        let mut check = tokio::time::interval(period(cfg.broker.check_sync_state_set_period));
        let mut announced = self.controlled().announcements();
        loop {
            tokio::select! {
                // Stopping wins over everything else: a stopping master must not report its
                // slaves leaving (they leave because it stops).
                biased;
                _ = self.stop.cancelled() => return,
                _ = metadata.tick() => self.sync_metadata().await,
                _ = leader.tick() => { let _ = self.refresh_leader().await; }
                _ = check.tick() => self.check_sync_state_set().await,
                _ = self.controlled().sync_set_changed() => self.report_sync_state_set().await,
                r = announced.changed() => {
                    if r.is_err() { return }
                    let epoch = *announced.borrow_and_update();
                    let newer = epoch > self.controlled().master_epoch();
                    // The announcement (unauthenticated, like Java's) only says "ask now":
                    // the role comes from the controller leader's own answer, so a forged
                    // one cannot demote a master or point a slave elsewhere.
                    if newer {
                        self.sync_metadata().await;
                    }
                }
            }
        }
    }

    /// CONTROLLER_GET_REPLICA_INFO: the safety net for lost announcements. An unknown set
    /// (the controller lost its state) registers again.
    async fn sync_metadata(&self) {
        let Ok(leader) = self.leader() else {
            let _ = self.refresh_leader().await;
            return;
        };
        match rpc::replica_info(&self.client, &leader, &self.me).await {
            Ok(info) => self.apply(&info).await,
            Err(e) if e.code() == Some(response_code::CONTROLLER_BROKER_METADATA_NOT_EXIST) => {
                tracing::warn!("the controller does not know this broker set: registering again");
                if let Err(e) = self.register().await {
                    tracing::warn!(error = %e, "registering again failed");
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "replica info unavailable");
                self.on_error(&e).await;
            }
        }
    }

    /// As master: drops members that stopped catching up (`haMaxTimeSlaveNotCatchup`) or
    /// disconnected, and reports a difference with the controller's set.
    async fn check_sync_state_set(&self) {
        if !self.local().is_master {
            return;
        }
        let max_lag = self
            .ctx
            .settings()
            .get()
            .store
            .ha_max_time_slave_not_catchup
            .max(1000);
        let now = ferromq_protocol::time::now_ms();
        let c = self.controlled();
        let connected = self.ctx.replication().acks.acked_by_slave();
        c.update_sync_set(|s| {
            s.shrink(|id| {
                connected.contains_key(&id)
                    && c.last_caught_up(id).is_some_and(|t| now - t <= max_lag)
            })
        });
        self.report_sync_state_set().await;
    }

    /// Reports the master's view of the SyncStateSet when it differs from the controller's.
    async fn report_sync_state_set(&self) {
        let local = self.local();
        if !local.is_master || self.stop.is_cancelled() {
            return;
        }
        let c = self.controlled();
        let set = c.sync_set();
        let Some(proposal) = set.proposal() else {
            return;
        };
        let Ok(leader) = self.leader() else { return };
        let master = (local.me, local.master_epoch);
        match rpc::alter_sync_state_set(
            &self.client,
            &leader,
            &self.me,
            master,
            &proposal,
            set.epoch(),
        )
        .await
        {
            Ok(epoch) => {
                tracing::info!(set = ?proposal, epoch, "SyncStateSet changed");
                c.update_sync_set(|s| s.confirm(proposal, epoch));
                self.refresh_confirm();
            }
            Err(e) => {
                tracing::warn!(set = ?proposal, error = %e, "SyncStateSet change refused");
                self.on_error(&e).await;
            }
        }
    }

    /// BROKER_HEARTBEAT to every controller every `brokerHeartbeatInterval`.
    async fn heartbeats(self: Arc<Self>) {
        let every = {
            let ms = self.ctx.settings().get().broker.broker_heartbeat_interval;
            Duration::from_millis(ms.clamp(100, 60_000) as u64)
        };
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = tick.tick() => self.beat_all().await,
            }
        }
    }

    async fn beat_all(&self) {
        let cfg = self.ctx.settings().get();
        let store = self.ctx.store();
        let beat = Beat {
            id: self.my_id(),
            epoch: self.controlled().epochs().last_epoch(),
            max_offset: store.max_phys_offset(),
            confirm_offset: self.ctx.replication().confirm_offset(store),
            timeout_ms: cfg.broker.controller_heart_beat_timeout_mills,
            priority: cfg.broker.broker_election_priority,
        };
        let timeout =
            Duration::from_millis(cfg.broker.send_heartbeat_timeout_millis.max(100) as u64);
        // To every controller at once: a dead one must not delay the others.
        let mut sends = tokio::task::JoinSet::new();
        for addr in &self.controllers {
            let (client, addr, me, beat) = (
                self.client.clone(),
                addr.clone(),
                self.me.clone(),
                beat.clone(),
            );
            sends.spawn(async move { rpc::heartbeat(&client, &addr, &me, &beat, timeout).await });
        }
        while let Some(r) = sends.join_next().await {
            if let Ok(Err(e)) = r {
                tracing::debug!(error = %e, "controller heartbeat failed");
            }
        }
    }
}
