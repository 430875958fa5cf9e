//! Shared helpers: the server address, unique names, topic/group setup, waiting.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use ferromq_client::{Admin, MessageQueue, ReceivedMessage};
use ferromq_model::{DataVersion, RegisterBrokerBody};
use ferromq_model::{SubscriptionGroupConfig, TopicConfig};
use ferromq_protocol::headers::RegisterBrokerRequestHeader;
use ferromq_protocol::{request_code, RemotingCommand};
use ferromq_remoting::RemotingClient;

/// The NameServer under test: `FERROMQ_TEST_NAMESRV`, or an in-process FerroMQ cluster
/// started once for this test binary. (An `Option` so tests read `let Some(ns) = …`; it is
/// always `Some`.)
pub fn namesrv() -> Option<String> {
    init_tracing();
    let addr = std::env::var("FERROMQ_TEST_NAMESRV")
        .ok()
        .filter(|s| !s.trim().is_empty());
    Some(addr.unwrap_or_else(|| in_process_cluster().to_string()))
}

/// Starts a FerroMQ NameServer + broker on a runtime of its own that lives as long as the
/// test process (each `#[tokio::test]` has its own short-lived runtime).
fn in_process_cluster() -> &'static str {
    static ADDR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ADDR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("ferromq-test-cluster".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let cluster = ferromq_testkit::TestCluster::start_with(1, |cfg| {
                        use ferromq_config::ConfigTable;
                        for (k, v) in [
                            ("enablePropertyFilter", "true"),
                            (
                                "messageDelayLevel",
                                "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s",
                            ),
                            ("transactionCheckInterval", "1000"),
                            ("transactionTimeOut", "1000"),
                        ] {
                            cfg.set(k, v).expect("test broker config");
                        }
                    })
                    .await;
                    tx.send(cluster.namesrv_addr.clone())
                        .expect("report address");
                    // Keep the cluster (and this runtime) alive for the whole test process.
                    std::future::pending::<()>().await;
                    drop(cluster);
                });
            })
            .expect("spawn cluster thread");
        rx.recv().expect("in-process cluster started")
    })
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A name no other test (or earlier run) uses: `{prefix}_{pid}_{secs}_{n}`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        secs % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Prefix of the fake clusters some tests register (skipped by [`cluster`]).
pub const FAKE_CLUSTER_PREFIX: &str = "zzFake";

/// The first real cluster of the server.
pub async fn cluster(admin: &Admin) -> String {
    let info = admin.cluster_info().await.expect("cluster info");
    info.cluster_addr_table
        .keys()
        .find(|c| !c.starts_with(FAKE_CLUSTER_PREFIX))
        .expect("a cluster")
        .clone()
}

/// Pulls `mq` from `offset` until at least `n` messages come back (the broker indexes new
/// messages asynchronously).
pub async fn pull_at_least(
    admin: &Admin,
    mq: &MessageQueue,
    offset: i64,
    n: usize,
) -> Vec<ReceivedMessage> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = admin
            .pull_messages(mq, "*", offset, 64)
            .await
            .expect("pull");
        if r.messages.len() >= n || tokio::time::Instant::now() >= deadline {
            return r.messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates `topic` with `queues` read/write queues on every master and waits until the
/// NameServer routes it.
pub async fn create_topic(admin: &Admin, topic: &str, queues: i32) {
    let cluster = cluster(admin).await;
    let cfg = TopicConfig::with_queues(topic, queues, queues, 6);
    admin
        .create_or_update_topic_in_cluster(&cluster, &cfg)
        .await
        .expect("create topic");
    wait_until(Duration::from_secs(15), || async {
        admin
            .topic_route(topic)
            .await
            .is_ok_and(|r| !r.queue_datas.is_empty())
    })
    .await;
}

/// Creates a subscription group on every master.
pub async fn create_group(admin: &Admin, group: &str) {
    let cluster = cluster(admin).await;
    admin
        .create_or_update_subscription_group_in_cluster(
            &cluster,
            &SubscriptionGroupConfig::new(group),
        )
        .await
        .expect("create group");
}

/// Polls `cond` every 100 ms until it holds; panics after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("condition not met within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Epoch ms.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A "broker" that accepts connections and closes them at once, counting them.
pub async fn dead_listener() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, count)
}

/// Registers a broker group at `addr` hosting `topic`. The registration lives as long as the
/// returned client's connection.
pub async fn register_fake_broker(
    ns: &str,
    cluster: &str,
    topic: &str,
    broker_name: &str,
    addr: &str,
) -> RemotingClient {
    let client = RemotingClient::with_defaults();
    let mut body = RegisterBrokerBody::default();
    body.topic_config_serialize_wrapper.data_version = DataVersion::new();
    body.topic_config_serialize_wrapper
        .topic_config_table
        .insert(topic.to_string(), TopicConfig::with_queues(topic, 4, 4, 6));
    // A NameServer ignores a first registration carrying exactly one topic.
    let filler = format!("{broker_name}_filler");
    body.topic_config_serialize_wrapper
        .topic_config_table
        .insert(filler.clone(), TopicConfig::with_queues(filler, 1, 1, 6));
    let header = RegisterBrokerRequestHeader {
        broker_name: broker_name.into(),
        broker_addr: addr.into(),
        cluster_name: cluster.into(),
        ha_server_addr: "127.0.0.1:2".into(),
        broker_id: 0,
        heartbeat_timeout_millis: Some(60_000),
        enable_acting_master: Some(false),
        compressed: Some(false),
        body_crc32: Some(0),
        zone_name: None,
    };
    let req = RemotingCommand::request_with(request_code::REGISTER_BROKER, &header)
        .with_body(serde_json::to_vec(&body).unwrap());
    let resp = client
        .invoke_sync(ns, req, Duration::from_secs(3))
        .await
        .expect("register");
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    client
}
