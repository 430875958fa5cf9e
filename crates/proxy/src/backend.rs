//! The proxy's way to the brokers: remoting, as Java's proxy in CLUSTER mode. In LOCAL mode
//! the same calls reach the broker of this process without a socket
//! ([`Backend::add_local_broker`]).
//!
//! Besides plain calls it keeps what Java's proxy caches from the brokers: the cluster's
//! brokers (GET_BROKER_CLUSTER_INFO), each topic's config (GET_TOPIC_CONFIG, for
//! `message.type`) and each consumer group's config (GET_SUBSCRIPTIONGROUP_CONFIG), for a few
//! seconds and in bounded tables.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_client::{ClientConfig, ClientError, ClientInstance, TopicRoute};
use ferromq_model::{
    from_fastjson_slice, ClusterInfo, HeartbeatData, SubscriptionGroupConfig,
    TopicConfigAndQueueMapping,
};
use ferromq_protocol::headers::{GroupRequestHeader, TopicRequestHeader};
use ferromq_protocol::{request_code, response_code, LanguageCode, RemotingCommand};
use ferromq_remoting::RequestHandler;
use parking_lot::Mutex;

use crate::config::ProxyConfig;
use crate::producer::message_type::TopicMessageType;

/// How long cached broker metadata is trusted (Java refreshes its caches after ~20 s).
const METADATA_TTL: Duration = Duration::from_secs(20);
/// Entries per metadata cache: topics and groups named by clients are bounded here.
const CACHE_CAPACITY: usize = 10_000;

/// One broker of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    pub cluster: String,
    pub name: String,
    pub id: i64,
    pub addr: String,
}

/// Routes from the NameServers, requests to brokers.
pub struct Backend {
    instance: ClientInstance,
    cluster: String,
    brokers: Mutex<Option<(Instant, Arc<Vec<BrokerAddr>>)>>,
    topic_types: TtlCache<String, TopicMessageType>,
    groups: TtlCache<String, Option<SubscriptionGroupConfig>>,
    users: TtlCache<String, Option<String>>,
}

impl Backend {
    /// A backend asking `config`'s NameServers. Must be created inside a tokio runtime: the
    /// route refresh loop starts here.
    pub fn new(config: &ProxyConfig) -> Self {
        let mut cc = ClientConfig::new(&config.namesrv_addrs.join(";"));
        cc.instance_name = "PROXY".into();
        cc.api_timeout = config.broker_timeout;
        let instance = ClientInstance::new(cc);
        if tokio::runtime::Handle::try_current().is_ok() {
            instance.start();
        }
        Backend {
            instance,
            cluster: config.cluster_name.clone(),
            brokers: Mutex::new(None),
            topic_types: TtlCache::new(METADATA_TTL, CACHE_CAPACITY),
            groups: TtlCache::new(METADATA_TTL, CACHE_CAPACITY),
            users: TtlCache::new(METADATA_TTL, CACHE_CAPACITY),
        }
    }

    /// LOCAL mode: requests to `addr` (the broker of this process) reach `handler` in memory.
    pub fn add_local_broker(&self, addr: &str, handler: Arc<dyn RequestHandler>) {
        self.instance.add_local_endpoint(addr, handler);
    }

    /// The client instance behind the backend (route cache, connections).
    pub fn instance(&self) -> &ClientInstance {
        &self.instance
    }

    fn timeout(&self) -> Duration {
        self.instance.config().api_timeout
    }

