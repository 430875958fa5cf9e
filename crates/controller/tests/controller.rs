//! Three controllers and two emulated brokers over the wire (the requests a Java broker
//! sends in controller mode): ids are applied, the first broker to ask becomes master, the
//! SyncStateSet grows, and when the master stops heart-beating the controller elects the
//! in-sync slave and tells it (NOTIFY_BROKER_ROLE_CHANGED). The leader controller dies; the
//! next one keeps the state and keeps electing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_controller::{Controller, ControllerSettings, RaftTiming};
use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{BrokerReplicasInfo, SyncStateSet};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::{Channel, RemotingClient, RequestHandler, ResponseFuture, ServerConfig};
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const T: Duration = Duration::from_secs(5);

fn settings(id: u64, peers: &BTreeMap<u64, String>, dir: &std::path::Path) -> ControllerSettings {
    ControllerSettings {
        group: "g".into(),
        self_id: id,
        peers: peers.clone(),
        store_path: dir.to_path_buf(),
        elect_unclean: false,
        notify_role_changed: true,
        scan_not_active: Duration::from_millis(300),
        scan_inactive_master: Duration::from_millis(300),
        elect_retries: 3,
        timing: RaftTiming {
            heartbeat: Duration::from_millis(100),
            election_min: Duration::from_millis(500),
            election_max: Duration::from_millis(1000),
        },
        properties: String::new(),
        transport: ferromq_remoting::Transport::Plain,
        client: ferromq_remoting::ClientConfig::default(),
    }
}

/// Records the role notices a broker receives.
struct Notices(Mutex<Vec<NotifyBrokerRoleChangedRequestHeader>>);

impl RequestHandler for Notices {
    fn handle(&self, _: Channel, req: RemotingCommand) -> ResponseFuture {
        if req.code == rc::NOTIFY_BROKER_ROLE_CHANGED {
            self.0.lock().push(req.decode_header().unwrap());
        }
        Box::pin(async { Some(RemotingCommand::success()) })
    }
}

async fn call(client: &RemotingClient, addr: &str, req: RemotingCommand) -> RemotingCommand {
    client
        .invoke_sync(addr, req, T)
        .await
        .expect("controller answers")
}

