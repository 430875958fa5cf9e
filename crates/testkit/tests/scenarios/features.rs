//! Issue 6 features at the protocol level: delay levels, timer messages, send-back to the
//! retry topic and the DLQ, transactions with check-backs, each across a broker restart.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::{ConsumerData, HeartbeatData, ProducerData};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::id::decode_offset_msg_id;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::sysflag::message as sf;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::{Channel, ClientConfig, RemotingClient, RequestHandler, ResponseFuture};
use ferromq_testkit::{pull_request, send_request_with, TestCluster, TIMEOUT};

use crate::{records, unique};

fn set(cfg: &mut ferromq_config::BrokerConfig, k: &str, v: &str) {
    ferromq_config::ConfigTable::set(cfg, k, v).unwrap();
}

async fn cluster() -> TestCluster {
    TestCluster::start_with(1, |cfg| {
        set(
            cfg,
            "messageDelayLevel",
            "1s 2s 3s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s",
        );
        set(cfg, "transactionCheckInterval", "300");
        set(cfg, "transactionTimeOut", "500");
    })
    .await
}

/// Pulls everything currently in `topic`/`queue` from `from`.
async fn pull_all(c: &TestCluster, topic: &str, queue: i32, from: i64) -> Vec<MessageExt> {
    c.settle();
    let r = c
        .call(pull_request("probe", topic, queue, from, 32, "*", 0))
        .await;
    if r.code == code::SUCCESS {
        records(&r)
    } else {
        Vec::new()
    }
}

/// Polls until `topic`/`queue` holds `n` messages; returns them and when they were seen.
async fn wait_for(
    c: &TestCluster,
    topic: &str,
    queue: i32,
    n: usize,
    within: Duration,
) -> (Vec<MessageExt>, Instant) {
    let deadline = Instant::now() + within;
    loop {
        let got = pull_all(c, topic, queue, 0).await;
        if got.len() >= n {
            return (got, Instant::now());
        }
        assert!(
            Instant::now() < deadline,
            "{topic}/{queue}: {} of {n} messages after {within:?}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The timer keys of GET_BROKER_RUNTIME_INFO (all of them must be there, as in Java).
async fn timer_runtime_info(c: &TestCluster) -> std::collections::HashMap<String, String> {
    let r = c
        .call(RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO))
        .await;
    let kv: ferromq_model::KVTable =
        ferromq_model::from_fastjson_slice(&r.body.to_bytes()).unwrap();
    let keys = [
        "timerReadBehind",
        "timerOffsetBehind",
        "timerCongestNum",
        "timerEnqueueTps",
        "timerDequeueTps",
    ];
    keys.iter()
        .map(|k| {
            let v = kv.table.get(*k).unwrap_or_else(|| panic!("no {k}"));
            assert!(v.parse::<f64>().is_ok(), "{k} = {v}");
            (k.to_string(), v.clone())
        })
        .collect()
}

/// Polls `timerCongestNum` (the wheel is filled and drained every 100 ms) until it is `want`.
async fn await_timer_congest(c: &TestCluster, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let got = timer_runtime_info(c).await["timerCongestNum"].clone();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timerCongestNum {got}, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    let mut p = Properties::new();
    for (k, v) in pairs {
        p.insert(*k, *v);
    }
    p
}

#[tokio::test]
async fn delay_levels_deliver_on_time_and_survive_restart() {
    let mut c = cluster().await;
    let topic = unique("Delay");
    c.create_topic(&topic, 1).await;
    let sent = Instant::now();
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "d2",
            &props(&[(keys::DELAY_TIME_LEVEL, "2")]),
            0,
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    assert!(
        pull_all(&c, &topic, 0, 0).await.is_empty(),
        "not delivered before its time"
    );
    let (got, seen) = wait_for(&c, &topic, 0, 1, Duration::from_secs(5)).await;
    let waited = seen - sent;
    assert!(
        waited >= Duration::from_millis(1900),
        "delivered after {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(3200),
        "delivered after {waited:?}"
    );
    assert_eq!(&got[0].body[..], b"d2");
    let p = Properties::parse_bytes(&got[0].properties);
    assert_eq!(p.get(keys::REAL_TOPIC), Some(topic.as_str()));

    // a pending delayed message survives a restart and is delivered once
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "d3",
            &props(&[(keys::DELAY_TIME_LEVEL, "3")]),
            0,
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    c.restart_broker(0).await;
    let (got, _) = wait_for(&c, &topic, 0, 2, Duration::from_secs(8)).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        pull_all(&c, &topic, 0, 0).await.len(),
        2,
        "delivered exactly once"
    );
    assert_eq!(&got[1].body[..], b"d3");
    c.shutdown().await;
}

#[tokio::test]
async fn timer_messages_deliver_at_their_time() {
    let mut c = cluster().await;
    let topic = unique("Timer");
    c.create_topic(&topic, 1).await;
    let sent = Instant::now();
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "t2",
            &props(&[(keys::TIMER_DELAY_SEC, "2")]),
            0,
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    // visible in GET_BROKER_RUNTIME_INFO under Java's keys while it waits
    await_timer_congest(&c, "1").await;
    let kv = timer_runtime_info(&c).await;
    assert_eq!(kv["timerOffsetBehind"], "0", "read into the wheel");
    assert_eq!(kv["timerReadBehind"], "0", "not due yet");
    let (got, seen) = wait_for(&c, &topic, 0, 1, Duration::from_secs(5)).await;
    await_timer_congest(&c, "0").await;
    assert!(
        seen - sent >= Duration::from_millis(1900),
        "{:?}",
        seen - sent
    );
    assert_eq!(&got[0].body[..], b"t2");
    // too far in the future
    let far = (ferromq_now() + 4 * 86_400_000).to_string();
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "far",
            &props(&[(keys::TIMER_DELIVER_MS, &far)]),
            0,
        ))
        .await;
    assert_eq!(r.code, code::MESSAGE_ILLEGAL);
    // pending across a restart
    let at = (ferromq_now() + 2500).to_string();
    c.send(send_request_with(
        &topic,
        0,
        "t-restart",
        &props(&[(keys::TIMER_DELIVER_MS, &at)]),
        0,
    ))
    .await;
    c.restart_broker(0).await;
    let (got, _) = wait_for(&c, &topic, 0, 2, Duration::from_secs(8)).await;
    assert_eq!(&got[1].body[..], b"t-restart");
    assert_eq!(c.brokers[0].context().delayed().timer().pending(), 0);
    c.shutdown().await;
}

