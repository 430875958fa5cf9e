//! Live clients, learned from HEART_BEAT: consumer groups (members, subscriptions, model) and
//! producer groups (channels, for transaction check-backs). Members silent for
//! `channelExpiredTimeout` (120 s) are evicted; a closed channel leaves every group at once.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use ferromq_model::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use ferromq_protocol::LanguageCode;
use ferromq_remoting::Channel;
use parking_lot::RwLock;

/// One client connection in a group.
#[derive(Debug, Clone)]
pub struct ClientChannel {
    pub channel: Channel,
    pub client_id: String,
    pub language: LanguageCode,
    pub version: i32,
    pub last_update: Instant,
}

/// A consumer group as the broker sees it.
#[derive(Debug, Clone)]
pub struct ConsumerGroup {
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
    /// Channel id → member.
    pub members: HashMap<u64, ClientChannel>,
    /// Topic → subscription.
    pub subscriptions: BTreeMap<String, SubscriptionData>,
}

impl ConsumerGroup {
    /// Client ids of the members, sorted.
    pub fn client_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.members.values().map(|m| m.client_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// What a consumer's heartbeat says about one group.
#[derive(Debug, Clone)]
pub struct ConsumerRegistration {
    pub group: String,
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
    pub subscriptions: Vec<SubscriptionData>,
}

/// The outcome of registering a consumer.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RegisterOutcome {
    /// The set of members changed (a new client joined).
    pub members_changed: bool,
    /// Subscriptions were added, replaced or removed.
    pub subscriptions_changed: bool,
}

/// Consumers and producers by group.
#[derive(Default)]
pub struct ClientRegistry {
    consumers: RwLock<HashMap<String, ConsumerGroup>>,
    producers: RwLock<HashMap<String, HashMap<u64, ClientChannel>>>,
}

impl ClientRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or refreshes) a consumer member and its subscriptions.
    pub fn register_consumer(
        &self,
        member: ClientChannel,
        reg: ConsumerRegistration,
    ) -> RegisterOutcome {
        let mut all = self.consumers.write();
        let group = all
            .entry(reg.group.clone())
            .or_insert_with(|| ConsumerGroup {
                consume_type: reg.consume_type,
                message_model: reg.message_model,
                consume_from_where: reg.consume_from_where,
                members: HashMap::new(),
                subscriptions: BTreeMap::new(),
            });
        group.consume_type = reg.consume_type;
        group.message_model = reg.message_model;
        group.consume_from_where = reg.consume_from_where;
        let mut outcome = RegisterOutcome::default();
        let id = member.channel.id();
        match group.members.get_mut(&id) {
            Some(m) => {
                if m.client_id != member.client_id {
                    outcome.members_changed = true;
                }
                *m = member;
            }
            None => {
                tracing::info!(group = %reg.group, client = %member.client_id, addr = %member.channel.remote_addr(),
                    "new consumer connected");
                group.members.insert(id, member);
                outcome.members_changed = true;
            }
        }
        // Java's updateSubscription: add new topics, replace when the version is newer,
        // drop topics the client no longer subscribes to.
        let mut seen = Vec::with_capacity(reg.subscriptions.len());
        for sub in reg.subscriptions {
            seen.push(sub.topic.clone());
            match group.subscriptions.get(&sub.topic) {
                None => {
                    group.subscriptions.insert(sub.topic.clone(), sub);
                    outcome.subscriptions_changed = true;
                }
                Some(old) if sub.sub_version > old.sub_version => {
                    if old.sub_string != sub.sub_string
                        || old.expression_type != sub.expression_type
                    {
                        outcome.subscriptions_changed = true;
                    }
                    group.subscriptions.insert(sub.topic.clone(), sub);
                }
                Some(_) => {}
            }
        }
        let before = group.subscriptions.len();
        group.subscriptions.retain(|t, _| seen.contains(t));
        if group.subscriptions.len() != before {
            outcome.subscriptions_changed = true;
        }
        outcome
    }

    /// Refreshes a consumer member's liveness; false if it is not registered.
    pub fn touch_consumer(&self, group: &str, channel_id: u64, now: Instant) -> bool {
        match self
            .consumers
            .write()
            .get_mut(group)
            .and_then(|g| g.members.get_mut(&channel_id))
        {
            Some(m) => {
                m.last_update = now;
                true
            }
            None => false,
        }
    }

    /// Removes a member from one group (UNREGISTER_CLIENT). Returns whether it was there.
    pub fn unregister_consumer(&self, group: &str, channel_id: u64) -> bool {
        let mut all = self.consumers.write();
        let Some(g) = all.get_mut(group) else {
            return false;
        };
        let removed = g.members.remove(&channel_id).is_some();
        if g.members.is_empty() {
            all.remove(group);
        }
        removed
    }

    /// Registers a producer member.
    pub fn register_producer(&self, group: &str, member: ClientChannel) {
        self.producers
            .write()
            .entry(group.to_string())
            .or_default()
            .insert(member.channel.id(), member);
    }

    /// Removes a producer member.
    pub fn unregister_producer(&self, group: &str, channel_id: u64) {
        let mut all = self.producers.write();
        if let Some(g) = all.get_mut(group) {
            g.remove(&channel_id);
            if g.is_empty() {
                all.remove(group);
            }
        }
    }

    /// Removes a closed channel everywhere; returns the consumer groups that lost a member.
    pub fn channel_closed(&self, channel_id: u64) -> Vec<String> {
        let mut changed = Vec::new();
        {
            let mut all = self.consumers.write();
            for (name, g) in all.iter_mut() {
                if g.members.remove(&channel_id).is_some() {
                    changed.push(name.clone());
                }
            }
            all.retain(|_, g| !g.members.is_empty());
        }
        let mut producers = self.producers.write();
        for g in producers.values_mut() {
            g.remove(&channel_id);
        }
        producers.retain(|_, g| !g.is_empty());
        changed
    }

    /// Evicts members silent for longer than `timeout`; returns (closed channels, groups
    /// that lost members).
    pub fn evict_idle(&self, timeout: Duration) -> (Vec<Channel>, Vec<String>) {
        let now = Instant::now();
        let mut closed = Vec::new();
        let mut groups = Vec::new();
        {
            let mut all = self.consumers.write();
            for (name, g) in all.iter_mut() {
                let before = g.members.len();
                g.members.retain(|_, m| {
                    let alive = now.duration_since(m.last_update) <= timeout;
                    if !alive {
                        tracing::warn!(group = %name, client = %m.client_id, "consumer channel expired");
                        closed.push(m.channel.clone());
                    }
                    alive
                });
                if g.members.len() != before {
                    groups.push(name.clone());
                }
            }
            all.retain(|_, g| !g.members.is_empty());
        }
        let mut producers = self.producers.write();
        for (name, g) in producers.iter_mut() {
            g.retain(|_, m| {
                let alive = now.duration_since(m.last_update) <= timeout;
                if !alive {
                    tracing::warn!(group = %name, client = %m.client_id, "producer channel expired");
                    closed.push(m.channel.clone());
                }
                alive
            });
        }
        producers.retain(|_, g| !g.is_empty());
        (closed, groups)
    }

    /// A snapshot of a consumer group.
    pub fn consumer_group(&self, group: &str) -> Option<ConsumerGroup> {
        self.consumers.read().get(group).cloned()
    }

    /// The subscription of `group` to `topic`.
    pub fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        self.consumers
            .read()
            .get(group)?
            .subscriptions
            .get(topic)
            .cloned()
    }

    /// The message model of `group`, if online.
    pub fn message_model(&self, group: &str) -> Option<MessageModel> {
        self.consumers.read().get(group).map(|g| g.message_model)
    }

    /// Online consumer groups.
    pub fn consumer_groups(&self) -> Vec<String> {
        let mut v: Vec<String> = self.consumers.read().keys().cloned().collect();
        v.sort();
        v
    }

    /// Groups subscribed to `topic`.
    pub fn groups_subscribing(&self, topic: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .consumers
            .read()
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(n, _)| n.clone())
            .collect();
        v.sort();
        v
    }

    /// A producer group's members.
    pub fn producer_group(&self, group: &str) -> Vec<ClientChannel> {
        self.producers
            .read()
            .get(group)
            .map(|g| g.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every producer group with its members.
    pub fn producer_groups(&self) -> Vec<(String, Vec<ClientChannel>)> {
        self.producers
            .read()
            .iter()
            .map(|(n, g)| (n.clone(), g.values().cloned().collect()))
            .collect()
    }

    /// The channel of a consumer client in `group`.
    pub fn find_consumer_channel(&self, group: &str, client_id: &str) -> Option<Channel> {
        self.consumers
            .read()
            .get(group)?
            .members
            .values()
            .find(|m| m.client_id == client_id)
            .map(|m| m.channel.clone())
    }
}
