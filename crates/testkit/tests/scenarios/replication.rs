//! Master/slave broker sets in process: the slave follows the master over the classic HA
//! protocol, serves reads of what it copied, refuses writes, and a SYNC_MASTER acknowledges
//! only what its slave holds.

use std::time::{Duration, Instant};

use ferromq_config::ConfigTable;
use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::TopicRouteData;
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_testkit::{create_topic_request, pull_request, send_request, TestCluster};

use crate::{records, unique};

/// Waits until broker `i`'s CommitLog reaches the master's end and is dispatched.
async fn caught_up(c: &TestCluster, i: usize) {
    let master = c.brokers[0].context().store().clone();
    let slave = c.brokers[i].context().store().clone();
    let deadline = Instant::now() + Duration::from_secs(15);
    while slave.max_phys_offset() < master.max_phys_offset() {
        assert!(
            Instant::now() < deadline,
            "slave at {} of {}",
            slave.max_phys_offset(),
            master.max_phys_offset()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(slave.wait_dispatched(Duration::from_secs(10)));
}

/// Bodies of everything in `topic`/`queue` on broker `i`, from its first offset.
async fn bodies(c: &TestCluster, i: usize, topic: &str, queue: i32) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut offset = c.brokers[i]
        .context()
        .store()
        .min_offset_in_queue(topic, queue);
    loop {
        let r = c
            .call_broker(i, pull_request("g_repl", topic, queue, offset, 32, "*", 0))
            .await;
        if r.code != code::SUCCESS {
            return out;
        }
        let h: PullMessageResponseHeader = r.decode_header().unwrap();
        out.extend(records(&r).into_iter().map(|m| m.body.to_vec()));
        offset = h.next_begin_offset;
    }
}

/// Slaves that serve pulls (`slaveReadEnable`; Java's slaves refuse them otherwise).
fn readable(_: usize, cfg: &mut ferromq_config::BrokerConfig) {
    cfg.set("slaveReadEnable", "true").unwrap();
}

async fn create_on_all(c: &TestCluster, topic: &str, queues: i32) {
    for i in 0..c.brokers.len() {
        let r = c
            .call_broker(i, create_topic_request(topic, queues, 6))
            .await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    }
}

#[tokio::test]
async fn a_slave_copies_the_master_and_serves_reads_but_no_writes() {
    let c = TestCluster::start_set(1, readable).await;
    let topic = unique("Repl");
    create_on_all(&c, &topic, 2).await;
    let mut sent = [Vec::new(), Vec::new()];
    for i in 0..300u32 {
        // Bodies of up to 40 KiB: transfers are cut at 32 KiB, inside records.
        let body = vec![(i % 251) as u8; 100 + (i as usize * 137) % 40_000];
        let q = (i % 2) as i32;
        let r = c
            .call(send_request(&topic, q, body.clone(), Some("t"), &[]))
            .await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
        sent[q as usize].push(body);
    }
    caught_up(&c, 1).await;
    for q in 0..2 {
        assert_eq!(
            bodies(&c, 1, &topic, q).await,
            sent[q as usize],
            "queue {q}"
        );
    }
    // What the slave lacks, the master has: a pull past its end goes back to the master.
    let r = c
        .call_broker(1, pull_request("g_repl", &topic, 0, 150, 32, "*", 1000))
        .await;
    assert_eq!(r.code, code::PULL_RETRY_IMMEDIATELY);
    let h: PullMessageResponseHeader = r.decode_header().unwrap();
    assert_eq!(h.suggest_which_broker_id, 0);
    // GET_BROKER_HA_STATUS, as mqadmin haStatus reads it.
    let r = c
        .call(RemotingCommand::request(rc::GET_BROKER_HA_STATUS))
        .await;
    let info: ferromq_model::HaRuntimeInfo = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    let master_end = c.brokers[0].context().store().max_phys_offset();
    assert!(info.master);
    assert_eq!(info.master_commit_log_max_offset, master_end);
    assert_eq!(info.in_sync_slave_nums, 1);
    assert_eq!(info.ha_connection_info[0].slave_ack_offset, master_end);
    assert_eq!(info.ha_connection_info[0].transfer_from_where, master_end);
    let r = c
        .call_broker(1, RemotingCommand::request(rc::GET_BROKER_HA_STATUS))
        .await;
    let info: ferromq_model::HaRuntimeInfo = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert!(!info.master);
    let link = &info.ha_client_runtime_info;
    assert!(link.activated && link.max_offset == master_end && link.last_read_timestamp > 0);
    assert_eq!(
        link.master_addr,
        c.brokers[0]
            .context()
            .replication()
            .listen_addr()
            .map(|a| a.to_string())
    );
    // The slave refuses client writes as Java's does.
    let r = c
        .call_broker(1, send_request(&topic, 0, "no", None, &[]))
        .await;
    assert_eq!(r.code, code::SERVICE_NOT_AVAILABLE);
    assert!(r.remark.unwrap_or_default().contains("slave"));
    let end = EndTransactionRequestHeader {
        topic: None,
        producer_group: "pg".into(),
        tran_state_table_offset: 0,
        commit_log_offset: 0,
        commit_or_rollback: transaction_resolution::COMMIT,
        from_transaction_check: Some(false),
        msg_id: "x".into(),
        transaction_id: None,
    };
    let r = c
        .call_broker(1, RemotingCommand::request_with(rc::END_TRANSACTION, &end))
        .await;
    assert_eq!(r.code, code::SLAVE_NOT_AVAILABLE);
    // Routes carry both members of the set.
    let h = GetRouteInfoRequestHeader {
        topic: topic.clone(),
        accept_standard_json_only: None,
    };
    let r = c
        .call_namesrv(RemotingCommand::request_with(
            rc::GET_ROUTEINFO_BY_TOPIC,
            &h,
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let route: TopicRouteData = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    let addrs = &route.broker_datas[0].broker_addrs;
    assert_eq!(addrs.get(&0), Some(&c.brokers[0].addr().to_string()));
    assert_eq!(addrs.get(&1), Some(&c.brokers[1].addr().to_string()));
    c.shutdown().await;
}

#[tokio::test]
async fn a_returning_slave_catches_up_from_where_it_stopped() {
    let mut c = TestCluster::start_set(1, readable).await;
    let topic = unique("Back");
    create_on_all(&c, &topic, 1).await;
    let mut sent = Vec::new();
    let mut send = |i: u32| {
        sent.push(format!("m{i}").into_bytes());
        send_request(&topic, 0, format!("m{i}"), None, &[])
    };
    for i in 0..50 {
        assert_eq!(c.call(send(i)).await.code, code::SUCCESS);
    }
    caught_up(&c, 1).await;
    let addr = c.stop_broker(1).await;
    for i in 50..120 {
        assert_eq!(c.call(send(i)).await.code, code::SUCCESS);
    }
    c.start_broker(1, addr).await;
    caught_up(&c, 1).await;
    assert_eq!(bodies(&c, 1, &topic, 0).await, sent);
    c.shutdown().await;
}

#[tokio::test]
async fn a_new_slave_of_a_master_with_history_starts_at_its_last_file() {
    let small = |_: usize, cfg: &mut ferromq_config::BrokerConfig| {
        cfg.set("mappedFileSizeCommitLog", &(256 * 1024).to_string())
            .unwrap();
        readable(0, cfg);
    };
    let mut c = TestCluster::start_set(1, small).await;
    let addr = c.stop_broker(1).await;
    let topic = unique("Hist");
    c.create_topic(&topic, 1).await;
    for i in 0..100u32 {
        let r = c
            .call(send_request(&topic, 0, vec![i as u8; 8000], None, &[]))
            .await;
        assert_eq!(r.code, code::SUCCESS);
    }
    // A fresh store for the slave: wipe what it had.
    let dir = c.broker_dir(1).to_path_buf();
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    c.start_broker(1, addr).await;
    c.call_broker(1, create_topic_request(&topic, 1, 6)).await;
    caught_up(&c, 1).await;
    let master_end = c.brokers[0].context().store().max_phys_offset();
    let slave = c.brokers[1].context().store();
    assert_eq!(
        slave.min_phys_offset(),
        master_end - master_end % (256 * 1024)
    );
    let tail = bodies(&c, 1, &topic, 0).await;
    assert!(
        !tail.is_empty() && tail.len() < 100,
        "only the last file: {}",
        tail.len()
    );
    assert_eq!(tail.last(), Some(&vec![99u8; 8000]));
    c.shutdown().await;
}

#[tokio::test]
async fn sync_master_acknowledges_what_the_slave_holds() {
    let sync = |i: usize, cfg: &mut ferromq_config::BrokerConfig| {
        if i == 0 {
            cfg.set("brokerRole", "SYNC_MASTER").unwrap();
            cfg.set("totalReplicas", "2").unwrap();
            cfg.set("inSyncReplicas", "2").unwrap();
            cfg.set("slaveTimeout", "1000").unwrap();
        }
    };
    let mut c = TestCluster::start_set(1, sync).await;
    let topic = unique("Sync");
    create_on_all(&c, &topic, 1).await;
    for i in 0..100 {
        let r = c
            .call(send_request(&topic, 0, format!("s{i}"), None, &[]))
            .await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
        // Acknowledged means on the slave.
        let slave_end = c.brokers[1].context().store().max_phys_offset();
        let master_end = c.brokers[0].context().store().max_phys_offset();
        assert_eq!(
            slave_end, master_end,
            "message {i} acknowledged before replication"
        );
    }
    // Concurrent writers share round trips.
    let sends = (0..64).map(|i| c.call(send_request(&topic, 0, format!("p{i}"), None, &[])));
    for r in futures::future::join_all(sends).await {
        assert_eq!(r.code, code::SUCCESS);
    }
    // Without its slave, the master still stores, but says the slave did not confirm.
    c.stop_broker(1).await;
    let t0 = Instant::now();
    let r = c.call(send_request(&topic, 0, "alone", None, &[])).await;
    assert_eq!(r.code, code::FLUSH_SLAVE_TIMEOUT);
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    let h: SendMessageResponseHeader = r.decode_header().unwrap();
    assert_eq!(h.queue_offset, 164, "stored all the same");
    c.shutdown().await;
}

#[tokio::test]
async fn java_5_default_sync_master_does_not_wait() {
    // inSyncReplicas defaults to 1: Java 5.x's SYNC_MASTER acknowledges without a slave.
    let c = TestCluster::start_with(1, |cfg| {
        cfg.set("brokerRole", "SYNC_MASTER").unwrap();
    })
    .await;
    let topic = unique("NoWait");
    c.create_topic(&topic, 1).await;
    let r = c.call(send_request(&topic, 0, "x", None, &[])).await;
    assert_eq!(r.code, code::SUCCESS);
    c.shutdown().await;
}

#[tokio::test]
async fn a_slave_copies_the_masters_topics_groups_and_offsets() {
    let c = TestCluster::start_set(1, readable).await;
    let topic = unique("Meta");
    assert_eq!(c.create_topic(&topic, 3).await.code, code::SUCCESS);
    for i in 0..6 {
        let r = c.call(send_request(&topic, i % 3, "m", None, &[])).await;
        assert_eq!(r.code, code::SUCCESS);
    }
    let group = unique("g_meta");
    let up = UpdateConsumerOffsetRequestHeader {
        consumer_group: group.clone(),
        topic: topic.clone(),
        queue_id: 1,
        commit_offset: 2,
    };
    let r = c
        .call(RemotingCommand::request_with(
            rc::UPDATE_CONSUMER_OFFSET,
            &up,
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let slave = c.brokers[1].context().clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let tables = slave.tables();
        let done = tables.topics().get(&topic).map(|t| t.read_queue_nums) == Some(3)
            && tables.offsets().query(&group, &topic, 1) == Some(2)
            && tables.groups().get(&group).is_some();
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the slave never synced");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A consumer that falls back to the slave finds the topic and its committed offset.
    caught_up(&c, 1).await;
    let q = QueryConsumerOffsetRequestHeader {
        consumer_group: group.clone(),
        topic: topic.clone(),
        queue_id: 1,
        set_zero_if_not_found: None,
    };
    let r = c
        .call_broker(
            1,
            RemotingCommand::request_with(rc::QUERY_CONSUMER_OFFSET, &q),
        )
        .await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    assert_eq!(bodies(&c, 1, &topic, 1).await.len(), 2);
    c.shutdown().await;
}

#[tokio::test]
async fn a_slave_without_slave_read_enable_serves_no_pulls() {
    let c = TestCluster::start_set(1, |_, _| {}).await;
    let topic = unique("NoRead");
    create_on_all(&c, &topic, 1).await;
    let r = c
        .call_broker(1, pull_request("g_repl", &topic, 0, 0, 32, "*", 0))
        .await;
    assert_eq!(r.code, code::SYSTEM_BUSY);
    assert!(r.remark.unwrap_or_default().contains("[REJECTREQUEST]"));
    c.shutdown().await;
}
