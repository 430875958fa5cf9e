//! Topic and group name validation, as the Java broker and clients apply it
//! (`^[%|a-zA-Z0-9_-]+$`, ≤ 127 chars, ≤ 255 for retry/DLQ topics, groups ≤ 120).

use crate::names::{DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};

/// Longest ordinary topic name.
pub const TOPIC_MAX_LENGTH: usize = 127;
/// Longest `%RETRY%…`/`%DLQ%…` topic name.
pub const RETRY_OR_DLQ_TOPIC_MAX_LENGTH: usize = 255;
/// Longest group name (it becomes part of retry topics).
pub const GROUP_MAX_LENGTH: usize = 120;

/// Why a topic or group name is rejected; the messages follow the Java remarks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty or whitespace only.
    #[error("the specified {kind} is blank")]
    Blank {
        /// `"topic"` or `"group"`.
        kind: &'static str,
    },
    /// A character outside `[%|a-zA-Z0-9_-]`.
    #[error("the specified {kind} {name:?} contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")]
    IllegalCharacter {
        /// `"topic"` or `"group"`.
        kind: &'static str,
        /// The rejected name.
        name: String,
    },
    /// Longer than allowed.
    #[error("the specified {kind} is {len} characters long, longer than the max length {max}")]
    TooLong {
        /// `"topic"` or `"group"`.
        kind: &'static str,
        /// Its length.
        len: usize,
        /// The limit that applies.
        max: usize,
    },
}

/// Longest broker, cluster or zone name accepted (NameServer and controller).
pub const MAX_BROKER_NAME_LEN: usize = 255;

/// Whether `name` may name a broker set, cluster or zone: 1–255 of `[%|a-zA-Z0-9_.-]`
/// (what Java's brokers use; anything else would become a map key or a path from the wire).
pub fn is_valid_broker_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_BROKER_NAME_LEN && name.chars().all(is_broker_name_char)
}

/// Whether `c` may appear in a broker, cluster or zone name.
pub fn is_broker_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-' | '.')
}

/// Whether `c` may appear in a topic or group name.
pub fn is_valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-')
}

fn check_chars(kind: &'static str, name: &str) -> Result<(), NameError> {
    if name.chars().all(char::is_whitespace) {
        return Err(NameError::Blank { kind });
    }
    if !name.chars().all(is_valid_name_char) {
        return Err(NameError::IllegalCharacter {
            kind,
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Whether `topic` is a v2 POP retry topic `%RETRY%{group}+{topic}` of valid names: the one
/// shape with a `+` (Java's broker creates these itself with `enableRetryTopicV2`, past its
/// own `TopicValidator`, and clients ack under them).
pub fn is_pop_retry_v2(topic: &str) -> bool {
    let Some(rest) = topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX) else {
        return false;
    };
    let Some((group, normal)) = rest.split_once('+') else {
        return false;
    };
    let plain = |s: &str| !s.is_empty() && s.chars().all(is_valid_name_char);
    plain(group) && plain(normal)
}

/// Validates a topic name like `TopicValidator.validateTopic`; a v2 POP retry topic
/// ([`is_pop_retry_v2`]) is accepted too.
pub fn validate_topic(topic: &str) -> Result<(), NameError> {
    if !is_pop_retry_v2(topic) {
        check_chars("topic", topic)?;
    }
    // All characters are ASCII now, so bytes == Java chars.
    let max = if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
        || topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
    {
        RETRY_OR_DLQ_TOPIC_MAX_LENGTH
    } else {
        TOPIC_MAX_LENGTH
    };
    if topic.len() > max {
        return Err(NameError::TooLong {
            kind: "topic",
            len: topic.len(),
            max,
        });
    }
    Ok(())
}

/// Validates a group name like `TopicValidator.validateGroup`.
pub fn validate_group(group: &str) -> Result<(), NameError> {
    check_chars("group", group)?;
    if group.len() > GROUP_MAX_LENGTH {
        return Err(NameError::TooLong {
            kind: "group",
            len: group.len(),
            max: GROUP_MAX_LENGTH,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_rejects_like_java() {
        assert_eq!(validate_topic("TopicTest"), Ok(()));
        assert_eq!(validate_topic("%RETRY%cg|x-y_z"), Ok(()));
        assert_eq!(validate_topic("%RETRY%cg+Topic_1"), Ok(()), "v2 pop retry");
        for bad in [
            "a+b",
            "%RETRY%+T",
            "%RETRY%g+",
            "%RETRY%g+T+U",
            "%RETRY%g+a/b",
            "%DLQ%g+T",
        ] {
            assert!(
                matches!(validate_topic(bad), Err(NameError::IllegalCharacter { .. })),
                "{bad}"
            );
        }
        assert_eq!(validate_topic(""), Err(NameError::Blank { kind: "topic" }));
        assert_eq!(
            validate_topic("  "),
            Err(NameError::Blank { kind: "topic" })
        );
        assert!(matches!(
            validate_topic("a.b"),
            Err(NameError::IllegalCharacter { .. })
        ));
        assert!(matches!(
            validate_topic("tópico"),
            Err(NameError::IllegalCharacter { .. })
        ));
        assert_eq!(validate_topic(&"a".repeat(127)), Ok(()));
        assert_eq!(
            validate_topic(&"a".repeat(128)),
            Err(NameError::TooLong {
                kind: "topic",
                len: 128,
                max: 127
            })
        );
        assert_eq!(validate_topic(&format!("%DLQ%{}", "a".repeat(250))), Ok(()));
        assert!(validate_topic(&format!("%DLQ%{}", "a".repeat(251))).is_err());
        assert_eq!(validate_group(&"g".repeat(120)), Ok(()));
        assert!(validate_group(&"g".repeat(121)).is_err());
    }

    proptest! {
        #[test]
        fn matches_the_java_regex(name in "[%|a-zA-Z0-9_.\\- ]{1,140}") {
            let regex_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || "%|_-".contains(c));
            prop_assert_eq!(validate_topic(&name).is_ok(), regex_ok && name.len() <= 127);
        }
    }
}
