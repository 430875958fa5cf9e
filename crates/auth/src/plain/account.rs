//! A loaded ACL 1.0 account (Java's `PlainAccessResource` built from a `PlainAccessConfig`):
//! validated keys, its IP pattern and its permissions per topic and per group.

use std::collections::HashMap;

use super::address::AddressPattern;
use super::file::AccountEntry;
use super::java::utf16_len;
use super::perm::{parse_resource_perm, Perm};

/// The prefix that turns a consumer group into the resource name ACL 1.0 checks for it.
pub const RETRY_PREFIX: &str = "%RETRY%";

/// Keys must be longer than this (Java's `ACCESS_KEY_MIN_LENGTH` / `SECRET_KEY_MIN_LENGTH`).
const KEY_MIN_LENGTH: usize = 6;

/// One account, as checks and migration need it.
#[derive(Clone, PartialEq)]
pub struct PlainAccount {
    /// `accessKey`: the name requests carry in `AccessKey`.
    pub access_key: String,
    /// `secretKey`: the HMAC key of the signature.
    pub secret_key: String,
    /// `whiteRemoteAddress` as written; a match skips signature and permission checks.
    pub white_remote_address: Option<String>,
    /// `admin`: every permission check is skipped.
    pub admin: bool,
    /// `defaultTopicPerm` (DENY when absent or unknown).
    pub default_topic_perm: Perm,
    /// `defaultGroupPerm` (DENY when absent or unknown).
    pub default_group_perm: Perm,
    /// `topicPerms`, in file order.
    pub topic_perms: Vec<(String, Perm)>,
    /// `groupPerms` by group name (without `%RETRY%`), in file order.
    pub group_perms: Vec<(String, Perm)>,
    address: AddressPattern,
    /// Topics and `%RETRY%<group>` names; a topic entry overrides a group one of the same
    /// name, as in Java's single map.
    resources: HashMap<String, Perm>,
}

// Hand-written so a secret never reaches a log line through `{:?}`.
impl std::fmt::Debug for PlainAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainAccount")
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .field("white_remote_address", &self.white_remote_address)
            .field("admin", &self.admin)
            .field("default_topic_perm", &self.default_topic_perm)
            .field("default_group_perm", &self.default_group_perm)
            .field("topic_perms", &self.topic_perms)
            .field("group_perms", &self.group_perms)
            .finish()
    }
}

/// Java's check that both keys are present and longer than six characters.
pub(crate) fn check_keys(ak: Option<&str>, sk: Option<&str>) -> Result<(), String> {
    let long = |k: Option<&str>| k.is_some_and(|k| utf16_len(k) > KEY_MIN_LENGTH);
    if long(ak) && long(sk) {
        return Ok(());
    }
    Err(format!(
        "The accessKey={} and secretKey={} cannot be null and length should longer than 6",
        ak.unwrap_or("null"),
        sk.unwrap_or("null")
    ))
}

impl PlainAccount {
    /// Validates an account entry in Java's order (keys, IP pattern, group entries, topic
    /// entries); the error is Java's message.
    pub(crate) fn build(entry: &AccountEntry) -> Result<PlainAccount, String> {
        check_keys(entry.access_key.as_deref(), entry.secret_key.as_deref())?;
        let address =
            AddressPattern::parse(entry.white_remote_address.as_deref()).map_err(|e| e.0)?;
        let parse_all = |list: &Option<Vec<String>>, kind| {
            list.iter()
                .flatten()
                .map(|e| parse_resource_perm(e, kind))
                .collect::<Result<Vec<_>, _>>()
        };
        let group_perms = parse_all(&entry.group_perms, "group")?;
        let topic_perms = parse_all(&entry.topic_perms, "topic")?;
        let mut resources = HashMap::new();
        for (group, perm) in &group_perms {
            resources.insert(format!("{RETRY_PREFIX}{group}"), *perm);
        }
        for (topic, perm) in &topic_perms {
            resources.insert(topic.clone(), *perm);
        }
        Ok(PlainAccount {
            access_key: entry.access_key.clone().unwrap_or_default(),
            secret_key: entry.secret_key.clone().unwrap_or_default(),
            white_remote_address: entry.white_remote_address.clone(),
            admin: entry.admin,
            default_topic_perm: Perm::parse(entry.default_topic_perm.as_deref()),
            default_group_perm: Perm::parse(entry.default_group_perm.as_deref()),
            topic_perms,
            group_perms,
            address,
            resources,
        })
    }

    /// Whether the client address matches the account's `whiteRemoteAddress`.
    pub(crate) fn white_listed(&self, ip: &str) -> bool {
        self.address.matches(ip)
    }

    /// The explicit permission for a topic or `%RETRY%<group>` resource.
    pub(crate) fn explicit(&self, resource: &str) -> Option<Perm> {
        self.resources.get(resource).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ak: &str, sk: &str) -> AccountEntry {
        AccountEntry {
            access_key: Some(ak.into()),
            secret_key: Some(sk.into()),
            ..AccountEntry::default()
        }
    }

    #[test]
    fn keys_must_be_longer_than_six() {
        assert!(PlainAccount::build(&entry("1234567", "abcdefg")).is_ok());
        assert_eq!(
            PlainAccount::build(&entry("123456", "abcdefg")).unwrap_err(),
            "The accessKey=123456 and secretKey=abcdefg cannot be null and length should longer than 6"
        );
        assert!(PlainAccount::build(&entry("1234567", "abcdef")).is_err());
        let e = PlainAccount::build(&AccountEntry::default()).unwrap_err();
        assert_eq!(
            e,
            "The accessKey=null and secretKey=null cannot be null and length should longer than 6"
        );
    }

    #[test]
    fn groups_become_retry_resources_and_topics_win_a_clash() {
        let mut e = entry("RocketMQ", "12345678");
        e.group_perms = Some(vec!["g=SUB".into(), "x=SUB".into()]);
        e.topic_perms = Some(vec!["t=PUB".into(), "%RETRY%x=DENY".into()]);
        e.default_topic_perm = Some("SUB".into());
        let a = PlainAccount::build(&e).unwrap();
        assert_eq!(a.explicit("%RETRY%g"), Some(Perm::SUB));
        assert_eq!(a.explicit("g"), None);
        assert_eq!(a.explicit("t"), Some(Perm::PUB));
        assert_eq!(a.explicit("%RETRY%x"), Some(Perm::DENY));
        assert_eq!(
            a.group_perms,
            [("g".into(), Perm::SUB), ("x".into(), Perm::SUB)]
        );
        assert_eq!(a.default_topic_perm, Perm::SUB);
        assert_eq!(a.default_group_perm, Perm::DENY);
    }

    #[test]
    fn validation_order_is_javas() {
        let mut e = entry("RocketMQ", "12345678");
        e.white_remote_address = Some("10.0.0.0/8".into());
        e.group_perms = Some(vec!["bad".into()]);
        assert_eq!(
            PlainAccount::build(&e).unwrap_err(),
            "NetAddress examine Exception netAddress is 10.0.0.0/8"
        );
        e.white_remote_address = None;
        e.topic_perms = Some(vec!["bad-topic".into()]);
        assert_eq!(
            PlainAccount::build(&e).unwrap_err(),
            "Parse resource permission failed for group:bad"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let a = PlainAccount::build(&entry("RocketMQ", "s3cr3t-key")).unwrap();
        let text = format!("{a:?}");
        assert!(
            text.contains("RocketMQ") && !text.contains("s3cr3t"),
            "{text}"
        );
    }
}
