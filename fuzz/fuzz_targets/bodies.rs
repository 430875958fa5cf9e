//! Fuzzes the decoders of request bodies that arrive from the network: the fastjson
//! normalizer and `$ref` resolver, every JSON body type the broker and NameServer read from
//! clients and brokers, the (optionally zlib-compressed) REGISTER_BROKER body, and message
//! property strings. Arbitrary bytes never panic; standard JSON keeps its meaning through
//! the normalizer.

#![no_main]

use ferromq_model::register_broker::RegisterBrokerBody;
use ferromq_model::*;
use ferromq_protocol::message::properties::Properties;
use libfuzzer_sys::fuzz_target;

fn json_bodies(s: &str) {
    let _ = from_fastjson::<serde_json::Value>(s);
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
    }
    let _ = RegisterBrokerBody::decode(data, false);
    let _ = RegisterBrokerBody::decode(data, true);
    let p = Properties::parse_bytes(data);
    let _ = Properties::parse(&p.encode());
});
