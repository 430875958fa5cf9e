//! Drives a live broker's request handler in process with sequences of requests: codes from
//! the real table, header fields and bodies built from a dictionary of hostile values (`..`,
//! `/`, NUL, huge numbers, huge strings, the broker's own topic names) and fuzzer bytes.
//!
//! After every sequence: no panic (any panic aborts the run), nothing was created outside the
//! store root, the store root holds only what a broker creates, every message acknowledged at
//! start-up is still readable, and the process's anonymous memory stays bounded.
//!
//! Administrative requests that are destructive by design (UPDATE_BROKER_CONFIG can set
//! retention to zero, DELETE_TOPIC on a real topic deletes it) are honoured for any client,
//! as Java does without ACL (docs/security.md). UPDATE_BROKER_CONFIG is left out and the
//! witness topic's name is not in the dictionary, so the fuzzer cannot reach them through a
//! legitimate admin path.
//!
//! `cargo +nightly fuzz run requests -- -max_len=4096 -detect_leaks=0` (the broker lives
//! across inputs and keeps what it was asked to keep — parked pulls, registered clients —
//! which leak detection would report; memory is bounded by the RSS check instead).

#![no_main]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::Bytes;
use ferromq_broker::BrokerHandler;
use ferromq_broker::Broker;
use ferromq_config::{BrokerConfig, ConfigTable};
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::{request_code as rc, RemotingCommand, SerializeType};
use ferromq_remoting::{Channel, ChannelConfig, Dispatcher};
use libfuzzer_sys::fuzz_target;

const WITNESS_TOPIC: &str = "FuzzWitness_b7e1";
const WITNESS_MESSAGES: usize = 24;
/// Anonymous memory the process may use (the broker, the fuzzer's corpus, the runtime).
const RSS_ANON_LIMIT_KIB: u64 = 1_536 * 1024;

/// Hostile and interesting values for header fields and body parts.
const DICT: &[&str] = &[
    "..", "/", "../..", "%DLQ%/../..", "%RETRY%/../..", "a\u{0}", "", " ", "a/b", "a.b",
    "%RETRY%", "%DLQ%", "%RETRY%cg", "%DLQ%cg", "cg", "cg2", "CID_RMQ_SYS_TRANS", "TOOLS_CONSUMER",
    "T", "T2", "TBW102", "SELF_TEST_TOPIC", "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC", "rmq_sys_wheel_timer", "OFFSET_MOVED_EVENT", "CHECKPOINT_TOPIC",
    "BenchmarkTest", "RMQ_SYS_TRACE_TOPIC", "FuzzCluster", "broker-fuzz", "*", "TagA || TagB",
    "a > 5", "SQL92", "TAG", "true", "false", "0", "1", "-1", "8", "12", "2147483647",
    "-2147483648", "9223372036854775807", "-9223372036854775808", "1e9", "0x10", "NaN",
    "0 1 60000 0 0 broker-fuzz 0 0", "0 1 60000 999 1 broker-fuzz 0 0", "0 1 2 3 2 b 0",
];

/// Header keys the broker's handlers read.
const KEYS: &[&str] = &[
    "topic", "queueId", "consumerGroup", "group", "groupName", "producerGroup", "queueOffset",
    "maxMsgNums", "sysFlag", "commitOffset", "suspendTimeoutMillis", "subscription",
    "subVersion", "expressionType", "maxMsgBytes", "offset", "delayLevel", "originMsgId",
    "originTopic", "maxReconsumeTimes", "properties", "defaultTopic", "defaultTopicQueueNums",
    "bornTimestamp", "flag", "reconsumeTimes", "unitMode", "batch", "a", "b", "c", "d", "e", "f",
    "g", "h", "i", "j", "k", "l", "m", "n", "commitLogOffset", "tranStateTableOffset",
    "commitOrRollback", "fromTransactionCheck", "msgId", "transactionId", "key", "maxNum",
    "beginTimestamp", "endTimestamp", "readQueueNums", "writeQueueNums", "perm",
    "topicFilterType", "topicSysFlag", "order", "attributes", "timestamp", "boundaryType",
    "clientId", "isForce", "srcGroup", "destGroup", "cleanOffset", "consumerGroupName",
    "uniqueKeyFlag", "committed", "setZeroIfNotFound", "extraInfo", "invisibleTime", "pollTime",
    "bornTime", "initMode", "expType", "exp", "attemptId",
];

#[derive(Arbitrary, Debug)]
enum Val {
    Dict(u8),
    Int(i64),
    Small(i8),
    /// Short text: names stay in a bounded space, so topics the fuzzer creates do not grow
    /// the broker without bound (creating topics is an admin right).
    Text([u8; 6]),
    Huge(u16),
}

