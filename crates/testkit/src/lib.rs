//! An in-process FerroMQ cluster for tests: NameServers and brokers on `127.0.0.1:0` with
//! temporary store directories, plus small helpers that speak the raw protocol.
//!
//! One file, no modules: [`TestCluster`] (start, restart a broker, call, settle, shut down),
//! [`test_broker_config`], and request builders ([`send_request`], [`pull_request`],
//! [`create_topic_request`], …) with [`records`] to decode what comes back.

#![warn(unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferromq_broker::Broker;
use ferromq_config::{BrokerConfig, ConfigTable};
use ferromq_namesrv::{LiveConfig, NameServer, NameServerOptions};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_remoting::{RemotingClient, ServerConfig};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long helpers wait for a response.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A NameServer and one or more brokers.
pub struct TestCluster {
    /// `127.0.0.1:port` of the NameServer.
    pub namesrv_addr: String,
    /// The running brokers (index 0 first).
    pub brokers: Vec<Broker>,
    configs: Vec<BrokerConfig>,
    dirs: Vec<TempDir>,
    stop: CancellationToken,
    client: RemotingClient,
}

/// A broker config for tests: small mapped files, loopback address, fast timers.
pub fn test_broker_config(dir: &std::path::Path, namesrv: &str, name: &str) -> BrokerConfig {
    let mut c = BrokerConfig::default();
    let set =
        |c: &mut BrokerConfig, k: &str, v: &str| c.set(k, v).unwrap_or_else(|e| panic!("{k}: {e}"));
    set(&mut c, "brokerName", name);
    set(&mut c, "brokerClusterName", "TestCluster");
    set(&mut c, "brokerIP1", "127.0.0.1");
    set(&mut c, "brokerIP2", "127.0.0.1");
    // Any free port for the HA port too, on loopback only.
    set(&mut c, "listenPort", "0");
    set(&mut c, "bindAddress", "127.0.0.1");
    set(&mut c, "namesrvAddr", namesrv);
    set(&mut c, "storePathRootDir", &dir.to_string_lossy());
    set(
        &mut c,
        "mappedFileSizeCommitLog",
        &(16 * 1024 * 1024).to_string(),
    );
    set(
        &mut c,
        "mappedFileSizeConsumeQueue",
        &(20 * 10_000).to_string(),
    );
    set(&mut c, "maxIndexNum", "100000");
    set(&mut c, "maxHashSlotNum", "10000");
    // Tests share crowded disks: do not refuse writes at Java's 90 % default.
    set(&mut c, "diskMaxUsedSpaceRatio", "95");
    set(&mut c, "diskSpaceCleanForciblyRatio", "97");
    set(&mut c, "diskSpaceWarningLevelRatio", "99");
    c
}

/// The super user [`acl2`] creates: `rocketmq` / `12345678` (the Java distribution's).
pub const ACL_ROOT: (&str, &str) = ("rocketmq", "12345678");

