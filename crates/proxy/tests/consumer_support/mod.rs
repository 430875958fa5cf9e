//! What the consumer integration tests share: a proxy in front of a testkit cluster (or of
//! `PROXY_IT_NAMESRV`), the tonic client, topics, groups, a producer and receive helpers.

#![allow(dead_code)] // each test file uses a part

use std::time::{Duration, Instant};

use ferromq_client::{Admin, Producer, ProducerConfig};
use ferromq_model::{SubscriptionGroupConfig, TopicConfig};
use ferromq_proxy::pb;
use ferromq_proxy::pb::messaging_service_client::MessagingServiceClient;
use ferromq_proxy::{Proxy, ProxyConfig};
use ferromq_testkit::TestCluster;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct Env {
    pub namesrv: String,
    pub client: MessagingServiceClient<Channel>,
    pub admin: Admin,
    pub stop: CancellationToken,
    pub _cluster: Option<TestCluster>,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub async fn env() -> Env {
    env_with(|_| {}).await
}

pub async fn env_with(tweak: impl FnOnce(&mut ProxyConfig)) -> Env {
    env_mode(false, tweak).await
}

/// `local`: the proxy reaches the testkit broker in memory, as inside a broker process
/// (LOCAL mode); otherwise over TCP (CLUSTER mode).
pub async fn env_mode(local: bool, tweak: impl FnOnce(&mut ProxyConfig)) -> Env {
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

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000_000
    )
}

pub fn request<T>(msg: T) -> tonic::Request<T> {
    request_as(msg, "it-client@1")
}

pub fn request_as<T>(msg: T, client: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("x-mq-client-id", client.parse().unwrap());
    r.metadata_mut()
        .insert("x-mq-client-version", "5.0.7".parse().unwrap());
    r
}

pub fn res(name: &str) -> Option<pb::Resource> {
    Some(pb::Resource {
        name: name.into(),
        ..Default::default()
    })
}

pub fn dur(ms: u64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: (ms / 1000) as i64,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    })
}

impl Env {
    pub async fn masters(&self) -> Vec<String> {
        let info = self.admin.cluster_info().await.unwrap();
        info.broker_addr_table
            .values()
            .filter_map(|b| b.broker_addrs.get(&0).cloned())
            .collect()
    }

    pub async fn topic(&self, queues: i32) -> String {
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

    pub async fn group(&self, orderly: bool) -> String {
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

    pub async fn producer(&self) -> Producer {
        let p = Producer::new(ProducerConfig::new(unique("ProxyItP"), &self.namesrv));
        p.start().await.unwrap();
        p
    }

    /// One ReceiveMessage: the stream's parts in order.
    pub async fn receive(
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
    pub async fn receive_n(
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

    pub async fn ack(
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

pub fn receive_req(topic: &str, group: &str, invisible_ms: u64) -> pb::ReceiveMessageRequest {
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

pub fn code(s: &Option<pb::Status>) -> i32 {
    s.as_ref().map(|s| s.code).unwrap_or(-1)
}

pub fn body_str(m: &pb::Message) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}
