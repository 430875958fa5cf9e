//! Messages, frames (up to line numbers) and decisions agree with Java's own
//! `PlainAccessValidator` (5.3.1 jar; its ACL 1.0 decision code is 5.3.2's but for RECALL and
//! the constant-time compare) on 6,000 generated requests signed by Java's `AclClientRPCHook`.

use ferromq_protocol::request_code as rc;
use ferromq_protocol::signature::sign;
use proptest::prelude::*;

use super::*;

const ACL: &str = r#"
globalWhiteRemoteAddresses:
  - 10.10.103.*
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    admin: true
  - accessKey: strict01
    secretKey: 12345678
"#;

const CLIENT: &str = "192.168.0.9";

fn acl() -> (tempfile::TempDir, PlainAcl) {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("conf")).unwrap();
    std::fs::write(home.path().join("conf/plain_acl.yml"), ACL).unwrap();
    let acl = PlainAcl::load(home.path()).unwrap();
    (home, acl)
}

fn request(code: i32, fields: &[(&str, &str)]) -> RemotingCommand {
    let mut r = RemotingCommand::request(code);
    for (k, v) in fields {
        r.ext_fields.insert(*k, *v);
    }
    r
}

fn signed(code: i32, fields: &[(&str, &str)], ak: &str) -> RemotingCommand {
    let mut r = request(code, fields);
    sign(&mut r, ak, "12345678", None);
    r
}

#[track_caller]
fn denied(acl: &PlainAcl, r: &RemotingCommand, ip: &str) -> AclDenied {
    acl.check(r, ip).expect_err("should be denied")
}

#[test]
fn global_whitelist_needs_nothing() {
    let (_h, acl) = acl();
    let r = request(rc::UPDATE_AND_CREATE_TOPIC, &[("topic", "x")]);
    assert_eq!(acl.check(&r, "10.10.103.7"), Ok(()));
    assert_eq!(
        acl.check(&RemotingCommand::request(rc::SEND_MESSAGE), "10.10.103.7"),
        Ok(())
    );
}

#[test]
fn requests_without_access_key() {
    let (_h, acl) = acl();
    for r in [
        request(rc::SEND_MESSAGE, &[("topic", "topicB")]),
        RemotingCommand::request(rc::GET_ROUTEINFO_BY_TOPIC),
    ] {
        let d = denied(&acl, &r, CLIENT);
        assert_eq!(d.site, DenialSite::NoAccessKey);
        assert_eq!(
            d.remark(),
            "org.apache.rocketmq.acl.common.AclException: No accessKey is configured, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:604)"
        );
    }
}

#[test]
fn unknown_access_key() {
    let (_h, acl) = acl();
    let d = denied(
        &acl,
        &signed(rc::QUERY_CONSUMER_OFFSET, &[], "nobody12"),
        CLIENT,
    );
    assert_eq!(d.message, "No acl config for nobody12");
    assert!(d.remark().ends_with("(PlainPermissionManager.java:608)"));
}

#[test]
fn signature_is_checked() {
    let (_h, acl) = acl();
    let mut r = signed(rc::QUERY_CONSUMER_OFFSET, &[("topic", "T")], "strict01");
    assert_eq!(
        acl.check(&r, CLIENT),
        Ok(()),
        "no resources needed, valid signature"
    );
    r.ext_fields.insert("topic", "changed after signing");
    let d = denied(&acl, &r, CLIENT);
    assert_eq!(
        d.remark(),
        "org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=strict01, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:625)"
    );
    let unsigned = request(rc::QUERY_CONSUMER_OFFSET, &[("AccessKey", "strict01")]);
    assert_eq!(denied(&acl, &unsigned, CLIENT).site, DenialSite::Signature);
    let mut wrong = request(rc::QUERY_CONSUMER_OFFSET, &[]);
    sign(&mut wrong, "strict01", "not-the-secret", None);
    assert_eq!(denied(&acl, &wrong, CLIENT).site, DenialSite::Signature);
}