/// Turns ACL 2.0 on in `c` as a Java 5.3 broker.conf does: authentication and authorization
/// with the local metadata providers, and [`ACL_ROOT`] as the initial super user.
pub fn acl2(c: &mut BrokerConfig) {
    let init = format!(
        r#"{{"username":"{}","password":"{}"}}"#,
        ACL_ROOT.0, ACL_ROOT.1
    );
    for (k, v) in [
        ("authenticationEnabled", "true"),
        ("authorizationEnabled", "true"),
        (
            "authenticationMetadataProvider",
            "org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider",
        ),
        (
            "authorizationMetadataProvider",
            "org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider",
        ),
        ("initAuthenticationUser", init.as_str()),
    ] {
        c.set(k, v).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
}

impl TestCluster {
    /// One NameServer and one broker with default test settings.
    pub async fn start() -> Self {
        Self::start_with(1, |_| {}).await
    }

    /// One NameServer and `brokers` brokers; `tweak` adjusts each broker's config.
    pub async fn start_with(brokers: usize, tweak: impl Fn(&mut BrokerConfig)) -> Self {
        Self::start_each(brokers, |_, c| tweak(c)).await
    }

    /// A master (broker 0) and `slaves` slaves of the same broker set `broker-a`; `tweak`
    /// adjusts each config (index 0 is the master). The slaves find the master through the
    /// NameServer, as deployed brokers do.
    pub async fn start_set(slaves: usize, tweak: impl Fn(usize, &mut BrokerConfig)) -> Self {
        Self::start_each(1 + slaves, |i, c| {
            c.set("brokerName", "broker-a").expect("brokerName");
            if i > 0 {
                c.set("brokerRole", "SLAVE").expect("brokerRole");
                c.set("brokerId", &i.to_string()).expect("brokerId");
            }
            tweak(i, c);
        })
        .await
    }

    /// One NameServer and `brokers` brokers; `tweak(i, config)` adjusts broker `i`'s config.
    pub async fn start_each(brokers: usize, tweak: impl Fn(usize, &mut BrokerConfig)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind namesrv");
        let namesrv_addr = listener.local_addr().expect("addr").to_string();
        let stop = CancellationToken::new();
        let ns = NameServer::new(
            NameServerOptions::default(),
            Arc::new(LiveConfig::default()),
        );
        tokio::spawn(ns.run(
            listener,
            ServerConfig::default(),
            stop.clone().cancelled_owned(),
        ));
        let mut cluster = TestCluster {
            namesrv_addr: namesrv_addr.clone(),
            brokers: Vec::new(),
            configs: Vec::new(),
            dirs: Vec::new(),
            stop,
            client: RemotingClient::with_defaults(),
        };
        for i in 0..brokers {
            let dir = tempfile::tempdir().expect("tempdir");
            let name = format!("broker-{}", (b'a' + i as u8) as char);
            let mut config = test_broker_config(dir.path(), &namesrv_addr, &name);
            tweak(i, &mut config);
            config.apply_startup_rules().expect("valid test config");
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind broker");
            let broker = Broker::start(config.clone(), l, None)
                .await
                .expect("broker starts");
            broker.register_now().await;
            cluster.brokers.push(broker);
            cluster.configs.push(config);
            cluster.dirs.push(dir);
        }
        cluster
    }

    /// Shuts broker `i` down cleanly and starts it again on the same directory (and port).
    pub async fn restart_broker(&mut self, i: usize) {
        let addr = self.stop_broker(i).await;
        self.start_broker(i, addr).await;
    }

    /// Shuts broker `i` down cleanly (later brokers move down one place); returns its
    /// address for [`TestCluster::start_broker`].
    pub async fn stop_broker(&mut self, i: usize) -> std::net::SocketAddr {
        let old = self.brokers.remove(i);
        let addr = old.addr();
        old.shutdown().await;
        addr
    }

    /// Starts broker `i` again (its config and directory) at `addr`, in place `i` (or last,
    /// when fewer brokers run).
    pub async fn start_broker(&mut self, i: usize, addr: std::net::SocketAddr) {
        let l = bind_retrying(addr).await;
        let broker = Broker::start(self.configs[i].clone(), l, None)
            .await
            .expect("broker restarts");
        broker.register_now().await;
        let at = i.min(self.brokers.len());
        self.brokers.insert(at, broker);
    }

    /// Sends `req` to broker `i`.
    pub async fn call_broker(&self, i: usize, req: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke_sync(&self.brokers[i].addr().to_string(), req, TIMEOUT)
            .await
            .expect("broker answers")
    }

    /// The first broker's address.
    pub fn broker_addr(&self) -> String {
        self.brokers[0].addr().to_string()
    }

    /// A client for raw requests.
    pub fn client(&self) -> &RemotingClient {
        &self.client
    }

    /// Sends `req` to the first broker.
    pub async fn call(&self, req: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke_sync(&self.broker_addr(), req, TIMEOUT)
            .await
            .expect("broker answers")
    }

    /// Sends `req` to the NameServer.
    pub async fn call_namesrv(&self, req: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke_sync(&self.namesrv_addr, req, TIMEOUT)
            .await
            .expect("name server answers")
    }

    /// Waits until every broker's ConsumeQueues and index cover everything appended (the store
    /// dispatches asynchronously, as Java's reput service does).
    pub fn settle(&self) {
        for b in &self.brokers {
            assert!(
                b.context().store().wait_dispatched(Duration::from_secs(10)),
                "dispatch did not catch up"
            );
        }
    }

    /// Sends `req` to the first broker and waits for it to be dispatched.
    pub async fn send(&self, req: RemotingCommand) -> RemotingCommand {
        let r = self.call(req).await;
        self.settle();
        r
    }

    /// Creates `topic` with `queues` read/write queues on the first broker.
    pub async fn create_topic(&self, topic: &str, queues: i32) -> RemotingCommand {
        self.create_topic_with(topic, queues, 6).await
    }

    /// Creates (or updates) `topic` with `queues` read/write queues and permission `perm`.
    pub async fn create_topic_with(&self, topic: &str, queues: i32, perm: i32) -> RemotingCommand {
        self.call(create_topic_request(topic, queues, perm)).await
    }

    /// The restart-surviving temporary directory of broker `i`.
    pub fn broker_dir(&self, i: usize) -> &std::path::Path {
        self.dirs[i].path()
    }

    /// Shuts everything down (brokers cleanly).
    pub async fn shutdown(mut self) {
        for b in self.brokers.drain(..) {
            b.shutdown().await;
        }
        self.stop.cancel();
        self.client.shutdown();
    }
}

async fn bind_retrying(addr: std::net::SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(l) = TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind {addr} again");
}

/// An UPDATE_AND_CREATE_TOPIC request: `queues` read and write queues, permission `perm`.
pub fn create_topic_request(topic: &str, queues: i32, perm: i32) -> RemotingCommand {
    let h = CreateTopicRequestHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
        attributes: None,
        force: None,
    };
    RemotingCommand::request_with(rc::UPDATE_AND_CREATE_TOPIC, &h)
}

