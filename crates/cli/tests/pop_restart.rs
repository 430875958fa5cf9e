//! POP over the wire against the real binary, and its durability: a message popped and not
//! acked comes back (from the pop retry topic, reconsumed once) after its invisible time even
//! when the broker was killed with `kill -9` in between; the one acked before the kill never
//! does. Also: a pop held by long polling is answered by a send.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_protocol::headers::{
    AckMessageRequestHeader, PopMessageRequestHeader, PopMessageResponseHeader,
};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::{ClientConfig, Dispatcher, RemotingClient};
use ferromq_testkit::{create_topic_request, send_request};

const TIMEOUT: Duration = Duration::from_secs(5);
const TOPIC: &str = "PopRestartT";
const GROUP: &str = "pop_restart_cg";

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &Path, ns_port: u16, broker_port: u16, run: usize) -> Kill {
    let conf = dir.join("broker.conf");
    std::fs::write(
        &conf,
        "diskSpaceWarningLevelRatio=99\ndiskMaxUsedSpaceRatio=95\ndiskSpaceCleanForciblyRatio=97\nreviveQueueNum=4\n",
    )
    .unwrap();
    Kill(
        Command::new(env!("CARGO_BIN_EXE_ferromq"))
            .args(["standalone", "--bind", "127.0.0.1", "--fast-port", "0"])
            .args(["--namesrv-port", &ns_port.to_string()])
            .args(["--broker-port", &broker_port.to_string()])
            .arg("--data")
            .arg(dir.join("data"))
            .arg("-c")
            .arg(&conf)
            .env("FERROMQ_LOG_DIR", dir.join("logs"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join(format!("run{run}.err"))).unwrap())
            .spawn()
            .unwrap(),
    )
}

