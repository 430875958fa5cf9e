use ferromq_protocol::headers::*;
use ferromq_protocol::message::id::decode_offset_msg_id;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_testkit::{send_request, TestCluster};

use crate::{records, unique};

fn query(topic: &str, key: &str, unique_key: bool) -> RemotingCommand {
    let h = QueryMessageRequestHeader {
        topic: topic.into(),
        key: key.into(),
        max_num: 32,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
    };
    let mut r = RemotingCommand::request_with(rc::QUERY_MESSAGE, &h);
    if unique_key {
        r.ext_fields.insert(UNIQUE_KEY_QUERY, "true");
    }
    r
}

#[tokio::test]
async fn query_by_key_unique_key_and_offset_id() {
    let c = TestCluster::start().await;
    let topic = unique("Q");
    c.create_topic(&topic, 2).await;
    let mut sent = Vec::new();
    for i in 0..6 {
        let r = c
            .send(send_request(
                &topic,
                i % 2,
                format!("q{i}"),
                None,
                &[&format!("order-{}", i % 3), "shared"],
            ))
            .await;
        sent.push(r.decode_header::<SendMessageResponseHeader>().unwrap());
    }
    ferromq_testkit_wait_index(&c).await;
    let r = c.call(query(&topic, "order-1", false)).await;
    assert_eq!(r.code, code::SUCCESS);
    let mut bodies: Vec<String> = records(&r)
        .iter()
        .map(|m| String::from_utf8(m.body.to_vec()).unwrap())
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["q1", "q4"]);
    let r = c.call(query(&topic, "shared", false)).await;
    assert_eq!(records(&r).len(), 6);
    let r = c.call(query(&topic, "nothing", false)).await;
    assert_eq!(r.code, code::QUERY_NOT_FOUND);
    // a key of another topic does not match
    let r = c.call(query("OtherTopic", "shared", false)).await;
    assert_eq!(r.code, code::QUERY_NOT_FOUND);
    // by unique key
    let uniq = sent[2].transaction_id.clone().unwrap();
    let r = c.call(query(&topic, &uniq, true)).await;
    let found = records(&r);
    assert_eq!(found.len(), 1);
    assert_eq!(&found[0].body[..], b"q2");
    // by offset msgId
    let id = decode_offset_msg_id(&sent[3].msg_id).unwrap();
    let h = ViewMessageRequestHeader {
        topic: Some(topic.clone()),
        offset: id.commit_log_offset,
    };
    let r = c
        .call(RemotingCommand::request_with(rc::VIEW_MESSAGE_BY_ID, &h))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    assert_eq!(&records(&r)[0].body[..], b"q3");
    let bad = ViewMessageRequestHeader {
        topic: None,
        offset: 1 << 40,
    };
    let r = c
        .call(RemotingCommand::request_with(rc::VIEW_MESSAGE_BY_ID, &bad))
        .await;
    assert_eq!(r.code, code::SYSTEM_ERROR);
    c.shutdown().await;
}

/// The index is built by the dispatcher right after the append; give it a moment.
async fn ferromq_testkit_wait_index(c: &TestCluster) {
    c.brokers[0]
        .context()
        .store()
        .wait_dispatched(std::time::Duration::from_secs(5));
}
