//! The broker sets shipped in `conf/` run as written: the real binary, started from the
//! repository's files in a scratch working directory (their data paths are relative), on the
//! files' own loopback ports. Messages sent to each master are read back from its slave; in
//! `2m-2s-sync` a send is acknowledged only once the slave holds it; in `controller` the
//! controllers pick the masters and hand a set to its other replica after `kill -9`.
//!
//! Three lines are added to each broker file: `diskSpaceWarningLevelRatio=99`,
//! `diskMaxUsedSpaceRatio=95`, `diskSpaceCleanForciblyRatio=97`. The files keep Java's 90 / 75
//! / 85 %, and a build host's disk may be fuller than that (a fresh clone's build alone takes
//! gigabytes), which would refuse sends or delete unconsumed files for reasons that have
//! nothing to do with the set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{ClusterInfo, HaRuntimeInfo};
use ferromq_protocol::headers::{GetMaxOffsetRequestHeader, OffsetResponseHeader};
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::RemotingClient;
use ferromq_testkit::{create_topic_request, send_request};

const NAMESRV: &str = "127.0.0.1:9876";
const TIMEOUT: Duration = Duration::from_secs(5);

fn conf(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conf")
        .join(rel)
}

/// The shipped broker file `rel`, copied into `dir` with the disk threshold raised (see the
/// module doc); every other line is as shipped.
fn broker_conf(dir: &Path, rel: &str) -> PathBuf {
    let shipped = std::fs::read_to_string(conf(rel)).expect("shipped broker file");
    let copy = dir.join(rel.replace('/', "_"));
    std::fs::write(&copy, format!("{shipped}\ndiskSpaceWarningLevelRatio=99\ndiskMaxUsedSpaceRatio=95\ndiskSpaceCleanForciblyRatio=97\n")).unwrap();
    copy
}

/// The processes of one run; killed when dropped.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn(dir: &Path, args: &[&str], log: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ferromq"))
        .args(args)
        .current_dir(dir)
        .env("FERROMQ_LOG_DIR", dir.join("logs"))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join(format!("{log}.out"))).unwrap())
        .stderr(std::fs::File::create(dir.join(format!("{log}.err"))).unwrap())
        .spawn()
        .expect("ferromq starts")
}