    /// Sends `request` to the broker at `addr` and waits for its response.
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
    ) -> ferromq_client::Result<RemotingCommand> {
        self.instance.invoke(addr, request, self.timeout()).await
    }

    /// Sends `request` to `addr`; a non-SUCCESS answer is an error.
    pub async fn invoke_ok(
        &self,
        addr: &str,
        request: RemotingCommand,
    ) -> ferromq_client::Result<RemotingCommand> {
        self.instance.invoke_ok(addr, request, self.timeout()).await
    }

    /// `topic`'s route, cached by the client instance and refreshed every 30 s.
    pub async fn route(&self, topic: &str) -> ferromq_client::Result<Arc<TopicRoute>> {
        self.instance.route(topic).await
    }

    /// The master address of `broker_name` (refreshing `topic`'s route when unknown).
    pub async fn master_addr(
        &self,
        broker_name: &str,
        topic: &str,
    ) -> ferromq_client::Result<String> {
        self.instance.master_addr(broker_name, topic).await
    }

    /// Every broker of every cluster the NameServers know (cached for a few seconds).
    pub async fn brokers(&self) -> ferromq_client::Result<Arc<Vec<BrokerAddr>>> {
        if let Some((at, b)) = self.brokers.lock().as_ref() {
            if at.elapsed() < METADATA_TTL {
                return Ok(b.clone());
            }
        }
        let req = RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO);
        let resp = self.instance.invoke_namesrv_ok(req).await?;
        let info: ClusterInfo = from_fastjson_slice(&resp.body.to_bytes())?;
        let list: Vec<BrokerAddr> = info
            .broker_addr_table
            .values()
            .flat_map(|bd| {
                bd.broker_addrs.iter().map(|(id, addr)| BrokerAddr {
                    cluster: bd.cluster.clone(),
                    name: bd.broker_name.clone(),
                    id: *id,
                    addr: addr.clone(),
                })
            })
            .collect();
        let list = Arc::new(list);
        *self.brokers.lock() = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// A master of the proxy's cluster (`rocketMQClusterName`), else of any cluster.
    async fn some_master(&self) -> ferromq_client::Result<String> {
        let brokers = self.brokers().await?;
        let masters = brokers.iter().filter(|b| b.id == 0);
        let mut any = None;
        for b in masters {
            if b.cluster == self.cluster {
                return Ok(b.addr.clone());
            }
            any.get_or_insert_with(|| b.addr.clone());
        }
        any.ok_or_else(|| ClientError::BrokerNotFound(self.cluster.clone()))
    }

    /// `topic`'s `message.type` as its first broker reports it (Java's
    /// `getTopicMessageType`): UNSPECIFIED when the topic or the attribute cannot be read.
    pub async fn topic_message_type(&self, topic: &str) -> TopicMessageType {
        if let Some(t) = self.topic_types.get(topic) {
            return t;
        }
        let t = match crate::auth::internal(self.read_topic_type(topic)).await {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(topic, error = %e, "topic config unavailable");
                TopicMessageType::Unspecified
            }
        };
        self.topic_types.put(topic.to_owned(), t);
        t
    }

    async fn read_topic_type(&self, topic: &str) -> ferromq_client::Result<TopicMessageType> {
        let route = self.route(topic).await?;
        let Some(bd) = route.data.broker_datas.first() else {
            return Ok(TopicMessageType::Unspecified);
        };
        let Some(addr) = bd
            .broker_addrs
            .get(&0)
            .or_else(|| bd.broker_addrs.values().next())
        else {
            return Ok(TopicMessageType::Unspecified);
        };
        let header = TopicRequestHeader {
            topic: topic.to_owned(),
        };
        let req = RemotingCommand::request_with(request_code::GET_TOPIC_CONFIG, &header);
        let resp = self.invoke_ok(addr, req).await?;
        let cfg: TopicConfigAndQueueMapping = from_fastjson_slice(&resp.body.to_bytes())?;
        Ok(TopicMessageType::of_attributes(
            &cfg.topic_config.attributes,
        ))
    }

    /// `group`'s config from a master of the cluster; `None` when the group does not exist
    /// or cannot be read (Java then answers the client's settings unmerged).
    pub async fn subscription_group(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        if let Some(g) = self.groups.get(group) {
            return g;
        }
        let g = match crate::auth::internal(self.read_group(group)).await {
            Ok(g) => g,
            Err(e) => {
                tracing::debug!(group, error = %e, "group config unavailable");
                None
            }
        };
        self.groups.put(group.to_owned(), g.clone());
        g
    }

    async fn read_group(
        &self,
        group: &str,
    ) -> ferromq_client::Result<Option<SubscriptionGroupConfig>> {
        let addr = self.some_master().await?;
        let header = GroupRequestHeader {
            group: group.to_owned(),
        };
        let req =
            RemotingCommand::request_with(request_code::GET_SUBSCRIPTIONGROUP_CONFIG, &header);
        let resp = self.invoke(&addr, req).await?;
        if resp.code != response_code::SUCCESS {
            return Ok(None);
        }
        Ok(Some(from_fastjson_slice(&resp.body.to_bytes())?))
    }

    /// The password of an enabled user, from a master of the cluster (AUTH_GET_USER with the
    /// proxy's inner credentials: CLUSTER mode's user lookup), cached briefly.
    pub async fn user_secret(&self, name: &str) -> Option<String> {
        if let Some(s) = self.users.get(name) {
            return s;
        }
        let secret = match crate::auth::internal(self.read_user(name)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(user = name, error = %e, "user lookup failed");
                return None;
            }
        };
        self.users.put(name.to_owned(), secret.clone());
        secret
    }

    async fn read_user(&self, name: &str) -> ferromq_client::Result<Option<String>> {
        let addr = self.some_master().await?;
        let header = ferromq_protocol::headers::UserRequestHeader {
            username: Some(name.to_owned()),
        };
        let req = RemotingCommand::request_with(request_code::AUTH_GET_USER, &header);
        let body = self.invoke_ok(&addr, req).await?.body.to_bytes();
        if body.is_empty() {
            return Ok(None);
        }
        let user: ferromq_model::UserInfo = from_fastjson_slice(&body)?;
        let disabled = user
            .user_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("disable"));
        Ok(user.password.filter(|_| !disabled))
    }

    /// HEART_BEAT with `data` to every broker of the cluster, stamped with the client's
    /// language and version (so `consumerConnection` shows the gRPC client as it is).
    /// Returns how many brokers accepted it.
    pub async fn heartbeat(
        &self,
        data: &HeartbeatData,
        language: LanguageCode,
        version: i32,
    ) -> usize {
        let body = match serde_json::to_vec(data) {
            Ok(b) => bytes::Bytes::from(b),
            Err(_) => return 0,
        };
        let brokers = match self.brokers().await {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(error = %e, "no broker list for the heartbeat");
                return 0;
            }
        };
        let calls = brokers.iter().map(|b| {
            let mut req =
                RemotingCommand::request(request_code::HEART_BEAT).with_body(body.clone());
            req.version = version;
            let addr = b.addr.clone();
            async move {
                let r = self
                    .instance
                    .invoke_as(&addr, req, language, self.timeout())
                    .await;
                match r {
                    Ok(resp) if resp.code == response_code::SUCCESS => true,
                    Ok(resp) => {
                        tracing::debug!(addr, code = resp.code, "heartbeat refused");
                        false
                    }
                    Err(e) => {
                        tracing::debug!(addr, error = %e, "heartbeat failed");
                        false
                    }
                }
            }
        });
        futures::future::join_all(calls)
            .await
            .into_iter()
            .filter(|ok| *ok)
            .count()
    }

    /// UNREGISTER_CLIENT to every broker of the cluster.
    pub async fn unregister(&self, request: RemotingCommand) {
        let Ok(brokers) = self.brokers().await else {
            return;
        };
        let calls = brokers.iter().map(|b| {
            let req = request.clone();
            let addr = b.addr.clone();
            async move {
                if let Err(e) = self.invoke(&addr, req).await {
                    tracing::debug!(addr, error = %e, "unregister failed");
                }
            }
        });
        futures::future::join_all(calls).await;
    }
}

/// A small map whose entries are trusted for `ttl`, holding at most `capacity` of them.
struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn get<Q>(&self, k: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let map = self.map.lock();
        map.get(k)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, k: K, v: V) {
        let mut map = self.map.lock();
        if map.len() >= self.capacity {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= self.capacity {
                // Still full of fresh entries: forget them all rather than grow.
                map.clear();
            }
        }
        map.insert(k, (Instant::now(), v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_cache_is_bounded_and_expires() {
        let c: TtlCache<String, i32> = TtlCache::new(Duration::from_secs(60), 2);
        c.put("a".into(), 1);
        c.put("b".into(), 2);
        assert_eq!(c.get("a"), Some(1));
        c.put("c".into(), 3);
        assert!(c.map.lock().len() <= 2);
        assert_eq!(c.get("c"), Some(3));
        let c: TtlCache<String, i32> = TtlCache::new(Duration::ZERO, 2);
        c.put("a".into(), 1);
        assert_eq!(c.get("a"), None);
    }
}