/// A name unique to this test process: `{prefix}_{pid}_{n}`.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The records of a pull or query response body.
pub fn records(resp: &RemotingCommand) -> Vec<ferromq_protocol::message::record::MessageExt> {
    let body: Bytes = resp.body.to_bytes();
    ferromq_protocol::message::record::MessageExt::decode_all(&body).expect("valid records")
}

/// A SEND_MESSAGE_V2 request for `topic`/`queue_id` with a tag, keys and a unique key.
pub fn send_request(
    topic: &str,
    queue_id: i32,
    body: impl Into<Bytes>,
    tag: Option<&str>,
    keys_: &[&str],
) -> RemotingCommand {
    let mut props = Properties::new();
    if let Some(t) = tag {
        props.insert(keys::TAGS, t);
    }
    if !keys_.is_empty() {
        props.insert(keys::KEYS, keys_.join(" "));
    }
    props.insert(keys::WAIT_STORE_MSG_OK, "true");
    send_request_with(topic, queue_id, body, &props, 0)
}

/// A SEND_MESSAGE_V2 request with explicit properties and sysflag (transactions, delays).
pub fn send_request_with(
    topic: &str,
    queue_id: i32,
    body: impl Into<Bytes>,
    props: &Properties,
    sys_flag: i32,
) -> RemotingCommand {
    let h = SendMessageRequestHeader {
        producer_group: props.get(keys::PRODUCER_GROUP).unwrap_or("test_pg").into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(props.encode()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        batch: Some(false),
        max_reconsume_times: None,
        broker_name: None,
    };
    RemotingCommand::request_with(
        rc::SEND_MESSAGE_V2,
        &SendMessageRequestHeaderV2::from_v1(&h),
    )
    .with_body(body.into())
}

/// A PULL_MESSAGE request carrying its subscription (so no heartbeat is needed).
pub fn pull_request(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    max: i32,
    subscription: &str,
    suspend_ms: i64,
) -> RemotingCommand {
    use ferromq_protocol::message::sysflag::pull;
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: max,
        sys_flag: pull::build(false, suspend_ms > 0, true, false),
        commit_offset: 0,
        suspend_timeout_millis: suspend_ms,
        subscription: Some(subscription.into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
        request_source: None,
        proxy_forward_client_id: None,
    };
    RemotingCommand::request_with(rc::PULL_MESSAGE, &h)
}
