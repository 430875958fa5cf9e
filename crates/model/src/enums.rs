//! The Java enums that appear in JSON bodies.
//!
//! fastjson writes an enum as its name; some clients and old tools write the ordinal. Every
//! enum here serializes as the name and reads the name (case-insensitively), the ordinal, or
//! the ordinal as a string. Variants are declared in Java's ordinal order.

use std::fmt;
use std::str::FromStr;

use serde::de::{Error, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ModelError;

macro_rules! java_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($java:literal, default $default:ident) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, indexed by Java ordinal.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The Java constant name, as written in JSON.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The Java ordinal.
            pub fn ordinal(self) -> usize {
                self as usize
            }

            /// Looks a variant up by Java name, ignoring ASCII case.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(name))
            }

            /// Looks a variant up by Java ordinal.
            pub fn from_ordinal(ordinal: i64) -> Option<Self> {
                usize::try_from(ordinal).ok().and_then(|i| Self::ALL.get(i).copied())
            }

            fn parse_lenient(text: &str) -> Option<Self> {
                let text = text.trim();
                Self::from_name(text).or_else(|| text.parse().ok().and_then(Self::from_ordinal))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = ModelError;
            fn from_str(s: &str) -> Result<Self, ModelError> {
                Self::parse_lenient(s).ok_or_else(|| ModelError::UnknownEnumValue {
                    kind: $java,
                    value: s.to_owned(),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct EnumVisitor;
                impl<'de> Visitor<'de> for EnumVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "a {} name or ordinal", $java)
                    }
                    fn visit_str<E: Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse_lenient(v)
                            .ok_or_else(|| E::custom(format!("unknown {} {v:?}", $java)))
                    }
                    fn visit_i64<E: Error>(self, v: i64) -> Result<$name, E> {
                        $name::from_ordinal(v)
                            .ok_or_else(|| E::custom(format!("unknown {} ordinal {v}", $java)))
                    }
                    fn visit_u64<E: Error>(self, v: u64) -> Result<$name, E> {
                        self.visit_i64(i64::try_from(v).unwrap_or(-1))
                    }
                }
                d.deserialize_any(EnumVisitor)
            }
        }
    };
}

java_enum! {
    /// How a consumer gets messages (`ConsumerData.consumeType`).
    pub enum ConsumeType ("ConsumeType", default ConsumePassively) {
        /// Pull consumer.
        ConsumeActively = "CONSUME_ACTIVELY",
        /// Push consumer.
        ConsumePassively = "CONSUME_PASSIVELY",
        /// 5.x pop consumer.
        ConsumePop = "CONSUME_POP",
    }
}

java_enum! {
    /// Whether a group shares queues (clustering) or every client reads all (broadcasting).
    pub enum MessageModel ("MessageModel", default Clustering) {
        /// Every client consumes every queue; offsets stay on the client.
        Broadcasting = "BROADCASTING",
        /// Queues are divided among the group's clients; offsets live on the broker.
        Clustering = "CLUSTERING",
    }
}

java_enum! {
    /// Where a consumer group without a stored offset starts.
    pub enum ConsumeFromWhere ("ConsumeFromWhere", default ConsumeFromLastOffset) {
        /// From the queue's max offset (the default).
        ConsumeFromLastOffset = "CONSUME_FROM_LAST_OFFSET",
        /// Deprecated; treated like `CONSUME_FROM_LAST_OFFSET`.
        ConsumeFromLastOffsetAndFromMinWhenBootFirst = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        /// Deprecated; treated like `CONSUME_FROM_LAST_OFFSET`.
        ConsumeFromMinOffset = "CONSUME_FROM_MIN_OFFSET",
        /// Deprecated; treated like `CONSUME_FROM_LAST_OFFSET`.
        ConsumeFromMaxOffset = "CONSUME_FROM_MAX_OFFSET",
        /// From offset 0.
        ConsumeFromFirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        /// From the client's `consumeTimestamp`.
        ConsumeFromTimestamp = "CONSUME_FROM_TIMESTAMP",
    }
}