#[tokio::test]
async fn send_back_retries_then_dead_letters() {
    let c = cluster().await;
    let topic = unique("Retry");
    let group = unique("rg");
    c.create_topic(&topic, 1).await;
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "fail-me",
            &props(&[(keys::TAGS, "x")]),
            0,
        ))
        .await;
    let mut phys = decode_offset_msg_id(
        &r.decode_header::<SendMessageResponseHeader>()
            .unwrap()
            .msg_id,
    )
    .unwrap()
    .commit_log_offset;
    let retry = format!("%RETRY%{group}");
    let dlq = format!("%DLQ%{group}");
    for attempt in 1..=2 {
        let h = ConsumerSendMsgBackRequestHeader {
            offset: phys,
            group: group.clone(),
            delay_level: 0,
            origin_msg_id: None,
            origin_topic: Some(topic.clone()),
            unit_mode: None,
            max_reconsume_times: Some(2),
        };
        let r = c
            .call(RemotingCommand::request_with(
                rc::CONSUMER_SEND_MSG_BACK,
                &h,
            ))
            .await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
        // delay level 3 + reconsumeTimes: with the short test levels, 1 s
        let (got, _) = wait_for(&c, &retry, 0, attempt, Duration::from_secs(6)).await;
        let m = &got[attempt - 1];
        assert_eq!(m.reconsume_times, attempt as i32);
        let p = Properties::parse_bytes(&m.properties);
        assert_eq!(p.get(keys::RETRY_TOPIC), Some(topic.as_str()));
        assert!(p.get(keys::ORIGIN_MESSAGE_ID).is_some());
        phys = m.commit_log_offset;
    }
    // the third failure exceeds maxReconsumeTimes=2: straight to the DLQ
    let h = ConsumerSendMsgBackRequestHeader {
        offset: phys,
        group: group.clone(),
        delay_level: 0,
        origin_msg_id: None,
        origin_topic: Some(topic.clone()),
        unit_mode: None,
        max_reconsume_times: Some(2),
    };
    assert_eq!(
        c.call(RemotingCommand::request_with(
            rc::CONSUMER_SEND_MSG_BACK,
            &h
        ))
        .await
        .code,
        code::SUCCESS
    );
    let (got, _) = wait_for(&c, &dlq, 0, 1, Duration::from_secs(3)).await;
    assert_eq!(&got[0].body[..], b"fail-me");
    assert_eq!(
        c.brokers[0]
            .context()
            .tables()
            .topics()
            .get(&dlq)
            .unwrap()
            .perm,
        6
    );
    c.shutdown().await;
}

