//! Classic master/slave replication, byte-compatible with Java's `DefaultHAService` (4.x, and
//! 5.x without a controller): a master streams raw CommitLog to its slaves on `haListenPort`;
//! a slave appends it verbatim and builds its queues and index itself.
//!
//! - [`Replication`]: the broker's replication state — its role, what the slaves have
//!   acknowledged, where the master is — and the wait a SYNC_MASTER write makes.
//! - `need`: how many replicas a write waits for (Java 5.x's rules, a pure step).
//! - `acks`: the slaves' acknowledged offsets and the wait for them.
//! - `master`: the HA port: one task pair per slave (reports in, CommitLog out).
//! - `slave`: the slave's link to its master's HA port.
//! - `metadata`: the slave's periodic copy of its master's topics, offsets and groups.
//!
//! In controller mode (RIP-44) the role changes at run time and the HA port speaks the
//! AutoSwitch protocol instead:
//! - `controlled`: the replica set as the controller describes it (epochs, SyncStateSet).
//! - `sync_set`: the master's SyncStateSet (pure steps).
//! - `auto_master` / `auto_slave`: the AutoSwitch HA connection, master and slave side.

mod acks;
mod auto_master;
mod auto_slave;
mod controlled;
mod master;
mod metadata;
mod need;
mod slave;
mod sync_set;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferromq_config::{BrokerConfig, BrokerRole};
use ferromq_store::{MessageStore, PutMessageStatus, PutResult};
use parking_lot::Mutex;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

pub(crate) use auto_slave::follow as follow_auto;
pub use controlled::Controlled;
pub(crate) use master::serve;
pub(crate) use metadata::sync_from_master;
pub(crate) use slave::follow;
pub(crate) use sync_set::SyncSet;

use acks::{AckTable, Rate};
use ferromq_model::{HaClientRuntimeInfo, HaConnectionRuntimeInfo, HaRuntimeInfo};
use need::{HaRules, Need};

/// Where a slave's master is: its remoting address (for metadata) and its HA address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MasterLink {
    /// The master's `brokerAddr` (remoting), learned from the NameServer.
    pub broker_addr: Option<String>,
    /// The master's HA address: `haMasterAddress`, else learned from the NameServer.
    pub ha_addr: Option<String>,
}

/// The broker's replication state.
pub struct Replication {
    /// Fixed outside controller mode; the controller changes it in controller mode.
    role: watch::Sender<BrokerRole>,
    /// Controller mode: not writable and not registered until a master is known.
    fenced: AtomicBool,
    controlled: Option<Controlled>,
    pub(crate) acks: AckTable,
    /// Woken when a write waits for the slaves, so the transfer goes out at once.
    appended: Notify,
    master: watch::Sender<MasterLink>,
    configured_master: Option<String>,
    listen: OnceLock<SocketAddr>,
    connection_ids: Mutex<u64>,
    link: Mutex<LinkState>,
    /// Controller mode: the master's remoting address as the controller names it.
    expected_master: Mutex<Option<String>>,
    /// Controller mode: whether the slave link may move the dispatch gate (it follows a
    /// master). Cleared, under this lock, by a broker becoming master: a frame still in
    /// flight from the old master must not gate the new master's dispatch.
    following: Mutex<bool>,
    /// Held by the slave link while it applies a frame (epochs, append): a broker becoming
    /// master takes it to wait for a frame in flight.
    applying: Arc<tokio::sync::Mutex<()>>,
}

/// A slave's link to its master, for `GET_BROKER_HA_STATUS`.
#[derive(Debug, Default)]
struct LinkState {
    master: Option<String>,
    connected: bool,
    last_read_ms: i64,
    last_write_ms: i64,
    received: Rate,
}