java_enum! {
    /// The language of a subscription expression (`SubscriptionData.expressionType`).
    /// Java keeps these as string constants; a missing or empty type means `TAG`.
    pub enum ExpressionType ("ExpressionType", default Tag) {
        /// `TagA || TagB` or `*`.
        Tag = "TAG",
        /// An SQL92 selector over message properties.
        Sql92 = "SQL92",
    }
}

impl ExpressionType {
    /// Reads `expressionType` like the Java broker: `null` or `""` is `TAG`; an unknown type is
    /// an error (the broker could not filter with it).
    pub(crate) fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match crate::lenient::opt_string(d)? {
            None => Ok(Self::Tag),
            Some(s) if s.trim().is_empty() => Ok(Self::Tag),
            Some(s) => Self::from_name(s.trim())
                .ok_or_else(|| D::Error::custom(format!("unknown ExpressionType {s:?}"))),
        }
    }
}

java_enum! {
    /// How a queue assigned by the broker is consumed (5.x `QUERY_ASSIGNMENT`).
    pub enum MessageRequestMode ("MessageRequestMode", default Pull) {
        /// Classic pull.
        Pull = "PULL",
        /// Pop (broker-side offsets, invisible time).
        Pop = "POP",
    }
}

java_enum! {
    /// `TopicConfig.topicFilterType`; RocketMQ only ever uses `SINGLE_TAG`.
    pub enum TopicFilterType ("TopicFilterType", default SingleTag) {
        /// One tag per message.
        SingleTag = "SINGLE_TAG",
        /// Several tags per message (never implemented by RocketMQ).
        MultiTag = "MULTI_TAG",
    }
}

java_enum! {
    /// Which retry-delay policy a 5.x subscription group uses.
    pub enum GroupRetryPolicyType ("GroupRetryPolicyType", default Customized) {
        /// `initial * multiplier^n`, capped at `max`.
        Exponential = "EXPONENTIAL",
        /// A fixed list of delays (the delay levels by default).
        Customized = "CUSTOMIZED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_and_ordinals_match_java() {
        assert_eq!(ConsumeFromWhere::ConsumeFromFirstOffset.ordinal(), 4);
        assert_eq!(ConsumeFromWhere::ConsumeFromTimestamp.ordinal(), 5);
        assert_eq!(ConsumeType::ConsumePop.ordinal(), 2);
        assert_eq!(
            serde_json::to_string(&ConsumeType::ConsumePassively).unwrap(),
            "\"CONSUME_PASSIVELY\""
        );
        assert_eq!(MessageModel::Clustering.to_string(), "CLUSTERING");
    }

    #[test]
    fn reads_names_ordinals_and_numeric_strings() {
        let from = |s: &str| serde_json::from_str::<ConsumeFromWhere>(s).unwrap();
        assert_eq!(
            from("\"CONSUME_FROM_TIMESTAMP\""),
            ConsumeFromWhere::ConsumeFromTimestamp
        );
        assert_eq!(
            from("\"consume_from_first_offset\""),
            ConsumeFromWhere::ConsumeFromFirstOffset
        );
        assert_eq!(
            from("1"),
            ConsumeFromWhere::ConsumeFromLastOffsetAndFromMinWhenBootFirst
        );
        assert_eq!(from("\"3\""), ConsumeFromWhere::ConsumeFromMaxOffset);
        assert!(serde_json::from_str::<ConsumeFromWhere>("6").is_err());
        assert!(serde_json::from_str::<ConsumeFromWhere>("-1").is_err());
        assert!(serde_json::from_str::<MessageModel>("\"SOMETIMES\"").is_err());
        assert!(matches!(
            "NOPE".parse::<TopicFilterType>(),
            Err(ModelError::UnknownEnumValue {
                kind: "TopicFilterType",
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn round_trip_by_name_and_ordinal(i in 0usize..6) {
            let v = ConsumeFromWhere::ALL[i];
            let json = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(serde_json::from_str::<ConsumeFromWhere>(&json).unwrap(), v);
            prop_assert_eq!(serde_json::from_str::<ConsumeFromWhere>(&i.to_string()).unwrap(), v);
            prop_assert_eq!(v.name().parse::<ConsumeFromWhere>().unwrap(), v);
        }
    }
}