impl Val {
    fn render(&self) -> String {
        match self {
            Val::Dict(i) => DICT[*i as usize % DICT.len()].to_string(),
            Val::Int(n) => n.to_string(),
            Val::Small(n) => n.to_string(),
            Val::Text(b) => b
                .iter()
                .map(|c| (b'a' + c % 26) as char)
                .take(1 + (b[0] % 6) as usize)
                .collect(),
            Val::Huge(n) => "x".repeat(*n as usize % 40_000),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Body {
    None,
    Heartbeat { group: Val, topic: Val, expr: Val, producer: Val, fp: i32 },
    Lock { group: Val, topic: Val, queue: i32 },
    Group { name: Val },
    TopicList { name: Val, queues: i32, perm: i8 },
    CheckClient { group: Val, topic: Val, expr: Val },
    Message(Vec<u8>),
    Properties(Vec<(Val, Val)>),
}

#[derive(Arbitrary, Debug)]
struct Op {
    code: u8,
    raw_code: Option<i16>,
    fields: Vec<(u8, Val)>,
    body: Body,
    binary: bool,
    oneway: bool,
}

/// The request codes driven: the broker's table, minus UPDATE_BROKER_CONFIG (see above).
fn codes() -> &'static [i32] {
    static CODES: OnceLock<Vec<i32>> = OnceLock::new();
    CODES.get_or_init(|| {
        rc::TABLE
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| *c != rc::UPDATE_BROKER_CONFIG)
            .collect()
    })
}

fn json(v: serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_vec(&v).unwrap())
}

fn body(b: &Body) -> Bytes {
    match b {
        Body::None => Bytes::new(),
        Body::Heartbeat { group, topic, expr, producer, fp } => json(serde_json::json!({
            "clientID": "fuzz@1", "heartbeatFingerprint": fp,
            "consumerDataSet": [{ "groupName": group.render(), "consumeType": "CONSUME_PASSIVELY",
                "messageModel": "CLUSTERING", "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
                "subscriptionDataSet": [{ "topic": topic.render(), "subString": expr.render(),
                    "subVersion": 1, "expressionType": "TAG" }] }],
            "producerDataSet": [{ "groupName": producer.render() }] })),
        Body::Lock { group, topic, queue } => json(serde_json::json!({
            "consumerGroup": group.render(), "clientId": "fuzz@1",
            "mqSet": [{ "topic": topic.render(), "brokerName": "broker-fuzz", "queueId": queue }] })),
        Body::Group { name } => json(serde_json::json!({ "groupName": name.render() })),
        Body::TopicList { name, queues, perm } => json(serde_json::json!({ "topicConfigList": [{
            "topicName": name.render(), "readQueueNums": queues, "writeQueueNums": queues,
            "perm": perm }] })),
        Body::CheckClient { group, topic, expr } => json(serde_json::json!({
            "clientId": "fuzz@1", "group": group.render(),
            "subscriptionData": { "topic": topic.render(), "subString": expr.render(),
                "expressionType": "SQL92" } })),
        Body::Message(b) => Bytes::copy_from_slice(b),
        Body::Properties(pairs) => {
            let mut p = Properties::new();
            for (k, v) in pairs {
                p.insert(k.render(), v.render());
            }
            Bytes::from(p.encode())
        }
    }
}

fn command(op: &Op) -> RemotingCommand {
    let code = match op.raw_code {
        Some(c) => c as i32,
        None => codes()[op.code as usize % codes().len()],
    };
    let mut cmd = RemotingCommand::request(code).with_body(body(&op.body));
    for (k, v) in op.fields.iter().take(24) {
        cmd.ext_fields
            .insert(KEYS[*k as usize % KEYS.len()], v.render());
    }
    if op.binary {
        cmd = cmd.with_serialize_type(SerializeType::RocketMq);
    }
    if op.oneway {
        cmd = cmd.into_oneway();
    }
    cmd
}

struct Fixture {
    rt: tokio::runtime::Runtime,
    client: Channel,
    broker: Broker,
    parent: PathBuf,
    root: PathBuf,
    witness: Vec<(i32, i64, Vec<u8>)>,
    _dir: tempfile::TempDir,
}

