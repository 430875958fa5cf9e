use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_testkit::{send_request, TestCluster};

use crate::unique;

fn offset_of(r: &RemotingCommand) -> i64 {
    r.decode_header::<OffsetResponseHeader>().unwrap().offset
}

#[tokio::test]
async fn consumer_offsets_and_queue_offsets() {
    let c = TestCluster::start().await;
    let topic = unique("O");
    c.create_topic(&topic, 2).await;
    let q = |group: &str, queue_id: i32| {
        RemotingCommand::request_with(
            rc::QUERY_CONSUMER_OFFSET,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: group.into(),
                topic: topic.clone(),
                queue_id,
                set_zero_if_not_found: None,
            },
        )
    };
    // no offset and an empty queue: QUERY_NOT_FOUND (the client applies consume-from-where)
    assert_eq!(c.call(q("g", 0)).await.code, code::QUERY_NOT_FOUND);
    let before = ferromq_broker_now();
    for i in 0..5 {
        c.send(send_request(&topic, 0, format!("m{i}"), None, &[]))
            .await;
    }
    // the queue starts at 0 and its first message is in memory: a new group starts at 0
    let r = c.call(q("g", 0)).await;
    assert_eq!((r.code, offset_of(&r)), (code::SUCCESS, 0));
    let up = UpdateConsumerOffsetRequestHeader {
        consumer_group: "g".into(),
        topic: topic.clone(),
        queue_id: 0,
        commit_offset: 3,
    };
    // usually one-way: send it one-way and then read it back
    c.client()
        .invoke_oneway(
            &c.broker_addr(),
            RemotingCommand::request_with(rc::UPDATE_CONSUMER_OFFSET, &up),
        )
        .await
        .unwrap();
    let mut got = 0;
    for _ in 0..100 {
        let r = c.call(q("g", 0)).await;
        got = offset_of(&r);
        if got == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(got, 3);
    let tq = |code_: i32| {
        RemotingCommand::request_with(
            code_,
            &TopicQueueRequestHeader {
                topic: topic.clone(),
                queue_id: 0,
            },
        )
    };
    let max = RemotingCommand::request_with(
        rc::GET_MAX_OFFSET,
        &GetMaxOffsetRequestHeader {
            topic: topic.clone(),
            queue_id: 0,
            committed: None,
        },
    );
    assert_eq!(offset_of(&c.call(max).await), 5);
    assert_eq!(offset_of(&c.call(tq(rc::GET_MIN_OFFSET)).await), 0);
    let r = c.call(tq(rc::GET_EARLIEST_MSG_STORETIME)).await;
    let ts = r
        .decode_header::<GetEarliestMsgStoretimeResponseHeader>()
        .unwrap()
        .timestamp;
    assert!(ts >= before - 1000, "{ts} vs {before}");
    let search = |ts: i64| {
        RemotingCommand::request_with(
            rc::SEARCH_OFFSET_BY_TIMESTAMP,
            &SearchOffsetRequestHeader {
                topic: topic.clone(),
                queue_id: 0,
                timestamp: ts,
                boundary_type: None,
            },
        )
    };
    assert_eq!(offset_of(&c.call(search(0)).await), 0);
    assert_eq!(offset_of(&c.call(search(i64::MAX / 2)).await), 5);
    // updating an unknown topic's offset is refused
    let bad = UpdateConsumerOffsetRequestHeader {
        topic: "NoSuchTopic".into(),
        ..up
    };
    let r = c
        .call(RemotingCommand::request_with(
            rc::UPDATE_CONSUMER_OFFSET,
            &bad,
        ))
        .await;
    assert_eq!(r.code, code::TOPIC_NOT_EXIST);
    c.shutdown().await;
}

fn ferromq_broker_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
