//! `ferromq admin setConsumeMode` (mqadmin's flags and output), what the broker then answers
//! (GET_ALL_MESSAGE_REQUEST_MODE, QUERY_ASSIGNMENT), and `consumerProgress` of a POP group.

mod admin_support;

use admin_support::{on, wait_for_route, TestCluster};
use ferromq_model::{
    from_fastjson_slice, ConsumerData, ExpressionType, HeartbeatData, MessageRequestMode,
    QueryAssignmentRequestBody, QueryAssignmentResponseBody, SubscriptionData,
};
use ferromq_protocol::headers::PopMessageRequestHeader;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_testkit::send_request;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_consume_mode_then_assignments_and_progress() {
    let c = TestCluster::start().await;
    c.create_topic("T", 2).await;
    wait_for_route(&c, "T").await;
    let addr = c.broker_addr();

    let one = on(
        &c,
        "setConsumeMode",
        &["-b", &addr, "-t", "T", "-g", "PG", "-m", "POP", "-q", "0"],
    )
    .await;
    assert_eq!(
        one.ok(),
        format!("set consume mode to {addr} success.\ntopic[T] group[PG] consume mode[POP] popShareQueueNum[0]")
    );
    let all = on(
        &c,
        "setConsumeMode",
        &["-c", "TestCluster", "-t", "T", "-g", "PG2", "-m", "PULL"],
    )
    .await;
    assert_eq!(
        all.ok(),
        format!("set consume mode to {addr} success.\ntopic[T] group[PG2] consume mode[PULL] popShareQueueNum[0]")
    );
    let bad = on(
        &c,
        "setConsumeMode",
        &["-b", &addr, "-t", "T", "-g", "PG", "-m", "push"],
    )
    .await;
    assert!(
        bad.failed().contains("MessageRequestMode.push"),
        "{}",
        bad.stderr
    );
    let retry = on(
        &c,
        "setConsumeMode",
        &["-b", &addr, "-t", "%RETRY%PG", "-g", "PG", "-m", "POP"],
    )
    .await;
    assert!(retry.failed().contains("retry topic"), "{}", retry.stderr);

    // The broker keeps them (what a slave syncs) …
    let r = c
        .call(RemotingCommand::request(rc::GET_ALL_MESSAGE_REQUEST_MODE))
        .await;
    let text = String::from_utf8_lossy(&r.body.to_bytes()).replace(' ', "");
    assert!(
        text.contains(r#""PG":{"consumerGroup":"PG","mode":"POP""#),
        "{text}"
    );
    assert!(text.contains(r#""mode":"PULL""#), "{text}");

    // … and hands the mode out with the queues: a POP group pops every queue (-1).
    let hb = HeartbeatData {
        client_id: "pop-client@1".into(),
        consumer_data_set: vec![ConsumerData {
            group_name: "PG".into(),
            subscription_data_set: vec![SubscriptionData::build("T", "*", ExpressionType::Tag)],
            ..Default::default()
        }],
        ..Default::default()
    };
    let hb = serde_json::to_vec(&hb).unwrap();
    let r = c
        .call(RemotingCommand::request(rc::HEART_BEAT).with_body(hb))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let body = |group: &str| {
        serde_json::to_vec(&QueryAssignmentRequestBody {
            client_id: "pop-client@1".into(),
            consumer_group: group.into(),
            strategy_name: "AVG".into(),
            topic: "T".into(),
            ..Default::default()
        })
        .unwrap()
    };
    let r = c
        .call(RemotingCommand::request(rc::QUERY_ASSIGNMENT).with_body(body("PG")))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let a: QueryAssignmentResponseBody = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(a.message_queue_assignments.len(), 1);
    assert_eq!(a.message_queue_assignments[0].message_queue.queue_id, -1);
    assert_eq!(a.message_queue_assignments[0].mode, MessageRequestMode::Pop);

    // A POP group's offsets move at pop time; consumerProgress shows them.
    c.send(send_request("T", 0, "a", None, &[])).await;
    c.send(send_request("T", 1, "b", None, &[])).await;
    c.settle();
    let pop = RemotingCommand::request_with(
        rc::POP_MESSAGE,
        &PopMessageRequestHeader {
            consumer_group: "PG".into(),
            topic: "T".into(),
            queue_id: 0,
            max_msg_nums: 32,
            invisible_time: 60_000,
            init_mode: 0,
            ..Default::default()
        },
    );
    assert_eq!(c.call(pop).await.code, response_code::SUCCESS);
    let json = on(&c, "consumerProgress", &["-g", "PG", "-t", "T", "--json"])
        .await
        .json();
    assert_eq!(json["diffTotal"], 1, "{json}");
}
