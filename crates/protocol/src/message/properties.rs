//! Message property strings: `key \u{1} value \u{2} key \u{1} value \u{2}`, and the system
//! property keys RocketMQ uses (`MessageConst`).

/// Separates a property name from its value (`NAME_VALUE_SEPARATOR`).
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Terminates each name/value pair (`PROPERTY_SEPARATOR`).
pub const PROPERTY_SEPARATOR: char = '\u{2}';
/// Separates several business keys inside `KEYS`.
pub const KEY_SEPARATOR: char = ' ';

/// System property keys (`MessageConst`), named as in RocketMQ.
pub mod keys {
    pub const KEYS: &str = "KEYS";
    pub const TAGS: &str = "TAGS";
    pub const WAIT_STORE_MSG_OK: &str = "WAIT";
    pub const DELAY_TIME_LEVEL: &str = "DELAY";
    pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
    pub const REAL_TOPIC: &str = "REAL_TOPIC";
    pub const REAL_QUEUE_ID: &str = "REAL_QID";
    pub const TRANSACTION_PREPARED: &str = "TRAN_MSG";
    pub const PRODUCER_GROUP: &str = "PGROUP";
    pub const MIN_OFFSET: &str = "MIN_OFFSET";
    pub const MAX_OFFSET: &str = "MAX_OFFSET";
    pub const BUYER_ID: &str = "BUYER_ID";
    pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
    pub const TRANSFER_FLAG: &str = "TRANSFER_FLAG";
    pub const CORRECTION_FLAG: &str = "CORRECTION_FLAG";
    pub const MQ2_FLAG: &str = "MQ2_FLAG";
    pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
    pub const MSG_REGION: &str = "MSG_REGION";
    pub const TRACE_SWITCH: &str = "TRACE_ON";
    pub const UNIQ_CLIENT_MESSAGE_ID_KEYIDX: &str = "UNIQ_KEY";
    pub const EXTEND_UNIQ_INFO: &str = "EXTEND_UNIQ_INFO";
    pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
    pub const CONSUME_START_TIMESTAMP: &str = "CONSUME_START_TIME";
    pub const TRANSACTION_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
    pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
    pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
    pub const INSTANCE_ID: &str = "INSTANCE_ID";
    pub const CORRELATION_ID: &str = "CORRELATION_ID";
    pub const MESSAGE_REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
    pub const MESSAGE_TTL: &str = "TTL";
    pub const REPLY_MESSAGE_ARRIVE_TIME: &str = "ARRIVE_TIME";
    pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
    pub const CLUSTER: &str = "CLUSTER";
    pub const MESSAGE_TYPE: &str = "MSG_TYPE";
    pub const INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
    pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
    pub const INNER_NUM: &str = "INNER_NUM";
    pub const INNER_BASE: &str = "INNER_BASE";
    pub const TRACE_CONTEXT: &str = "TRACE_CONTEXT";
    pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
    pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
    pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
    pub const TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
    pub const TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
    pub const TIMER_ROLL_TIMES: &str = "TIMER_ROLL_TIMES";
    pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
    pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
    pub const TIMER_DELAY_LEVEL: &str = "TIMER_DELAY_LEVEL";
    pub const TRANSACTION_ID: &str = "__transactionId__";
    pub const SHARDING_KEY: &str = "__SHARDINGKEY";
    pub const CRC32: &str = "__CRC32#";
    pub const BORN_HOST: &str = "__BORNHOST";
    pub const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
    pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
    pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
    pub const DUP_INFO: &str = "DUP_INFO";
    pub const POP_CK: &str = "POP_CK";
    pub const POP_CK_OFFSET: &str = "POP_CK_OFFSET";
    pub const FIRST_POP_TIME: &str = "1ST_POP_TIME";
    pub const FORWARD_QUEUE_ID: &str = "PROPERTY_FORWARD_QUEUE_ID";
    pub const REDIRECT: &str = "REDIRECT";
    /// Properties starting with this prefix are never stored.
    pub const TRANSIENT_PREFIX: &str = "__RMQ.TRANSIENT.";
}

/// Decoded message properties, kept in the order they were written.
///
/// A small vector rather than a map: messages carry a handful of properties, and the
/// order is preserved so a decode/encode round trip reproduces the original string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<(String, String)>,
}

impl Properties {
    /// An empty property set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a property string leniently, as the Java client does: pairs are split on
    /// `\u{2}`, then on the first `\u{1}`; fragments without a separator are skipped; a
    /// repeated key keeps its last value (Java reads into a `HashMap`).
    pub fn parse(s: &str) -> Self {
        let mut p = Properties::new();
        for pair in s.split(PROPERTY_SEPARATOR) {
            if let Some((k, v)) = pair.split_once(NAME_VALUE_SEPARATOR) {
                if !k.is_empty() {
                    p.insert(k, v);
                }
            }
        }
        p
    }

