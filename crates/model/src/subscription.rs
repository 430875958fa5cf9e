//! `SubscriptionData`: one topic subscription of a consumer group, as sent in heartbeats and
//! used by the broker to filter pulls by tag hash code.

use ferromq_protocol::time::now_ms as now_millis;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::enums::ExpressionType;
use crate::java::string_hash_code;
use crate::lenient;

/// The expression that subscribes to every tag.
pub(crate) const SUB_ALL: &str = "*";

/// `{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA",
/// "subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T"}`.
///
/// The Go client writes `codeSet` as strings and may leave `expressionType` empty; both are
/// read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    /// Removed class-filter feature; always false.
    #[serde(deserialize_with = "lenient::boolean")]
    pub class_filter_mode: bool,
    /// Java `hashCode` of each tag in `tags_set`.
    #[serde(deserialize_with = "lenient::int_set")]
    pub code_set: BTreeSet<i32>,
    /// `TAG` or `SQL92`.
    #[serde(deserialize_with = "ExpressionType::deserialize_lenient")]
    pub expression_type: ExpressionType,
    /// The expression as the user wrote it (`*`, `TagA || TagB`, or SQL).
    #[serde(deserialize_with = "lenient::string")]
    pub sub_string: String,
    /// Version of the subscription (Java: millis at creation; Go: nanos).
    #[serde(deserialize_with = "lenient::int")]
    pub sub_version: i64,
    /// Tags of a TAG expression, trimmed; empty for `*` and SQL92.
    #[serde(deserialize_with = "lenient::null_default")]
    pub tags_set: BTreeSet<String>,
    /// Subscribed topic.
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
}

/// Java's `String.trim()`: strips code points up to U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

impl SubscriptionData {
    /// Builds a TAG subscription like Java's `FilterAPI.buildSubscriptionData`: empty or `*`
    /// subscribes to everything; otherwise tags are split on `||`, trimmed, and hashed.
    pub fn from_expression(topic: impl Into<String>, expression: &str) -> Self {
        let mut data = Self {
            topic: topic.into(),
            sub_string: expression.to_owned(),
            sub_version: now_millis(),
            ..Self::default()
        };
        if expression.is_empty() || expression == SUB_ALL {
            data.sub_string = SUB_ALL.to_owned();
            return data;
        }
        for tag in expression
            .split("||")
            .map(java_trim)
            .filter(|t| !t.is_empty())
        {
            data.code_set.insert(string_hash_code(tag));
            data.tags_set.insert(tag.to_owned());
        }
        data
    }

    /// Builds a subscription of either type; SQL92 expressions are kept verbatim.
    pub fn build(
        topic: impl Into<String>,
        expression: &str,
        expression_type: ExpressionType,
    ) -> Self {
        match expression_type {
            ExpressionType::Tag => Self::from_expression(topic, expression),
            ExpressionType::Sql92 => Self {
                topic: topic.into(),
                sub_string: expression.to_owned(),
                expression_type,
                sub_version: now_millis(),
                ..Self::default()
            },
        }
    }

    /// Whether this is a TAG subscription to every tag.
    pub fn is_sub_all(&self) -> bool {
        self.expression_type == ExpressionType::Tag
            && (self.sub_string.is_empty() || self.sub_string == SUB_ALL)
    }

    /// Broker-side tag check against the tag hash stored in the ConsumeQueue.
    pub fn matches_tag_code(&self, tags_code: i64) -> bool {
        // Java compares `codeSet.contains((int) tagsCode)`: the low 32 bits.
        self.is_sub_all() || self.code_set.contains(&(tags_code as i32))
    }

