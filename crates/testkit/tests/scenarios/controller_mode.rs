//! Controller mode in process: two FerroMQ brokers of one set under a FerroMQ controller.
//! The controller elects a master, the other follows over the AutoSwitch HA protocol and
//! joins the SyncStateSet; when the master stops, the slave is elected and takes writes;
//! the old master returns as a slave, cutting what only it had written.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_config::ConfigTable;
use ferromq_controller::{Controller, ControllerSettings, RaftTiming};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::{ClientConfig, Transport};
use ferromq_testkit::{create_topic_request, pull_request, send_request, TestCluster};
use tokio::net::TcpListener;

use crate::{records, unique};

async fn controller(dir: &std::path::Path, unclean: bool) -> (Arc<Controller>, String) {
    let plain = (Transport::Plain, ClientConfig::default());
    controller_with(dir, unclean, plain).await
}

/// A one-member controller group on a free loopback port, serving and calling as `net`
/// says, once it leads; with its address.
pub(crate) async fn controller_with(
    dir: &std::path::Path,
    unclean: bool,
    (transport, client): (Transport, ClientConfig),
) -> (Arc<Controller>, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let settings = ControllerSettings {
        group: "g".into(),
        self_id: 0,
        peers: BTreeMap::from([(0, addr.clone())]),
        store_path: dir.to_path_buf(),
        elect_unclean: unclean,
        notify_role_changed: true,
        scan_not_active: Duration::from_millis(500),
        scan_inactive_master: Duration::from_millis(500),
        elect_retries: 3,
        timing: RaftTiming {
            heartbeat: Duration::from_millis(50),
            election_min: Duration::from_millis(150),
            election_max: Duration::from_millis(300),
        },
        properties: String::new(),
        transport,
        client,
    };
    let c = Controller::start(settings, l).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !c.is_leader() {
        assert!(Instant::now() < deadline, "controller leads");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (c, addr)
}

/// Two brokers of set `broker-a` in controller mode, waiting for every set member's ack.
async fn set_under(controller: &str) -> TestCluster {
    let addr = controller.to_string();
    TestCluster::start_each(2, move |_, c| {
        for (k, v) in [
            ("brokerName", "broker-a"),
            ("enableControllerMode", "true"),
            ("controllerAddr", addr.as_str()),
            ("allAckInSyncStateSet", "true"),
            ("controllerHeartBeatTimeoutMills", "3000"),
            ("syncBrokerMetadataPeriod", "1000"),
            ("checkSyncStateSetPeriod", "1000"),
            ("haSendHeartbeatInterval", "1000"),
            ("slaveReadEnable", "true"),
        ] {
            c.set(k, v).unwrap();
        }
    })
    .await
}

/// Waits for `f` to hold, up to `secs`.
async fn until(secs: u64, what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(secs), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

fn master_index(c: &TestCluster) -> Option<usize> {
    c.brokers
        .iter()
        .position(|b| !b.context().replication().is_slave())
}

fn set_of(ctl: &Controller) -> (Option<i64>, BTreeSet<i64>, i32) {
    ctl.read(|s| {
        s.set("broker-a").map_or((None, BTreeSet::new(), 0), |b| {
            (
                b.master().map(|m| m as i64),
                b.sync_state_set().iter().map(|id| *id as i64).collect(),
                b.master_epoch(),
            )
        })
    })
}

async fn send_to(c: &TestCluster, i: usize, topic: &str, body: Vec<u8>) -> RemotingCommand {
    c.call_broker(i, send_request(topic, 0, body, Some("t"), &[]))
        .await
}

/// Bodies in queue 0 of `topic` on broker `i` once it holds at least `n` (dispatch is
/// asynchronous), or after 5 s.
async fn bodies_eventually(c: &TestCluster, i: usize, topic: &str, n: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let b = bodies(c, i, topic).await;
        if b.len() >= n || Instant::now() >= deadline {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bodies in queue 0 of `topic` on broker `i`.
async fn bodies(c: &TestCluster, i: usize, topic: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let r = c
            .call_broker(i, pull_request("g_ctl", topic, 0, offset, 32, "*", 0))
            .await;
        if r.code != code::SUCCESS {
            return out;
        }
        let h: PullMessageResponseHeader = r.decode_header().unwrap();
        out.extend(records(&r).into_iter().map(|m| m.body.to_vec()));
        offset = h.next_begin_offset;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_elects_a_master_and_fails_over_to_the_slave() {
    if std::env::var_os("CTL_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
    }
    let dir = tempfile::tempdir().unwrap();
    let (ctl, ctl_addr) = controller(dir.path(), false).await;
    let mut c = set_under(&ctl_addr).await;
    until(15, "a master and a slave", || {
        master_index(&c).is_some()
            && c.brokers
                .iter()
                .all(|b| !b.context().replication().is_fenced())
    })
    .await;
    let m = master_index(&c).unwrap();
    let s = 1 - m;
    until(15, "both in the SyncStateSet", || set_of(&ctl).1.len() == 2).await;
    let (master_id, _, epoch) = set_of(&ctl);
    let mc = c.brokers[m].context();
    assert_eq!(mc.identity().id(), 0, "the master registers as 0");
    assert_eq!(
        mc.replication().controlled().unwrap().my_id(),
        master_id.unwrap()
    );
    let sc = c.brokers[s].context();
    assert_eq!(
        sc.identity().id(),
        sc.replication().controlled().unwrap().my_id()
    );
    // haStatus: in sync means in the SyncStateSet.
    let r = c
        .call_broker(m, RemotingCommand::request(rc::GET_BROKER_HA_STATUS))
        .await;
    let ha: ferromq_model::HaRuntimeInfo =
        ferromq_model::fastjson::from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert!(ha.master);
    assert_eq!(ha.in_sync_slave_nums, 1);
    assert!(ha.ha_connection_info.iter().all(|c| c.in_sync));

    // A forged role announcement (1008 is unauthenticated, as in Java) changes nothing: the
    // broker asks the controller leader, which still names it master.
    let forged = NotifyBrokerRoleChangedRequestHeader {
        master_address: Some("10.9.9.9:10911".into()),
        master_epoch: Some(99),
        sync_state_set_epoch: Some(99),
        master_broker_id: Some(42),
    };
    let r = c
        .call_broker(
            m,
            RemotingCommand::request_with(rc::NOTIFY_BROKER_ROLE_CHANGED, &forged),
        )
        .await;
    assert_eq!(r.code, code::SUCCESS);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!mc.replication().is_slave(), "still master");
    assert_eq!(mc.replication().controlled().unwrap().master_epoch(), epoch);

    let topic = unique("Ctl");
    for i in 0..2 {
        let r = c.call_broker(i, create_topic_request(&topic, 1, 6)).await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    }
    // Writes wait for the slave (allAckInSyncStateSet) and are refused by the slave.
    let mut acked = Vec::new();
    for i in 0..100u32 {
        let body = format!("m{i}").into_bytes();
        let r = send_to(&c, m, &topic, body.clone()).await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
        acked.push(body);
    }
    let r = send_to(&c, s, &topic, b"no".to_vec()).await;
    assert_ne!(r.code, code::SUCCESS, "a slave refuses writes");
    let master_end = mc.store().max_phys_offset();
    assert!(
        sc.store().max_phys_offset() >= master_end,
        "acked means replicated"
    );
    // The slave dispatches what the master confirmed, which its next frame says.
    assert_eq!(
        bodies_eventually(&c, s, &topic, acked.len()).await,
        acked,
        "the slave serves what it copied"
    );

    // GET_BROKER_EPOCH_CACHE, as mqadmin getBrokerEpoch reads it.
    let r = c
        .call_broker(m, RemotingCommand::request(rc::GET_BROKER_EPOCH_CACHE))
        .await;
    let cache: ferromq_model::EpochEntryCache =
        ferromq_model::fastjson::from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(cache.broker_id, 0);
    assert_eq!(cache.epoch_list.last().unwrap().epoch, epoch);
    assert_eq!(cache.epoch_list.last().unwrap().end_offset, i64::MAX);

    // The master stops: the slave is elected and takes writes.
    let old_master_addr = c.stop_broker(m).await;
    let s = 0;
    let took = until(15, "the slave becomes master", || {
        !c.brokers[s].context().replication().is_slave()
    })
    .await;
    println!("new master after {took:?}");
    let (new_master, _, new_epoch) = set_of(&ctl);
    assert_eq!(
        new_master,
        Some(
            c.brokers[s]
                .context()
                .replication()
                .controlled()
                .unwrap()
                .my_id()
        )
    );
    assert!(new_epoch > epoch);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = send_to(&c, s, &topic, b"after".to_vec()).await;
        if r.code == code::SUCCESS {
            acked.push(b"after".to_vec());
            break;
        }
        assert!(Instant::now() < deadline, "{} {:?}", r.code, r.remark);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        bodies_eventually(&c, s, &topic, acked.len()).await,
        acked,
        "nothing acknowledged is lost"
    );

    // The old master returns (in its old place) as a slave and catches up.
    c.start_broker(m, old_master_addr).await;
    let (old, new) = (m, 1 - m);
    until(20, "the old master follows", || {
        let r = c.brokers[old].context().replication();
        r.is_slave() && !r.is_fenced()
    })
    .await;
    let new_end = c.brokers[new].context().store().max_phys_offset();
    until(20, "the old master catches up", || {
        c.brokers[old].context().store().max_phys_offset() >= new_end
    })
    .await;
    until(20, "both in the SyncStateSet again", || {
        set_of(&ctl).1.len() == 2
    })
    .await;
    assert!(c.brokers[old]
        .context()
        .store()
        .wait_dispatched(Duration::from_secs(10)));
    assert_eq!(bodies_eventually(&c, old, &topic, acked.len()).await, acked);
    c.shutdown().await;
    ctl.shutdown().await;
}

fn at(c: &TestCluster, addr: std::net::SocketAddr) -> usize {
    c.brokers.iter().position(|b| b.addr() == addr).unwrap()
}

/// With unclean elections allowed, a slave that missed the master's last writes is elected
/// once the master is gone; when the old master returns it cuts those writes (they are not
/// in the new master's log) and copies the new master's instead: the two logs agree again,
/// epochs included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_master_cuts_what_the_new_master_does_not_have() {
    let dir = tempfile::tempdir().unwrap();
    let (ctl, ctl_addr) = controller(dir.path(), true).await;
    let mut c = set_under(&ctl_addr).await;
    until(15, "both in the SyncStateSet", || set_of(&ctl).1.len() == 2).await;
    let m = master_index(&c).unwrap();
    let (a, b) = (c.brokers[m].addr(), c.brokers[1 - m].addr());
    let topic = unique("Cut");
    for i in 0..2 {
        let r = c.call_broker(i, create_topic_request(&topic, 1, 6)).await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    }
    let mut kept = Vec::new();
    for i in 0..10u32 {
        let body = format!("both{i}").into_bytes();
        assert_eq!(
            send_to(&c, m, &topic, body.clone()).await.code,
            code::SUCCESS
        );
        kept.push(body);
    }
    // The slave stops; the master carries on alone (its SyncStateSet shrinks to itself).
    c.stop_broker(at(&c, b)).await;
    until(15, "the set shrinks", || set_of(&ctl).1.len() == 1).await;
    for i in 0..5u32 {
        let r = send_to(&c, at(&c, a), &topic, format!("alone{i}").into_bytes()).await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    }
    let a_end = c.brokers[at(&c, a)].context().store().max_phys_offset();
    c.stop_broker(at(&c, a)).await;

    // The old slave comes back first and is elected (unclean), then writes on.
    c.start_broker(1 - m, b).await;
    until(15, "the old slave is master", || {
        !c.brokers[at(&c, b)].context().replication().is_slave()
    })
    .await;
    for i in 0..3u32 {
        let body = format!("new{i}").into_bytes();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = send_to(&c, at(&c, b), &topic, body.clone()).await;
            if r.code == code::SUCCESS {
                break;
            }
            assert!(Instant::now() < deadline, "{} {:?}", r.code, r.remark);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        kept.push(body);
    }
    // The old master returns: it follows, cuts its five lone writes, copies the new ones.
    c.start_broker(m, a).await;
    let b_end = c.brokers[at(&c, b)].context().store().max_phys_offset();
    until(20, "the old master catches up", || {
        let r = c.brokers[at(&c, a)].context().replication();
        r.is_slave() && c.brokers[at(&c, a)].context().store().max_phys_offset() == b_end
    })
    .await;
    assert_ne!(a_end, b_end);
    let ai = at(&c, a);
    assert_eq!(bodies_eventually(&c, ai, &topic, kept.len()).await, kept);
    let epochs = |i: usize| {
        c.brokers[i]
            .context()
            .replication()
            .controlled()
            .unwrap()
            .epochs()
    };
    assert_eq!(
        epochs(ai),
        epochs(at(&c, b)),
        "the logs agree epoch by epoch"
    );
    c.shutdown().await;
    ctl.shutdown().await;
}
