//! ACL 2.0 on a broker: nothing reaches a handler without a valid signature (driven from the
//! request-code table, so a new code cannot slip past), users and policies decide what a
//! signed request may touch, and the broker's own traffic (a slave syncing from its master)
//! is signed with the inner credentials; the slave copies the master's users and ACLs.

use std::time::{Duration, Instant};

use ferromq_config::{BrokerConfig, ConfigTable};
use ferromq_protocol::headers::{AclRequestHeader, UserRequestHeader};
use ferromq_protocol::{request_code as rc, signature, RemotingCommand};
use ferromq_testkit::{
    acl2, create_topic_request, pull_request, send_request, TestCluster, ACL_ROOT,
};

use crate::*;

const ROOT: (&str, &str) = ACL_ROOT;
const INNER: (&str, &str) = ("inner-broker", "inner-secret");

fn acl_on(c: &mut BrokerConfig) {
    acl2(c);
    let inner = format!(r#"{{"accessKey":"{}","secretKey":"{}"}}"#, INNER.0, INNER.1);
    c.set("innerClientAuthenticationCredentials", &inner)
        .unwrap();
}

fn signed(mut r: RemotingCommand, (ak, sk): (&str, &str)) -> RemotingCommand {
    signature::sign(&mut r, ak, sk, None);
    r
}

async fn admin(c: &TestCluster, r: RemotingCommand) {
    let resp = c.call(signed(r, ROOT)).await;
    assert_eq!(resp.code, SUCCESS, "{:?}", resp.remark);
}

#[tokio::test]
async fn no_code_is_served_without_a_valid_signature() {
    let c = TestCluster::start_with(1, acl_on).await;
    for (req_code, name) in rc::TABLE {
        let mut r = RemotingCommand::request(*req_code);
        r.ext_fields.insert("topic", "TopicTest");
        let resp = c.call(r.clone()).await;
        assert_eq!(
            resp.code, NO_PERMISSION,
            "{name} unsigned: {:?}",
            resp.remark
        );
        assert_eq!(
            resp.remark.as_deref(),
            Some("username cannot be null."),
            "{name}"
        );
        let resp = c.call(signed(r, (ROOT.0, "wrong-secret"))).await;
        assert_eq!(resp.code, NO_PERMISSION, "{name} badly signed");
        assert_eq!(
            resp.remark.as_deref(),
            Some("check signature failed."),
            "{name}"
        );
    }
    // The connection stays open and a good signature gets through.
    let r = c
        .call(signed(
            RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO),
            ROOT,
        ))
        .await;
    assert_eq!(r.code, SUCCESS);
    c.shutdown().await;
}

#[tokio::test]
async fn users_and_policies_decide_what_a_signed_request_touches() {
    let c = TestCluster::start_with(1, acl_on).await;
    let (granted, other) = (unique("Granted"), unique("Other"));
    for t in [&granted, &other] {
        admin(&c, create_topic_request(t, 1, 6)).await;
    }
    let alice = ("alice", "alice-secret");
    let mut create = RemotingCommand::request_with(
        rc::AUTH_CREATE_USER,
        &UserRequestHeader {
            username: Some("alice".into()),
        },
    );
    create.body = br#"{"password":"alice-secret"}"#.to_vec().into();
    admin(&c, create).await;

    // A user without policies may do nothing that names a resource.
    let r = c
        .call(signed(send_request(&granted, 0, "x", None, &[]), alice))
        .await;
    assert_eq!(r.code, NO_PERMISSION);
    let expected = format!(
        "User:alice has no permission to access Topic:{granted} from 127.0.0.1, no matched policies."
    );
    assert_eq!(r.remark.as_deref(), Some(expected.as_str()));

    let mut acl = RemotingCommand::request_with(
        rc::AUTH_CREATE_ACL,
        &AclRequestHeader {
            subject: Some("User:alice".into()),
        },
    );
    acl.body = format!(
        r#"{{"policies":[{{"entries":[{{"actions":["Pub"],"decision":"Allow","resource":"Topic:{granted}"}}]}}],"subject":"User:alice"}}"#
    )
    .into_bytes()
    .into();
    admin(&c, acl).await;

    let r = c
        .send(signed(send_request(&granted, 0, "ok", None, &[]), alice))
        .await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
    for refused in [
        send_request(&other, 0, "no", None, &[]),
        pull_request("cg", &granted, 0, 0, 32, "*", 0),
    ] {
        let r = c.call(signed(refused, alice)).await;
        assert_eq!(r.code, NO_PERMISSION, "{:?}", r.remark);
    }
    // A captured request replayed with a changed topic no longer verifies.
    let mut replay = signed(send_request(&granted, 0, "x", None, &[]), alice);
    replay.ext_fields.insert("b", other.as_str());
    let r = c.call(replay).await;
    assert_eq!(r.remark.as_deref(), Some("check signature failed."));
    // A name longer than the store keeps is refused before it reaches the user map.
    let mut long = RemotingCommand::request_with(
        rc::AUTH_CREATE_USER,
        &UserRequestHeader {
            username: Some("x".repeat(300)),
        },
    );
    long.body = br#"{"password":"long-secret"}"#.to_vec().into();
    let r = c.call(signed(long, ROOT)).await;
    assert_eq!(r.code, INVALID_PARAMETER, "{:?}", r.remark);
    // A normal user cannot make itself super.
    let mut promote = RemotingCommand::request_with(
        rc::AUTH_UPDATE_USER,
        &UserRequestHeader {
            username: Some("alice".into()),
        },
    );
    promote.body = br#"{"userType":"Super"}"#.to_vec().into();
    let r = c.call(signed(promote, alice)).await;
    assert_ne!(r.code, SUCCESS);

    // Exactly one message reached the store: the granted one.
    c.settle();
    let store = c.brokers[0].context().store();
    assert_eq!(store.max_offset_in_queue(&granted, 0), 1);
    assert_eq!(store.max_offset_in_queue(&other, 0), 0);

    // Users and policies survive a restart.
    let mut c = c;
    c.restart_broker(0).await;
    let r = c
        .send(signed(send_request(&granted, 0, "again", None, &[]), alice))
        .await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
    c.shutdown().await;
}

#[tokio::test]
async fn a_slave_syncs_from_an_acl_master_with_the_inner_credentials() {
    let c = TestCluster::start_set(1, |_, cfg| acl_on(cfg)).await;
    let topic = unique("Synced");
    admin(&c, create_topic_request(&topic, 2, 6)).await;
    // The slave's periodic sync (topics, offsets, groups) is signed; unsigned it would be
    // refused and the topic would never appear there.
    let slave = c.brokers[1].context().clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    while slave.tables().topics().get(&topic).is_none() {
        assert!(Instant::now() < deadline, "the slave never got the topic");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = c
        .call_broker(
            1,
            signed(RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO), INNER),
        )
        .await;
    assert_eq!(r.code, SUCCESS, "the inner user exists on the slave too");
    // A user created on the master reaches the slave with the next sync.
    let mut create = RemotingCommand::request_with(
        rc::AUTH_CREATE_USER,
        &UserRequestHeader {
            username: Some("carol".into()),
        },
    );
    create.body = br#"{"password":"carol-secret"}"#.to_vec().into();
    admin(&c, create).await;
    let carol = || {
        let r = RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO);
        signed(r, ("carol", "carol-secret"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.call_broker(1, carol()).await.code != SUCCESS {
        assert!(
            Instant::now() < deadline,
            "the slave never got the master's new user"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    c.shutdown().await;
}
