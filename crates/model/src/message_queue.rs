//! `MessageQueue`: one queue of a topic on one broker — the unit of load balancing — and the
//! serde form of maps keyed by it.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

use serde::de::{DeserializeOwned, Error, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ModelError;
use crate::java::compare_strings;
use crate::lenient;

/// `{"brokerName":"broker-a","queueId":0,"topic":"T"}`.
///
/// Ordered like Java's `compareTo` (topic, broker name, queue id) — every client sorts queues
/// this way before rebalancing, so the order must agree across languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueue {
    /// Broker (group) name hosting the queue.
    #[serde(deserialize_with = "lenient::string")]
    pub broker_name: String,
    /// Queue index within the topic on that broker.
    #[serde(deserialize_with = "lenient::int")]
    pub queue_id: i32,
    /// Topic name.
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
}

impl MessageQueue {
    /// A queue of `topic` on `broker_name`.
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        Self {
            broker_name: broker_name.into(),
            queue_id,
            topic: topic.into(),
        }
    }
}

impl Ord for MessageQueue {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_strings(&self.topic, &other.topic)
            .then_with(|| compare_strings(&self.broker_name, &other.broker_name))
            .then(self.queue_id.cmp(&other.queue_id))
    }
}

impl PartialOrd for MessageQueue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for MessageQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MessageQueue [topic={}, brokerName={}, queueId={}]",
            self.topic, self.broker_name, self.queue_id
        )
    }
}

/// Entries of a map sorted by queue, for deterministic output.
fn sorted_entries<V>(map: &HashMap<MessageQueue, V>) -> Vec<(&MessageQueue, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Serializes `value` (a struct) like fastjson does: the `MessageQueue`-keyed maps among
/// `map_fields` (serialized through [`mq_map`]) get their keys written as raw JSON objects,
/// `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{…}}}`.
pub(crate) fn to_fastjson_string<T: Serialize>(
    value: &T,
    map_fields: &[&str],
) -> Result<String, ModelError> {
    let serde_json::Value::Object(fields) = serde_json::to_value(value)? else {
        return Ok(serde_json::to_string(value)?);
    };
    let mut out = String::from("{");
    for (i, (name, field)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name)?);
        out.push(':');
        match field {
            serde_json::Value::Object(map) if map_fields.contains(&name.as_str()) => {
                // The keys are `serde_json::to_string(&MessageQueue)` output: JSON objects.
                out.push('{');
                for (j, (key, v)) in map.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    if key.starts_with('{') {
                        out.push_str(key);
                    } else {
                        out.push_str(&serde_json::to_string(key)?);
                    }
                    out.push(':');
                    out.push_str(&serde_json::to_string(v)?);
                }
                out.push('}');
            }
            other => out.push_str(&serde_json::to_string(other)?),
        }
    }
    out.push('}');
    Ok(out)
}

/// Serde for `HashMap<MessageQueue, V>` in standard JSON: each key is a string holding the
/// queue's JSON — exactly what [`crate::fastjson::normalize`] makes of fastjson's object keys.
/// Also reads gson's array-of-pairs form `[[{mq}, v], …]`.
pub(crate) mod mq_map {
    use super::*;

    pub(crate) fn serialize<S, V>(map: &HashMap<MessageQueue, V>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        V: Serialize,
    {
        let mut out = s.serialize_map(Some(map.len()))?;
        for (mq, value) in sorted_entries(map) {
            let key = serde_json::to_string(mq).map_err(serde::ser::Error::custom)?;
            out.serialize_entry(&key, value)?;
        }
        out.end()
    }

    pub(crate) fn deserialize<'de, D, V>(d: D) -> Result<HashMap<MessageQueue, V>, D::Error>
    where
        D: Deserializer<'de>,
        V: DeserializeOwned,
    {
        struct MqMapVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: DeserializeOwned> Visitor<'de> for MqMapVisitor<V> {
            type Value = HashMap<MessageQueue, V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a map keyed by MessageQueue JSON, or a list of [MessageQueue, value] pairs",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = HashMap::new();
                while let Some((key, value)) = access.next_entry::<String, V>()? {
                    let mq = crate::fastjson::from_fastjson::<MessageQueue>(&key).map_err(|e| {
                        A::Error::custom(format!("bad MessageQueue key {key:?}: {e}"))
                    })?;
                    map.insert(mq, value);
                }
                Ok(map)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = HashMap::new();
                while let Some((mq, value)) = access.next_element::<(MessageQueue, V)>()? {
                    map.insert(mq, value);
                }
                Ok(map)
            }
            fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
                Ok(HashMap::new())
            }
        }

        d.deserialize_any(MqMapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    pub(crate) fn arb_message_queue() -> impl Strategy<Value = MessageQueue> {
        ("[a-zA-Z%_|-]{1,12}", "broker-[a-c]", 0..16i32)
            .prop_map(|(topic, broker, queue_id)| MessageQueue::new(topic, broker, queue_id))
    }

    #[test]
    fn json_shape_and_lenient_read() {
        let mq = MessageQueue::new("T", "broker-a", 3);
        assert_eq!(
            serde_json::to_string(&mq).unwrap(),
            r#"{"brokerName":"broker-a","queueId":3,"topic":"T"}"#
        );
        let go: MessageQueue =
            from_fastjson(r#"{"topic":"T","brokerName":"broker-a","queueId":"3"}"#).unwrap();
        assert_eq!(go, mq);
    }

    #[test]
    fn ordering_is_topic_broker_queue() {
        let mut mqs = [
            MessageQueue::new("B", "a", 0),
            MessageQueue::new("A", "b", 0),
            MessageQueue::new("A", "a", 2),
            MessageQueue::new("A", "a", 10),
        ];
        mqs.sort();
        let order: Vec<_> = mqs
            .iter()
            .map(|m| (m.topic.as_str(), m.broker_name.as_str(), m.queue_id))
            .collect();
        assert_eq!(
            order,
            [("A", "a", 2), ("A", "a", 10), ("A", "b", 0), ("B", "a", 0)]
        );
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Table {
        #[serde(with = "mq_map")]
        t: HashMap<MessageQueue, i64>,
    }

    #[test]
    fn mq_map_reads_fastjson_gson_and_null() {
        let expected = HashMap::from([(MessageQueue::new("T", "b", 1), 5)]);
        let fj: Table =
            from_fastjson(r#"{"t":{{"brokerName":"b","queueId":1,"topic":"T"}:5}}"#).unwrap();
        assert_eq!(fj.t, expected);
        let gson: Table =
            from_fastjson(r#"{"t":[[{"topic":"T","brokerName":"b","queueId":1},5]]}"#).unwrap();
        assert_eq!(gson.t, expected);
        let null: Table = from_fastjson(r#"{"t":null}"#).unwrap();
        assert!(null.t.is_empty());
        assert!(from_fastjson::<Table>(r#"{"t":{"not json":5}}"#).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(mq in arb_message_queue()) {
            let json = serde_json::to_string(&mq).unwrap();
            prop_assert_eq!(from_fastjson::<MessageQueue>(&json).unwrap(), mq);
        }

        #[test]
        fn mq_map_round_trip(entries in prop::collection::hash_map(arb_message_queue(), any::<i64>(), 0..8)) {
            let table = Table { t: entries };
            let json = serde_json::to_string(&table).unwrap();
            prop_assert_eq!(from_fastjson::<Table>(&json).unwrap(), table);
        }

        #[test]
        fn ord_agrees_with_eq(a in arb_message_queue(), b in arb_message_queue()) {
            prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        }
    }
}
