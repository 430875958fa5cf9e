//! ACL 1.0 on a broker (`aclEnable`, `plain_acl.yml`): no code is served without a valid
//! signature unless the client's address is whitelisted; accounts' permissions decide; the
//! file is reread when it changes; the 50–53 admin requests rewrite it.

use std::path::Path;
use std::time::{Duration, Instant};

use ferromq_config::ConfigTable;
use ferromq_protocol::headers::{CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader};
use ferromq_protocol::{request_code as rc, signature, RemotingCommand};
use ferromq_testkit::{create_topic_request, send_request, TestCluster};

use crate::*;

const ADMIN: (&str, &str) = ("RocketMQAdmin", "12345678");
const USER: (&str, &str) = ("RocketMQUser", "87654321");

fn write_acl(home: &Path, granted: &str, extra: &str) {
    let yml = format!(
        "globalWhiteRemoteAddresses:\n- 10.10.103.*\n{extra}accounts:\n\
         - accessKey: {}\n  secretKey: {}\n  admin: true\n\
         - accessKey: {}\n  secretKey: {}\n  admin: false\n  defaultTopicPerm: DENY\n  defaultGroupPerm: SUB\n  topicPerms:\n  - {granted}=PUB|SUB\n",
        ADMIN.0, ADMIN.1, USER.0, USER.1
    );
    std::fs::create_dir_all(home.join("conf")).unwrap();
    std::fs::write(home.join("conf/plain_acl.yml"), yml).unwrap();
}

fn signed(mut r: RemotingCommand, (ak, sk): (&str, &str)) -> RemotingCommand {
    signature::sign(&mut r, ak, sk, None);
    r
}

fn refused_with(r: &RemotingCommand, text: &str) {
    assert_eq!(r.code, SYSTEM_ERROR, "{:?}", r.remark);
    let remark = r.remark.as_deref().unwrap_or("");
    assert!(
        remark.starts_with("org.apache.rocketmq.acl.common.AclException: ")
            && remark.contains(text),
        "{remark}"
    );
}

async fn start(home: &Path) -> TestCluster {
    let h = home.to_string_lossy().to_string();
    TestCluster::start_with(1, move |c| {
        c.set("aclEnable", "true").unwrap();
        c.set("rocketmqHome", &h).unwrap();
    })
    .await
}

#[tokio::test]
async fn no_code_is_served_unsigned_and_accounts_decide() {
    let home = tempfile::tempdir().unwrap();
    let (granted, other) = (unique("Granted"), unique("Other"));
    write_acl(home.path(), &granted, "");
    let c = start(home.path()).await;
    for (req_code, name) in rc::TABLE {
        let mut r = RemotingCommand::request(*req_code);
        r.ext_fields.insert("topic", granted.as_str());
        // Java reads the resources first: a heartbeat without a body fails there.
        let (unsigned, bad_sig) = if *req_code == rc::HEART_BEAT {
            ("heartbeatData".to_string(), "heartbeatData".to_string())
        } else {
            (
                "No accessKey is configured".to_string(),
                format!("Check signature failed for accessKey={}", USER.0),
            )
        };
        let r0 = c.call(r.clone()).await;
        assert_eq!(r0.code, SYSTEM_ERROR, "{name}");
        refused_with(&r0, &unsigned);
        refused_with(&c.call(signed(r, (USER.0, "wrong-secret"))).await, &bad_sig);
    }
    for t in [&granted, &other] {
        let r = c.call(signed(create_topic_request(t, 1, 6), ADMIN)).await;
        assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
    }
    // Topic creation is an admin code.
    let r = c
        .call(signed(create_topic_request(&other, 1, 6), USER))
        .await;
    refused_with(&r, "Need admin permission for request code=17");
    let r = c
        .send(signed(send_request(&granted, 0, "ok", None, &[]), USER))
        .await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
    let r = c
        .call(signed(send_request(&other, 0, "no", None, &[]), USER))
        .await;
    refused_with(&r, &format!("No default permission for topic:{other}"));
    let r = c
        .call(signed(
            send_request(&other, 0, "x", None, &[]),
            ("NoSuchKey", "12345678"),
        ))
        .await;
    refused_with(&r, "No acl config for NoSuchKey");

    // The file changes: within two reload periods the new permission holds.
    write_acl(home.path(), &other, "");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = c
            .call(signed(send_request(&other, 0, "now", None, &[]), USER))
            .await;
        if r.code == SUCCESS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the changed file was never reread: {:?}",
            r.remark
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    c.settle();
    let store = c.brokers[0].context().store();
    assert_eq!(store.max_offset_in_queue(&granted, 0), 1);
    assert_eq!(store.max_offset_in_queue(&other, 0), 1);
    c.shutdown().await;
}

