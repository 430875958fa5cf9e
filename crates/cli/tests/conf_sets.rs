//! The broker sets shipped in `conf/` run as written: the real binary, started from the
//! repository's files in a scratch working directory (their data paths are relative), on the
//! files' own loopback ports. Messages sent to each master are read back from its slave; in
//! `2m-2s-sync` a send is acknowledged only once the slave holds it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::HaRuntimeInfo;
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
        let path = conf(&format!("{set}/{file}"));
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
}
