//! What a client puts on the wire: a tiny NameServer + broker on one local port records every
//! request a producer or admin client sends (decoded, with its serialize-type byte) and
//! answers in the same encoding, as brokers do. Checks the configured header encoding and the
//! ACL signature of every request.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferromq_protocol::{frame, request_code, signature, RemotingCommand};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::config::{Credentials, SerializeType};
use crate::{Admin, ClientConfig, Message, Producer, ProducerConfig};

/// Every request received, decoded, with its serialize-type byte.
type Seen = Arc<Mutex<Vec<(RemotingCommand, u8)>>>;

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
            seen.lock().push((req.clone(), ser));
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

/// Sends one message (and one one-way message when `credentials` are given) through the fake
/// server with `ser`; returns what it recorded.
async fn send_one(
    ser: SerializeType,
    credentials: Option<Credentials>,
) -> Vec<(RemotingCommand, u8)> {
    let (addr, seen) = fake_server().await;
    let mut cfg = ProducerConfig::new("wire_pg", &addr);
    cfg.client.serialize_type = ser;
    cfg.client.credentials = credentials.clone();
    let p = Producer::new(cfg);
    p.start().await.unwrap();
    let r = p.send(Message::new("WireTopic", "x")).await.unwrap();
    assert_eq!(r.queue_offset, 42, "the response header was read back");
    assert_eq!(r.offset_msg_id, "7F00000100002A9F0000000000000042");
    if credentials.is_some() {
        p.send_oneway(Message::new("WireTopic", "one-way"))
            .await
            .unwrap();
    }
    p.shutdown().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let seen = seen.lock().clone();
    let codes: Vec<i32> = seen.iter().map(|s| s.0.code).collect();
    assert!(
        codes.contains(&request_code::GET_ROUTEINFO_BY_TOPIC),
        "{codes:?}"
    );
    assert!(codes.contains(&request_code::SEND_MESSAGE_V2), "{codes:?}");
    seen
}

#[tokio::test]
async fn binary_headers_on_every_request_when_configured() {
    let seen = send_one(SerializeType::RocketMq, None).await;
    assert!(seen.iter().all(|(_, ser)| *ser == 1), "{seen:?}");
}

#[tokio::test]
async fn json_headers_when_configured() {
    let seen = send_one(SerializeType::Json, None).await;
    assert!(seen.iter().all(|(_, ser)| *ser == 0), "{seen:?}");
    assert!(
        seen.iter()
            .all(|(r, _)| r.ext_fields.get(signature::ACCESS_KEY).is_none()
                && r.ext_fields.get(signature::SIGNATURE).is_none()),
        "no credentials, no signature"
    );
}

/// Asserts every request in `seen` carries `ak` and a signature `sk` verifies.
#[track_caller]
fn all_signed(seen: &[(RemotingCommand, u8)], ak: &str, sk: &str) {
    assert!(!seen.is_empty());
    for (req, _) in seen {
        assert_eq!(
            req.ext_fields.get(signature::ACCESS_KEY),
            Some(ak),
            "request {} unsigned",
            req.code
        );
        assert!(
            signature::verify(req, sk),
            "request {} badly signed",
            req.code
        );
        assert!(!signature::verify(req, "wrong-secret"));
    }
}