impl Replication {
    /// The state for a broker configured as `config`.
    pub fn new(config: &BrokerConfig) -> Self {
        let configured_master = config
            .store
            .ha_master_address
            .clone()
            .filter(|a| !a.trim().is_empty());
        let link = MasterLink {
            broker_addr: None,
            ha_addr: configured_master.clone(),
        };
        let controller_mode = config.broker.enable_controller_mode;
        // In controller mode the configured role means nothing until the controller says
        // (Java starts such a broker fenced, as a slave).
        let role = if controller_mode {
            BrokerRole::Slave
        } else {
            config.store.broker_role
        };
        Replication {
            role: watch::channel(role).0,
            fenced: AtomicBool::new(controller_mode),
            controlled: controller_mode
                .then(|| Controlled::load(config.store_path_epoch_file().into())),
            acks: AckTable::default(),
            appended: Notify::new(),
            master: watch::channel(link).0,
            configured_master,
            listen: OnceLock::new(),
            connection_ids: Mutex::new(0),
            link: Mutex::new(LinkState::default()),
            expected_master: Mutex::new(None),
            following: Mutex::new(true),
            applying: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// `brokerRole` (in controller mode, the role the controller gave).
    pub fn role(&self) -> BrokerRole {
        *self.role.borrow()
    }

    /// Whether this broker is a slave (refuses writes, follows a master); a fenced broker
    /// counts as one.
    pub fn is_slave(&self) -> bool {
        self.role() == BrokerRole::Slave || self.is_fenced()
    }

    /// Controller mode, before a master is known: no writes, no NameServer registration.
    pub fn is_fenced(&self) -> bool {
        self.fenced.load(Ordering::Acquire)
    }

    /// The controller-mode state; `None` outside controller mode.
    pub fn controlled(&self) -> Option<&Controlled> {
        self.controlled.as_ref()
    }

    /// Sets the role (controller mode) and lifts the fence.
    pub(crate) fn set_role(&self, role: BrokerRole) {
        self.role
            .send_if_modified(|r| std::mem::replace(r, role) != role);
        self.fenced.store(false, Ordering::Release);
    }

    /// Follows role changes.
    pub(crate) fn watch_role(&self) -> watch::Receiver<BrokerRole> {
        self.role.subscribe()
    }

    /// Forgets the master (controller mode, a new master was elected): the slave learns the
    /// new master's HA address from its next NameServer registration, and only an answer
    /// naming `expected` (the controller's master address) is believed.
    pub(crate) fn reset_master(&self, expected: Option<String>) {
        *self.expected_master.lock() = expected;
        self.master
            .send_if_modified(|cur| std::mem::take(cur) != MasterLink::default());
    }

    /// Connected slaves.
    pub fn slave_connections(&self) -> usize {
        self.acks.connections()
    }

    /// The largest CommitLog offset a slave acknowledged, -1 if none.
    pub fn max_acked(&self) -> i64 {
        self.acks.max_acked()
    }

    /// The address the HA port is bound to (set at start).
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.get().copied()
    }

    pub(crate) fn set_listen_addr(&self, addr: SocketAddr) {
        let _ = self.listen.set(addr);
    }

    /// Where the master is, as far as this slave knows.
    pub fn master(&self) -> MasterLink {
        self.master.borrow().clone()
    }

    /// Follows changes of [`Replication::master`].
    pub(crate) fn watch_master(&self) -> watch::Receiver<MasterLink> {
        self.master.subscribe()
    }

    /// The NameServer told this slave where its master is. An empty answer changes nothing
    /// (Java keeps the last address: one NameServer may not know the master yet). A
    /// configured `haMasterAddress` wins over the learned HA address.
    pub fn learn_master(&self, broker_addr: Option<String>, ha_addr: Option<String>) {
        let nonempty = |a: Option<String>| a.filter(|s| !s.is_empty());
        let (broker_addr, ha_addr) = (nonempty(broker_addr), nonempty(ha_addr));
        if let Some(expected) = self.expected_master.lock().as_ref() {
            // A NameServer that has not seen the new master yet still names the old one.
            if broker_addr.as_ref() != Some(expected) {
                return;
            }
        }
        self.master.send_if_modified(|cur| {
            let link = MasterLink {
                broker_addr: broker_addr.clone().or_else(|| cur.broker_addr.clone()),
                ha_addr: self
                    .configured_master
                    .clone()
                    .or_else(|| ha_addr.clone())
                    .or_else(|| cur.ha_addr.clone()),
            };
            if *cur == link {
                return false;
            }
            tracing::info!(master = ?link.broker_addr, ha = ?link.ha_addr, "master address changed");
            *cur = link;
            true
        });
    }

    /// The slave connected to (or lost) the master at `addr`.
    pub(crate) fn link_changed(&self, addr: &str, connected: bool) {
        let mut l = self.link.lock();
        l.master = Some(addr.to_string());
        l.connected = connected;
    }

    /// The slave received `n` bytes from its master.
    pub(crate) fn link_read(&self, n: usize) {
        let now = ferromq_protocol::time::now_ms();
        let mut l = self.link.lock();
        l.last_read_ms = now;
        l.received.add(now as u64, n as u64);
    }

    /// The slave reported its offset.
    pub(crate) fn link_wrote(&self) {
        self.link.lock().last_write_ms = ferromq_protocol::time::now_ms();
    }

    /// What `GET_BROKER_HA_STATUS` answers: a master's slaves, or a slave's link (Java's
    /// `HARuntimeInfo`). `max_offset` is this broker's CommitLog end; `max_gap` is
    /// `haMaxGapNotInSync`.
    pub fn runtime_info(&self, max_offset: i64, max_gap: i64) -> HaRuntimeInfo {
        let now = ferromq_protocol::time::now_ms();
        if self.is_slave() {
            let l = self.link.lock();
            return HaRuntimeInfo {
                master: false,
                ha_client_runtime_info: HaClientRuntimeInfo {
                    master_addr: l.master.clone(),
                    transferred_byte_in_second: l.received.per_second(now as u64) as i64,
                    max_offset,
                    last_read_timestamp: l.last_read_ms,
                    last_write_timestamp: l.last_write_ms,
                    master_flush_offset: 0,
                    activated: l.connected,
                },
                ..HaRuntimeInfo::default()
            };
        }
        // Controller mode: a slave is in sync when it is in the SyncStateSet (Java's
        // AutoSwitchHAService); otherwise when within `haMaxGapNotInSync`.
        let members = self.controlled.as_ref().map(|c| c.sync_set().members());
        let conns: Vec<HaConnectionRuntimeInfo> = self
            .acks
            .slaves(now as u64)
            .into_iter()
            .map(|s| HaConnectionRuntimeInfo {
                in_sync: match (&members, s.slave_id) {
                    (Some(m), Some(id)) => m.contains(&id),
                    (Some(_), None) => false,
                    (None, _) => max_offset - s.acked < max_gap,
                },
                addr: s.addr,
                slave_ack_offset: s.acked,
                diff: max_offset - s.acked,
                transferred_byte_in_second: s.bytes_per_second as i64,
                transfer_from_where: s.transfer_from,
            })
            .collect();
        HaRuntimeInfo {
            master: true,
            master_commit_log_max_offset: max_offset,
            in_sync_slave_nums: conns.iter().filter(|c| c.in_sync).count() as i32,
            ha_connection_info: conns,
            ha_client_runtime_info: HaClientRuntimeInfo::default(),
        }
    }

    /// The confirm offset a master announces to its slaves: what every in-sync replica
    /// holds when dispatch is gated, else its end.
    pub(crate) fn confirm_offset(&self, store: &MessageStore) -> i64 {
        store
            .confirm_offset()
            .map_or_else(|| store.max_phys_offset(), |c| c as i64)
    }

    /// Recomputes a controller-mode master's confirm offset (Java's
    /// `AutoSwitchHAService.computeConfirmOffset`): with `allAckInSyncStateSet` and other
    /// members in the SyncStateSet, the smallest offset they acknowledged — consumers see
    /// only what every member holds; a member without a connection leaves it unchanged.
    /// Otherwise nothing is gated.
    pub(crate) fn refresh_confirm_offset(&self, store: &MessageStore, all_ack: bool) {
        let Some(c) = &self.controlled else { return };
        if self.is_slave() {
            return;
        }
        let others = c.sync_set().others();
        if !all_ack || others.is_empty() {
            store.set_confirm_offset(None);
            return;
        }
        let acked = self.acks.acked_by_slave();
        let mut confirm = store.max_phys_offset();
        for id in &others {
            match acked.get(id) {
                Some(a) if *a >= 0 => confirm = confirm.min(*a),
                _ => return,
            }
        }
        store.set_confirm_offset(Some(confirm.max(0) as u64));
    }

    /// A slave follows its master's confirm offset (dispatching no further), unless it has
    /// begun to become master.
    pub(crate) fn follow_confirm_offset(&self, store: &MessageStore, confirm: u64) {
        let following = self.following.lock();
        if *following {
            store.set_confirm_offset(Some(confirm));
        }
    }

    /// Becoming master: the slave link stops applying frames (one in flight is waited
    /// for), no longer moves the gate, and everything held goes to the queues.
    pub(crate) async fn stop_following(&self, store: &MessageStore) {
        {
            let mut following = self.following.lock();
            *following = false;
            store.set_confirm_offset(None);
        }
        drop(self.applying.lock().await);
    }

    /// Whether the slave link may apply frames.
    pub(crate) fn is_following(&self) -> bool {
        *self.following.lock()
    }

    /// Taken by the slave link for each frame it applies.
    pub(crate) async fn applying(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.applying.clone().lock_owned().await
    }

    /// Becoming slave: the link to the new master moves the gate again.
    pub(crate) fn start_following(&self) {
        *self.following.lock() = true;
    }

    fn next_connection_id(&self) -> u64 {
        let mut n = self.connection_ids.lock();
        *n += 1;
        *n
    }

    /// Waits as a write must: durable as `flushDiskType` says, then on as many replicas as
    /// the put needs. Java combines the two the same way: a flush failure wins, then the
    /// replication outcome (`FLUSH_SLAVE_TIMEOUT` after `slaveTimeout`; the message stays
    /// stored either way).
    pub(crate) async fn stored(
        &self,
        config: &BrokerConfig,
        put: &PutResult,
        wait: bool,
    ) -> PutMessageStatus {
        if put.status != PutMessageStatus::PutOk {
            return put.status;
        }
        let Some(info) = &put.append else {
            return put.status;
        };
        let next = info.phys_offset + info.wrote_bytes as i64;
        let (need, members) = match &self.controlled {
            Some(c) => controlled_need(config, c, self.role(), wait),
            None => {
                let rules = rules(config, self.role());
                let in_sync = if rules.slave_acting_master {
                    self.acks
                        .in_sync(next, config.store.ha_max_gap_not_in_sync.max(0) as i64)
                } else {
                    0
                };
                (rules.need(wait, in_sync), None)
            }
        };
        if need == Need::NotEnough {
            return PutMessageStatus::InSyncReplicasNotEnough;
        }
        let Need::Acks(n) = need else {
            // No replica to wait for (ASYNC_MASTER, or SYNC_MASTER counting only itself).
            return put.durable.clone().await;
        };
        let deadline =
            Instant::now() + Duration::from_millis(config.store.slave_timeout.max(0) as u64);
        let flushed = put.durable.clone().await;
        self.appended.notify_waiters();
        let replicated = self.acks.wait_among(next, n, members, deadline).await;
        if flushed != PutMessageStatus::PutOk {
            flushed
        } else if replicated {
            PutMessageStatus::PutOk
        } else {
            tracing::warn!(next, acks = n, "transfer message to slave timeout");
            PutMessageStatus::FlushSlaveTimeout
        }
    }
}

fn rules(config: &BrokerConfig, role: BrokerRole) -> HaRules {
    HaRules {
        role,
        in_sync_replicas: config.store.in_sync_replicas,
        min_in_sync_replicas: config.store.min_in_sync_replicas,
        auto_in_sync_replicas: config.store.enable_auto_in_sync_replicas,
        slave_acting_master: config.broker.enable_slave_acting_master,
        duplication_enable: config.store.duplication_enable,
    }
}

/// What a controller-mode master's write waits for (Java's `CommitLog.handleHA` with the
/// AutoSwitch service): refused when the SyncStateSet is smaller than `minInSyncReplicas`;
/// with `allAckInSyncStateSet`, every other member must hold it; otherwise `inSyncReplicas`
/// replicas, any of them.
fn controlled_need(
    config: &BrokerConfig,
    c: &Controlled,
    role: BrokerRole,
    wait: bool,
) -> (Need, Option<Arc<BTreeSet<i64>>>) {
    if !wait || role == BrokerRole::Slave || config.store.duplication_enable {
        return (Need::Nothing, None);
    }
    let set = c.sync_set();
    let members = set.members().len().max(1);
    if (members as i32) < config.store.min_in_sync_replicas {
        return (Need::NotEnough, None);
    }
    if config.store.all_ack_in_sync_state_set {
        let others = set.others();
        if others.is_empty() {
            return (Need::Nothing, None);
        }
        return (Need::Acks(others.len() + 1), Some(Arc::new(others)));
    }
    match config.store.in_sync_replicas {
        n if n <= 1 => (Need::Nothing, None),
        n => (Need::Acks(n as usize), None),
    }
}

/// Whether a message's properties ask the broker to wait for the store (`WAIT`, default
/// true).
pub(crate) fn waits(props: &str) -> bool {
    use ferromq_protocol::message::properties::{find_property, keys};
    find_property(props, keys::WAIT_STORE_MSG_OK).is_none_or(|v| !v.eq_ignore_ascii_case("false"))
}

/// Shared by the HA tasks: the replication state and the store.
pub(crate) type Shared = Arc<crate::context::BrokerContext>;