/// A producer that answers CHECK_TRANSACTION_STATE with a fixed decision.
struct Checker {
    decision: i32,
}

impl RequestHandler for Checker {
    fn handle(&self, channel: Channel, req: RemotingCommand) -> ResponseFuture {
        let decision = self.decision;
        Box::pin(async move {
            if req.code == rc::CHECK_TRANSACTION_STATE {
                let h: CheckTransactionStateRequestHeader = req.decode_header().ok()?;
                let half = MessageExt::decode(&req.body.to_bytes()).ok()?;
                let p = Properties::parse_bytes(&half.properties);
                let end = EndTransactionRequestHeader {
                    topic: h.topic.clone(),
                    producer_group: p.get(keys::PRODUCER_GROUP)?.to_string(),
                    tran_state_table_offset: h.tran_state_table_offset,
                    commit_log_offset: h.commit_log_offset,
                    commit_or_rollback: decision,
                    from_transaction_check: Some(true),
                    msg_id: h.msg_id.clone().unwrap_or_default(),
                    transaction_id: h.transaction_id.clone(),
                };
                let _ = channel
                    .oneway(RemotingCommand::request_with(rc::END_TRANSACTION, &end))
                    .await;
            }
            None
        })
    }
}

fn half_props(group: &str) -> Properties {
    props(&[
        (keys::TRANSACTION_PREPARED, "true"),
        (keys::PRODUCER_GROUP, group),
    ])
}

fn producer_heartbeat(group: &str) -> RemotingCommand {
    let data = HeartbeatData {
        client_id: format!("{group}-client"),
        consumer_data_set: Vec::<ConsumerData>::new(),
        heartbeat_fingerprint: 0,
        producer_data_set: vec![ProducerData {
            group_name: group.into(),
        }],
        without_sub: false,
    };
    RemotingCommand::request(rc::HEART_BEAT).with_body(serde_json::to_vec(&data).unwrap())
}

fn end(group: &str, resp: &RemotingCommand, decision: i32) -> RemotingCommand {
    let h: SendMessageResponseHeader = resp.decode_header().unwrap();
    let id = decode_offset_msg_id(&h.msg_id).unwrap();
    RemotingCommand::request_with(
        rc::END_TRANSACTION,
        &EndTransactionRequestHeader {
            topic: None,
            producer_group: group.into(),
            tran_state_table_offset: h.queue_offset,
            commit_log_offset: id.commit_log_offset,
            commit_or_rollback: decision,
            from_transaction_check: Some(false),
            msg_id: h.msg_id.clone(),
            transaction_id: h.transaction_id.clone(),
        },
    )
}

