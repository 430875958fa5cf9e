//! The settings the proxy answers a client's Settings with (Java's
//! `GrpcClientSettingsManager`): producers get the proxy's retry policy, the largest body and
//! whether message types are checked; consumers get the receive batch size, the long-polling
//! timeout, FIFO and the retry policy of their group. The official clients configure
//! themselves from this answer, so every field is set as Java sets it.

use std::time::Duration;

use ferromq_model::{GroupRetryPolicyType, SubscriptionGroupConfig};

use crate::config::ProxyConfig;
use crate::pb;

fn duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

fn millis(ms: i64) -> prost_types::Duration {
    duration(Duration::from_millis(ms.max(0) as u64))
}

/// What is stored when a client sends its settings (Java's `updateClientSettings`): a
/// consumer's settings start from the defaults of a default group, with the client's own
/// fields merged over them.
pub fn stored(config: &ProxyConfig, client: pb::Settings) -> pb::Settings {
    if !matches!(client.pub_sub, Some(pb::settings::PubSub::Subscription(_))) {
        return client;
    }
    let mut base = merge_group(
        config,
        pb::Settings::default(),
        &SubscriptionGroupConfig::default(),
    );
    merge_from(&mut base, client);
    base
}

/// Protobuf's `mergeFrom` for the fields a client sends: set scalars and messages override,
/// repeated fields append.
fn merge_from(base: &mut pb::Settings, over: pb::Settings) {
    if over.client_type.is_some() {
        base.client_type = over.client_type;
    }
    if over.access_point.is_some() {
        base.access_point = over.access_point;
    }
    if let Some(b) = over.backoff_policy {
        let mine = base.backoff_policy.get_or_insert_with(Default::default);
        if b.max_attempts != 0 {
            mine.max_attempts = b.max_attempts;
        }
        match (b.strategy, &mut mine.strategy) {
            (None, _) => {}
            (
                Some(pb::retry_policy::Strategy::CustomizedBackoff(c)),
                Some(pb::retry_policy::Strategy::CustomizedBackoff(m)),
            ) => m.next.extend(c.next),
            (Some(s), slot) => *slot = Some(s),
        }
    }
    if over.request_timeout.is_some() {
        base.request_timeout = over.request_timeout;
    }
    if let Some(pb::settings::PubSub::Subscription(s)) = over.pub_sub {
        match &mut base.pub_sub {
            Some(pb::settings::PubSub::Subscription(m)) => {
                if s.group.is_some() {
                    m.group = s.group;
                }
                m.subscriptions.extend(s.subscriptions);
                if s.fifo.is_some() {
                    m.fifo = s.fifo;
                }
                if s.receive_batch_size.is_some() {
                    m.receive_batch_size = s.receive_batch_size;
                }
                if s.long_polling_timeout.is_some() {
                    m.long_polling_timeout = s.long_polling_timeout;
                }
            }
            slot => *slot = Some(pb::settings::PubSub::Subscription(s)),
        }
    } else if over.pub_sub.is_some() {
        base.pub_sub = over.pub_sub;
    }
    if over.user_agent.is_some() {
        base.user_agent = over.user_agent;
    }
    if over.metric.is_some() {
        base.metric = over.metric;
    }
}

/// The answer to a client whose stored settings are `stored` (Java's `getClientSettings`):
/// producers get the proxy's policy, consumers their group's (`group` is `None` when the
/// group cannot be read: the stored settings stand), and metrics are off.
pub fn answer(
    config: &ProxyConfig,
    stored: &pb::Settings,
    group: Option<&SubscriptionGroupConfig>,
) -> pb::Settings {
    let mut s = stored.clone();
    match &mut s.pub_sub {
        Some(pb::settings::PubSub::Publishing(p)) => {
            p.validate_message_type = config.enable_topic_message_type_check;
            p.max_body_size = config.max_message_size as i32;
            s.backoff_policy = Some(pb::RetryPolicy {
                max_attempts: config.producer_max_attempts,
                strategy: Some(pb::retry_policy::Strategy::ExponentialBackoff(
                    pb::ExponentialBackoff {
                        initial: Some(duration(config.producer_backoff_initial)),
                        max: Some(duration(config.producer_backoff_max)),
                        multiplier: config.producer_backoff_multiplier,
                    },
                )),
            });
        }
        Some(pb::settings::PubSub::Subscription(_)) => {
            if let Some(g) = group {
                s = merge_group(config, s, g);
            }
        }
        None => {}
    }
    s.metric = Some(pb::Metric {
        on: false,
        endpoints: None,
    });
    s
}