async fn answers(client: &RemotingClient, addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let probe = RemotingCommand::request(rc::GET_BROKER_CLUSTER_INFO);
        if client.invoke_sync(addr, probe, TIMEOUT).await.is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "{addr} never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `master` reports a connected slave that acknowledged something.
async fn slave_attached(client: &RemotingClient, master: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let req = RemotingCommand::request(rc::GET_BROKER_HA_STATUS);
        let r = client
            .invoke_sync(master, req, TIMEOUT)
            .await
            .expect("answer");
        let info: HaRuntimeInfo = from_fastjson_slice(&r.body.to_bytes()).unwrap();
        if info
            .ha_connection_info
            .iter()
            .any(|c| c.slave_ack_offset >= 0)
        {
            return;
        }
        assert!(Instant::now() < deadline, "no slave attached to {master}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn max_offset(client: &RemotingClient, addr: &str, topic: &str) -> i64 {
    let h = GetMaxOffsetRequestHeader {
        topic: topic.into(),
        queue_id: 0,
        committed: None,
    };
    let r = client
        .invoke_sync(
            addr,
            RemotingCommand::request_with(rc::GET_MAX_OFFSET, &h),
            TIMEOUT,
        )
        .await
        .expect("answer");
    if r.code != response_code::SUCCESS {
        return -1;
    }
    r.decode_header::<OffsetResponseHeader>().unwrap().offset
}

/// Starts `set` (NameServer + every broker file), sends to each master, and checks its slave.
async fn run_set(set: &str, files: &[&str], pairs: &[(&str, Option<&str>)], sync: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut ps = Processes(vec![spawn(
        dir.path(),
        &["namesrv", "-c", conf("namesrv.conf").to_str().unwrap()],
        "namesrv",
    )]);
    let client = RemotingClient::with_defaults();
    answers(&client, NAMESRV).await;
    for file in files {
        let path = broker_conf(dir.path(), &format!("{set}/{file}"));
        ps.0.push(spawn(
            dir.path(),
            &["broker", "-c", path.to_str().unwrap()],
            file,
        ));
    }
    for (master, slave) in pairs {
        answers(&client, master).await;
        if let Some(s) = slave {
            answers(&client, s).await;
        }
    }
    let topic = format!("ConfSet_{}", set.replace('-', "_"));
    for (master, slave) in pairs {
        if slave.is_some() {
            slave_attached(&client, master).await;
        }
        let create = create_topic_request(&topic, 1, 6);
        let r = client.invoke_sync(master, create, TIMEOUT).await.unwrap();
        assert_eq!(r.code, response_code::SUCCESS, "{set}: create on {master}");
        for i in 0..20 {
            let send = send_request(&topic, 0, format!("{set}-{i}"), None, &[]);
            let r = client.invoke_sync(master, send, TIMEOUT).await.unwrap();
            assert_eq!(
                r.code,
                response_code::SUCCESS,
                "{set}: send to {master}: {:?}",
                r.remark
            );
            if let (true, Some(s)) = (sync, slave) {
                // Acknowledged means on the slave (its queue follows once dispatched).
                let deadline = Instant::now() + Duration::from_secs(2);
                while max_offset(&client, s, &topic).await < i + 1 {
                    assert!(Instant::now() < deadline, "{set}: acked but not on {s}");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
        if let Some(s) = slave {
            // The slave copies the topic from its master within 10 s, and the messages.
            let deadline = Instant::now() + Duration::from_secs(30);
            while max_offset(&client, s, &topic).await != 20 {
                assert!(Instant::now() < deadline, "{set}: {s} never caught up");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    drop(ps);
    client.shutdown();
}

/// The NameServer's view of `broker_name`: its master's address and how many addresses.
async fn route_of(client: &RemotingClient, broker_name: &str) -> (Option<String>, usize) {
    let req = RemotingCommand::request(rc::GET_BROKER_CLUSTER_INFO);
    let Ok(r) = client.invoke_sync(NAMESRV, req, TIMEOUT).await else {
        return (None, 0);
    };
    let Ok(info) = from_fastjson_slice::<ClusterInfo>(&r.body.to_bytes()) else {
        return (None, 0);
    };
    match info.broker_addr_table.get(broker_name) {
        Some(b) => (b.master_addr().map(str::to_string), b.broker_addrs.len()),
        None => (None, 0),
    }
}

/// Waits until `broker_name` has a master other than `not` and two registered replicas;
/// returns the master.
async fn master_of(client: &RemotingClient, broker_name: &str, not: Option<&str>) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let (Some(m), 2) = route_of(client, broker_name).await {
            if Some(m.as_str()) != not {
                return m;
            }
        }
        assert!(Instant::now() < deadline, "{broker_name} has no master");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn send_n(client: &RemotingClient, addr: &str, topic: &str, range: std::ops::Range<i64>) {
    for i in range {
        let send = send_request(topic, 0, format!("controller-{i}"), None, &[]);
        let r = client.invoke_sync(addr, send, TIMEOUT).await.unwrap();
        assert_eq!(
            r.code,
            response_code::SUCCESS,
            "send to {addr}: {:?}",
            r.remark
        );
    }
}

async fn reaches(client: &RemotingClient, addr: &str, topic: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while max_offset(client, addr, topic).await != n {
        assert!(Instant::now() < deadline, "{addr} never reached {n}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `conf/controller`: three controllers and two broker sets. The controllers elect a master
/// per set; writes are acknowledged once on both replicas; `kill -9` of a master hands its
/// set to the other replica within 10 s with every acknowledged message; the old master
/// returns as a slave and catches up.
async fn run_controller_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut ps = Processes(vec![spawn(
        dir.path(),
        &["namesrv", "-c", conf("namesrv.conf").to_str().unwrap()],
        "namesrv",
    )]);
    let client = RemotingClient::with_defaults();
    answers(&client, NAMESRV).await;
    for n in 0..3 {
        let path = conf(&format!("controller/controller-n{n}.conf"));
        let args = ["controller", "-c", path.to_str().unwrap()];
        ps.0.push(spawn(dir.path(), &args, &format!("controller-n{n}")));
    }
    let brokers = [
        ("broker-a-n0", "127.0.0.1:30911"),
        ("broker-a-n1", "127.0.0.1:30921"),
        ("broker-b-n0", "127.0.0.1:30931"),
        ("broker-b-n1", "127.0.0.1:30941"),
    ];
    let start_broker = |name: &str| {
        let path = broker_conf(dir.path(), &format!("controller/{name}.properties"));
        spawn(dir.path(), &["broker", "-c", path.to_str().unwrap()], name)
    };
    let mut index = std::collections::HashMap::new();
    for (name, addr) in brokers {
        index.insert(addr, ps.0.len());
        ps.0.push(start_broker(name));
    }
    let topic = "ConfSet_controller";
    for set in ["broker-a", "broker-b"] {
        let master = master_of(&client, set, None).await;
        let slave = brokers
            .iter()
            .find(|(n, a)| n.starts_with(set) && *a != master)
            .unwrap()
            .1;
        for addr in [master.as_str(), slave] {
            let create = create_topic_request(topic, 1, 6);
            let r = client.invoke_sync(addr, create, TIMEOUT).await.unwrap();
            assert_eq!(r.code, response_code::SUCCESS, "create on {addr}");
        }
        slave_attached(&client, &master).await;
        send_n(&client, &master, topic, 0..20).await;
        reaches(&client, slave, topic, 20).await;
    }

    // kill -9 broker-a's master: the other replica takes writes within 10 s.
    let old = master_of(&client, "broker-a", None).await;
    let i = index[old.as_str()];
    ps.0[i].kill().unwrap();
    ps.0[i].wait().unwrap();
    let killed = Instant::now();
    let new = brokers
        .iter()
        .find(|(n, a)| n.starts_with("broker-a") && *a != old)
        .unwrap()
        .1;
    loop {
        let send = send_request(topic, 0, "controller-20", None, &[]);
        let r = client.invoke_sync(new, send, TIMEOUT).await.unwrap();
        if r.code == response_code::SUCCESS {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "no new master within 10 s: {} {:?}",
            r.code,
            r.remark
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "broker-a: first write on the new master {:?} after kill -9",
        killed.elapsed()
    );
    reaches(&client, new, topic, 21).await;

    // The old master returns as the new master's slave and catches up.
    let name = brokers.iter().find(|(_, a)| *a == old).unwrap().0;
    ps.0[i] = start_broker(name);
    answers(&client, &old).await;
    reaches(&client, &old, topic, 21).await;
    assert_eq!(master_of(&client, "broker-a", None).await, new);
    drop(ps);
    client.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_broker_sets_run_as_written() {
    let (a, b) = ("127.0.0.1:10911", "127.0.0.1:10921");
    let (a_s, b_s) = ("127.0.0.1:10931", "127.0.0.1:10941");
    let masters = ["broker-a.properties", "broker-b.properties"];
    run_set("2m-noslave", &masters, &[(a, None), (b, None)], false).await;
    let all = [
        "broker-a.properties",
        "broker-a-s.properties",
        "broker-b.properties",
        "broker-b-s.properties",
    ];
    let pairs = [(a, Some(a_s)), (b, Some(b_s))];
    run_set("2m-2s-async", &all, &pairs, false).await;
    run_set("2m-2s-sync", &all, &pairs, true).await;
    // On the same fixed ports as the others: after them, not beside them.
    run_controller_set().await;
}
