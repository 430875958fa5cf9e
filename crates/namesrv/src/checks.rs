//! What the NameServer accepts from the wire before a name becomes a key of one of its maps.
//!
//! - Topic names follow Java's `TopicValidator` ([`ferromq_model::validate::validate_topic`]),
//!   except the topics a broker derives from its own broker and cluster names (see
//!   [`is_own_topic`]).
//! - Broker, cluster and zone names: Java does not validate them at all, and its default broker
//!   name is the host name, so they may hold dots: `[%|a-zA-Z0-9_.-]`, at most 255 characters.
//! - Addresses (`ip:port`, IPv6 included): printable ASCII without spaces, at most 255 bytes.
//!
//! Names used only to look something up (route queries, deletes, heartbeats) are not checked:
//! a name that was never admitted simply misses. Nothing here ever becomes a file path.

use std::fmt;

use ferromq_model::names::{reply_topic, revive_topic, SYNC_BROKER_MEMBER_TOPIC_PREFIX};
use ferromq_model::validate::{validate_topic, NameError, RETRY_OR_DLQ_TOPIC_MAX_LENGTH};

/// Longest broker, cluster or zone name (a host name has at most 253 characters).
pub(crate) use ferromq_model::validate::MAX_BROKER_NAME_LEN;
/// Longest broker or HA address.
pub(crate) const MAX_ADDR_LEN: usize = 255;

/// Why a name from a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadName {
    /// Empty or whitespace only.
    #[error("the {kind} is blank")]
    Blank {
        /// What the name is (`"broker name"`, `"cluster name"`, …).
        kind: &'static str,
    },
    /// Longer than allowed.
    #[error("the {kind} is {len} bytes long, longer than the max length {max}")]
    TooLong {
        /// What the name is.
        kind: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character outside the allowed set.
    #[error("the {kind} {name} contains illegal characters, allowing only {allowed}")]
    IllegalCharacter {
        /// What the name is.
        kind: &'static str,
        /// The name, clipped and escaped.
        name: String,
        /// The allowed set.
        allowed: &'static str,
    },
    /// A topic name Java's `TopicValidator` would refuse.
    #[error(transparent)]
    Topic(#[from] NameError),
}

use ferromq_model::validate::is_broker_name_char;

/// Checks a broker, cluster or zone name; `kind` says which in the error.
pub(crate) fn check_broker_name(kind: &'static str, name: &str) -> Result<(), BadName> {
    if name.len() > MAX_BROKER_NAME_LEN {
        return Err(BadName::TooLong {
            kind,
            len: name.len(),
            max: MAX_BROKER_NAME_LEN,
        });
    }
    if name.trim().is_empty() {
        return Err(BadName::Blank { kind });
    }
    if !name.chars().all(is_broker_name_char) {
        return Err(BadName::IllegalCharacter {
            kind,
            name: format!("{:?}", Clip(name)),
            allowed: "^[%|a-zA-Z0-9_.-]+$",
        });
    }
    Ok(())
}

/// Checks a broker address (`ip:port`); `kind` says which in the error.
pub(crate) fn check_addr(kind: &'static str, addr: &str) -> Result<(), BadName> {
    if addr.len() > MAX_ADDR_LEN {
        return Err(BadName::TooLong {
            kind,
            len: addr.len(),
            max: MAX_ADDR_LEN,
        });
    }
    if addr.is_empty() {
        return Err(BadName::Blank { kind });
    }
    if !addr.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BadName::IllegalCharacter {
            kind,
            name: format!("{:?}", Clip(addr)),
            allowed: "printable ASCII without spaces",
        });
    }
    Ok(())
}

/// Checks a topic name as Java's `TopicValidator` does; overlong names are refused before
/// their characters are looked at, so the error never carries a huge name.
pub(crate) fn check_topic(topic: &str) -> Result<(), BadName> {
    if topic.len() > RETRY_OR_DLQ_TOPIC_MAX_LENGTH {
        return Err(BadName::TooLong {
            kind: "topic",
            len: topic.len(),
            max: RETRY_OR_DLQ_TOPIC_MAX_LENGTH,
        });
    }
    Ok(validate_topic(topic)?)
}

