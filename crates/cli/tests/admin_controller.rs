//! The controller commands of `ferromq admin` against a one-member in-process controller
//! with two emulated brokers: output in mqadmin's layout, and the effect of each write.

mod admin_support;

use std::collections::BTreeMap;
use std::time::Duration;

use admin_support::admin;
use ferromq_controller::{Controller, ControllerSettings, RaftTiming};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::RemotingClient;
use tokio::net::TcpListener;

const T: Duration = Duration::from_secs(5);

async fn call(c: &RemotingClient, addr: &str, req: RemotingCommand) -> RemotingCommand {
    c.invoke_sync(addr, req, T).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_commands() {
    let dir = tempfile::tempdir().unwrap();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let settings = ControllerSettings {
        group: "group1".into(),
        self_id: 0,
        peers: BTreeMap::from([(0, addr.clone())]),
        store_path: dir.path().to_path_buf(),
        elect_unclean: false,
        notify_role_changed: false,
        scan_not_active: Duration::from_secs(5),
        scan_inactive_master: Duration::from_secs(5),
        elect_retries: 3,
        timing: RaftTiming {
            heartbeat: Duration::from_millis(50),
            election_min: Duration::from_millis(150),
            election_max: Duration::from_millis(300),
        },
        properties: "controllerDLegerGroup=group1\n".into(),
        transport: ferromq_remoting::Transport::Plain,
        client: ferromq_remoting::ClientConfig::default(),
    };
    let controller = Controller::start(settings, l).await.unwrap();
    while !controller.is_leader() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = RemotingClient::with_defaults();
    for id in 1..=2i64 {
        let apply = ApplyBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: "b".into(),
            applied_broker_id: id,
            register_check_code: format!("10.0.0.{id}:10911;1"),
        };
        let r = call(
            &client,
            &addr,
            RemotingCommand::request_with(rc::CONTROLLER_APPLY_BROKER_ID, &apply),
        )
        .await;
        assert_eq!(r.code, code::SUCCESS);
        let hb = BrokerHeartbeatRequestHeader {
            cluster_name: "c".into(),
            broker_addr: format!("10.0.0.{id}:10911"),
            broker_name: "b".into(),
            broker_id: Some(id),
            epoch: Some(0),
            max_offset: Some(0),
            confirm_offset: Some(0),
            heartbeat_timeout_mills: Some(60_000),
            election_priority: None,
        };
        call(
            &client,
            &addr,
            RemotingCommand::request_with(rc::BROKER_HEARTBEAT, &hb),
        )
        .await;
    }

    // GET_CONTROLLER_CONFIG: any controller answers with its own configuration.
    let r = call(
        &client,
        &addr,
        RemotingCommand::request(rc::GET_CONTROLLER_CONFIG),
    )
    .await;
    assert_eq!(r.code, code::SUCCESS);
    assert_eq!(&r.body.to_bytes()[..], b"controllerDLegerGroup=group1\n");

    let meta = admin(&["getControllerMetaData", "-a", &addr]).await;
    assert_eq!(
        meta.ok(),
        format!("\n#ControllerGroup\tgroup1\n#ControllerLeaderId\tn0\n#ControllerLeaderAddress\t{addr}\n#Peer:\tn0:{addr}\n")
    );

    let elect = admin(&["electMaster", "-a", &addr, "-c", "c", "-bn", "b", "-b", "2"]).await;
    assert_eq!(
        elect.ok(),
        "\n#ClusterName\tc\n#BrokerName\tb\n#BrokerMasterAddr\t10.0.0.2:10911\n#MasterEpoch\t1\n#SyncStateSetEpoch\t1\n"
    );
    // Designating the master again is refused (2011), as mqadmin reports it.
    let again = admin(&["electMaster", "-a", &addr, "-c", "c", "-bn", "b", "-b", "2"]).await;
    assert!(again.failed().contains("2011"), "{}", again.stderr);

    let set = admin(&["getSyncStateSet", "-a", &addr, "-b", "b"]).await;
    assert_eq!(
        set.ok(),
        "\n#brokerName\tb\n#MasterBrokerId\t2\n#MasterAddr\t10.0.0.2:10911\n#MasterEpoch\t1\n#SyncStateSetEpoch\t1\n#SyncStateSetNums\t1\n\
         \nInSyncReplica:\tReplicaIdentity{brokerName='b', brokerId=2, brokerAddress='10.0.0.2:10911', alive=true}\n\
         \nNotInSyncReplica:\tReplicaIdentity{brokerName='b', brokerId=1, brokerAddress='10.0.0.1:10911', alive=true}\n"
    );

    let living = admin(&[
        "cleanBrokerMetadata",
        "-a",
        &addr,
        "-bn",
        "b",
        "-b",
        "1",
        "-c",
        "c",
    ])
    .await;
    assert!(living.failed().contains("still alive"), "{}", living.stderr);
    let clean = admin(&[
        "cleanBrokerMetadata",
        "-a",
        &addr,
        "-bn",
        "b",
        "-b",
        "1",
        "-l",
    ])
    .await;
    assert_eq!(
        clean.ok(),
        "clear broker b metadata from controller success! \n"
    );
    assert_eq!(ferromq_controller::member_ids(&controller, "b"), vec![2]);

    client.shutdown();
    controller.shutdown().await;
}
