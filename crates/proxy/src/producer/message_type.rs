//! 5.x typed topics: a topic's `message.type` attribute (NORMAL, FIFO, DELAY, TRANSACTION,
//! MIXED) and the check that a message's type matches it (Java's `TopicMessageType` and
//! `DefaultTopicMessageTypeValidator`). Apache RocketMQ 5.3.3 checks this in the proxy, not
//! in the broker, so FerroMQ does too.

use std::collections::BTreeMap;

use ferromq_protocol::message::keys;

use crate::pb;
use crate::status::Refusal;

/// The topic attribute naming the message type.
pub const MESSAGE_TYPE_ATTRIBUTE: &str = "message.type";

/// Java's `TopicMessageType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicMessageType {
    Unspecified,
    Normal,
    Fifo,
    Delay,
    Transaction,
    Mixed,
}

impl TopicMessageType {
    /// The value as Java prints it.
    pub fn name(self) -> &'static str {
        match self {
            TopicMessageType::Unspecified => "UNSPECIFIED",
            TopicMessageType::Normal => "NORMAL",
            TopicMessageType::Fifo => "FIFO",
            TopicMessageType::Delay => "DELAY",
            TopicMessageType::Transaction => "TRANSACTION",
            TopicMessageType::Mixed => "MIXED",
        }
    }

    /// Parses an attribute value (exact names, as Java's `valueOf`).
    pub fn parse(s: &str) -> Option<Self> {
        [
            TopicMessageType::Unspecified,
            TopicMessageType::Normal,
            TopicMessageType::Fifo,
            TopicMessageType::Delay,
            TopicMessageType::Transaction,
            TopicMessageType::Mixed,
        ]
        .into_iter()
        .find(|t| t.name() == s)
    }

    /// A topic's type from its attributes: NORMAL without `message.type` (Java's
    /// `TopicConfig.getTopicMessageType`), UNSPECIFIED for a value Java could not parse.
    pub fn of_attributes(attributes: &BTreeMap<String, String>) -> Self {
        match attributes.get(MESSAGE_TYPE_ATTRIBUTE) {
            None => TopicMessageType::Normal,
            Some(v) if v.is_empty() => TopicMessageType::Normal,
            Some(v) => Self::parse(v).unwrap_or(TopicMessageType::Unspecified),
        }
    }

    /// A message's type from its properties (Java's `parseFromMessageProperty`):
    /// transaction, then any delay property, then a sharding key (FIFO), else NORMAL.
    pub fn of_properties(get: impl Fn(&str) -> Option<String>) -> Self {
        if get(keys::TRANSACTION_PREPARED).as_deref() == Some("true") {
            TopicMessageType::Transaction
        } else if [
            keys::DELAY_TIME_LEVEL,
            keys::TIMER_DELIVER_MS,
            keys::TIMER_DELAY_SEC,
            keys::TIMER_DELAY_MS,
        ]
        .iter()
        .any(|k| get(k).is_some())
        {
            TopicMessageType::Delay
        } else if get(keys::SHARDING_KEY).is_some() {
            TopicMessageType::Fifo
        } else {
            TopicMessageType::Normal
        }
    }

    /// What QueryRoute says a queue of such a topic accepts.
    pub fn accepted(self) -> Vec<pb::MessageType> {
        use pb::MessageType as M;
        match self {
            TopicMessageType::Normal => vec![M::Normal],
            TopicMessageType::Fifo => vec![M::Fifo],
            TopicMessageType::Delay => vec![M::Delay],
            TopicMessageType::Transaction => vec![M::Transaction],
            TopicMessageType::Mixed => vec![M::Normal, M::Fifo, M::Delay, M::Transaction],
            TopicMessageType::Unspecified => vec![M::Unspecified],
        }
    }
}

/// Java's `DefaultTopicMessageTypeValidator.validate(expected, actual)`.
pub fn check(expected: TopicMessageType, actual: TopicMessageType) -> Result<(), Refusal> {
    if actual == TopicMessageType::Unspecified
        || (actual != expected && expected != TopicMessageType::Mixed)
    {
        return Err(Refusal::new(
            pb::Code::MessagePropertyConflictWithType,
            format!(
                "TopicMessageType validate failed, the expected type is {}, but actual type is {}",
                expected.name(),
                actual.name()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_and_property_types() {
        let mut a = BTreeMap::new();
        assert_eq!(
            TopicMessageType::of_attributes(&a),
            TopicMessageType::Normal
        );
        a.insert("message.type".into(), "FIFO".into());
        assert_eq!(TopicMessageType::of_attributes(&a), TopicMessageType::Fifo);
        a.insert("message.type".into(), "fifo".into());
        assert_eq!(
            TopicMessageType::of_attributes(&a),
            TopicMessageType::Unspecified
        );
        let props =
            |k: &'static str, v: &'static str| move |q: &str| (q == k).then(|| v.to_string());
        assert_eq!(
            TopicMessageType::of_properties(props("TRAN_MSG", "true")),
            TopicMessageType::Transaction
        );
        assert_eq!(
            TopicMessageType::of_properties(props("TIMER_DELIVER_MS", "1")),
            TopicMessageType::Delay
        );
        assert_eq!(
            TopicMessageType::of_properties(props("__SHARDINGKEY", "g")),
            TopicMessageType::Fifo
        );
        assert_eq!(
            TopicMessageType::of_properties(|_| None),
            TopicMessageType::Normal
        );
    }

    #[test]
    fn validation_as_java() {
        use TopicMessageType as T;
        assert!(check(T::Normal, T::Normal).is_ok());
        assert!(check(T::Mixed, T::Fifo).is_ok());
        let e = check(T::Fifo, T::Normal).unwrap_err();
        assert_eq!(e.code, pb::Code::MessagePropertyConflictWithType);
        assert_eq!(
            e.message,
            "TopicMessageType validate failed, the expected type is FIFO, but actual type is NORMAL"
        );
        // A topic whose type cannot be read refuses every typed message, as in Java.
        assert!(check(T::Unspecified, T::Normal).is_err());
    }
}
