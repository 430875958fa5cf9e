//! Tag subscriptions (`expressionType=TAG`): `*` or an empty string subscribes to everything;
//! otherwise the string is split on `||`, each part trimmed and empty parts dropped
//! (`FilterAPI.buildSubscriptionData`). The broker compares the ConsumeQueue tag code with the
//! tags' Java hash codes (`codeSet`); the client then re-checks the exact tag string
//! (`tagsSet`), since different tags can share a hash.
//!
//! Broker side (`ExpressionMessageFilter.isMatchedByConsumeQueue`): a tag code that is really
//! a ConsumeQueue-ext address (Java passes `null`) matches; a subscription string equal to `*`
//! matches; otherwise the code's low 32 bits (`Long.intValue()`) must be in `codeSet`. A
//! message without a tag has code 0, so a tag subscription does not receive it (unless one of
//! its tags hashes to 0). Retry topics need nothing special here: consumers subscribe to
//! `%RETRY%group` with `*`.

use std::collections::BTreeSet;

use ferromq_protocol::hash::java_string_hash;

use crate::error::FilterError;

/// The subscription string meaning "all tags".
pub(crate) const SUB_ALL: &str = "*";

/// Smallest ConsumeQueue tag code that is a real tag hash: below it, the value is an address
/// in `consumequeue_ext` (`ConsumeQueueExt.isExtAddr`).
pub(crate) const MIN_TAG_CODE: i64 = i32::MIN as i64;

/// A compiled tag subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    sub_string: String,
    tags: BTreeSet<String>,
    codes: BTreeSet<i32>,
}

impl TagFilter {
    /// Compiles a subscription string. Fails only when the string is nothing but `||`
    /// separators (`"||"`), which Java rejects; `" || "` compiles to a filter that matches
    /// no tag, as in Java.
    pub fn parse(sub_string: &str) -> Result<Self, FilterError> {
        if sub_string.is_empty() || sub_string == SUB_ALL {
            return Ok(TagFilter::all());
        }
        let mut parts: Vec<&str> = sub_string.split("||").collect();
        // Java's String.split drops trailing empty strings; nothing left is an error.
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
        if parts.is_empty() {
            return Err(FilterError::EmptyTagSubscription(sub_string.to_string()));
        }
        let tags: BTreeSet<String> = parts
            .iter()
            .map(|p| p.trim_matches(|c: char| c <= ' '))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        let codes = tags.iter().map(|t| java_string_hash(t)).collect();
        Ok(TagFilter {
            sub_string: sub_string.to_string(),
            tags,
            codes,
        })
    }

    /// The `*` subscription.
    pub fn all() -> Self {
        TagFilter {
            sub_string: SUB_ALL.to_string(),
            tags: BTreeSet::new(),
            codes: BTreeSet::new(),
        }
    }

    /// Whether this subscribes to every message (`*`).
    pub fn is_all(&self) -> bool {
        self.sub_string == SUB_ALL
    }

    /// The subscription string (`*` for an empty one).
    pub fn sub_string(&self) -> &str {
        &self.sub_string
    }

    /// The subscribed tags (`tagsSet`), empty for `*`.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str)
    }

    /// The tags' Java hash codes (`codeSet`), empty for `*`.
    pub fn codes(&self) -> impl Iterator<Item = i32> + '_ {
        self.codes.iter().copied()
    }

    /// Broker-side check of a ConsumeQueue entry's tag code.
    pub fn matches_tag_code(&self, tag_code: i64) -> bool {
        if tag_code < MIN_TAG_CODE || self.is_all() {
            return true;
        }
        // Long.intValue(): the low 32 bits.
        self.codes.contains(&(tag_code as i32))
    }

    /// Client-side check of a delivered message's exact tag (`PullAPIWrapper`): everything
    /// passes for `*`; otherwise the message needs a tag that is in the set.
    pub fn matches_tag(&self, tag: Option<&str>) -> bool {
        if self.tags.is_empty() {
            return true;
        }
        tag.is_some_and(|t| self.tags.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_protocol::hash::tag_code;

    #[test]
    fn star_and_empty_match_everything() {
        for s in ["", "*"] {
            let f = TagFilter::parse(s).unwrap();
            assert!(f.is_all());
            assert_eq!(f.sub_string(), "*");
            assert!(f.matches_tag_code(0) && f.matches_tag_code(12345));
            assert!(f.matches_tag(None) && f.matches_tag(Some("x")));
        }
    }

    #[test]
    fn tags_are_split_trimmed_and_hashed() {
        let f = TagFilter::parse(" TagA ||TagB|| ||TagA").unwrap();
        assert_eq!(f.tags().collect::<Vec<_>>(), vec!["TagA", "TagB"]);
        assert!(f.codes().any(|c| c == 2598919)); // "TagA".hashCode()
        assert!(f.matches_tag_code(tag_code(Some("TagA"))));
        assert!(f.matches_tag_code(tag_code(Some("TagB"))));
        assert!(!f.matches_tag_code(tag_code(Some("TagC"))));
        assert!(
            !f.matches_tag_code(tag_code(None)),
            "untagged messages are filtered out"
        );
        assert!(f.matches_tag(Some("TagB")));
        assert!(!f.matches_tag(Some("tagb")) && !f.matches_tag(None));
    }

    #[test]
    fn java_edge_cases() {
        assert_eq!(
            TagFilter::parse("||"),
            Err(FilterError::EmptyTagSubscription("||".into()))
        );
        assert!(TagFilter::parse("||||").is_err());
        let blank = TagFilter::parse(" || ").unwrap();
        assert!(!blank.is_all() && blank.tags().count() == 0);
        assert!(!blank.matches_tag_code(0) && !blank.matches_tag_code(42));
        // The client re-check lets everything through when `tagsSet` is empty.
        assert!(blank.matches_tag(Some("a")));
        let pipe = TagFilter::parse("|||").unwrap();
        assert_eq!(pipe.tags().collect::<Vec<_>>(), vec!["|"]);
        // " * " is the tag "*", not the wildcard.
        let star = TagFilter::parse(" * ").unwrap();
        assert!(!star.is_all());
        assert!(star.matches_tag_code(42) && !star.matches_tag_code(7));
    }

    #[test]
    fn codes_compare_on_the_low_32_bits_and_ext_addresses_pass() {
        let f = TagFilter::parse("TagA").unwrap();
        let code = i64::from(java_string_hash("TagA"));
        assert!(f.matches_tag_code(code + (1 << 32)));
        assert!(f.matches_tag_code(MIN_TAG_CODE - 1));
        assert!(!f.matches_tag_code(MIN_TAG_CODE));
    }
}
