use ferromq_broker::Broker;
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::RemotingClient;
use ferromq_testkit::{pull_request, send_request, test_broker_config, TIMEOUT};

use crate::{records, unique};

#[tokio::test]
async fn topics_offsets_and_messages_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("Restart");
    let client = RemotingClient::with_defaults();
    let start = || async {
        let mut cfg = test_broker_config(dir.path(), "127.0.0.1:1", "broker-r");
        ferromq_config::ConfigTable::set(&mut cfg, "namesrvAddr", "").ok();
        cfg.apply_startup_rules().unwrap();
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Broker::start(cfg, l, None).await.unwrap()
    };
    let b = start().await;
    let addr = b.addr().to_string();
    for i in 0..3 {
        let r = client
            .invoke_sync(
                &addr,
                send_request(&topic, -1, format!("p{i}"), None, &[]),
                TIMEOUT,
            )
            .await
            .unwrap();
        assert_eq!(r.code, code::SUCCESS);
    }
    let up = UpdateConsumerOffsetRequestHeader {
        consumer_group: "rg".into(),
        topic: topic.clone(),
        queue_id: 0,
        commit_offset: 1,
    };
    client
        .invoke_sync(
            &addr,
            RemotingCommand::request_with(rc::UPDATE_CONSUMER_OFFSET, &up),
            TIMEOUT,
        )
        .await
        .unwrap();
    b.shutdown().await;
    client.shutdown();

    let b = start().await;
    let addr = b.addr().to_string();
    let ctx = b.context().clone();
    assert!(
        ctx.tables().topics().contains(&topic),
        "auto-created topic persisted"
    );
    assert_eq!(ctx.tables().offsets().query("rg", &topic, 0), Some(1));
    let mut total = 0;
    for q in 0..4 {
        let r = client
            .invoke_sync(&addr, pull_request("g", &topic, q, 0, 32, "*", 0), TIMEOUT)
            .await
            .unwrap();
        if r.code == code::SUCCESS {
            total += records(&r).len();
        }
    }
    assert_eq!(total, 3);
    b.shutdown().await;
}
