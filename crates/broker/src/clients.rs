//! Live clients, learned from HEART_BEAT: consumer groups (members, subscriptions, model) and
//! producer groups (channels, for transaction check-backs). Members silent for
//! `channelExpiredTimeout` (120 s) are evicted; a closed channel leaves every group at once.
//! An index of the groups each channel is in bounds what one connection can register
//! ([`MAX_GROUPS_PER_CHANNEL`]) and makes leaving cheap.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use ferromq_model::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use ferromq_protocol::LanguageCode;
use ferromq_remoting::Channel;
use parking_lot::RwLock;

use crate::limits::MAX_GROUPS_PER_CHANNEL;

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
    /// Heartbeat V2 fingerprint of the subscriptions, last reported; it lives and dies with
    /// the group.
    pub fingerprint: Option<i32>,
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

/// A registration refused because the connection is in too many groups already.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this connection is registered in {MAX_GROUPS_PER_CHANNEL} {kind} groups already; {group} refused")]
pub struct TooManyGroups {
    /// `"consumer"` or `"producer"`.
    pub kind: &'static str,
    /// The group refused.
    pub group: String,
}

/// The groups one channel is a member of.
#[derive(Default)]
struct ChannelGroups {
    consumers: HashSet<String>,
    producers: HashSet<String>,
}

/// A member that left a group (closed, expired): its queue locks are released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    pub group: String,
    pub client_id: String,
}

