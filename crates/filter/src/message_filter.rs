//! [`MessageFilter`]: a subscription compiled for the pull path, in the two stages the store
//! applies — the ConsumeQueue tag code first (no CommitLog read), then the record's properties.
//! Method names and shapes follow the store's filter hook so the broker can wrap it directly.
//!
//! Retry topics: a consumer's `%RETRY%group` subscription is `*`, so retried messages pass.
//! Java's `filterSupportRetry=true` (default false) instead applies the SQL92 filter the
//! group registered for the message's original topic (property `RETRY_TOPIC`); a broker that
//! wants this picks that topic's [`MessageFilter`] per message.

use ferromq_protocol::message::properties::keys;

use crate::error::FilterError;
use crate::lookup::{EncodedProperties, PropertyLookup};
use crate::sql::SqlFilter;
use crate::tag::TagFilter;

/// The subscription's `expressionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpressionType {
    /// `TAG`, also when the type is absent or empty (`ExpressionType.isTagType`). Java's
    /// pull path skips building the tag hashes for an explicitly empty type and then matches
    /// nothing but `*`; here an empty type is simply TAG.
    Tag,
    /// `SQL92` (needs `enablePropertyFilter=true` on the broker; the broker checks that).
    Sql92,
}

impl ExpressionType {
    /// Reads the wire value; names are case-sensitive as in Java.
    pub fn parse(value: Option<&str>) -> Result<Self, FilterError> {
        match value {
            None | Some("") | Some("TAG") => Ok(ExpressionType::Tag),
            Some("SQL92") => Ok(ExpressionType::Sql92),
            Some(other) => Err(FilterError::UnknownExpressionType(other.to_string())),
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpressionType::Tag => "TAG",
            ExpressionType::Sql92 => "SQL92",
        }
    }
}

/// A compiled subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageFilter {
    Tag(TagFilter),
    Sql92(SqlFilter),
}

impl MessageFilter {
    /// Compiles `(expressionType, subscription)` as sent by a consumer. Errors become
    /// `SUBSCRIPTION_PARSE_FAILED` for the subscriber.
    pub fn build(expression_type: Option<&str>, expression: &str) -> Result<Self, FilterError> {
        Ok(match ExpressionType::parse(expression_type)? {
            ExpressionType::Tag => MessageFilter::Tag(TagFilter::parse(expression)?),
            ExpressionType::Sql92 => MessageFilter::Sql92(SqlFilter::compile(expression)?),
        })
    }

    /// The filter that lets everything through (`*`).
    pub fn all() -> Self {
        MessageFilter::Tag(TagFilter::all())
    }

    /// The expression type this filter was built for.
    pub fn expression_type(&self) -> ExpressionType {
        match self {
            MessageFilter::Tag(_) => ExpressionType::Tag,
            MessageFilter::Sql92(_) => ExpressionType::Sql92,
        }
    }

    /// Stage one, on the ConsumeQueue entry's tag code. SQL92 filters pass everything here
    /// (Java's optional bloom-filter bitmap is not implemented).
    pub fn matches_tag_code(&self, tag_code: i64) -> bool {
        match self {
            MessageFilter::Tag(t) => t.matches_tag_code(tag_code),
            MessageFilter::Sql92(_) => true,
        }
    }

    /// Whether stage two needs the record's properties at all.
    pub fn needs_properties(&self) -> bool {
        matches!(self, MessageFilter::Sql92(_))
    }

    /// Stage two, on the stored record's encoded property string (all properties, user and
    /// system, e.g. `TAGS`, `KEYS`), decoded as the Java broker decodes it (invalid UTF-8 is
    /// replaced). Tag filters pass everything here.
    pub fn matches_properties(&self, properties: &[u8]) -> bool {
        match self {
            MessageFilter::Tag(_) => true,
            MessageFilter::Sql92(sql) => {
                let text = String::from_utf8_lossy(properties);
                sql.matches(&EncodedProperties(&text))
            }
        }
    }

    /// Stage two over already decoded properties.
    pub fn matches_lookup<P: PropertyLookup + ?Sized>(&self, properties: &P) -> bool {
        match self {
            MessageFilter::Tag(_) => true,
            MessageFilter::Sql92(sql) => sql.matches(properties),
        }
    }

    /// Both stages for a message held in memory (e.g. a long-polling pull woken by a new
    /// message): tag code from `TAGS`, then the properties.
    pub fn matches_message<P: PropertyLookup + ?Sized>(&self, properties: &P) -> bool {
        let code = ferromq_protocol::hash::tag_code(properties.property(keys::TAGS));
        self.matches_tag_code(code) && self.matches_lookup(properties)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_protocol::hash::tag_code;

    fn encoded(pairs: &[(&str, &str)]) -> Vec<u8> {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}\u{1}{v}\u{2}"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn builds_by_expression_type() {
        assert!(matches!(
            MessageFilter::build(None, "*"),
            Ok(MessageFilter::Tag(_))
        ));
        assert!(matches!(
            MessageFilter::build(Some(""), "a"),
            Ok(MessageFilter::Tag(_))
        ));
        assert!(matches!(
            MessageFilter::build(Some("TAG"), "a || b"),
            Ok(MessageFilter::Tag(_))
        ));
        assert!(matches!(
            MessageFilter::build(Some("SQL92"), "a > 1"),
            Ok(MessageFilter::Sql92(_))
        ));
        assert_eq!(
            MessageFilter::build(Some("sql92"), "a > 1"),
            Err(FilterError::UnknownExpressionType("sql92".into()))
        );
        let err = MessageFilter::build(Some("SQL92"), "a >").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid SQL92 expression: expected a value, a property or \"(\" but found end of \
             expression at line 1, column 4"
        );
        let FilterError::Sql(e) = err else {
            panic!("not a compile error: {err:?}")
        };
        assert_eq!(e.column, 4);
        assert!(MessageFilter::build(Some("SQL92"), "").is_err());
        assert!(MessageFilter::build(Some("TAG"), "||").is_err());
    }

    #[test]
    fn tag_filter_stages() {
        let f = MessageFilter::build(Some("TAG"), "TagA").unwrap();
        assert!(!f.needs_properties());
        assert!(f.matches_tag_code(tag_code(Some("TagA"))));
        assert!(!f.matches_tag_code(tag_code(Some("TagB"))));
        assert!(f.matches_properties(b"garbage"));
        assert!(f.matches_message(&[("TAGS", "TagA")][..]));
        assert!(!f.matches_message(&[("TAGS", "TagB")][..]));
    }

    #[test]
    fn sql_filter_stages() {
        let f = MessageFilter::build(Some("SQL92"), "a > 5 AND TAGS = 'x'").unwrap();
        assert!(f.needs_properties());
        assert!(f.matches_tag_code(0) && f.matches_tag_code(-5));
        assert!(f.matches_properties(&encoded(&[("a", "6"), ("TAGS", "x")])));
        assert!(!f.matches_properties(&encoded(&[("a", "5"), ("TAGS", "x")])));
        assert!(!f.matches_properties(&encoded(&[("a", "six"), ("TAGS", "x")])));
        assert!(!f.matches_properties(b""));
        assert!(!f.matches_properties(&[0xff, 0xfe]));
        assert!(f.matches_message(&[("a", "10"), ("TAGS", "x")][..]));
    }
}
