//! PullMessage, UpdateOffset, GetOffset and QueryOffset end to end (see `consumer.rs` for the
//! targets).

mod consumer_support;

use std::time::{Duration, Instant};

use consumer_support::*;
use ferromq_client::Message;
use ferromq_proxy::pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pull_and_offsets() {
    pull_and_offsets_in(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pull_and_offsets_local_mode() {
    pull_and_offsets_in(true).await;
}

async fn pull_and_offsets_in(local: bool) {
    use pb::pull_message_response::Content;
    let mut e = env_mode(local, |_| {}).await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    let route = e.admin.topic_route(&topic).await.unwrap();
    let broker = route.queue_datas[0].broker_name.clone();
    let mq = pb::MessageQueue {
        topic: res(&topic),
        id: 0,
        broker: Some(pb::Broker {
            name: broker,
            ..Default::default()
        }),
        ..Default::default()
    };
    let p = e.producer().await;
    for i in 0..3 {
        p.send(Message::new(topic.as_str(), format!("p{i}")).with_tags("T1"))
            .await
            .unwrap();
    }
    let query = |policy: pb::QueryOffsetPolicy| pb::QueryOffsetRequest {
        message_queue: Some(mq.clone()),
        query_offset_policy: policy as i32,
        timestamp: None,
    };
    // The consume queue is built just after the store (Java's reput): wait for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let end = e
            .client
            .query_offset(request(query(pb::QueryOffsetPolicy::End)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(code(&end.status), pb::Code::Ok as i32, "{end:?}");
        if end.offset == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "{end:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let begin = e
        .client
        .query_offset(request(query(pb::QueryOffsetPolicy::Beginning)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (code(&begin.status), begin.offset),
        (pb::Code::Ok as i32, 0)
    );
    let pull = |offset: i64, filter: &str| pb::PullMessageRequest {
        group: res(&group),
        message_queue: Some(mq.clone()),
        offset,
        batch_size: 32,
        filter_expression: Some(pb::FilterExpression {
            r#type: pb::FilterType::Tag as i32,
            expression: filter.into(),
        }),
        long_polling_timeout: dur(1_000),
    };
    let mut parts = Vec::new();
    let mut s = e
        .client
        .pull_message(request(pull(0, "T1")))
        .await
        .unwrap()
        .into_inner();
    while let Some(m) = s.message().await.unwrap() {
        parts.push(m.content.unwrap());
    }
    assert!(
        matches!(&parts[0], Content::Status(s) if s.code == pb::Code::Ok as i32),
        "{parts:?}"
    );
    let bodies: Vec<_> = parts
        .iter()
        .filter_map(|c| match c {
            Content::Message(m) => Some(body_str(m)),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, ["p0", "p1", "p2"]);
    assert!(
        matches!(parts.last(), Some(Content::NextOffset(3))),
        "{parts:?}"
    );
    let upd = pb::UpdateOffsetRequest {
        group: res(&group),
        message_queue: Some(mq.clone()),
        offset: 3,
    };
    let r = e
        .client
        .update_offset(request(upd))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok as i32, "{r:?}");
    let get = pb::GetOffsetRequest {
        group: res(&group),
        message_queue: Some(mq.clone()),
    };
    let r = e
        .client
        .get_offset(request(get))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (code(&r.status), r.offset),
        (pb::Code::Ok as i32, 3),
        "{r:?}"
    );
    // Nothing new: MESSAGE_NOT_FOUND, and where to pull next.
    let mut parts = Vec::new();
    let mut s = e
        .client
        .pull_message(request(pull(3, "*")))
        .await
        .unwrap()
        .into_inner();
    while let Some(m) = s.message().await.unwrap() {
        parts.push(m.content.unwrap());
    }
    assert!(
        matches!(&parts[0], Content::Status(s) if s.code == pb::Code::MessageNotFound as i32),
        "{parts:?}"
    );
    assert!(
        matches!(parts.last(), Some(Content::NextOffset(3))),
        "{parts:?}"
    );
    p.shutdown().await;
}