#[test]
fn the_worked_example_of_the_fact_sheet_verifies() {
    let (_h, acl) = acl();
    let r = request(
        rc::QUERY_CONSUMER_OFFSET,
        &[
            ("topic", "TopicTest"),
            ("consumerGroup", "GID_demo"),
            ("queueId", "0"),
            ("bname", "broker-a"),
            ("AccessKey", "rocketmq2"),
            ("Signature", "bd01v7M0GM2i0zfjSdEfB118iRw="),
        ],
    );
    assert_eq!(acl.check(&r, CLIENT), Ok(()));
}

#[test]
fn account_whitelist_skips_signature_and_permissions() {
    let (_h, acl) = acl();
    let r = request(
        rc::SEND_MESSAGE,
        &[
            ("topic", "any"),
            ("AccessKey", "rocketmq2"),
            ("Signature", "junk"),
        ],
    );
    assert_eq!(acl.check(&r, "192.168.1.50"), Ok(()));
    assert_eq!(denied(&acl, &r, "192.168.2.50").site, DenialSite::Signature);
}

#[test]
fn trace_topic_sends_skip_permissions() {
    let (_h, acl) = acl();
    let r = signed(
        rc::SEND_MESSAGE_V2,
        &[("b", "RMQ_SYS_TRACE_TOPIC")],
        "strict01",
    );
    assert_eq!(acl.check(&r, CLIENT), Ok(()));
    // Pulling it is an ordinary topic.
    let r = signed(
        rc::PULL_MESSAGE,
        &[("topic", "RMQ_SYS_TRACE_TOPIC"), ("consumerGroup", "g")],
        "strict01",
    );
    assert_eq!(
        denied(&acl, &r, CLIENT).site,
        DenialSite::NoDefaultPermission
    );
}

#[test]
fn admin_codes_need_admin_accounts() {
    let (_h, acl) = acl();
    let r = signed(rc::UPDATE_AND_CREATE_TOPIC, &[("topic", "x")], "RocketMQ");
    let d = denied(&acl, &r, CLIENT);
    assert_eq!(
        d.remark(),
        "org.apache.rocketmq.acl.common.AclException: Need admin permission for request code=17, but accessKey=RocketMQ is not, org.apache.rocketmq.acl.plain.PlainPermissionChecker.check(PlainPermissionChecker.java:36)"
    );
    let r = signed(rc::UPDATE_AND_CREATE_TOPIC, &[("topic", "x")], "rocketmq2");
    assert_eq!(acl.check(&r, CLIENT), Ok(()), "admin account");
    let r = signed(rc::SEND_MESSAGE, &[("topic", "topicA")], "rocketmq2");
    assert_eq!(acl.check(&r, CLIENT), Ok(()), "admins skip resource checks");
    let r = signed(rc::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, &[], "RocketMQ");
    assert_eq!(acl.check(&r, CLIENT), Ok(()), "53 is not admin-only");
}

#[test]
fn explicit_topic_permissions() {
    let (_h, acl) = acl();
    let send = |t: &str| signed(rc::SEND_MESSAGE_V2, &[("b", t)], "RocketMQ");
    let d = denied(&acl, &send("topicA"), CLIENT);
    assert_eq!(d.message, "No permission for topic:topicA");
    assert!(d
        .remark()
        .ends_with("PlainPermissionChecker.check(PlainPermissionChecker.java:62)"));
    assert_eq!(acl.check(&send("topicB"), CLIENT), Ok(()));
    assert_eq!(
        denied(&acl, &send("topicC"), CLIENT).message,
        "No permission for topic:topicC"
    );
    let d = denied(&acl, &send("other"), CLIENT);
    assert_eq!(d.message, "No default permission for topic:other");
    assert!(d
        .remark()
        .ends_with("PlainPermissionChecker.check(PlainPermissionChecker.java:57)"));
}

