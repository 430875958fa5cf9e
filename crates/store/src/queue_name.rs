//! Which topic names and queue ids may name a ConsumeQueue directory.
//!
//! A ConsumeQueue lives at `consumequeue/{topic}/{queueId}`, so a topic name is a path
//! component. The broker validates names where they enter, but the store must not depend on
//! that: a group `/../..` once turned into the topic `%DLQ%/../..`, created a file outside
//! `consumequeue/`, and deleting that topic removed `commitlog/`, `consumequeue/` and
//! `index/`. Every path the store builds from a topic goes through [`check_queue`] (creation)
//! or [`check_topic`] (loading, deletion), whatever the caller passed.
//!
//! The rule is RocketMQ's (`TopicValidator`): `^[%|a-zA-Z0-9_-]+$`, at most 255 characters
//! (Java's limit for retry and DLQ topics, the longest it accepts), plus `+`, which Java's
//! broker writes in v2 POP retry topics (`%RETRY%{group}+{topic}`). It has no `/`, `.` or
//! NUL, so a valid name is always one plain component and never `.` or `..`.

use crate::error::StoreError;

/// Longest topic the store accepts (Java's `RETRY_OR_DLQ_TOPIC_MAX_LENGTH`).
pub(crate) const MAX_TOPIC_LEN: usize = 255;

/// Why a name cannot be a ConsumeQueue directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidName {
    #[error("the name is empty")]
    Empty,
    #[error("the name is {len} bytes long, more than {MAX_TOPIC_LEN}")]
    TooLong { len: usize },
    #[error("byte {byte:#04x} at {at} is not one of [%|a-zA-Z0-9_+-]")]
    IllegalByte { byte: u8, at: usize },
}

fn allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-' | b'+')
}

/// Checks that `topic` is a RocketMQ topic name, hence one plain path component.
pub(crate) fn check_topic(topic: &str) -> Result<(), InvalidName> {
    if topic.is_empty() {
        return Err(InvalidName::Empty);
    }
    if topic.len() > MAX_TOPIC_LEN {
        return Err(InvalidName::TooLong { len: topic.len() });
    }
    match topic.bytes().position(|b| !allowed(b)) {
        Some(at) => Err(InvalidName::IllegalByte {
            byte: topic.as_bytes()[at],
            at,
        }),
        None => Ok(()),
    }
}

/// Checks a `(topic, queue_id)` pair before a ConsumeQueue path is built from it.
pub(crate) fn check_queue(topic: &str, queue_id: i32) -> Result<(), StoreError> {
    check_topic(topic).map_err(|reason| StoreError::invalid_topic(topic, reason))?;
    if queue_id < 0 {
        return Err(StoreError::InvalidQueueId {
            topic: shorten(topic),
            queue_id,
        });
    }
    Ok(())
}

/// The queue id a directory name stands for, if it is the canonical decimal form a queue
/// directory is created with (`"01"`, `"+1"` or `"-1"` would name another path than the
/// queue built from it).
pub(crate) fn parse_queue_dir_name(name: &str) -> Option<i32> {
    let id: i32 = name.parse().ok()?;
    (id >= 0 && id.to_string() == name).then_some(id)
}

/// A name for error messages and logs: at most 300 characters, control characters escaped
/// by the `{:?}` formatting of the error.
pub(crate) fn shorten(name: &str) -> String {
    const MAX: usize = 300;
    if name.len() <= MAX {
        return name.to_string();
    }
    let mut end = MAX;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_rocketmq_names_pass() {
        for ok in [
            "T",
            "%RETRY%g",
            "%DLQ%g",
            "a|b",
            "A-b_9",
            "%RETRY%g+T",
            &"x".repeat(255),
        ] {
            assert_eq!(check_topic(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_topic(""), Err(InvalidName::Empty));
        assert_eq!(
            check_topic(&"x".repeat(256)),
            Err(InvalidName::TooLong { len: 256 })
        );
        for bad in [
            ".",
            "..",
            "%DLQ%/../..",
            "a/b",
            "%DLQ%a\u{0}",
            "a b",
            "a.b",
            "é",
            "a\\b",
        ] {
            assert!(
                matches!(check_topic(bad), Err(InvalidName::IllegalByte { .. })),
                "{bad:?}"
            );
        }
        assert!(check_queue("T", 0).is_ok());
        assert!(matches!(
            check_queue("T", -1),
            Err(StoreError::InvalidQueueId { queue_id: -1, .. })
        ));
        let e = check_queue("%DLQ%/../..", 0).unwrap_err();
        assert!(e.to_string().contains("%DLQ%/../.."), "{e}");
    }

    #[test]
    fn queue_dir_names_are_canonical() {
        assert_eq!(parse_queue_dir_name("0"), Some(0));
        assert_eq!(parse_queue_dir_name("17"), Some(17));
        for bad in ["01", "+1", "-1", "", "1a", " 1", "99999999999"] {
            assert_eq!(parse_queue_dir_name(bad), None, "{bad:?}");
        }
    }
}