fn witness_body(i: usize) -> Vec<u8> {
    format!("witness-{i}").into_bytes()
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().to_path_buf();
        let root = parent.join("store");
        let (broker, client, witness) = rt.block_on(async {
            let mut c = BrokerConfig::default();
            for (k, v) in [
                ("brokerName", "broker-fuzz"),
                ("brokerClusterName", "FuzzCluster"),
                ("brokerIP1", "127.0.0.1"),
                ("storePathRootDir", root.to_str().unwrap()),
                ("mappedFileSizeCommitLog", "4194304"),
                ("mappedFileSizeConsumeQueue", "60000"),
                ("maxIndexNum", "10000"),
                ("maxHashSlotNum", "1000"),
                ("enablePropertyFilter", "true"),
                ("diskSpaceWarningLevelRatio", "99"),
                ("diskSpaceCleanForciblyRatio", "99"),
                ("diskMaxUsedSpaceRatio", "99"),
                ("transactionCheckInterval", "1000"),
            ] {
                c.set(k, v).unwrap();
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let broker = Broker::start(c, listener, None).await.unwrap();
            let handler = Arc::new(BrokerHandler::new(broker.context().clone()));
            let (server_io, client_io) = tokio::io::duplex(1 << 20);
            let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
            let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
            let _server = Channel::spawn_io(server_io, a, b, handler, ChannelConfig::default());
            let (client, _) = Channel::spawn_io(
                client_io,
                b,
                a,
                Arc::new(Dispatcher::new()),
                ChannelConfig::default(),
            );
            let witness = store_witness(&broker).await;
            (broker, client, witness)
        });
        Fixture {
            rt,
            client,
            broker,
            parent,
            root,
            witness,
            _dir: dir,
        }
    })
}

async fn store_witness(broker: &Broker) -> Vec<(i32, i64, Vec<u8>)> {
    let ctx = broker.context();
    let mut cfg = ferromq_model::TopicConfig::with_queues(WITNESS_TOPIC, 2, 2, 6);
    cfg.perm = 6;
    ctx.tables().topics().put(cfg).unwrap();
    let mut out = Vec::new();
    for i in 0..WITNESS_MESSAGES {
        let mut p = Properties::new();
        p.insert(keys::KEYS, format!("w{i}"));
        let put = ctx.store().put_message(&ferromq_store::MessageToStore {
            topic: WITNESS_TOPIC.into(),
            queue_id: (i % 2) as i32,
            flag: 0,
            body: witness_body(i).into(),
            properties: p.encode(),
            sys_flag: 0,
            born_timestamp: 1,
            born_host: ctx.identity().store_host(),
            store_host: ctx.identity().store_host(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        });
        let info = put.append.expect("witness stored");
        out.push(((i % 2) as i32, info.queue_offset, witness_body(i)));
    }
    assert!(ctx.store().wait_dispatched(Duration::from_secs(10)));
    out
}

fn check_invariants(f: &Fixture) {
    // Nothing outside the store root.
    for e in std::fs::read_dir(&f.parent).unwrap().flatten() {
        assert_eq!(e.path(), f.root, "created outside the store root");
    }
    check_layout(&f.root);
    // Every acknowledged message still readable.
    let store = &f.broker.context().store();
    for (q, offset, body) in &f.witness {
        let r = store.get_messages(WITNESS_TOPIC, *q, *offset, 1, 1 << 20, None);
        let rec = r.messages.first().expect("witness message readable");
        let m = ferromq_protocol::message::record::MessageExt::decode(rec).unwrap();
        assert_eq!(&m.body[..], &body[..], "witness message changed");
    }
    // Memory stays bounded.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kib) = status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
    {
        assert!(kib < RSS_ANON_LIMIT_KIB, "anonymous RSS {kib} KiB");
    }
}

fn check_layout(root: &Path) {
    const TOP: &[&str] = &[
        "abort", "checkpoint", "commitlog", "config", "consumequeue", "index", "lock",
    ];
    for e in std::fs::read_dir(root).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(TOP.contains(&name.as_str()), "unexpected {name} in the store root");
    }
    for e in std::fs::read_dir(root.join("consumequeue")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            ferromq_model::validate::validate_topic(&name).is_ok(),
            "ConsumeQueue directory {name:?}"
        );
    }
    for dir in ["commitlog", "consumequeue", "index", "config"] {
        assert!(root.join(dir).is_dir(), "{dir}/ is gone");
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let f = fixture();
    f.rt.block_on(async {
        for op in ops.iter().take(16) {
            let cmd = command(op);
            if cmd.is_oneway() {
                let _ = f.client.oneway(cmd).await;
            } else {
                // Parked pulls and calls relayed to clients wait; everything else answers
                // at once.
                let _ = f.client.request(cmd, Duration::from_millis(10)).await;
            }
        }
    });
    check_invariants(f);
});
