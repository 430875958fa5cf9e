//! Fuzzes the decoders of request bodies that arrive from the network: the fastjson
//! normalizer and `$ref` resolver, every JSON body type the broker and NameServer read from
//! clients and brokers, the (optionally zlib-compressed) REGISTER_BROKER body, message
//! property strings, recall handles, and what the NameServer makes of a register body.
//! Arbitrary bytes never panic; standard JSON keeps its meaning through the normalizer; `$ref`
//! expansion never nests deeper than the parser allows; decode limits and the route table's name
//! checks hold; decoded recall handles round-trip.

#![no_main]

use ferromq_model::*;
use ferromq_namesrv::testing::{check_topic, is_own_topic};
use ferromq_namesrv::{Registration, RouteLimits, RouteTable};
use ferromq_protocol::message::properties::Properties;
use ferromq_protocol::message::recall::RecallHandle;
use libfuzzer_sys::fuzz_target;

/// Containers nested in `value` (a scalar is 0), without recursion.
fn nesting(value: &serde_json::Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(value, 0)];
    while let Some((v, above)) = stack.pop() {
        let children: Vec<&serde_json::Value> = match v {
            serde_json::Value::Object(map) => map.values().collect(),
            serde_json::Value::Array(items) => items.iter().collect(),
            _ => continue,
        };
        max = max.max(above + 1);
        stack.extend(children.into_iter().map(|c| (c, above + 1)));
    }
    max
}

/// Decodes a register body within small limits and registers it: only acceptable topic names
/// reach the table, and no more of them than allowed.
fn register(data: &[u8]) {
    const MAX_TOPICS: usize = 64;
    let limits = DecodeLimits {
        max_inflated: 1 << 20,
        max_topics: MAX_TOPICS,
    };
    for compressed in [false, true] {
        let Ok(body) = RegisterBrokerBody::decode_with_limits(data, compressed, limits) else {
            continue;
        };
        let topics = body.topic_config_serialize_wrapper;
        assert!(topics.topic_config_table.len() <= MAX_TOPICS);
        let mut table = RouteTable::new().with_limits(RouteLimits {
            max_topics_per_broker: MAX_TOPICS,
            ..RouteLimits::default()
        });
        let registration = Registration {
            cluster: "c".into(),
            broker_addr: "127.0.0.1:10911".into(),
            broker_name: "b.example".into(),
            topics,
            ..Registration::default()
        };
        let _ = table.register_broker(registration, 0);
        let all = table.all_topics();
        assert!(all.len() <= MAX_TOPICS);
        for topic in all {
            assert!(check_topic(&topic).is_ok() || is_own_topic(&topic, "c", "b.example"));
        }
    }
}

fn json_bodies(s: &str) {
    if let Ok(v) = from_fastjson::<serde_json::Value>(s) {
        assert!(nesting(&v) <= 127, "resolved document nests too deep");
    }
    let _ = from_fastjson::<HeartbeatData>(s);
    let _ = from_fastjson::<LockBatchRequestBody>(s);
    let _ = from_fastjson::<UnlockBatchRequestBody>(s);
    let _ = from_fastjson::<CheckClientRequestBody>(s);
    let _ = from_fastjson::<SubscriptionGroupConfig>(s);
    let _ = from_fastjson::<SubscriptionGroupList>(s);
    let _ = from_fastjson::<CreateTopicListRequestBody>(s);
    let _ = from_fastjson::<TopicRouteData>(s);
    let _ = from_fastjson::<DataVersion>(s);
    let _ = from_fastjson::<KVTable>(s);
    let _ = from_fastjson::<ResetOffsetBody>(s);
    let _ = TopicConfig::decode(s);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let normalized = normalize(s);
        if let Ok(standard) = serde_json::from_str::<serde_json::Value>(s) {
            let again: serde_json::Value =
                serde_json::from_str(&normalized).expect("normalized standard JSON parses");
            assert_eq!(again, standard, "the normalizer changed standard JSON");
        }
        json_bodies(s);
        // A recall handle that decodes encodes back to one that decodes the same (an empty
        // last field would be dropped as Java's split drops it).
        if let Ok(h) = RecallHandle::decode(s) {
            if !h.message_id.is_empty() {
                assert_eq!(RecallHandle::decode(&h.encode()), Ok(h));
            }
        }
    }
    let _ = RegisterBrokerBody::decode(data, false);
    let _ = RegisterBrokerBody::decode(data, true);
    register(data);
    let p = Properties::parse_bytes(data);
    let _ = Properties::parse(&p.encode());
});