/// Whether `topic` is one a broker of `cluster` named `broker` creates from those names:
/// Java's `TopicConfigManager` adds them without validation, and with a host-name broker name
/// (`broker-1.example.com`) they hold dots. Accepted as long as the names themselves passed
/// [`check_broker_name`].
pub(crate) fn is_own_topic(topic: &str, cluster: &str, broker: &str) -> bool {
    topic == broker
        || topic == cluster
        || topic
            .strip_prefix(SYNC_BROKER_MEMBER_TOPIC_PREFIX)
            .is_some_and(|rest| rest == broker)
        || topic == reply_topic(cluster)
        || topic == revive_topic(cluster)
}

/// Formats a string from the wire for logs and remarks: escaped (`Debug`) and cut to its first
/// 64 characters, so that a hostile name can neither forge log lines nor flood them.
pub(crate) struct Clip<'a>(pub &'a str);

impl fmt::Debug for Clip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 64;
        match self.0.char_indices().nth(SHOWN) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(f, "{:?}… ({} bytes)", &self.0[..cut], self.0.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_names_allow_host_names_and_nothing_odd() {
        for ok in [
            "broker-a",
            "DefaultCluster",
            "ip-10-0-0-1.ec2.internal",
            "b_1|x%",
        ] {
            assert_eq!(check_broker_name("broker name", ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_broker_name("broker name", " "),
            Err(BadName::Blank {
                kind: "broker name"
            })
        );
        for bad in ["a/b", "../x", "a b", "a\nb", "brökér", "a:b"] {
            assert!(
                matches!(
                    check_broker_name("broker name", bad),
                    Err(BadName::IllegalCharacter { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_broker_name("cluster name", &"c".repeat(256)),
            Err(BadName::TooLong { len: 256, .. })
        ));
        assert_eq!(check_broker_name("cluster name", &"c".repeat(255)), Ok(()));
    }

    #[test]
    fn addresses_are_printable_and_short() {
        for ok in [
            "10.0.0.1:10911",
            "fe80::1%eth0:10911",
            "[::1]:10911",
            "host.x:1",
        ] {
            assert_eq!(check_addr("broker address", ok), Ok(()), "{ok}");
        }
        for bad in ["", "10.0.0.1:1 ", "a\u{0}b", "a\nb"] {
            assert!(check_addr("broker address", bad).is_err(), "{bad:?}");
        }
        assert!(check_addr("broker address", &"1".repeat(256)).is_err());
    }

    #[test]
    fn topics_follow_java_and_overlong_ones_stay_out_of_errors() {
        assert_eq!(check_topic("TopicTest"), Ok(()));
        assert_eq!(check_topic("%RETRY%group-1"), Ok(()));
        assert!(matches!(check_topic("a.b"), Err(BadName::Topic(_))));
        let huge = "x.".repeat(1 << 20);
        let err = check_topic(&huge).unwrap_err();
        assert!(err.to_string().len() < 100, "{err}");
    }

    #[test]
    fn own_topics_of_a_broker() {
        let (c, b) = ("DefaultCluster", "host-1.example.com");
        for t in [
            b,
            c,
            "rmq_sys_SYNC_BROKER_MEMBER_host-1.example.com",
            "DefaultCluster_REPLY_TOPIC",
            "rmq_sys_REVIVE_LOG_DefaultCluster",
        ] {
            assert!(is_own_topic(t, c, b), "{t}");
        }
        assert!(!is_own_topic("host-2.example.com", c, b));
        assert!(!is_own_topic("rmq_sys_SYNC_BROKER_MEMBER_other.x", c, b));
    }

    #[test]
    fn clip_escapes_and_cuts() {
        assert_eq!(format!("{:?}", Clip("a\nb")), r#""a\nb""#);
        let long = "é".repeat(100);
        let shown = format!("{:?}", Clip(&long));
        assert!(shown.ends_with("… (200 bytes)"), "{shown}");
        assert_eq!(shown.matches('é').count(), 64);
    }
}