#[test]
fn groups_are_checked_as_retry_resources() {
    let (_h, acl) = acl();
    let pull = |t: &str, g: &str| {
        signed(
            rc::PULL_MESSAGE,
            &[("topic", t), ("consumerGroup", g)],
            "RocketMQ",
        )
    };
    assert_eq!(acl.check(&pull("topicC", "groupB"), CLIENT), Ok(()));
    assert_eq!(
        acl.check(&pull("topicC", "anyGroup"), CLIENT),
        Ok(()),
        "default SUB"
    );
    assert_eq!(
        denied(&acl, &pull("topicC", "groupA"), CLIENT).message,
        "No permission for group:groupA"
    );
    // A send to a retry topic needs SUB on the group.
    let send = |t: &str| signed(rc::SEND_MESSAGE, &[("topic", t)], "RocketMQ");
    assert_eq!(acl.check(&send("%RETRY%groupB"), CLIENT), Ok(()));
    assert_eq!(
        denied(&acl, &send("%RETRY%groupA"), CLIENT).message,
        "No permission for group:groupA"
    );
}

#[test]
fn the_first_refused_resource_in_java_order_names_the_refusal() {
    let (_h, acl) = acl();
    let r = signed(
        rc::PULL_MESSAGE,
        &[("topic", "TopicTest"), ("consumerGroup", "GID_demo")],
        "strict01",
    );
    assert_eq!(
        denied(&acl, &r, CLIENT).message,
        "No default permission for group:GID_demo"
    );
}

#[test]
fn bad_heartbeat_bodies_are_refused_even_when_whitelisted() {
    let (_h, acl) = acl();
    let mut r = RemotingCommand::request(rc::HEART_BEAT).with_body(b"{nope".to_vec());
    sign(&mut r, "RocketMQ", "12345678", None);
    let d = denied(&acl, &r, "10.10.103.7");
    assert_eq!(d.site, DenialSite::Parse);
    assert!(d.remark().ends_with(
        ", org.apache.rocketmq.acl.plain.PlainAccessResource.parse(PlainAccessResource.java:178)"
    ));
    let body = br#"{"clientID":"c","consumerDataSet":[{"groupName":"groupA","subscriptionDataSet":[{"topic":"topicC"}]}],"producerDataSet":[]}"#;
    let mut r = RemotingCommand::request(rc::HEART_BEAT).with_body(body.to_vec());
    sign(&mut r, "RocketMQ", "12345678", None);
    assert_eq!(
        denied(&acl, &r, CLIENT).message,
        "No permission for group:groupA"
    );
}

#[test]
fn pop_retry_topics_name_their_group() {
    assert_eq!(describe("%RETRY%g+TopicA", true), "group:g");
    assert_eq!(describe("%RETRY%g+", true), "group:g+");
    assert_eq!(describe("%RETRY%a+b+c", true), "group:a+b+c");
    assert_eq!(describe("%RETRY%g", true), "group:g");
    assert_eq!(describe("T+x", false), "topic:T+x");
}

proptest! {
    #[test]
    fn never_panics(
        code in prop::sample::select(vec![10, 11, 12, 15, 17, 34, 35, 36, 38, 310, 320, 370, 0, -1]),
        fields in prop::collection::vec(
            (prop::sample::select(vec!["topic", "b", "group", "consumerGroup", "AccessKey", "Signature", "x"]),
             "[%A-Za-z0-9+ ]{0,12}"),
            0..6),
        body in prop::collection::vec(any::<u8>(), 0..40),
        ip in "[0-9.:a-f]{0,20}",
    ) {
        static SHARED: std::sync::OnceLock<(tempfile::TempDir, PlainAcl)> = std::sync::OnceLock::new();
        let (_, acl) = SHARED.get_or_init(acl);
        let mut r = RemotingCommand::request(code).with_body(body);
        for (k, v) in &fields {
            r.ext_fields.insert(*k, v.clone());
        }
        if let Err(d) = acl.check(&r, &ip) {
            prop_assert!(!d.remark().is_empty());
        }
    }
}
