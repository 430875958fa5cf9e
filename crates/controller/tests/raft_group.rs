//! Three controllers form an openraft group over their peer ports: events written on the
//! leader are applied everywhere, a dead leader is replaced, and a member restarted from its
//! files has everything that was committed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferromq_controller::{Event, RaftNode, RaftTiming};
use tokio::net::TcpListener;

fn timing() -> RaftTiming {
    RaftTiming {
        heartbeat: Duration::from_millis(50),
        election_min: Duration::from_millis(200),
        election_max: Duration::from_millis(400),
    }
}

fn joined(id: u64) -> Event {
    Event::ApplyBrokerId {
        cluster: "c".into(),
        broker_name: "b".into(),
        broker_id: id,
        address: format!("10.0.0.{id}:10911"),
        register_check_code: format!("10.0.0.{id}:10911;1"),
    }
}

async fn leader_of(nodes: &[Option<RaftNode>]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for (i, n) in nodes.iter().enumerate() {
            if let Some(n) = n {
                if n.raft().current_leader().await == Some(n.id()) {
                    return i;
                }
            }
        }
        assert!(Instant::now() < deadline, "no leader");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn members_of(node: &RaftNode) -> usize {
    node.state()
        .read(|s| s.set("b").map(|b| b.members().len()).unwrap_or(0))
}

async fn wait_members(node: &RaftNode, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while members_of(node).await != n {
        assert!(
            Instant::now() < deadline,
            "member {} has {} of {n}",
            node.id(),
            members_of(node).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_replicates_survives_its_leader_and_restarts_from_disk() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut listeners = Vec::new();
    let mut peers = BTreeMap::new();
    for i in 0..3u64 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        peers.insert(i, l.local_addr().unwrap().to_string());
        listeners.push(Some(l));
    }
    let mut nodes: Vec<Option<RaftNode>> = Vec::new();
    for i in 0..3 {
        let l = listeners[i].take().unwrap();
        nodes.push(Some(
            RaftNode::start(
                i as u64,
                dirs[i].path(),
                Some(l),
                timing(),
                ferromq_remoting::ClientConfig::default(),
            )
            .await
            .unwrap(),
        ));
    }
    for n in nodes.iter().flatten() {
        n.bootstrap(&peers).await;
    }
    let l = leader_of(&nodes).await;
    for id in 1..=3 {
        nodes[l]
            .as_ref()
            .unwrap()
            .raft()
            .client_write(joined(id))
            .await
            .unwrap();
    }
    for n in nodes.iter().flatten() {
        wait_members(n, 3).await;
    }

    // The leader dies: the others elect a new one and keep committing.
    let dead = nodes[l].take().unwrap();
    let dead_id = dead.id();
    dead.shutdown().await;
    let l2 = leader_of(&nodes).await;
    assert_ne!(l2, l);
    nodes[l2]
        .as_ref()
        .unwrap()
        .raft()
        .client_write(joined(4))
        .await
        .unwrap();
    for n in nodes.iter().flatten() {
        wait_members(n, 4).await;
    }

    // It comes back from its files (same id and peer address) and catches up.
    let l = TcpListener::bind(&peers[&dead_id]).await.unwrap();
    let back = RaftNode::start(
        dead_id,
        dirs[dead_id as usize].path(),
        Some(l),
        timing(),
        ferromq_remoting::ClientConfig::default(),
    )
    .await
    .unwrap();
    back.bootstrap(&peers).await;
    wait_members(&back, 4).await;
    let state = back.state().read(|s| s.clone());
    let leader_state = nodes[l2].as_ref().unwrap().state().read(|s| s.clone());
    assert_eq!(state, leader_state);
    back.shutdown().await;
    for n in nodes.into_iter().flatten() {
        n.shutdown().await;
    }
}
