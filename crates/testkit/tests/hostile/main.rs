//! Hostile clients: requests an attacker with nothing but a TCP socket can send, each over a
//! real socket against an in-process broker. Every test checks the refusal (a clear Java
//! response code) and that nothing stored was lost or created outside the store.
//!
//! The catalogue of what is refused and why is `docs/security.md`.

mod acl;
mod disk_full;
mod forged;
mod limits;
mod names;
mod permissions;
mod plain_acl;
mod system_topics;

use std::path::{Path, PathBuf};

use ferromq_protocol::headers::*;
use ferromq_protocol::{response_code as code, RemotingCommand};
use ferromq_testkit::{pull_request, send_request, TestCluster};

pub use ferromq_testkit::{records, unique};

/// A topic with `n` acknowledged messages, to check later that they survived.
pub struct Witness {
    pub topic: String,
    pub count: usize,
    /// CommitLog offset of the first message.
    pub first_phys: i64,
}

impl Witness {
    /// Creates a topic and stores `count` messages in queue 0.
    pub async fn store(c: &TestCluster, count: usize) -> Witness {
        let topic = unique("Witness");
        assert_eq!(c.create_topic(&topic, 1).await.code, code::SUCCESS);
        let mut first_phys = -1;
        for i in 0..count {
            let r = c
                .send(send_request(&topic, 0, format!("kept-{i}"), None, &[]))
                .await;
            assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
            if i == 0 {
                let h: SendMessageResponseHeader = r.decode_header().unwrap();
                first_phys = ferromq_protocol::message::id::decode_offset_msg_id(&h.msg_id)
                    .unwrap()
                    .commit_log_offset;
            }
        }
        Witness {
            topic,
            count,
            first_phys,
        }
    }

    /// Asserts every message is still consumable, in order.
    pub async fn assert_intact(&self, c: &TestCluster) {
        c.settle();
        let r = c
            .call(pull_request("witness_cg", &self.topic, 0, 0, 32, "*", 0))
            .await;
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
        let msgs = records(&r);
        assert_eq!(msgs.len(), self.count.min(32));
        for (i, m) in msgs.iter().enumerate() {
            assert_eq!(&m.body[..], format!("kept-{i}").as_bytes());
        }
    }
}

/// Every path under the store root, relative, sorted — to show nothing appeared outside the
/// directories the store owns.
pub fn tree(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().to_path_buf());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Asserts the store root holds only what a broker creates: the well-known directories and
/// files, with every ConsumeQueue directory directly under `consumequeue/`.
pub fn assert_store_layout(root: &Path) {
    const TOP: &[&str] = &[
        "abort",
        "checkpoint",
        "commitlog",
        "config",
        "consumequeue",
        "index",
        "lock",
    ];
    for p in tree(root) {
        let parts: Vec<_> = p.components().collect();
        let top = parts[0].as_os_str().to_string_lossy();
        assert!(
            TOP.contains(&top.as_ref()),
            "unexpected entry in the store root: {}",
            p.display()
        );
        if top == "consumequeue" && parts.len() >= 2 {
            let topic = parts[1].as_os_str().to_string_lossy();
            assert!(
                ferromq_model::validate::validate_topic(&topic).is_ok(),
                "ConsumeQueue directory with an invalid topic name: {}",
                p.display()
            );
        }
    }
    for dir in ["commitlog", "consumequeue", "index", "config"] {
        assert!(root.join(dir).is_dir(), "{dir}/ is gone");
    }
}

/// A CONSUMER_SEND_MSG_BACK request.
pub fn send_back(group: &str, phys: i64, delay_level: i32) -> RemotingCommand {
    RemotingCommand::request_with(
        ferromq_protocol::request_code::CONSUMER_SEND_MSG_BACK,
        &ConsumerSendMsgBackRequestHeader {
            offset: phys,
            group: group.into(),
            delay_level,
            origin_msg_id: None,
            origin_topic: None,
            unit_mode: None,
            max_reconsume_times: None,
        },
    )
}

/// A DELETE_TOPIC_IN_BROKER request.
pub fn delete_topic(topic: &str) -> RemotingCommand {
    RemotingCommand::request_with(
        ferromq_protocol::request_code::DELETE_TOPIC_IN_BROKER,
        &TopicRequestHeader {
            topic: topic.into(),
        },
    )
}

/// Asserts a response is the given refusal.
#[track_caller]
pub fn assert_refused(r: &RemotingCommand, expected: i32) {
    assert_eq!(
        r.code,
        expected,
        "expected {} but got {} ({:?})",
        ferromq_protocol::response_code::name(expected).unwrap_or("?"),
        ferromq_protocol::response_code::name(r.code).unwrap_or("?"),
        r.remark
    );
}

pub use code::*;

/// A bare TCP connection speaking frames, for what a well-behaved client would not do
/// (pipelining thousands of requests, never reading, oversized frames).
pub struct RawConn {
    pub stream: tokio::net::TcpStream,
    buf: bytes::BytesMut,
    next_opaque: i32,
}

impl RawConn {
    /// Connects to `addr`.
    pub async fn connect(addr: &str) -> RawConn {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        RawConn {
            stream,
            buf: bytes::BytesMut::new(),
            next_opaque: 1,
        }
    }

    /// Writes a request with a fresh opaque; returns the opaque.
    pub async fn send(&mut self, mut cmd: RemotingCommand) -> i32 {
        use tokio::io::AsyncWriteExt;
        cmd.opaque = self.next_opaque;
        self.next_opaque += 1;
        let frame = ferromq_protocol::frame::encode(&cmd);
        self.stream.write_all(&frame).await.expect("write");
        cmd.opaque
    }

    /// The next response, or `None` if none arrives within `wait`.
    pub async fn recv_response(&mut self, wait: std::time::Duration) -> Option<RemotingCommand> {
        loop {
            let r = self.recv(wait).await?;
            if r.is_response() {
                return Some(r);
            }
        }
    }

    /// The next frame, or `None` if none arrives within `wait` (or the peer closed).
    pub async fn recv(&mut self, wait: std::time::Duration) -> Option<RemotingCommand> {
        use tokio::io::AsyncReadExt;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(cmd) =
                ferromq_protocol::frame::decode(&mut self.buf, 64 << 20).expect("frame")
            {
                return Some(cmd);
            }
            let n = tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
        }
    }

    /// Sends a request and waits for its response (skipping other frames).
    pub async fn call(&mut self, cmd: RemotingCommand) -> RemotingCommand {
        let opaque = self.send(cmd).await;
        loop {
            let r = self
                .recv(std::time::Duration::from_secs(10))
                .await
                .expect("a response");
            if r.is_response() && r.opaque == opaque {
                return r;
            }
        }
    }
}
