//! Message property strings: `key \u{1} value \u{2} key \u{1} value \u{2}`, and the system
//! property keys RocketMQ uses (`MessageConst`).

use crate::string_map::StringMap;

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

/// The longest property string a message may carry, in bytes.
///
/// The stored record gives the property string an `i16` length, so the Java broker refuses a
/// send whose properties are longer than `Short.MAX_VALUE` with MESSAGE_ILLEGAL, before
/// parsing them (`AbstractSendMessageProcessor.msgContentCheck` compares UTF-16 units, the
/// store then compares bytes: together, bytes).
pub const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// A property string longer than [`MAX_PROPERTIES_LEN`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message properties length {len} exceeds the maximum of {max} bytes")]
pub struct PropertiesTooLong {
    /// Length of the refused string, in bytes.
    pub len: usize,
    /// [`MAX_PROPERTIES_LEN`].
    pub max: usize,
}

/// Refuses a property string longer than [`MAX_PROPERTIES_LEN`] bytes, without parsing it.
pub fn check_properties_len(s: &str) -> Result<(), PropertiesTooLong> {
    if s.len() > MAX_PROPERTIES_LEN {
        return Err(PropertiesTooLong {
            len: s.len(),
            max: MAX_PROPERTIES_LEN,
        });
    }
    Ok(())
}

/// Decoded message properties, kept in the order they were written.
///
/// Lookups scan a short vector for the usual handful of properties and hash past a few
/// dozen, so parsing is linear however many keys a client sends (see `string_map`).
/// Equality compares properties in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    entries: StringMap,
}

impl Properties {
    /// An empty property set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a property string leniently, as the Java client does: pairs are split on
    /// `\u{2}`, then on the first `\u{1}`; fragments without a separator are skipped; a
    /// repeated key keeps its first position and its last value (Java reads into a
    /// `HashMap`). Linear in the length of `s`, which is not checked: use
    /// [`Properties::try_parse`] on strings from the wire.
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

    /// [`Properties::parse`], refusing a string longer than [`MAX_PROPERTIES_LEN`] first (what
    /// the broker answers with MESSAGE_ILLEGAL).
    pub fn try_parse(s: &str) -> Result<Self, PropertiesTooLong> {
        check_properties_len(s)?;
        Ok(Self::parse(s))
    }

    /// Parses properties from raw bytes (as stored in a record); invalid UTF-8 is replaced.
    pub fn parse_bytes(b: &[u8]) -> Self {
        Self::parse(&String::from_utf8_lossy(b))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, replacing an existing value in place.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.entries.insert(key.into(), value.into());
    }

    /// Removes `key`, returning its value; the others keep their order.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.entries.shift_remove(key)
    }

    /// Iterates over `(key, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter()
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no properties.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// Encodes as Java does: every pair followed by `\u{2}`. Transient properties are
    /// skipped.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len_hint());
        for (k, v) in self.entries.iter() {
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
/// repeated key yields its last value, as Java's decoding does. One pass over `encoded`,
/// allocating nothing.
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
    fn parsing_is_linear_in_the_input() {
        // 1 MiB of distinct keys (116,000 pairs, as a send header's `properties` field may
        // carry before its length is checked): the old parser took 15 s in release builds.
        let s: String = (0..116_000).map(|i| format!("k{i}\u{1}v\u{2}")).collect();
        assert!(s.len() > 1 << 20);
        let p = crate::string_map::assert_finishes_within(
            std::time::Duration::from_secs(10),
            "parsing 1 MiB of properties",
            move || Properties::parse(&s),
        );
        assert_eq!(p.len(), 116_000);
        assert_eq!(p.get("k115999"), Some("v"));
        assert_eq!(p.iter().next(), Some(("k0", "v")));
    }

    #[test]
    fn oversize_property_strings_are_refused_before_parsing() {
        let at_limit = format!("K\u{1}{}\u{2}", "v".repeat(MAX_PROPERTIES_LEN - 3));
        assert_eq!(at_limit.len(), MAX_PROPERTIES_LEN);
        assert_eq!(check_properties_len(&at_limit), Ok(()));
        assert_eq!(
            Properties::try_parse(&at_limit)
                .unwrap()
                .get("K")
                .map(str::len),
            Some(32764)
        );
        let over = format!("{at_limit}x");
        assert_eq!(
            Properties::try_parse(&over),
            Err(PropertiesTooLong {
                len: 32768,
                max: 32767
            })
        );
        // Bytes, not characters: 16,384 two-byte characters are 32,768 bytes.
        assert!(check_properties_len(&"é".repeat(16_384)).is_err());
    }

    #[test]
    fn many_keys_keep_order_and_last_value() {
        let mut s: String = (0..100).map(|i| format!("k{i}\u{1}{i}\u{2}")).collect();
        s.push_str("k5\u{1}last\u{2}");
        let mut p = Properties::parse(&s);
        assert_eq!(p.len(), 100);
        assert_eq!(p.get("k5"), Some("last"));
        assert_eq!(find_property(&s, "k5"), Some("last"));
        assert_eq!(p.remove("k0").as_deref(), Some("0"));
        let order: Vec<&str> = p.iter().map(|(k, _)| k).take(3).collect();
        assert_eq!(order, ["k1", "k2", "k3"], "remove keeps the order");
        assert!(p.encode().starts_with("k1\u{1}1\u{2}k2\u{1}2\u{2}"));
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
