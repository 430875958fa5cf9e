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

mod acks;
mod master;
mod metadata;
mod need;
mod slave;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferromq_config::{BrokerConfig, BrokerRole};
use ferromq_store::{PutMessageStatus, PutResult};
use parking_lot::Mutex;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

pub(crate) use master::serve;
pub(crate) use metadata::sync_from_master;
pub(crate) use slave::follow;

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
    role: BrokerRole,
    acks: AckTable,
    /// Woken when a write waits for the slaves, so the transfer goes out at once.
    appended: Notify,
    master: watch::Sender<MasterLink>,
    configured_master: Option<String>,
    listen: OnceLock<SocketAddr>,
    connection_ids: Mutex<u64>,
    link: Mutex<LinkState>,
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
        Replication {
            role: config.store.broker_role,
            acks: AckTable::default(),
            appended: Notify::new(),
            master: watch::channel(link).0,
            configured_master,
            listen: OnceLock::new(),
            connection_ids: Mutex::new(0),
            link: Mutex::new(LinkState::default()),
        }
    }

    /// `brokerRole`.
    pub fn role(&self) -> BrokerRole {
        self.role
    }

    /// Whether this broker is a slave (refuses writes, follows a master).
    pub fn is_slave(&self) -> bool {
        self.role == BrokerRole::Slave
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
        let conns: Vec<HaConnectionRuntimeInfo> = self
            .acks
            .slaves(now as u64)
            .into_iter()
            .map(|s| HaConnectionRuntimeInfo {
                addr: s.addr,
                slave_ack_offset: s.acked,
                diff: max_offset - s.acked,
                in_sync: max_offset - s.acked < max_gap,
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
        let rules = rules(config);
        let in_sync = if rules.slave_acting_master {
            self.acks
                .in_sync(next, config.store.ha_max_gap_not_in_sync.max(0) as i64)
        } else {
            0
        };
        let need = rules.need(wait, in_sync);
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
        let replicated = self.acks.wait(next, n, deadline).await;
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

fn rules(config: &BrokerConfig) -> HaRules {
    HaRules {
        role: config.store.broker_role,
        in_sync_replicas: config.store.in_sync_replicas,
        min_in_sync_replicas: config.store.min_in_sync_replicas,
        auto_in_sync_replicas: config.store.enable_auto_in_sync_replicas,
        slave_acting_master: config.broker.enable_slave_acting_master,
        duplication_enable: config.store.duplication_enable,
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