/// Java's `mergeSubscriptionData(settings, groupConfig)`.
fn merge_group(
    config: &ProxyConfig,
    mut s: pb::Settings,
    group: &SubscriptionGroupConfig,
) -> pb::Settings {
    let sub = match &mut s.pub_sub {
        Some(pb::settings::PubSub::Subscription(sub)) => sub,
        slot => {
            *slot = Some(pb::settings::PubSub::Subscription(Default::default()));
            match slot {
                Some(pb::settings::PubSub::Subscription(sub)) => sub,
                _ => return s,
            }
        }
    };
    sub.receive_batch_size = Some(config.consumer_receive_batch_size);
    sub.long_polling_timeout = Some(duration(config.consumer_long_polling_timeout));
    sub.fifo = Some(group.consume_message_orderly);
    let policy = &group.group_retry_policy;
    let strategy = if policy.policy_type == GroupRetryPolicyType::Exponential {
        let e = policy.exponential_retry_policy.clone().unwrap_or_default();
        pb::retry_policy::Strategy::ExponentialBackoff(pb::ExponentialBackoff {
            initial: Some(millis(e.initial)),
            max: Some(millis(e.max)),
            multiplier: e.multiplier as f32,
        })
    } else {
        let c = policy.customized_retry_policy.clone().unwrap_or_default();
        pb::retry_policy::Strategy::CustomizedBackoff(pb::CustomizedBackoff {
            next: c.next.into_iter().map(millis).collect(),
        })
    };
    s.backoff_policy = Some(pb::RetryPolicy {
        max_attempts: group.retry_max_times + 1,
        strategy: Some(strategy),
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ProxyConfig {
        ProxyConfig::new("127.0.0.1:8081".parse().unwrap(), vec![])
    }

    fn producer() -> pb::Settings {
        pb::Settings {
            client_type: Some(pb::ClientType::Producer as i32),
            pub_sub: Some(pb::settings::PubSub::Publishing(pb::Publishing {
                topics: vec![pb::Resource {
                    resource_namespace: String::new(),
                    name: "T".into(),
                }],
                max_body_size: 0,
                validate_message_type: false,
            })),
            ..Default::default()
        }
    }

    #[test]
    fn producers_get_the_proxy_policy() {
        let a = answer(&cfg(), &producer(), None);
        let Some(pb::settings::PubSub::Publishing(p)) = &a.pub_sub else {
            panic!("publishing expected")
        };
        assert_eq!(p.max_body_size, 4 * 1024 * 1024);
        assert!(p.validate_message_type);
        let b = a.backoff_policy.unwrap();
        assert_eq!(b.max_attempts, 3);
        let Some(pb::retry_policy::Strategy::ExponentialBackoff(e)) = b.strategy else {
            panic!("exponential expected")
        };
        assert_eq!(e.initial.unwrap().nanos, 10_000_000);
        assert_eq!(e.max.unwrap().seconds, 1);
        assert_eq!(e.multiplier, 2.0);
        assert_eq!(a.metric.map(|m| m.on), Some(false));
    }

    #[test]
    fn consumers_get_their_group_policy() {
        let client = pb::Settings {
            client_type: Some(pb::ClientType::SimpleConsumer as i32),
            pub_sub: Some(pb::settings::PubSub::Subscription(pb::Subscription {
                group: Some(pb::Resource {
                    resource_namespace: String::new(),
                    name: "g".into(),
                }),
                ..Default::default()
            })),
            ..Default::default()
        };
        let s = stored(&cfg(), client);
        let Some(pb::settings::PubSub::Subscription(sub)) = &s.pub_sub else {
            panic!("subscription expected")
        };
        assert_eq!(sub.receive_batch_size, Some(32));
        assert_eq!(sub.long_polling_timeout.as_ref().unwrap().seconds, 20);
        assert_eq!(sub.fifo, Some(false));
        assert_eq!(sub.group.as_ref().unwrap().name, "g");
        assert_eq!(s.backoff_policy.as_ref().unwrap().max_attempts, 17);

        let mut g = SubscriptionGroupConfig::new("g");
        g.consume_message_orderly = true;
        g.retry_max_times = 3;
        let a = answer(&cfg(), &s, Some(&g));
        let Some(pb::settings::PubSub::Subscription(sub)) = &a.pub_sub else {
            panic!("subscription expected")
        };
        assert_eq!(sub.fifo, Some(true));
        let b = a.backoff_policy.unwrap();
        assert_eq!(b.max_attempts, 4);
        let Some(pb::retry_policy::Strategy::CustomizedBackoff(c)) = b.strategy else {
            panic!("customized expected")
        };
        assert_eq!(c.next[0].seconds, 1);
        assert_eq!(c.next.len(), 18);
    }
}
