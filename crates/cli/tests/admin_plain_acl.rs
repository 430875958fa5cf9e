//! `ferromq admin`'s ACL 1.0 commands against an in-process broker with `aclEnable` and a
//! `plain_acl.yml`: accounts and whitelists rewritten through the real binary, file versions
//! listed, mqadmin's output byte for byte.

mod admin_support;

use std::path::Path;

use admin_support::{admin_env, Run, TestCluster};
use ferromq_config::ConfigTable;

const ADMIN: [(&str, &str); 2] = [
    ("ROCKETMQ_ACCESS_KEY", "RocketMQAdmin"),
    ("ROCKETMQ_SECRET_KEY", "12345678"),
];

async fn plain_acl_cluster(home: &Path) -> TestCluster {
    std::fs::create_dir_all(home.join("conf")).unwrap();
    std::fs::write(
        home.join("conf/plain_acl.yml"),
        "globalWhiteRemoteAddresses:\n- 10.10.103.*\naccounts:\n\
         - accessKey: RocketMQAdmin\n  secretKey: 12345678\n  admin: true\n",
    )
    .unwrap();
    let h = home.to_string_lossy().to_string();
    TestCluster::start_with(1, move |c| {
        c.set("aclEnable", "true").unwrap();
        c.set("rocketmqHome", &h).unwrap();
    })
    .await
}

async fn run(c: &TestCluster, cmd: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec![cmd, "-n", c.namesrv_addr.as_str()];
    all.extend_from_slice(args);
    admin_env(&all, env).await
}

fn acl_file(home: &Path) -> String {
    std::fs::read_to_string(home.join("conf/plain_acl.yml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_whitelists_and_versions_through_admin() {
    let home = tempfile::tempdir().unwrap();
    let c = plain_acl_cluster(home.path()).await;
    let b = c.broker_addr();
    let b = b.as_str();
    let account = [
        "-a",
        "RocketMQUser",
        "-s",
        "87654321",
        "-t",
        "topicA=PUB,topicB=SUB",
        "-m",
        "false",
    ];

    let unsigned = run(
        &c,
        "updateAclConfig",
        &[&["-b", b][..], &account].concat(),
        &[],
    )
    .await;
    assert!(
        unsigned.failed().contains("CODE: 1 "),
        "{}",
        unsigned.stderr
    );

    let updated = run(
        &c,
        "updateAclConfig",
        &[&["-b", b][..], &account].concat(),
        &ADMIN,
    )
    .await;
    assert_eq!(
        updated.ok(),
        format!(
            "create or update plain access config to {b} success.\n\
             PlainAccessConfig{{accessKey='RocketMQUser', whiteRemoteAddress='null', admin=false, \
             defaultTopicPerm='null', defaultGroupPerm='null', topicPerms=[topicA=PUB, topicB=SUB], groupPerms=null}}"
        )
    );
    assert!(acl_file(home.path()).contains("RocketMQUser"));

    let white = run(
        &c,
        "updateGlobalWhiteAddr",
        &["-c", "TestCluster", "-g", "10.10.103.*,192.168.0.*"],
        &ADMIN,
    )
    .await;
    assert_eq!(
        white.ok(),
        format!("update global white remote addresses to {b} success.\n")
    );
    assert!(acl_file(home.path()).contains("192.168.0.*"));

    let by_broker = run(&c, "clusterAclConfigVersion", &["-b", b], &ADMIN).await;
    let lines: Vec<&str> = by_broker.ok().lines().collect();
    assert_eq!(
        lines.last().copied(),
        Some(format!("get broker's plain access config version success. Address:{b} ").as_str())
    );
    let row: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        row[..3],
        ["TestCluster", "broker-a", b],
        "{}",
        by_broker.stdout
    );
    assert!(
        row[3].ends_with("conf/plain_acl.yml"),
        "{}",
        by_broker.stdout
    );
    assert!(
        row[4].parse::<u64>().unwrap() >= 2,
        "two rewrites: {}",
        by_broker.stdout
    );
    let by_cluster = run(
        &c,
        "clusterAclConfigVersion",
        &["-c", "TestCluster"],
        &ADMIN,
    )
    .await;
    assert_eq!(
        by_cluster.ok(),
        format!(
            "{:<16}  {:<22}  {:<22}  {:<20}  {:<22}  {:<22}\n{}\nget cluster's plain access config version success.\n",
            "#Cluster Name",
            "#Broker Name",
            "#Broker Addr",
            "#AclFilePath",
            "#AclConfigVersionNum",
            "#AclLastUpdateTime",
            lines[0]
        )
    );

    // the alias mqadmin keeps, then an account that is gone: the broker's refusal
    let deleted = run(
        &c,
        "deleteAccessConfig",
        &["-b", b, "-a", "RocketMQUser"],
        &ADMIN,
    )
    .await;
    assert_eq!(
        deleted.ok(),
        format!(
            "delete plain access config account from {b} success.\naccount's accessKey is:RocketMQUser"
        )
    );
    assert!(!acl_file(home.path()).contains("RocketMQUser"));
    let again = run(
        &c,
        "deleteAclConfig",
        &["-b", b, "-a", "RocketMQUser"],
        &ADMIN,
    )
    .await;
    assert!(
        again
            .failed()
            .starts_with("Error: deleteAclConfig command failed: CODE: 210"),
        "{}",
        again.stderr
    );
    c.shutdown().await;
}
