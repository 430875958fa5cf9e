//! The consumer RPCs end to end: the generated tonic client → a CLUSTER-mode proxy → brokers.
//!
//! By default the brokers are a testkit NameServer + FerroMQ broker (POP needs the broker's
//! POP support). With `PROXY_IT_NAMESRV=host:port` the same tests run against any cluster,
//! e.g. Apache RocketMQ 5.3.3 (`autoCreateSubscriptionGroup=true`).

use std::time::{Duration, Instant};

use ferromq_client::{Admin, Message, Producer, ProducerConfig};
use ferromq_model::{SubscriptionGroupConfig, TopicConfig};
use ferromq_proxy::pb;
use ferromq_proxy::pb::messaging_service_client::MessagingServiceClient;
use ferromq_proxy::{Proxy, ProxyConfig};
use ferromq_testkit::TestCluster;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

struct Env {
    namesrv: String,
    client: MessagingServiceClient<Channel>,
    admin: Admin,
    stop: CancellationToken,
    _cluster: Option<TestCluster>,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn env() -> Env {
    env_with(|_| {}).await
}

async fn env_with(tweak: impl FnOnce(&mut ProxyConfig)) -> Env {
    env_mode(false, tweak).await
}

/// `local`: the proxy reaches the testkit broker in memory, as inside a broker process
/// (LOCAL mode); otherwise over TCP (CLUSTER mode).
async fn env_mode(local: bool, tweak: impl FnOnce(&mut ProxyConfig)) -> Env {
    let (namesrv, cluster) = match std::env::var("PROXY_IT_NAMESRV") {
        Ok(ns) => (ns, None),
        Err(_) => {
            let c = TestCluster::start().await;
            (c.namesrv_addr.clone(), Some(c))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ProxyConfig::new(addr, vec![namesrv.clone()]);
    tweak(&mut config);
    let proxy = Proxy::new(config);
    if let (true, Some(c)) = (local, cluster.as_ref()) {
        for b in &c.brokers {
            let handler = ferromq_broker::BrokerHandler::new(b.context().clone());
            proxy.add_local_broker(&b.addr().to_string(), std::sync::Arc::new(handler));
        }
    }
    let stop = CancellationToken::new();
    tokio::spawn(ferromq_proxy::serve(proxy, listener, stop.clone()));
    let client = MessagingServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    Env {
        admin: Admin::connect(&namesrv),
        namesrv,
        client,
        stop,
        _cluster: cluster,
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000_000
    )
}

fn request<T>(msg: T) -> tonic::Request<T> {
    request_as(msg, "it-client@1")
}

fn request_as<T>(msg: T, client: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("x-mq-client-id", client.parse().unwrap());
    r.metadata_mut()
        .insert("x-mq-client-version", "5.0.7".parse().unwrap());
    r
}

fn res(name: &str) -> Option<pb::Resource> {
    Some(pb::Resource {
        name: name.into(),
        ..Default::default()
    })
}

fn dur(ms: u64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: (ms / 1000) as i64,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    })
}

impl Env {
    async fn masters(&self) -> Vec<String> {
        let info = self.admin.cluster_info().await.unwrap();
        info.broker_addr_table
            .values()
            .filter_map(|b| b.broker_addrs.get(&0).cloned())
            .collect()
    }

