//! [`Message`]: what a producer sends.

use bytes::Bytes;
use ferromq_protocol::message::properties::KEY_SEPARATOR;
use ferromq_protocol::message::{keys, Properties};

/// A message to send: topic, body, user flag and properties (tags, keys, delay, user
/// properties). Like Java's `Message`, a new message asks the broker to wait for the store
/// (`WAIT=true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Destination topic.
    pub topic: String,
    /// Payload.
    pub body: Bytes,
    /// User flag, stored as is.
    pub flag: i32,
    /// System and user properties.
    pub properties: Properties,
}

impl Message {
    /// A message for `topic` with `body`.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut properties = Properties::new();
        properties.insert(keys::WAIT_STORE_MSG_OK, "true");
        Message {
            topic: topic.into(),
            body: body.into(),
            flag: 0,
            properties,
        }
    }

    /// Sets the tag (`TAGS`); an empty tag is ignored as in Java.
    pub fn with_tags(mut self, tags: impl Into<String>) -> Self {
        let tags = tags.into();
        if !tags.is_empty() {
            self.properties.insert(keys::TAGS, tags);
        }
        self
    }

    /// Sets the business keys (`KEYS`, joined by spaces), indexed by the broker.
    pub fn with_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = keys
            .into_iter()
            .map(|k| k.as_ref().to_string())
            .filter(|k| !k.is_empty())
            .collect::<Vec<_>>()
            .join(&KEY_SEPARATOR.to_string());
        if !joined.is_empty() {
            self.properties.insert(keys::KEYS, joined);
        }
        self
    }

    /// Sets a user property.
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key, value);
        self
    }

    /// Delays delivery by a broker delay level (1-based: 1s 5s 10s 30s 1m …).
    pub fn with_delay_level(mut self, level: i32) -> Self {
        self.properties
            .insert(keys::DELAY_TIME_LEVEL, level.to_string());
        self
    }

    /// Sets the user flag.
    pub fn with_flag(mut self, flag: i32) -> Self {
        self.flag = flag;
        self
    }

    /// Whether the broker should wait for flush/replication before answering.
    pub fn with_wait_store_ok(mut self, wait: bool) -> Self {
        self.properties
            .insert(keys::WAIT_STORE_MSG_OK, wait.to_string());
        self
    }

    /// The tag, if set.
    pub fn tags(&self) -> Option<&str> {
        self.properties.tags()
    }

    /// The business keys.
    pub fn keys(&self) -> Vec<&str> {
        self.properties.keys().collect()
    }

    /// A property.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }

    /// The delay level, 0 when none.
    pub fn delay_level(&self) -> i32 {
        self.properties.delay_level().unwrap_or(0)
    }

    /// The client-generated unique id, once the producer has assigned it.
    pub fn uniq_key(&self) -> Option<&str> {
        self.properties.uniq_key()
    }

    /// Whether the broker waits for the store before answering.
    pub fn wait_store_ok(&self) -> bool {
        self.properties.wait_store_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_java_properties() {
        let m = Message::new("T", "body")
            .with_tags("TagA")
            .with_keys(["k1", "", "k2"])
            .with_property("color", "red")
            .with_delay_level(3);
        assert_eq!(m.tags(), Some("TagA"));
        assert_eq!(m.keys(), vec!["k1", "k2"]);
        assert_eq!(m.delay_level(), 3);
        assert!(m.wait_store_ok());
        assert_eq!(
            m.properties.encode(),
            "WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}color\u{1}red\u{2}DELAY\u{1}3\u{2}"
        );
        assert!(!m.clone().with_wait_store_ok(false).wait_store_ok());
        assert_eq!(Message::new("T", "x").with_tags("").tags(), None);
    }
}