#[tokio::test]
async fn admin_requests_rewrite_the_accounts_and_whitelist() {
    let home = tempfile::tempdir().unwrap();
    let topic = unique("Managed");
    write_acl(home.path(), &topic, "");
    let c = start(home.path()).await;
    let r = c
        .call(signed(create_topic_request(&topic, 1, 6), ADMIN))
        .await;
    assert_eq!(r.code, SUCCESS);
    let header = CreateAccessConfigRequestHeader {
        access_key: Some("NewAccount".into()),
        secret_key: Some("newsecret1".into()),
        admin: Some(false),
        default_topic_perm: Some("PUB".into()),
        ..Default::default()
    };
    // A non-admin account may not add accounts.
    let req = RemotingCommand::request_with(rc::UPDATE_AND_CREATE_ACL_CONFIG, &header);
    refused_with(
        &c.call(signed(req.clone(), USER)).await,
        "Need admin permission",
    );
    let r = c.call(signed(req, ADMIN)).await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
    let yml = std::fs::read_to_string(home.path().join("conf/plain_acl.yml")).unwrap();
    assert!(yml.contains("NewAccount"), "{yml}");
    let r = c
        .send(signed(
            send_request(&topic, 0, "x", None, &[]),
            ("NewAccount", "newsecret1"),
        ))
        .await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);

    let del = RemotingCommand::request_with(
        rc::DELETE_ACL_CONFIG,
        &DeleteAccessConfigRequestHeader {
            access_key: Some("NewAccount".into()),
        },
    );
    assert_eq!(c.call(signed(del, ADMIN)).await.code, SUCCESS);
    let r = c
        .call(signed(
            send_request(&topic, 0, "x", None, &[]),
            ("NewAccount", "newsecret1"),
        ))
        .await;
    refused_with(&r, "No acl config for NewAccount");

    // clusterAclConfigVersion: every file's version, which Java 5.x leaves out.
    let r = c
        .call(signed(
            RemotingCommand::request(rc::GET_BROKER_CLUSTER_ACL_INFO),
            ADMIN,
        ))
        .await;
    assert_eq!(r.code, SUCCESS);
    let all = r.ext_fields.get("allAclFileVersion").unwrap();
    assert!(
        all.contains("plain_acl.yml") && all.contains("\"counter\":2"),
        "{all}"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn a_whitelisted_address_needs_no_signature() {
    let home = tempfile::tempdir().unwrap();
    let topic = unique("Open");
    write_acl(home.path(), &topic, "");
    // 127.0.0.1 is whitelisted globally: nothing is checked for it.
    let yml = std::fs::read_to_string(home.path().join("conf/plain_acl.yml")).unwrap();
    std::fs::write(
        home.path().join("conf/plain_acl.yml"),
        yml.replace("- 10.10.103.*", "- 10.10.103.*\n- 127.0.0.*"),
    )
    .unwrap();
    let c = start(home.path()).await;
    assert_eq!(c.create_topic(&topic, 1).await.code, SUCCESS);
    let r = c.send(send_request(&topic, 0, "x", None, &[])).await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
    c.shutdown().await;
}