    async fn topic(&self, queues: i32) -> String {
        let t = unique("ProxyIt");
        for m in self.masters().await {
            let cfg = TopicConfig::with_queues(&t, queues, queues, 6);
            self.admin.create_or_update_topic(&m, &cfg).await.unwrap();
        }
        // Wait until the NameServer serves the route.
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.admin.topic_route(&t).await.is_err() {
            assert!(Instant::now() < deadline, "route of {t} never appeared");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        t
    }

    async fn group(&self, orderly: bool) -> String {
        let g = unique("ProxyItG");
        let mut c = SubscriptionGroupConfig::new(&g);
        c.consume_message_orderly = orderly;
        for m in self.masters().await {
            self.admin
                .create_or_update_subscription_group(&m, &c)
                .await
                .unwrap();
        }
        g
    }

    async fn producer(&self) -> Producer {
        let p = Producer::new(ProducerConfig::new(unique("ProxyItP"), &self.namesrv));
        p.start().await.unwrap();
        p
    }

    /// One ReceiveMessage: the stream's parts in order.
    async fn receive(
        &mut self,
        r: pb::ReceiveMessageRequest,
    ) -> Vec<pb::receive_message_response::Content> {
        let mut s = self
            .client
            .receive_message(request(r))
            .await
            .unwrap()
            .into_inner();
        let mut out = Vec::new();
        while let Some(m) = s.message().await.unwrap() {
            out.push(m.content.unwrap());
        }
        out
    }

    /// Receives until `n` messages arrived (or `limit` passes).
    async fn receive_n(
        &mut self,
        topic: &str,
        group: &str,
        n: usize,
        invisible_ms: u64,
        limit: Duration,
    ) -> Vec<pb::Message> {
        let deadline = Instant::now() + limit;
        let mut got = Vec::new();
        while got.len() < n && Instant::now() < deadline {
            for c in self.receive(receive_req(topic, group, invisible_ms)).await {
                if let pb::receive_message_response::Content::Message(m) = c {
                    got.push(m);
                }
            }
        }
        got
    }

    async fn ack(
        &mut self,
        topic: &str,
        group: &str,
        msgs: &[pb::Message],
    ) -> pb::AckMessageResponse {
        let entries = msgs
            .iter()
            .map(|m| {
                let s = m.system_properties.as_ref().unwrap();
                pb::AckMessageEntry {
                    message_id: s.message_id.clone(),
                    receipt_handle: s.receipt_handle.clone().unwrap(),
                    lite_topic: None,
                }
            })
            .collect();
        let req = pb::AckMessageRequest {
            group: res(group),
            topic: res(topic),
            entries,
        };
        self.client
            .ack_message(request(req))
            .await
            .unwrap()
            .into_inner()
    }
}

fn receive_req(topic: &str, group: &str, invisible_ms: u64) -> pb::ReceiveMessageRequest {
    pb::ReceiveMessageRequest {
        group: res(group),
        message_queue: Some(pb::MessageQueue {
            topic: res(topic),
            id: -1,
            ..Default::default()
        }),
        filter_expression: Some(pb::FilterExpression {
            r#type: pb::FilterType::Tag as i32,
            expression: "*".into(),
        }),
        batch_size: 32,
        invisible_duration: dur(invisible_ms),
        auto_renew: false,
        long_polling_timeout: dur(5_000),
        attempt_id: None,
    }
}

fn code(s: &Option<pb::Status>) -> i32 {
    s.as_ref().map(|s| s.code).unwrap_or(-1)
}

fn body_str(m: &pb::Message) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn query_assignment_names_each_readable_broker() {
    let mut e = env().await;
    let topic = e.topic(4).await;
    let group = e.group(false).await;
    let req = pb::QueryAssignmentRequest {
        topic: res(&topic),
        group: res(&group),
        endpoints: None,
    };
    let resp = e
        .client
        .query_assignment(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp.status), pb::Code::Ok as i32, "{:?}", resp.status);
    assert!(!resp.assignments.is_empty());
    for a in &resp.assignments {
        let q = a.message_queue.as_ref().unwrap();
        assert_eq!(q.id, -1);
        assert_eq!(q.permission, pb::Permission::ReadWrite as i32);
        assert!(q.broker.as_ref().unwrap().endpoints.is_some());
    }
    let req = pb::QueryAssignmentRequest {
        topic: res("NoSuchTopicProxyIt"),
        group: res(&group),
        endpoints: None,
    };
    let resp = e
        .client
        .query_assignment(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        code(&resp.status),
        pb::Code::TopicNotFound as i32,
        "{:?}",
        resp.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receive_then_ack() {
    receive_then_ack_in(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receive_then_ack_local_mode() {
    receive_then_ack_in(true).await;
}

async fn receive_then_ack_in(local: bool) {
    let mut e = env_mode(local, |_| {}).await;
    let topic = e.topic(4).await;
    let group = e.group(false).await;
    // Subscribe first: a new group starts at the queues' end (ConsumeInitMode.MAX).
    let first = e.receive(receive_req(&topic, &group, 30_000)).await;
    assert!(
        matches!(first.first(), Some(pb::receive_message_response::Content::Status(s)) if s.code == pb::Code::MessageNotFound as i32),
        "{first:?}"
    );
    assert!(matches!(
        first.last(),
        Some(pb::receive_message_response::Content::DeliveryTimestamp(_))
    ));
    let p = e.producer().await;
    for i in 0..3 {
        let m = Message::new(topic.as_str(), format!("m{i}"))
            .with_tags("TagA")
            .with_keys(["k1", "k2"])
            .with_property("color", "red");
        p.send(m).await.unwrap();
    }
    let got = e
        .receive_n(&topic, &group, 3, 30_000, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    let mut bodies: Vec<_> = got.iter().map(body_str).collect();
    bodies.sort();
    assert_eq!(bodies, ["m0", "m1", "m2"]);
    for m in &got {
        let s = m.system_properties.as_ref().unwrap();
        assert_eq!(s.tag.as_deref(), Some("TagA"));
        assert_eq!(s.keys, ["k1", "k2"]);
        assert_eq!(s.delivery_attempt, Some(1));
        assert_eq!(s.message_type, pb::MessageType::Normal as i32);
        assert_eq!(
            m.user_properties.get("color").map(String::as_str),
            Some("red")
        );
        assert_eq!(m.topic.as_ref().unwrap().name, topic);
        assert_eq!(s.receipt_handle.as_deref().unwrap().split(' ').count(), 9);
    }
    let ack = e.ack(&topic, &group, &got).await;
    assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
    assert!(ack
        .entries
        .iter()
        .all(|x| code(&x.status) == pb::Code::Ok as i32));
    // Malformed handles are refused per entry.
    let bad = pb::AckMessageRequest {
        group: res(&group),
        topic: res(&topic),
        entries: vec![pb::AckMessageEntry {
            message_id: "x".into(),
            receipt_handle: "not a handle".into(),
            lite_topic: None,
        }],
    };
    let resp = e
        .client
        .ack_message(request(bad))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp.status), pb::Code::InvalidReceiptHandle as i32);
    // Nothing comes back after the ack (wait past the 30 s invisibility? no: acked is gone).
    let again = e.receive(receive_req(&topic, &group, 30_000)).await;
    assert!(again
        .iter()
        .all(|c| !matches!(c, pb::receive_message_response::Content::Message(_))));
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn change_invisible_duration_then_redelivery_counts_the_attempt() {
    change_invisible_duration_then_redelivery_counts_the_attempt_in(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn change_invisible_duration_then_redelivery_counts_the_attempt_local_mode() {
    change_invisible_duration_then_redelivery_counts_the_attempt_in(true).await;
}

async fn change_invisible_duration_then_redelivery_counts_the_attempt_in(local: bool) {
    let mut e = env_mode(local, |_| {}).await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "again")).await.unwrap();
    let got = e
        .receive_n(&topic, &group, 1, 60_000, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), 1);
    let s = got[0].system_properties.as_ref().unwrap();
    let req = pb::ChangeInvisibleDurationRequest {
        group: res(&group),
        topic: res(&topic),
        receipt_handle: s.receipt_handle.clone().unwrap(),
        invisible_duration: dur(1_000),
        message_id: s.message_id.clone(),
        lite_topic: None,
        suspend: None,
    };
    let resp = e
        .client
        .change_invisible_duration(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp.status), pb::Code::Ok as i32, "{resp:?}");
    assert_ne!(&resp.receipt_handle, s.receipt_handle.as_ref().unwrap());
    // Visible again a second later: redelivered as attempt 2.
    let again = e
        .receive_n(&topic, &group, 1, 30_000, Duration::from_secs(60))
        .await;
    assert_eq!(again.len(), 1, "not redelivered");
    let s2 = again[0].system_properties.as_ref().unwrap();
    assert_eq!(s2.message_id, s.message_id);
    assert_eq!(s2.delivery_attempt, Some(2));
    let ack = e.ack(&topic, &group, &again).await;
    assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifo_group_receives_in_order() {
    fifo_group_receives_in_order_in(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifo_group_receives_in_order_local_mode() {
    fifo_group_receives_in_order_in(true).await;
}

async fn fifo_group_receives_in_order_in(local: bool) {
    let mut e = env_mode(local, |_| {}).await;
    let topic = e.topic(1).await;
    let group = e.group(true).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    for i in 0..6 {
        let m = Message::new(topic.as_str(), format!("f{i}")).with_property("__SHARDINGKEY", "g1");
        p.send(m).await.unwrap();
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < 6 && Instant::now() < deadline {
        let got = e
            .receive_n(&topic, &group, 1, 30_000, Duration::from_secs(10))
            .await;
        for m in &got {
            let s = m.system_properties.as_ref().unwrap();
            assert_eq!(s.message_group.as_deref(), Some("g1"));
            assert_eq!(s.message_type, pb::MessageType::Fifo as i32);
        }
        seen.extend(got.iter().map(body_str));
        if !got.is_empty() {
            let ack = e.ack(&topic, &group, &got).await;
            assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
        }
    }
    let want: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
    assert_eq!(seen, want);
    p.shutdown().await;
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_renew_keeps_a_message_invisible_and_acks_with_the_renewed_handle() {
    // A 12 s default invisible time: the proxy's first scan (every 5 s) renews it.
    let mut e = env_with(|c| c.default_invisible_time = Duration::from_secs(12)).await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "renewed"))
        .await
        .unwrap();
    let mut req = receive_req(&topic, &group, 0);
    req.auto_renew = true;
    req.invisible_duration = None;
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.is_empty() && Instant::now() < deadline {
        for c in e.receive(req.clone()).await {
            if let pb::receive_message_response::Content::Message(m) = c {
                got.push(m);
            }
        }
    }
    assert_eq!(got.len(), 1);
    // Past the 12 s the message would have been visible again without renewal.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        let again = e.receive(req.clone()).await;
        assert!(
            again
                .iter()
                .all(|c| !matches!(c, pb::receive_message_response::Content::Message(_))),
            "redelivered although renewed: {again:?}"
        );
    }
    // The client's (first) handle is stale by now; the proxy acks with the renewed one.
    let ack = e.ack(&topic, &group, &got).await;
    assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forward_to_dead_letter_queue() {
    let mut e = env().await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "dead")).await.unwrap();
    let got = e
        .receive_n(&topic, &group, 1, 30_000, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), 1);
    let s = got[0].system_properties.as_ref().unwrap();
    let req = pb::ForwardMessageToDeadLetterQueueRequest {
        group: res(&group),
        topic: res(&topic),
        receipt_handle: s.receipt_handle.clone().unwrap(),
        message_id: s.message_id.clone(),
        delivery_attempt: 1,
        max_delivery_attempts: 16,
        lite_topic: None,
    };
    let r = e
        .client
        .forward_message_to_dead_letter_queue(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok as i32, "{r:?}");
    // The DLQ holds it.
    let dlq = format!("%DLQ%{group}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(route) = e.admin.topic_route(&dlq).await {
            let mq = pb::MessageQueue {
                topic: res(&dlq),
                id: 0,
                broker: Some(pb::Broker {
                    name: route.queue_datas[0].broker_name.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let q = pb::QueryOffsetRequest {
                message_queue: Some(mq),
                query_offset_policy: pb::QueryOffsetPolicy::End as i32,
                timestamp: None,
            };
            let r = e
                .client
                .query_offset(request(q))
                .await
                .unwrap()
                .into_inner();
            if r.offset == 1 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "nothing reached {dlq}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_terminated_clients_renewed_messages_come_back_soon() {
    let mut e = env().await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    // The client has a session (telemetry settings, heartbeat), receives with auto-renewal
    // (60 s), then leaves.
    let settings = pb::Settings {
        client_type: Some(pb::ClientType::PushConsumer as i32),
        pub_sub: Some(pb::settings::PubSub::Subscription(pb::Subscription {
            group: res(&group),
            subscriptions: vec![pb::SubscriptionEntry {
                topic: res(&topic),
                expression: Some(pb::FilterExpression {
                    r#type: pb::FilterType::Tag as i32,
                    expression: "*".into(),
                }),
            }],
            ..Default::default()
        })),
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(pb::TelemetryCommand {
        status: None,
        command: Some(pb::telemetry_command::Command::Settings(settings)),
    })
    .await
    .unwrap();
    let mut inbound = e
        .client
        .telemetry(request(tokio_stream::wrappers::ReceiverStream::new(rx)))
        .await
        .unwrap()
        .into_inner();
    let first = inbound.message().await.unwrap().unwrap();
    assert_eq!(code(&first.status), pb::Code::Ok as i32, "{first:?}");
    let hb = pb::HeartbeatRequest {
        group: res(&group),
        client_type: pb::ClientType::PushConsumer as i32,
    };
    let r = e.client.heartbeat(request(hb)).await.unwrap().into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok as i32, "{r:?}");
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "orphan"))
        .await
        .unwrap();
    let mut req = receive_req(&topic, &group, 0);
    req.auto_renew = true;
    req.invisible_duration = None;
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.is_empty() && Instant::now() < deadline {
        for c in e.receive(req.clone()).await {
            if let pb::receive_message_response::Content::Message(m) = c {
                got.push(m);
            }
        }
    }
    assert_eq!(got.len(), 1);
    let bye = pb::NotifyClientTerminationRequest { group: res(&group) };
    let r = e
        .client
        .notify_client_termination(request(bye))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok as i32, "{r:?}");
    drop(tx);
    // Another client gets it within seconds, not after the 60 s invisible time.
    let t0 = Instant::now();
    let mut again = Vec::new();
    while again.is_empty() && t0.elapsed() < Duration::from_secs(30) {
        let mut s = e
            .client
            .receive_message(request_as(
                receive_req(&topic, &group, 30_000),
                "it-client@2",
            ))
            .await
            .unwrap()
            .into_inner();
        while let Some(m) = s.message().await.unwrap() {
            if let Some(pb::receive_message_response::Content::Message(m)) = m.content {
                again.push(m);
            }
        }
    }
    assert_eq!(again.len(), 1, "not released");
    assert!(t0.elapsed() < Duration::from_secs(30));
    assert_eq!(body_str(&again[0]), "orphan");
    p.shutdown().await;
}
