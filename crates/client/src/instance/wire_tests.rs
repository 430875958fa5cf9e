//! The configured header encoding reaches the wire: a tiny NameServer + broker on one local
//! port records the serialize-type byte of every request a producer sends and answers in the
//! same encoding, as brokers do.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferromq_protocol::{frame, request_code, RemotingCommand};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::config::SerializeType;
use crate::{Message, Producer, ProducerConfig};

/// `(request code, serialize-type byte)` of every request received.
type Seen = Arc<Mutex<Vec<(i32, u8)>>>;

async fn fake_server() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen: Seen = Arc::default();
    let (a, s) = (addr.clone(), seen.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, a.clone(), s.clone()));
        }
    });
    (addr, seen)
}

async fn serve(mut stream: TcpStream, addr: String, seen: Seen) {
    let mut buf = BytesMut::new();
    loop {
        while buf.len() >= 8 {
            // Byte 4: the top byte of the header-length word, the serialize type.
            let ser = buf[4];
            let Ok(Some(req)) = frame::decode(&mut buf, 1 << 24) else {
                break;
            };
            seen.lock().push((req.code, ser));
            let Some(resp) = answer(&req, &addr) else {
                continue;
            };
            let resp = resp.for_request(&req);
            if stream.write_all(&frame::encode(&resp)).await.is_err() {
                return;
            }
        }
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

fn answer(req: &RemotingCommand, addr: &str) -> Option<RemotingCommand> {
    if req.is_oneway() {
        return None;
    }
    Some(match req.code {
        request_code::GET_ROUTEINFO_BY_TOPIC => {
            let route = format!(
                r#"{{"brokerDatas":[{{"brokerAddrs":{{"0":"{addr}"}},"brokerName":"b","cluster":"c"}}],"filterServerTable":{{}},"queueDatas":[{{"brokerName":"b","perm":6,"readQueueNums":1,"topicSysFlag":0,"writeQueueNums":1}}]}}"#
            );
            RemotingCommand::success().with_body(route.into_bytes())
        }
        request_code::SEND_MESSAGE_V2 => RemotingCommand::success()
            .with_ext("msgId", "7F00000100002A9F0000000000000042")
            .with_ext("queueId", "0")
            .with_ext("queueOffset", "42"),
        _ => RemotingCommand::success(),
    })
}

/// Sends one message through the fake server with `ser`; returns what it recorded.
async fn send_one(ser: SerializeType) -> Vec<(i32, u8)> {
    let (addr, seen) = fake_server().await;
    let mut cfg = ProducerConfig::new("wire_pg", &addr);
    cfg.client.serialize_type = ser;
    let p = Producer::new(cfg);
    p.start().await.unwrap();
    let r = p.send(Message::new("WireTopic", "x")).await.unwrap();
    assert_eq!(r.queue_offset, 42, "the response header was read back");
    assert_eq!(r.offset_msg_id, "7F00000100002A9F0000000000000042");
    p.shutdown().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let seen = seen.lock().clone();
    let codes: Vec<i32> = seen.iter().map(|s| s.0).collect();
    assert!(
        codes.contains(&request_code::GET_ROUTEINFO_BY_TOPIC),
        "{codes:?}"
    );
    assert!(codes.contains(&request_code::SEND_MESSAGE_V2), "{codes:?}");
    seen
}

#[tokio::test]
async fn binary_headers_on_every_request_when_configured() {
    let seen = send_one(SerializeType::RocketMq).await;
    assert!(seen.iter().all(|(_, ser)| *ser == 1), "{seen:?}");
}

#[tokio::test]
async fn json_headers_when_configured() {
    let seen = send_one(SerializeType::Json).await;
    assert!(seen.iter().all(|(_, ser)| *ser == 0), "{seen:?}");
}