/// Consumers and producers by group. Lock order: consumers, producers, channels.
#[derive(Default)]
pub struct ClientRegistry {
    consumers: RwLock<HashMap<String, ConsumerGroup>>,
    producers: RwLock<HashMap<String, HashMap<u64, ClientChannel>>>,
    channels: RwLock<HashMap<u64, ChannelGroups>>,
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
    ) -> Result<RegisterOutcome, TooManyGroups> {
        let id = member.channel.id();
        let mut all = self.consumers.write();
        {
            let mut channels = self.channels.write();
            let groups = &mut channels.entry(id).or_default().consumers;
            if !groups.contains(&reg.group) {
                if groups.len() >= MAX_GROUPS_PER_CHANNEL {
                    return Err(TooManyGroups {
                        kind: "consumer",
                        group: reg.group,
                    });
                }
                groups.insert(reg.group.clone());
            }
        }
        let group = all
            .entry(reg.group.clone())
            .or_insert_with(|| ConsumerGroup {
                consume_type: reg.consume_type,
                message_model: reg.message_model,
                consume_from_where: reg.consume_from_where,
                members: HashMap::new(),
                subscriptions: BTreeMap::new(),
                fingerprint: None,
            });
        group.consume_type = reg.consume_type;
        group.message_model = reg.message_model;
        group.consume_from_where = reg.consume_from_where;
        let mut outcome = RegisterOutcome::default();
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
        let seen: HashSet<String> = seen.into_iter().collect();
        group.subscriptions.retain(|t, _| seen.contains(t));
        if group.subscriptions.len() != before {
            outcome.subscriptions_changed = true;
        }
        Ok(outcome)
    }

    /// Records the heartbeat V2 fingerprint of a registered group; returns the previous one
    /// (`None` when the group is not online or had none).
    pub fn swap_fingerprint(&self, group: &str, fingerprint: i32) -> Option<i32> {
        let mut all = self.consumers.write();
        let g = all.get_mut(group)?;
        g.fingerprint.replace(fingerprint)
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

    /// Removes a member from one group (UNREGISTER_CLIENT). Returns the departure if it was
    /// there.
    pub fn unregister_consumer(&self, group: &str, channel_id: u64) -> Option<Departure> {
        let mut all = self.consumers.write();
        let g = all.get_mut(group)?;
        let removed = g.members.remove(&channel_id);
        if g.members.is_empty() {
            all.remove(group);
        }
        if let Some(c) = self.channels.write().get_mut(&channel_id) {
            c.consumers.remove(group);
        }
        removed.map(|m| Departure {
            group: group.to_string(),
            client_id: m.client_id,
        })
    }

    /// Registers a producer member.
    pub fn register_producer(
        &self,
        group: &str,
        member: ClientChannel,
    ) -> Result<(), TooManyGroups> {
        let id = member.channel.id();
        let mut all = self.producers.write();
        {
            let mut channels = self.channels.write();
            let groups = &mut channels.entry(id).or_default().producers;
            if !groups.contains(group) {
                if groups.len() >= MAX_GROUPS_PER_CHANNEL {
                    return Err(TooManyGroups {
                        kind: "producer",
                        group: group.to_string(),
                    });
                }
                groups.insert(group.to_string());
            }
        }
        all.entry(group.to_string()).or_default().insert(id, member);
        Ok(())
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
        if let Some(c) = self.channels.write().get_mut(&channel_id) {
            c.producers.remove(group);
        }
    }

    /// Removes a closed channel everywhere; returns who left which consumer group.
    pub fn channel_closed(&self, channel_id: u64) -> Vec<Departure> {
        let mut consumers = self.consumers.write();
        let mut producers = self.producers.write();
        let Some(groups) = self.channels.write().remove(&channel_id) else {
            return Vec::new();
        };
        let mut left = Vec::new();
        for name in groups.consumers {
            if let Some(g) = consumers.get_mut(&name) {
                if let Some(m) = g.members.remove(&channel_id) {
                    left.push(Departure {
                        group: name.clone(),
                        client_id: m.client_id,
                    });
                }
                if g.members.is_empty() {
                    consumers.remove(&name);
                }
            }
        }
        for name in groups.producers {
            if let Some(g) = producers.get_mut(&name) {
                g.remove(&channel_id);
                if g.is_empty() {
                    producers.remove(&name);
                }
            }
        }
        left.sort_by(|a, b| a.group.cmp(&b.group));
        left
    }

    /// Evicts members silent for longer than `timeout`; returns the closed channels and who
    /// left which consumer group.
    pub fn evict_idle(&self, timeout: Duration) -> (Vec<Channel>, Vec<Departure>) {
        let now = Instant::now();
        let mut closed = Vec::new();
        let mut left = Vec::new();
        let mut consumers = self.consumers.write();
        let mut producers = self.producers.write();
        let mut channels = self.channels.write();
        for (name, g) in consumers.iter_mut() {
            g.members.retain(|id, m| {
                let alive = now.duration_since(m.last_update) <= timeout;
                if !alive {
                    tracing::warn!(group = %name, client = %m.client_id, "consumer channel expired");
                    closed.push(m.channel.clone());
                    left.push(Departure {
                        group: name.clone(),
                        client_id: m.client_id.clone(),
                    });
                    if let Some(c) = channels.get_mut(id) {
                        c.consumers.remove(name);
                    }
                }
                alive
            });
        }
        consumers.retain(|_, g| !g.members.is_empty());
        for (name, g) in producers.iter_mut() {
            g.retain(|id, m| {
                let alive = now.duration_since(m.last_update) <= timeout;
                if !alive {
                    tracing::warn!(group = %name, client = %m.client_id, "producer channel expired");
                    closed.push(m.channel.clone());
                    if let Some(c) = channels.get_mut(id) {
                        c.producers.remove(name);
                    }
                }
                alive
            });
        }
        producers.retain(|_, g| !g.is_empty());
        channels.retain(|_, c| !c.consumers.is_empty() || !c.producers.is_empty());
        (closed, left)
    }

    /// Groups a channel is registered in (consumer, producer).
    pub fn channel_group_counts(&self, channel_id: u64) -> (usize, usize) {
        self.channels
            .read()
            .get(&channel_id)
            .map_or((0, 0), |c| (c.consumers.len(), c.producers.len()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::channel;

    fn member(ch: &Channel, id: &str) -> ClientChannel {
        ClientChannel {
            channel: ch.clone(),
            client_id: id.into(),
            language: LanguageCode::JAVA,
            version: 479,
            last_update: Instant::now(),
        }
    }

    fn reg(group: &str, topics: &[&str]) -> ConsumerRegistration {
        ConsumerRegistration {
            group: group.into(),
            consume_type: ConsumeType::ConsumePassively,
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            subscriptions: topics
                .iter()
                .map(|t| SubscriptionData::from_expression(*t, "*"))
                .collect(),
        }
    }

    #[tokio::test]
    async fn members_subscriptions_fingerprints_and_departures() {
        let r = ClientRegistry::new();
        let (a, b) = (channel(), channel());
        let out = r
            .register_consumer(member(&a, "A"), reg("g", &["T1", "T2"]))
            .unwrap();
        assert!(out.members_changed && out.subscriptions_changed);
        let out = r
            .register_consumer(member(&b, "B"), reg("g", &["T1"]))
            .unwrap();
        assert!(out.members_changed);
        assert_eq!(r.consumer_group("g").unwrap().client_ids(), vec!["A", "B"]);
        assert_eq!(r.swap_fingerprint("g", 7), None);
        assert_eq!(r.swap_fingerprint("g", 8), Some(7));
        assert_eq!(
            r.swap_fingerprint("absent", 1),
            None,
            "only online groups keep one"
        );
        r.register_producer("pg", member(&a, "A")).unwrap();
        assert_eq!(r.channel_group_counts(a.id()), (1, 1));
        let left = r.channel_closed(a.id());
        assert_eq!(
            left,
            vec![Departure {
                group: "g".into(),
                client_id: "A".into()
            }]
        );
        assert!(r.producer_group("pg").is_empty());
        assert_eq!(r.channel_group_counts(a.id()), (0, 0));
        assert_eq!(
            r.unregister_consumer("g", b.id()).map(|d| d.client_id),
            Some("B".into())
        );
        assert!(
            r.consumer_group("g").is_none(),
            "the fingerprint went with the group"
        );
    }

    #[tokio::test]
    async fn one_connection_joins_a_bounded_number_of_groups() {
        let r = ClientRegistry::new();
        let ch = channel();
        for i in 0..MAX_GROUPS_PER_CHANNEL {
            r.register_consumer(member(&ch, "A"), reg(&format!("g{i}"), &[]))
                .unwrap();
        }
        let e = r
            .register_consumer(member(&ch, "A"), reg("one_more", &[]))
            .unwrap_err();
        assert_eq!(e.kind, "consumer");
        assert!(
            r.register_consumer(member(&ch, "A"), reg("g0", &["T"]))
                .is_ok(),
            "re-registering is fine"
        );
        assert!(r
            .register_consumer(member(&channel(), "B"), reg("one_more", &[]))
            .is_ok());
    }
}