    /// Parses properties from raw bytes (as stored in a record); invalid UTF-8 is replaced.
    pub fn parse_bytes(b: &[u8]) -> Self {
        Self::parse(&String::from_utf8_lossy(b))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, replacing an existing value in place.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.entries.push((key, value));
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let idx = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(idx).1)
    }

    /// Iterates over `(key, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no properties.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encodes as Java does: every pair followed by `\u{2}`. Transient properties are
    /// skipped.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len_hint());
        for (k, v) in &self.entries {
            if k.starts_with(keys::TRANSIENT_PREFIX) {
                continue;
            }
            out.push_str(k);
            out.push(NAME_VALUE_SEPARATOR);
            out.push_str(v);
            out.push(PROPERTY_SEPARATOR);
        }
        out
    }

    fn encoded_len_hint(&self) -> usize {
        self.entries
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum()
    }

    /// The message tag (`TAGS`).
    pub fn tags(&self) -> Option<&str> {
        self.get(keys::TAGS)
    }

    /// Business keys (`KEYS`, space separated), without empty fragments.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.get(keys::KEYS)
            .unwrap_or("")
            .split(KEY_SEPARATOR)
            .filter(|k| !k.is_empty())
    }

    /// The client-generated unique id (`UNIQ_KEY`).
    pub fn uniq_key(&self) -> Option<&str> {
        self.get(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
    }

    /// `DELAY` as a level, when present and numeric.
    pub fn delay_level(&self) -> Option<i32> {
        self.get(keys::DELAY_TIME_LEVEL)
            .and_then(|v| v.trim().parse().ok())
    }

    /// Whether `WAIT` asks the broker to wait for the store (default true).
    pub fn wait_store_ok(&self) -> bool {
        self.get(keys::WAIT_STORE_MSG_OK)
            .map(|v| !v.eq_ignore_ascii_case("false"))
            .unwrap_or(true)
    }
}

impl FromIterator<(String, String)> for Properties {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Self {
        let mut p = Properties::new();
        for (k, v) in iter {
            p.insert(k, v);
        }
        p
    }
}

/// Finds one property in an encoded property string without building a [`Properties`]; a
/// repeated key yields its last value, as Java's decoding does.
///
/// Used on hot paths (the store's dispatcher reads `TAGS`, `KEYS` and `UNIQ_KEY`).
pub fn find_property<'a>(encoded: &'a str, key: &str) -> Option<&'a str> {
    let mut found = None;
    for pair in encoded.split(PROPERTY_SEPARATOR) {
        if let Some((k, v)) = pair.split_once(NAME_VALUE_SEPARATOR) {
            if k == key {
                found = Some(v);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_java_encoding() {
        let s = "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}UNIQ_KEY\u{1}ABC\u{2}";
        let p = Properties::parse(s);
        assert_eq!(p.tags(), Some("TagA"));
        assert_eq!(p.keys().collect::<Vec<_>>(), vec!["k1", "k2"]);
        assert_eq!(p.uniq_key(), Some("ABC"));
        assert_eq!(p.encode(), s);
        assert_eq!(find_property(s, "KEYS"), Some("k1 k2"));
        assert_eq!(find_property(s, "NOPE"), None);
    }

    #[test]
    fn lenient_on_garbage() {
        let p = Properties::parse("junk\u{2}\u{2}A\u{1}1\u{1}2\u{2}B\u{1}");
        assert_eq!(p.get("A"), Some("1\u{1}2"));
        assert_eq!(p.get("B"), Some(""));
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn repeated_keys_keep_the_last_value_like_java() {
        let s = "UNIQ_KEY\u{1}A\u{2}TAGS\u{1}t\u{2}UNIQ_KEY\u{1}B\u{2}";
        assert_eq!(Properties::parse(s).uniq_key(), Some("B"));
        assert_eq!(find_property(s, "UNIQ_KEY"), Some("B"));
    }

    #[test]
    fn transient_properties_are_not_encoded() {
        let mut p = Properties::new();
        p.insert("__RMQ.TRANSIENT.x", "1");
        p.insert("A", "b");
        assert_eq!(p.encode(), "A\u{1}b\u{2}");
    }

    proptest! {
        #[test]
        fn round_trip(pairs in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_#.]{0,12}", "[^\u{1}\u{2}]{0,20}"), 0..8)) {
            let p: Properties = pairs.into_iter().collect();
            let again = Properties::parse(&p.encode());
            prop_assert_eq!(again, p);
        }
    }
}
