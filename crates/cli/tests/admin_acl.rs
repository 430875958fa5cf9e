//! `ferromq admin`'s ACL 2.0 commands against an in-process broker that enforces
//! authentication and authorization: users and ACLs created, read and deleted through the real
//! binary with credentials from the environment, the options and `tools.yml`; mqadmin's
//! output byte for byte.

mod admin_support;

use admin_support::{admin_env, Run, TestCluster};

const SUPER: [(&str, &str); 2] = [
    ("ROCKETMQ_ACCESS_KEY", "rocketmq"),
    ("ROCKETMQ_SECRET_KEY", "12345678"),
];

/// A broker with ACL 2.0 on and the super user `rocketmq` / `12345678`.
async fn acl_cluster() -> TestCluster {
    acl_brokers(1).await
}

/// `n` such brokers.
async fn acl_brokers(n: usize) -> TestCluster {
    TestCluster::start_with(n, ferromq_testkit::acl2).await
}

/// `ferromq admin <cmd> -n <namesrv> <args>` signed as the super user.
async fn run(c: &TestCluster, cmd: &str, args: &[&str]) -> Run {
    run_env(c, cmd, args, &SUPER).await
}

async fn run_env(c: &TestCluster, cmd: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec![cmd, "-n", c.namesrv_addr.as_str()];
    all.extend_from_slice(args);
    admin_env(&all, env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_acls_through_admin() {
    let c = acl_cluster().await;
    let b = c.broker_addr();
    let b = b.as_str();

    // Unsigned, or signed with the wrong secret: refused by the broker.
    let unsigned = run_env(&c, "getUser", &["-b", b, "-u", "rocketmq"], &[]).await;
    assert!(
        unsigned.failed().contains("CODE: 16"),
        "{}",
        unsigned.stderr
    );
    let wrong = admin_env(
        &[
            "--access-key",
            "rocketmq",
            "--secret-key",
            "wrong",
            "getUser",
            "-n",
            &c.namesrv_addr,
            "-b",
            b,
            "-u",
            "rocketmq",
        ],
        &[],
    )
    .await;
    assert!(wrong.failed().contains("CODE: 16"), "{}", wrong.stderr);

    let created = run(
        &c,
        "createUser",
        &["-b", b, "-u", "alice", "-p", "secret123"],
    )
    .await;
    assert_eq!(created.ok(), format!("create user to {b} success.\n"));
    let user = run(&c, "getUser", &["-b", b, "-u", "alice"]).await;
    assert_eq!(
        user.ok(),
        format!(
            "{:<16}  {:<22}  {:<22}  {:<22}\n{:<16}  {:<22}  {:<22}  {:<22}\n",
            "#UserName",
            "#Password",
            "#UserType",
            "#UserStatus",
            "alice",
            "secret123",
            "Normal",
            "enable"
        )
    );
    // -c reads from the masters; the same table
    let by_cluster = run(&c, "getUser", &["-c", "TestCluster", "-u", "alice"]).await;
    assert_eq!(by_cluster.ok(), user.stdout);

    let acl_args = [
        "-s",
        "User:alice",
        "-r",
        "Topic:test",
        "-a",
        "Pub,Sub",
        "-i",
        "192.168.0.0/24",
        "-d",
        "Allow",
    ];
    let mut create = vec!["-b", b];
    create.extend_from_slice(&acl_args);
    let created = run(&c, "createAcl", &create).await;
    assert_eq!(created.ok(), format!("create acl to {b} success.\n"));

    // docs/reference/acl-tls.md §3.8, the real mqadmin 5.3.3's output
    let table = "#Subject          #PolicyType  #Resource               #Actions              #SourceIp                 #Decision \n\
                 User:alice        Custom      Topic:test              [Pub, Sub]            [192.168.0.0/24]          Allow     \n";
    let acl = run(&c, "getAcl", &["-b", b, "-s", "User:alice"]).await;
    assert_eq!(acl.ok(), table);
    let listed = run(&c, "listAcl", &["-b", b, "-s", "alice"]).await;
    assert_eq!(listed.ok(), table);
    let json = run(&c, "listAcl", &["-c", "TestCluster", "--json"])
        .await
        .json();
    assert_eq!(json[0]["acls"][0]["subject"], "User:alice");

    let deleted = run(
        &c,
        "deleteAcl",
        &["-b", b, "-s", "User:alice", "-r", "Topic:test"],
    )
    .await;
    assert_eq!(deleted.ok(), format!("delete acl to {b} success.\n"));
    // the last entry went, and the ACL with it: nothing to print
    assert_eq!(
        run(&c, "getAcl", &["-b", b, "-s", "User:alice"]).await.ok(),
        ""
    );

    let deleted = run(&c, "deleteUser", &["-b", b, "-u", "alice"]).await;
    assert_eq!(deleted.ok(), format!("delete user to {b} success.\n"));
    assert_eq!(run(&c, "getUser", &["-b", b, "-u", "alice"]).await.ok(), "");

    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_from_tools_yml_and_cluster_writes() {
    let c = acl_cluster().await;
    let b = c.broker_addr();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("conf")).unwrap();
    std::fs::write(
        home.path().join("conf/tools.yml"),
        "accessKey: rocketmq\nsecretKey: 12345678\n",
    )
    .unwrap();
    let home_env = [("ROCKETMQ_HOME", home.path().to_str().unwrap())];

    // -c writes to every broker of the cluster (here the one master)
    let created = run_env(
        &c,
        "createUser",
        &[
            "-c",
            "TestCluster",
            "-u",
            "bob",
            "-p",
            "bobsecret",
            "-t",
            "Normal",
        ],
        &home_env,
    )
    .await;
    assert_eq!(created.ok(), format!("create user to {b} success.\n"));
    let updated = run_env(
        &c,
        "updateUser",
        &["-b", &b, "-u", "bob", "-s", "disable"],
        &home_env,
    )
    .await;
    assert_eq!(updated.ok(), format!("update user to {b} success.\n"));
    let listed = run_env(
        &c,
        "listUser",
        &["-c", "TestCluster", "-f", "bob"],
        &home_env,
    )
    .await;
    let lines: Vec<&str> = listed.ok().lines().collect();
    assert_eq!(lines.len(), 3, "{}", listed.stdout);
    assert_eq!(
        lines[1],
        format!(
            "{:<16}  {:<22}  {:<22}  {:<22}",
            "bob", "bobsecret", "Normal", "disable"
        )
    );
    assert_eq!(lines[2], format!("get user from {b} success."));

    // the environment wins over tools.yml
    let wrong_env = [
        ("ROCKETMQ_HOME", home.path().to_str().unwrap()),
        ("ROCKETMQ_ACCESS_KEY", "rocketmq"),
        ("ROCKETMQ_SECRET_KEY", "wrong"),
    ];
    let refused = run_env(&c, "listUser", &["-b", &b], &wrong_env).await;
    assert!(refused.failed().contains("CODE: 16"), "{}", refused.stderr);

    // bob is disabled now: refused
    let as_bob = run_env(
        &c,
        "createUser",
        &["-b", &b, "-u", "carol", "-p", "carolsecret"],
        &[
            ("ROCKETMQ_ACCESS_KEY", "bob"),
            ("ROCKETMQ_SECRET_KEY", "bobsecret"),
        ],
    )
    .await;
    assert!(
        as_bob
            .failed()
            .starts_with("Error: createUser command failed: CODE: "),
        "{}",
        as_bob.stderr
    );

    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_users_and_acls_between_brokers() {
    let c = acl_brokers(2).await;
    let (a, b) = (
        c.brokers[0].addr().to_string(),
        c.brokers[1].addr().to_string(),
    );
    run(
        &c,
        "createUser",
        &["-b", &a, "-u", "dave", "-p", "davesecret"],
    )
    .await
    .ok();
    let acl = [
        "-s",
        "User:dave",
        "-r",
        "Topic:t1,Group:g1",
        "-a",
        "Sub",
        "-d",
        "Allow",
    ];
    run(&c, "createAcl", &[&["-b", a.as_str()][..], &acl].concat())
        .await
        .ok();

    // created on b, then (existing there) updated: the same line both times
    for _ in 0..2 {
        let copied = run(&c, "copyUser", &["-f", &a, "-t", &b, "-u", "dave"]).await;
        assert_eq!(
            copied.ok(),
            format!("copy user of dave from {a} to {b} success.\n")
        );
    }
    let on_b = run(&c, "getUser", &["-b", &b, "-u", "dave"]).await;
    assert!(
        on_b.ok().lines().nth(1).unwrap().starts_with("dave   "),
        "{}",
        on_b.stdout
    );
    let copied = run(&c, "copyAcl", &["-f", &a, "-t", &b, "-s", "User:dave"]).await;
    assert_eq!(
        copied.ok(),
        format!("copy acl of User:dave from {a} to {b} success.\n")
    );
    let from = run(&c, "getAcl", &["-b", &a, "-s", "User:dave"]).await;
    let to = run(&c, "getAcl", &["-b", &b, "-s", "User:dave"]).await;
    assert_eq!(to.ok(), from.ok());
    assert_eq!(to.stdout.lines().count(), 3, "{}", to.stdout);

    // updateAcl merges into the subject's ACL (by resource), as the broker does for create
    let update = [
        "-s",
        "User:dave",
        "-r",
        "Topic:t1",
        "-a",
        "Pub,Sub",
        "-d",
        "Deny",
    ];
    let updated = run(
        &c,
        "updateAcl",
        &[&["-b", b.as_str()][..], &update].concat(),
    )
    .await;
    assert_eq!(updated.ok(), format!("update acl to {b} success.\n"));
    let merged = run(&c, "getAcl", &["-b", &b, "-s", "User:dave"]).await;
    let rows: Vec<&str> = merged.ok().lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", merged.stdout);
    assert!(
        rows.iter()
            .any(|r| r.contains("Topic:t1") && r.contains("[Pub, Sub]") && r.contains("Deny")),
        "{}",
        merged.stdout
    );
    c.shutdown().await;
}
