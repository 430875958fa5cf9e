//! [`BrokerContext`]: the broker's parts, each a narrow handle with its own methods. A request
//! handler takes the parts it uses from here; nothing reaches into another part's fields.
//!
//! | part | owns |
//! |---|---|
//! | [`Access`] | ACL 1.0 accounts, ACL 2.0 users and policies, the broker's own credentials |
//! | [`Identity`] | cluster, name, id, the address clients reach |
//! | [`Settings`] | the live configuration (lock-free snapshots, serialized updates) |
//! | [`Tables`] | topics, subscription groups, consumer offsets (and their files) |
//! | [`Registration`] | the link to the NameServers |
//! | [`ClientRegistry`], [`QueueLocks`], [`FilterCache`] | live clients, ordered-consumption locks, compiled filters |
//! | [`PullHold`] | parked long-poll pulls |
//! | [`Delayed`] | delay-level progress, the timer wheel, resolved transactions |
//! | [`Pop`] | POP consumption: revive queues, orderly batches, held pops, request modes |
//! | [`BrokerStats`] | traffic counters |
//! | [`Replication`] | the role, the slaves' acknowledgements, where the master is |
//! | [`MessageStore`] | the storage engine |

use std::sync::Arc;

use ferromq_config::BrokerConfig;
use ferromq_store::MessageStore;

use crate::access::Access;
use crate::clients::ClientRegistry;
use crate::delayed::state::Delayed;
use crate::error::BrokerError;
use crate::filtering::FilterCache;
use crate::ha::Replication;
use crate::identity::Identity;
use crate::pop::Pop;
use crate::pull_hold::PullHold;
use crate::queue_locks::QueueLocks;
use crate::registration::Registration;
use crate::settings::Settings;
use crate::stats::BrokerStats;
use crate::tables::Tables;

/// The broker's parts.
pub struct BrokerContext {
    access: Access,
    identity: Arc<Identity>,
    settings: Arc<Settings>,
    tables: Arc<Tables>,
    registration: Arc<Registration>,
    clients: ClientRegistry,
    queue_locks: QueueLocks,
    filters: FilterCache,
    pull_hold: PullHold,
    delayed: Delayed,
    pop: Pop,
    stats: BrokerStats,
    replication: Arc<Replication>,
    store: Arc<MessageStore>,
}

impl BrokerContext {
    /// Assembles the parts over an open store: loads the tables and delayed-delivery progress
    /// from the store root.
    pub fn new(
        config: BrokerConfig,
        identity: Identity,
        store: Arc<MessageStore>,
    ) -> Result<Self, BrokerError> {
        let access = Access::new(&config)?;
        let tables = Arc::new(Tables::load(&config)?);
        let delayed = Delayed::load(&config.store.store_path_root_dir)?;
        let pop = Pop::load(
            &config.store.store_path_root_dir,
            config.broker.revive_queue_num,
        )?;
        let identity = Arc::new(identity);
        let replication = Arc::new(Replication::new(&config));
        let settings = Arc::new(Settings::new(config));
        let registration = Arc::new(Registration::new(
            identity.clone(),
            settings.clone(),
            tables.clone(),
            replication.clone(),
        ));
        Ok(BrokerContext {
            access,
            identity,
            settings,
            tables,
            registration,
            clients: ClientRegistry::new(),
            queue_locks: QueueLocks::default(),
            filters: FilterCache::default(),
            pull_hold: PullHold::new(),
            delayed,
            pop,
            stats: BrokerStats::default(),
            replication,
            store,
        })
    }

    /// Who may send what (ACL 1.0 and 2.0).
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Who this broker is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The live configuration.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Topics, groups and offsets.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The link to the NameServers.
    pub fn registration(&self) -> &Arc<Registration> {
        &self.registration
    }

    /// Live producers and consumers.
    pub fn clients(&self) -> &ClientRegistry {
        &self.clients
    }

    /// Queue locks of ordered consumption.
    pub fn queue_locks(&self) -> &QueueLocks {
        &self.queue_locks
    }

    /// Compiled subscription filters.
    pub fn filters(&self) -> &FilterCache {
        &self.filters
    }

    /// Parked long-poll pulls.
    pub fn pull_hold(&self) -> &PullHold {
        &self.pull_hold
    }

    /// Delay levels, timer messages, transactions.
    pub fn delayed(&self) -> &Delayed {
        &self.delayed
    }

    /// POP consumption: revive state, orderly batches, held pops, request modes.
    pub fn pop(&self) -> &Pop {
        &self.pop
    }

    /// Traffic counters.
    pub fn stats(&self) -> &BrokerStats {
        &self.stats
    }

    /// Master/slave replication.
    pub fn replication(&self) -> &Replication {
        &self.replication
    }

    /// The message store.
    pub fn store(&self) -> &Arc<MessageStore> {
        &self.store
    }

    /// Topics changed: persist them and tell the NameServers soon.
    pub fn topics_changed(&self) {
        self.tables.request_persist();
        self.registration.request();
    }