#[tokio::test]
async fn every_producer_request_is_signed_with_credentials() {
    for ser in [SerializeType::Json, SerializeType::RocketMq] {
        let seen = send_one(ser, Some(Credentials::new("rocketmq2", "12345678"))).await;
        all_signed(&seen, "rocketmq2", "12345678");
        let codes: Vec<i32> = seen.iter().map(|s| s.0.code).collect();
        // a NameServer route lookup, sync and one-way sends (with bodies), unregistration
        for code in [
            request_code::GET_ROUTEINFO_BY_TOPIC,
            request_code::UNREGISTER_CLIENT,
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        let sends = seen
            .iter()
            .filter(|(r, _)| r.code == request_code::SEND_MESSAGE_V2)
            .count();
        assert_eq!(sends, 2, "the sync and the one-way send");
        assert!(seen.iter().any(|(r, _)| r.is_oneway()));
    }
}

#[tokio::test]
async fn admin_requests_are_signed_with_the_security_token() {
    let (addr, seen) = fake_server().await;
    let mut config = ClientConfig::new(&addr);
    config.credentials = Some(Credentials {
        security_token: Some("tok".into()),
        ..Credentials::new("alice", "secret123")
    });
    let admin = Admin::new(config);
    // one NameServer call, one broker call with a body
    admin.topic_route("WireTopic").await.unwrap();
    let probe = RemotingCommand::request(request_code::HEART_BEAT).with_body(b"{}".to_vec());
    admin
        .instance()
        .invoke_ok(&addr, probe, Duration::from_secs(3))
        .await
        .unwrap();
    admin.shutdown().await;
    let seen = seen.lock().clone();
    all_signed(&seen, "alice", "secret123");
    assert!(seen
        .iter()
        .all(|(r, _)| r.ext_fields.get(signature::SECURITY_TOKEN) == Some("tok")));
    let codes: Vec<i32> = seen.iter().map(|s| s.0.code).collect();
    assert_eq!(
        codes,
        [
            request_code::GET_ROUTEINFO_BY_TOPIC,
            request_code::HEART_BEAT
        ]
    );
}

#[tokio::test]
async fn acl_admin_requests_carry_javas_headers_and_bodies() {
    use ferromq_model::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};

    let (addr, seen) = fake_server().await;
    let admin = Admin::connect(&addr);
    let user = UserInfo {
        username: Some("alice".into()),
        password: Some("secret123".into()),
        ..UserInfo::default()
    };
    admin.create_user(&addr, &user).await.unwrap();
    let acl = AclInfo {
        subject: Some("User:alice".into()),
        policies: Some(vec![PolicyInfo {
            policy_type: None,
            entries: Some(vec![PolicyEntryInfo {
                resource: Some("Topic:test".into()),
                actions: Some(vec!["Pub".into(), "Sub".into()]),
                source_ips: Some(vec!["192.168.0.0/24".into()]),
                decision: Some("Allow".into()),
            }]),
        }]),
    };
    admin.create_acl(&addr, &acl).await.unwrap();
    admin
        .delete_acl(&addr, "User:alice", Some("Topic:test"))
        .await
        .unwrap();
    // SUCCESS without a body: nothing there
    assert_eq!(admin.get_user(&addr, Some("bob")).await.unwrap(), None);
    assert!(admin.list_acls(&addr, None, None).await.unwrap().is_empty());
    let account = crate::PlainAccessConfig {
        access_key: "RocketMQ".into(),
        secret_key: Some("12345678".into()),
        topic_perms: Some(vec!["a=PUB".into(), "b=SUB".into()]),
        ..Default::default()
    };
    admin
        .update_plain_access_config(&addr, &account)
        .await
        .unwrap();
    let info = admin.acl_version_info(&addr).await.unwrap();
    assert!(info.all_file_versions.is_empty() && info.version.is_none());
    admin.shutdown().await;

    let seen = seen.lock().clone();
    let req = |code| seen.iter().find(|(r, _)| r.code == code).unwrap().0.clone();
    let r = req(request_code::AUTH_CREATE_USER);
    assert_eq!(r.ext_fields.get("username"), Some("alice"));
    assert_eq!(
        r.body.to_bytes().as_ref(),
        br#"{"password":"secret123","username":"alice"}"#
    );
    let r = req(request_code::AUTH_CREATE_ACL);
    assert_eq!(r.ext_fields.get("subject"), Some("User:alice"));
    // what mqadmin createAcl sends (docs/reference/acl-tls.md §3.7, verified)
    assert_eq!(
        r.body.to_bytes().as_ref(),
        br#"{"policies":[{"entries":[{"actions":["Pub","Sub"],"decision":"Allow","resource":"Topic:test","sourceIps":["192.168.0.0/24"]}]}],"subject":"User:alice"}"#
    );
    let r = req(request_code::AUTH_DELETE_ACL);
    assert_eq!(r.ext_fields.get("resource"), Some("Topic:test"));
    assert_eq!(r.ext_fields.get("policyType"), None);
    let r = req(request_code::UPDATE_AND_CREATE_ACL_CONFIG);
    assert_eq!(r.ext_fields.get("admin"), Some("false"));
    assert_eq!(r.ext_fields.get("topicPerms"), Some("a=PUB,b=SUB"));
    assert_eq!(r.ext_fields.get("groupPerms"), None);
}