#[tokio::test]
async fn transactions_commit_rollback_and_check_back() {
    let mut c = cluster().await;
    let topic = unique("Tx");
    let group = unique("txg");
    c.create_topic(&topic, 1).await;
    let prepared = sf::TRANSACTION_PREPARED_TYPE;
    // commit: invisible until committed, then delivered once
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "commit-me",
            &half_props(&group),
            prepared,
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    assert!(
        pull_all(&c, &topic, 0, 0).await.is_empty(),
        "a half message is not visible"
    );
    assert_eq!(
        c.call(end(&group, &r, transaction_resolution::COMMIT))
            .await
            .code,
        code::SUCCESS
    );
    let (got, _) = wait_for(&c, &topic, 0, 1, Duration::from_secs(3)).await;
    assert_eq!(&got[0].body[..], b"commit-me");
    assert_eq!(
        sf::transaction_value(got[0].sys_flag),
        sf::TRANSACTION_COMMIT_TYPE
    );
    // committing twice does not deliver twice
    c.call(end(&group, &r, transaction_resolution::COMMIT))
        .await;
    // rollback: never delivered
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "roll-me",
            &half_props(&group),
            prepared,
        ))
        .await;
    assert_eq!(
        c.call(end(&group, &r, transaction_resolution::ROLLBACK))
            .await
            .code,
        code::SUCCESS
    );
    // a wrong producer group is refused
    let r2 = c
        .send(send_request_with(
            &topic,
            0,
            "x",
            &half_props(&group),
            prepared,
        ))
        .await;
    assert_eq!(
        c.call(end("other", &r2, transaction_resolution::COMMIT))
            .await
            .code,
        code::SYSTEM_ERROR
    );
    c.call(end(&group, &r2, transaction_resolution::ROLLBACK))
        .await;

    // unknown: resolved by check-back (COMMIT), also for a half pending across a restart
    let r = c
        .send(send_request_with(
            &topic,
            0,
            "checked",
            &half_props(&group),
            prepared,
        ))
        .await;
    assert_eq!(
        c.call(end(&group, &r, transaction_resolution::UNKNOWN))
            .await
            .code,
        code::SUCCESS
    );
    c.restart_broker(0).await;
    let producer = RemotingClient::new(
        ClientConfig::default(),
        Arc::new(Checker {
            decision: transaction_resolution::COMMIT,
        }),
    );
    producer
        .invoke_sync(&c.broker_addr(), producer_heartbeat(&group), TIMEOUT)
        .await
        .unwrap();
    let (got, _) = wait_for(&c, &topic, 0, 2, Duration::from_secs(10)).await;
    assert_eq!(&got[1].body[..], b"checked");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = pull_all(&c, &topic, 0, 0).await;
    let bodies: Vec<_> = all
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert_eq!(
        bodies,
        ["commit-me", "checked"],
        "committed exactly once, rolled back never"
    );
    producer.shutdown();
    c.shutdown().await;
}

#[tokio::test]
async fn unresolved_transaction_checked_back_to_rollback() {
    let c = cluster().await;
    let topic = unique("TxR");
    let group = unique("txr");
    c.create_topic(&topic, 1).await;
    let producer = RemotingClient::new(
        ClientConfig::default(),
        Arc::new(Checker {
            decision: transaction_resolution::ROLLBACK,
        }),
    );
    producer
        .invoke_sync(&c.broker_addr(), producer_heartbeat(&group), TIMEOUT)
        .await
        .unwrap();
    let r = producer
        .invoke_sync(
            &c.broker_addr(),
            send_request_with(
                &topic,
                0,
                "never",
                &half_props(&group),
                sf::TRANSACTION_PREPARED_TYPE,
            ),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, code::SUCCESS);
    // after a few check intervals the half is resolved (rolled back) and nothing is delivered
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ctx = c.brokers[0].context();
        let half_offset = ctx
            .tables()
            .offsets()
            .query("CID_RMQ_SYS_TRANS", "RMQ_SYS_TRANS_HALF_TOPIC", 0)
            .unwrap_or(0);
        let half_max = ctx
            .store()
            .max_offset_in_queue("RMQ_SYS_TRANS_HALF_TOPIC", 0);
        let ops = ctx
            .store()
            .max_offset_in_queue("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0);
        if ops >= 2 && half_offset >= half_max {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the half was never checked and resolved"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pull_all(&c, &topic, 0, 0).await.is_empty());
    producer.shutdown();
    c.shutdown().await;
}

fn ferromq_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