    /// Groups changed: persist them (no routing change).
    pub fn groups_changed(&self) {
        self.tables.request_persist();
    }

    /// Topics changed by an admin: persist them and register with every NameServer now,
    /// answering only once they know (as the Java broker does).
    pub async fn register_now(&self) {
        self.tables.request_persist();
        self.registration.now().await;
    }
}

/// A context over a fresh store in a temporary directory, for unit tests of request
/// handlers: no sockets, no NameServer, no background services.
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use ferromq_config::{BrokerConfig, ConfigTable};

    use super::BrokerContext;
    use crate::identity::Identity;

    /// A context and the directory it lives in (dropped with it).
    pub struct TestContext {
        pub ctx: Arc<BrokerContext>,
        _dir: tempfile::TempDir,
    }

    impl std::ops::Deref for TestContext {
        type Target = Arc<BrokerContext>;
        fn deref(&self) -> &Self::Target {
            &self.ctx
        }
    }

    impl Drop for TestContext {
        fn drop(&mut self) {
            let _ = self.ctx.store().shutdown();
        }
    }

    /// A broker context for tests, `tweak`ing a small-file configuration first.
    pub fn context_with(tweak: impl FnOnce(&mut BrokerConfig)) -> TestContext {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = BrokerConfig::default();
        for (k, v) in [
            ("brokerName", "broker-test"),
            ("brokerClusterName", "TestCluster"),
            ("brokerIP1", "127.0.0.1"),
            ("storePathRootDir", &dir.path().to_string_lossy()),
            ("mappedFileSizeCommitLog", "1048576"),
            ("mappedFileSizeConsumeQueue", "6000"),
            ("maxIndexNum", "1000"),
            ("maxHashSlotNum", "100"),
            ("diskSpaceWarningLevelRatio", "99"),
            ("diskSpaceCleanForciblyRatio", "99"),
            ("diskMaxUsedSpaceRatio", "99"),
        ] {
            c.set(k, v).expect("test config");
        }
        tweak(&mut c);
        let store = ferromq_store::MessageStore::open(crate::store_config::store_config(&c))
            .expect("store opens");
        let host: SocketAddr = "127.0.0.1:10911".parse().expect("address");
        let identity = Identity::new(
            &c.broker.broker_cluster_name,
            &c.broker.broker_name,
            c.broker.broker_id,
            host,
        );
        let ctx = BrokerContext::new(c, identity, store).expect("context");
        TestContext {
            ctx: Arc::new(ctx),
            _dir: dir,
        }
    }

    /// A broker context for tests with the defaults.
    pub fn context() -> TestContext {
        context_with(|_| {})
    }

    /// A connection for handlers to answer on, over an in-memory pipe (no socket); whatever
    /// the broker sends to the client end is read and dropped. Needs a tokio runtime.
    pub fn channel() -> ferromq_remoting::Channel {
        use tokio::io::AsyncReadExt;
        let (ours, theirs) = tokio::io::duplex(1 << 16);
        let addr: SocketAddr = "127.0.0.1:45678".parse().expect("address");
        let (ch, _) = ferromq_remoting::Channel::spawn_io(
            ours,
            addr,
            addr,
            Arc::new(ferromq_remoting::Dispatcher::new()),
            ferromq_remoting::ChannelConfig::default(),
        );
        tokio::spawn(async move {
            let mut theirs = theirs;
            let mut buf = vec![0u8; 1 << 16];
            while matches!(theirs.read(&mut buf).await, Ok(n) if n > 0) {}
        });
        ch
    }

    /// Creates `topic` with `queues` read/write queues and permission `perm`.
    pub fn topic(ctx: &BrokerContext, topic: &str, queues: i32, perm: i32) {
        ctx.tables()
            .topics()
            .put(ferromq_model::TopicConfig::with_queues(
                topic, queues, queues, perm,
            ))
            .expect("valid topic");
    }

    /// A SEND_MESSAGE_V2 request.
    pub fn send_request(
        topic: &str,
        queue_id: i32,
        body: &str,
        props: &ferromq_protocol::message::properties::Properties,
    ) -> ferromq_protocol::RemotingCommand {
        use ferromq_protocol::headers::{SendMessageRequestHeader, SendMessageRequestHeaderV2};
        let h = SendMessageRequestHeader {
            producer_group: "test_pg".into(),
            topic: topic.into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id,
            sys_flag: 0,
            born_timestamp: 1,
            flag: 0,
            properties: Some(props.encode()),
            reconsume_times: Some(0),
            unit_mode: None,
            batch: None,
            max_reconsume_times: None,
            broker_name: None,
        };
        ferromq_protocol::RemotingCommand::request_with(
            ferromq_protocol::request_code::SEND_MESSAGE_V2,
            &SendMessageRequestHeaderV2::from_v1(&h),
        )
        .with_body(body.as_bytes().to_vec())
    }
}