    /// Client-side check of a message's tag string.
    pub fn matches_tag(&self, tag: Option<&str>) -> bool {
        self.is_sub_all() || tag.is_some_and(|t| self.tags_set.contains(t))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    pub(crate) fn arb_subscription() -> impl Strategy<Value = SubscriptionData> {
        (
            "[A-Za-z%_-]{1,12}",
            prop_oneof![
                Just("*".to_string()),
                prop::collection::vec("[A-Za-z0-9]{1,6}", 1..4).prop_map(|tags| tags.join(" || ")),
            ],
            any::<i64>(),
            any::<bool>(),
        )
            .prop_map(|(topic, expr, version, sql)| {
                let mut s = if sql {
                    SubscriptionData::build(topic, "a > 1", ExpressionType::Sql92)
                } else {
                    SubscriptionData::from_expression(topic, &expr)
                };
                s.sub_version = version;
                s
            })
    }

    #[test]
    fn from_expression_builds_tags_and_java_hash_codes() {
        // Java's split("\\|\\|") leaves "| " from "|||", as Rust's split does.
        let s = SubscriptionData::from_expression("T", " TagA ||TagB||| ||TagA");
        assert_eq!(
            s.tags_set,
            BTreeSet::from(["TagA".to_string(), "TagB".to_string(), "|".to_string()])
        );
        assert_eq!(s.code_set, BTreeSet::from([2598919, 2598920, 124]));
        assert_eq!(s.sub_string, " TagA ||TagB||| ||TagA");
        assert!(!s.is_sub_all());
        assert!(s.sub_version > 1_600_000_000_000);
        for all in ["", "*"] {
            let s = SubscriptionData::from_expression("T", all);
            assert_eq!(s.sub_string, "*");
            assert!(s.is_sub_all() && s.tags_set.is_empty() && s.code_set.is_empty());
        }
    }

    #[test]
    fn tag_matching() {
        let s = SubscriptionData::from_expression("T", "TagA || TagB");
        assert!(s.matches_tag_code(2598919) && !s.matches_tag_code(1));
        // Stored sign-extended in an i64; a negative hash must still match.
        let neg = SubscriptionData::from_expression("T", "polygenelubricants");
        assert!(neg.matches_tag_code(i64::from(i32::MIN)));
        assert!(
            s.matches_tag(Some("TagB")) && !s.matches_tag(Some("TagC")) && !s.matches_tag(None)
        );
        assert!(SubscriptionData::from_expression("T", "*").matches_tag(None));
        assert!(!SubscriptionData::build("T", "a > 1", ExpressionType::Sql92).is_sub_all());
    }

    #[test]
    fn java_shape() {
        let mut s = SubscriptionData::from_expression("T", "TagA");
        s.sub_version = 1_700_000_000_000;
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T"}"#
        );
    }

    #[test]
    fn reads_go_client_shape() {
        // Go: codes as strings, nano versions, and an empty type when the selector had none.
        let go = r#"{"classFilterMode":false,"topic":"T","subString":"TagA || TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919","2598920"],"subVersion":1700000000000000000,"expressionType":""}"#;
        let s: SubscriptionData = from_fastjson(go).unwrap();
        assert_eq!(s.code_set, BTreeSet::from([2598919, 2598920]));
        assert_eq!(s.expression_type, ExpressionType::Tag);
        assert_eq!(s.sub_version, 1_700_000_000_000_000_000);
        assert!(from_fastjson::<SubscriptionData>(r#"{"expressionType":"XPATH"}"#).is_err());
        let sql: SubscriptionData =
            from_fastjson(r#"{"expressionType":"SQL92","subString":"a>1","tagsSet":null}"#)
                .unwrap();
        assert_eq!(sql.expression_type, ExpressionType::Sql92);
    }

    proptest! {
        #[test]
        fn round_trip(s in arb_subscription()) {
            let json = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(from_fastjson::<SubscriptionData>(&json).unwrap(), s);
        }

        #[test]
        fn every_tag_is_matched(tags in prop::collection::vec("[A-Za-z0-9]{1,6}", 1..5)) {
            let s = SubscriptionData::from_expression("T", &tags.join("||"));
            for tag in &tags {
                prop_assert!(s.matches_tag(Some(tag)));
                prop_assert!(s.matches_tag_code(i64::from(string_hash_code(tag))));
            }
        }
    }
}