async fn leader_addr(client: &RemotingClient, peers: &BTreeMap<u64, String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for addr in peers.values() {
            if let Ok(r) = client
                .invoke_sync(
                    addr,
                    RemotingCommand::request(rc::CONTROLLER_GET_METADATA_INFO),
                    T,
                )
                .await
            {
                let h: GetMetaDataResponseHeader = r.decode_header().unwrap();
                if h.is_leader {
                    return h.controller_leader_address.unwrap();
                }
            }
        }
        assert!(Instant::now() < deadline, "no controller leader");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A leader-only request, sent to whoever leads now (a broker re-reads the leader on 2007
/// too; leadership may move under a loaded machine).
async fn to_leader(
    client: &RemotingClient,
    peers: &BTreeMap<u64, String>,
    req: RemotingCommand,
) -> RemotingCommand {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let leader = leader_addr(client, peers).await;
        let r = call(client, &leader, req.clone()).await;
        if r.code != code::CONTROLLER_NOT_LEADER || Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn heartbeat(id: i64, addr: &str, epoch: i32, max_offset: i64) -> RemotingCommand {
    RemotingCommand::request_with(
        rc::BROKER_HEARTBEAT,
        &BrokerHeartbeatRequestHeader {
            cluster_name: "c".into(),
            broker_addr: addr.into(),
            broker_name: "b".into(),
            broker_id: Some(id),
            epoch: Some(epoch),
            max_offset: Some(max_offset),
            confirm_offset: Some(max_offset),
            heartbeat_timeout_mills: Some(1000),
            election_priority: None,
        },
    )
}

/// A broker's id handshake and registration, as Java's ReplicasManager does it.
async fn join(client: &RemotingClient, peers: &BTreeMap<u64, String>, addr: &str) -> i64 {
    let r = to_leader(
        client,
        peers,
        RemotingCommand::request_with(
            rc::CONTROLLER_GET_NEXT_BROKER_ID,
            &GetNextBrokerIdRequestHeader {
                cluster_name: Some("c".into()),
                broker_name: "b".into(),
            },
        ),
    )
    .await;
    let id = r
        .decode_header::<GetNextBrokerIdResponseHeader>()
        .unwrap()
        .next_broker_id
        .unwrap();
    let r = to_leader(
        client,
        peers,
        RemotingCommand::request_with(
            rc::CONTROLLER_APPLY_BROKER_ID,
            &ApplyBrokerIdRequestHeader {
                cluster_name: Some("c".into()),
                broker_name: "b".into(),
                applied_broker_id: id,
                register_check_code: format!("{addr};1"),
            },
        ),
    )
    .await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    let r = to_leader(
        client,
        peers,
        RemotingCommand::request_with(
            rc::CONTROLLER_REGISTER_BROKER,
            &RegisterBrokerToControllerRequestHeader {
                cluster_name: Some("c".into()),
                broker_name: "b".into(),
                broker_id: Some(id),
                broker_address: Some(addr.into()),
                invoke_time: None,
            },
        ),
    )
    .await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controllers_elect_masters_and_survive_their_leader() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut listeners = Vec::new();
    let mut peers = BTreeMap::new();
    for i in 0..3u64 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        peers.insert(i, l.local_addr().unwrap().to_string());
        listeners.push(l);
    }
    let mut controllers = Vec::new();
    for (i, l) in listeners.into_iter().enumerate() {
        let s = settings(i as u64, &peers, dirs[i].path());
        controllers.push(Some(Controller::start(s, l).await.unwrap()));
    }
    let admin = RemotingClient::with_defaults();

    // Two brokers, each with a server for notices and its own heartbeat connection.
    let stop = CancellationToken::new();
    let mut brokers = Vec::new();
    for _ in 0..2 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let notices = Arc::new(Notices(Mutex::new(Vec::new())));
        let h: Arc<dyn RequestHandler> = notices.clone();
        tokio::spawn(ferromq_remoting::run(
            l,
            h,
            ServerConfig::default(),
            stop.clone().cancelled_owned(),
        ));
        brokers.push((addr, notices, RemotingClient::with_defaults()));
    }
    let id1 = join(&brokers[0].2, &peers, &brokers[0].0).await;
    let id2 = join(&brokers[1].2, &peers, &brokers[1].0).await;
    assert_eq!((id1, id2), (1, 2));

    // Heartbeats to every controller, from each broker's own client.
    let beats = |i: usize, id: i64, epoch: i32, offset: i64| {
        let (addr, _, client) = (&brokers[i].0.clone(), (), brokers[i].2.clone());
        let addr = addr.clone();
        let peers = peers.clone();
        let stop = stop.child_token();
        let s = stop.clone();
        tokio::spawn(async move {
            while !s.is_cancelled() {
                for p in peers.values() {
                    let _ = client
                        .invoke_oneway(p, heartbeat(id, &addr, epoch, offset))
                        .await;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        stop
    };
    let beat1 = beats(0, id1, 0, 0);
    let _beat2 = beats(1, id2, 0, 0);
    tokio::time::sleep(Duration::from_millis(400)).await;

    // Broker 1 asks first and becomes master (epoch 1).
    let elect = |id: i64| {
        RemotingCommand::request_with(
            rc::CONTROLLER_ELECT_MASTER,
            &ElectMasterRequestHeader {
                cluster_name: Some("c".into()),
                broker_name: "b".into(),
                broker_id: Some(id),
                designate_elect: Some(false),
                invoke_time: None,
            },
        )
    };
    let r = to_leader(&admin, &peers, elect(id1)).await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    // Both live brokers hear of it.
    let deadline = Instant::now() + T;
    while brokers.iter().any(|b| b.1 .0.lock().is_empty()) {
        assert!(Instant::now() < deadline, "first notice missing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let h: ElectMasterResponseHeader = r.decode_header().unwrap();
    assert_eq!((h.master_broker_id, h.master_epoch), (Some(1), Some(1)));
    assert_eq!(
        to_leader(&admin, &peers, elect(id2)).await.code,
        code::CONTROLLER_MASTER_STILL_EXIST
    );

    // A follower refuses leader-only requests, as Java's does.
    let leader = leader_addr(&admin, &peers).await;
    let follower = peers.values().find(|a| **a != leader).unwrap();
    assert_eq!(
        call(&admin, follower, elect(id2)).await.code,
        code::CONTROLLER_NOT_LEADER
    );

    // The master adds its slave to the SyncStateSet.
    let alter = RemotingCommand::request_with(
        rc::CONTROLLER_ALTER_SYNC_STATE_SET,
        &AlterSyncStateSetRequestHeader {
            broker_name: "b".into(),
            master_broker_id: Some(1),
            master_epoch: Some(1),
            invoke_time: None,
        },
    )
    .with_body(
        serde_json::to_vec(&SyncStateSet {
            sync_state_set: [1, 2].into(),
            sync_state_set_epoch: 1,
        })
        .unwrap(),
    );
    let r = to_leader(&admin, &peers, alter).await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);

    // The master's heartbeats stop and its connection closes: broker 2 is elected.
    beat1.cancel();
    brokers[0].2.shutdown();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(10);
    loop {
        // The first notice told both brokers of master 1 (epoch 1); wait for the next.
        let got = brokers[1]
            .1
             .0
            .lock()
            .iter()
            .find(|n| n.master_epoch == Some(2))
            .cloned();
        if let Some(n) = got {
            assert_eq!(n.master_broker_id, Some(2));
            assert_eq!(n.master_address.as_deref(), Some(brokers[1].0.as_str()));
            break;
        }
        assert!(Instant::now() < deadline, "no new master notice");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "new master notified {:?} after the old one went silent",
        t0.elapsed()
    );

    // The leader controller dies; another leads with the same state.
    let leader = leader_addr(&admin, &peers).await;
    let idx = peers
        .iter()
        .find(|(_, a)| **a == leader)
        .map(|(i, _)| *i as usize)
        .unwrap();
    controllers[idx].take().unwrap().shutdown().await;
    let live_peers: BTreeMap<u64, String> = peers
        .iter()
        .filter(|(i, _)| **i as usize != idx)
        .map(|(i, a)| (*i, a.clone()))
        .collect();
    let leader2 = leader_addr(&admin, &live_peers).await;
    assert_ne!(leader2, leader);
    let r = call(
        &admin,
        &leader2,
        RemotingCommand::request(rc::CONTROLLER_GET_SYNC_STATE_DATA)
            .with_body(br#"["b"]"#.to_vec()),
    )
    .await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    let info: BrokerReplicasInfo = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    let b = &info.replicas_info_table["b"];
    assert_eq!((b.master_broker_id, b.master_epoch), (Some(2), 2));
    assert_eq!(b.in_sync_replicas.len(), 1);
    assert_eq!(b.not_in_sync_replicas[0].broker_id, 1);
    assert!(!b.not_in_sync_replicas[0].alive);

    stop.cancel();
    for c in controllers.into_iter().flatten() {
        c.shutdown().await;
    }
}