async fn answers(client: &RemotingClient, addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let probe = RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO);
        if let Ok(r) = client.invoke_sync(addr, probe, TIMEOUT).await {
            if r.code == response_code::SUCCESS {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{addr} never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn pop_request(invisible: i64, poll: i64) -> RemotingCommand {
    RemotingCommand::request_with(
        rc::POP_MESSAGE,
        &PopMessageRequestHeader {
            consumer_group: GROUP.into(),
            topic: TOPIC.into(),
            queue_id: -1,
            max_msg_nums: 32,
            invisible_time: invisible,
            poll_time: poll,
            born_time: ferromq_protocol::time::now_ms(),
            init_mode: 0,
            ..Default::default()
        },
    )
}

/// Pops; the messages with the receipt Java's client would build for each.
async fn pop(
    client: &RemotingClient,
    addr: &str,
    invisible: i64,
    poll: i64,
) -> Vec<(MessageExt, String)> {
    let wait = TIMEOUT + Duration::from_millis(poll as u64);
    let r = client
        .invoke_sync(addr, pop_request(invisible, poll), wait)
        .await
        .unwrap();
    if r.code != response_code::SUCCESS {
        assert_eq!(r.code, response_code::POLLING_TIMEOUT, "{:?}", r.remark);
        return Vec::new();
    }
    let h: PopMessageResponseHeader = r.decode_header().unwrap();
    let start: Vec<Vec<String>> = h
        .start_offset_info
        .unwrap()
        .split(';')
        .map(|e| e.split(' ').map(str::to_string).collect())
        .collect();
    MessageExt::decode_all(&r.body.to_bytes())
        .unwrap()
        .into_iter()
        .map(|m| {
            let props =
                ferromq_protocol::message::properties::Properties::parse_bytes(&m.properties);
            let receipt = match props.get("POP_CK") {
                Some(ck) => ck.to_string(),
                None => {
                    let s = start
                        .iter()
                        .find(|e| e[0] == "0" && e[1] == m.queue_id.to_string())
                        .expect("start offset of the queue");
                    format!(
                        "{} {} {} {} 0 broker {} {}",
                        s[2],
                        h.pop_time,
                        h.invisible_time,
                        h.revive_qid,
                        m.queue_id,
                        m.queue_offset
                    )
                }
            };
            (m, receipt)
        })
        .collect()
}

async fn ack(client: &RemotingClient, addr: &str, m: &MessageExt, receipt: &str) {
    let f: Vec<&str> = receipt.split(' ').collect();
    let topic = if f[4] == "0" {
        TOPIC.to_string()
    } else {
        format!("%RETRY%{GROUP}_{TOPIC}")
    };
    let req = RemotingCommand::request_with(
        rc::ACK_MESSAGE,
        &AckMessageRequestHeader {
            consumer_group: GROUP.into(),
            topic,
            queue_id: f[6].parse().unwrap(),
            extra_info: receipt.into(),
            offset: f[7].parse().unwrap(),
        },
    );
    let r = client.invoke_sync(addr, req, TIMEOUT).await.unwrap();
    assert_eq!(r.code, response_code::SUCCESS, "ack {m:?}: {:?}", r.remark);
}

fn body(m: &MessageExt) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn unacked_pops_come_back_after_kill_9_and_acked_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let (ns_port, broker_port) = (free_port(), free_port());
    let addr = format!("127.0.0.1:{broker_port}");
    let client = RemotingClient::new(ClientConfig::default(), Arc::new(Dispatcher::new()));
    let server = start(dir.path(), ns_port, broker_port, 1);
    answers(&client, &addr).await;
    let r = client
        .invoke_sync(&addr, create_topic_request(TOPIC, 2, 6), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, response_code::SUCCESS);

    // Long polling: a pop held on the empty topic is answered by a send.
    let held = {
        let (client, addr) = (client.clone(), addr.clone());
        tokio::spawn(async move { pop(&client, &addr, 300_000, 15_000).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent_at = Instant::now();
    let send = send_request(TOPIC, 0, "first", None, &[]);
    assert_eq!(
        client.invoke_sync(&addr, send, TIMEOUT).await.unwrap().code,
        response_code::SUCCESS
    );
    let first = held.await.unwrap();
    assert_eq!(
        first.iter().map(|(m, _)| body(m)).collect::<Vec<_>>(),
        vec!["first"]
    );
    assert!(
        sent_at.elapsed() < Duration::from_secs(5),
        "woken by the send"
    );
    ack(&client, &addr, &first[0].0, &first[0].1).await;

    for (q, b) in [(0, "acked"), (1, "unacked")] {
        let send = send_request(TOPIC, q, b, None, &[]);
        assert_eq!(
            client.invoke_sync(&addr, send, TIMEOUT).await.unwrap().code,
            response_code::SUCCESS
        );
    }
    let mut got = Vec::new();
    while got.len() < 2 {
        let more = pop(&client, &addr, 8_000, 3_000).await;
        assert!(!more.is_empty(), "both sent messages pop");
        got.extend(more);
    }
    let mut bodies: Vec<String> = got.iter().map(|(m, _)| body(m)).collect();
    bodies.sort();
    assert_eq!(bodies, vec!["acked", "unacked"]);
    let (m, receipt) = got.iter().find(|(m, _)| body(m) == "acked").unwrap();
    ack(&client, &addr, m, receipt).await;
    let popped_at = Instant::now();
    // Offsets and revive progress are persisted every 5 s (a second of margin).
    tokio::time::sleep(Duration::from_secs(7)).await;

    // kill -9: no clean shutdown.
    drop(server);
    let _server = start(dir.path(), ns_port, broker_port, 2);
    answers(&client, &addr).await;

    let mut seen = Vec::new();
    let deadline = popped_at + Duration::from_secs(40);
    while Instant::now() < deadline {
        for (m, receipt) in pop(&client, &addr, 60_000, 1_000).await {
            seen.push((body(&m), m.reconsume_times));
            ack(&client, &addr, &m, &receipt).await;
        }
        if seen.iter().any(|(b, _)| b == "unacked") {
            break;
        }
    }
    assert!(
        popped_at.elapsed() >= Duration::from_secs(8),
        "not before its invisible time: {seen:?}"
    );
    assert_eq!(
        seen,
        vec![("unacked".to_string(), 1)],
        "only the un-acked message, once"
    );
    // And nothing else comes back.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(pop(&client, &addr, 60_000, 0).await.is_empty());
}
