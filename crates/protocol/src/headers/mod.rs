//! Typed custom headers, converting to and from `extFields` with RocketMQ's field names.
//!
//! Each header is declared once with `command_header!`: the Rust field, its type and the
//! wire name. A plain type is required (Java's `@CFNotNull`; missing ⇒ error); an `Option` is
//! optional. Reading is lenient like the Java broker (trimmed numbers, `true`/`1` booleans);
//! writing renders every value as a string.

mod admin;
mod auth;
mod consumer;
mod controller;
mod namesrv;
mod offset;
mod pop;
mod pull;
mod send;

pub use admin::*;
pub use auth::*;
pub use consumer::*;
pub use controller::*;
pub use namesrv::*;
pub use offset::*;
pub use pop::*;
pub use pull::*;
pub use send::*;

use crate::ext_fields::ExtFields;

/// A header that lives in a command's ext fields.
pub trait CommandHeader: Sized {
    /// Writes every present field as a string.
    fn write_to(&self, fields: &mut ExtFields);
    /// Reads the fields, failing on a missing required field or an unparsable value.
    fn read_from(fields: &ExtFields) -> Result<Self, HeaderError>;
}

/// Why ext fields could not be read into a typed header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A required field is absent (Java: "the custom field `<x>` is null").
    #[error("the custom field <{0}> is null")]
    Missing(&'static str),
    /// A field's value does not parse as its type.
    #[error("the custom field <{field}> has an invalid value `{value}`: expected {expected}")]
    Invalid {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// A scalar header value.
pub trait HeaderScalar: Sized {
    /// Parses the wire string.
    fn parse(field: &'static str, raw: &str) -> Result<Self, HeaderError>;
    /// Renders for the wire.
    fn render(&self) -> String;
}

impl HeaderScalar for String {
    fn parse(_: &'static str, raw: &str) -> Result<Self, HeaderError> {
        Ok(raw.to_owned())
    }
    fn render(&self) -> String {
        self.clone()
    }
}

fn parse_integer(
    field: &'static str,
    raw: &str,
    expected: &'static str,
) -> Result<i64, HeaderError> {
    let t = raw.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    // Some clients render whole numbers as floats ("5.0").
    match t.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.2e18 => Ok(f as i64),
        _ => Err(HeaderError::Invalid {
            field,
            value: raw.to_owned(),
            expected,
        }),
    }
}

macro_rules! int_scalar {
    ($t:ty, $expected:literal) => {
        impl HeaderScalar for $t {
            fn parse(field: &'static str, raw: &str) -> Result<Self, HeaderError> {
                let v = parse_integer(field, raw, $expected)?;
                <$t>::try_from(v).map_err(|_| HeaderError::Invalid {
                    field,
                    value: raw.to_owned(),
                    expected: $expected,
                })
            }
            fn render(&self) -> String {
                self.to_string()
            }
        }
    };
}

int_scalar!(i16, "a 16-bit integer");
int_scalar!(i32, "a 32-bit integer");
int_scalar!(i64, "a 64-bit integer");

impl HeaderScalar for bool {
    /// Java's `Boolean.parseBoolean` (only "true", any case, is true), plus `1`.
    fn parse(_: &'static str, raw: &str) -> Result<Self, HeaderError> {
        let t = raw.trim();
        Ok(t.eq_ignore_ascii_case("true") || t == "1")
    }
    fn render(&self) -> String {
        self.to_string()
    }
}

/// A header field: a required scalar or an optional one.
pub trait HeaderField: Sized {
    /// Reads `key` from `fields`.
    fn read(key: &'static str, fields: &ExtFields) -> Result<Self, HeaderError>;
    /// Writes to `fields` under `key` (nothing for `None`).
    fn write(&self, key: &'static str, fields: &mut ExtFields);
}

macro_rules! field_impls {
    ($($t:ty),*) => {$(
        impl HeaderField for $t {
            fn read(key: &'static str, fields: &ExtFields) -> Result<Self, HeaderError> {
                match fields.get(key) {
                    Some(raw) => <$t as HeaderScalar>::parse(key, raw),
                    None => Err(HeaderError::Missing(key)),
                }
            }
            fn write(&self, key: &'static str, fields: &mut ExtFields) {
                fields.insert(key, HeaderScalar::render(self));
            }
        }
        impl HeaderField for Option<$t> {
            fn read(key: &'static str, fields: &ExtFields) -> Result<Self, HeaderError> {
                match fields.get(key) {
                    // Java clients send "null" for unset boxed fields in some paths.
                    Some(raw) if raw == "null" => Ok(None),
                    Some(raw) => <$t as HeaderScalar>::parse(key, raw).map(Some),
                    None => Ok(None),
                }
            }
            fn write(&self, key: &'static str, fields: &mut ExtFields) {
                if let Some(v) = self {
                    fields.insert(key, HeaderScalar::render(v));
                }
            }
        }
    )*};
}

field_impls!(String, i16, i32, i64, bool);

/// Declares a typed header and its [`CommandHeader`] impl.
///
/// ```ignore
/// command_header! {
///     /// GET_ROUTEINFO_BY_TOPIC (105).
///     pub struct GetRouteInfoRequestHeader {
///         topic: String = "topic",
///         accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly",
///     }
/// }
/// ```
#[macro_export]
macro_rules! command_header {
    ($(
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        $vis struct $name {
            $( $(#[$fmeta])* $vis $field: $ty, )*
        }

        impl $crate::headers::CommandHeader for $name {
            fn write_to(&self, fields: &mut $crate::ExtFields) {
                $( $crate::headers::HeaderField::write(&self.$field, $key, fields); )*
            }
            #[allow(unused_variables)]
            fn read_from(fields: &$crate::ExtFields) -> Result<Self, $crate::headers::HeaderError> {
                Ok(Self {
                    $( $field: $crate::headers::HeaderField::read($key, fields)?, )*
                })
            }
        }

        #[cfg(test)]
        impl $crate::headers::test_support::Random for $name {
            #[allow(unused_variables)]
            fn random(rng: &mut $crate::headers::test_support::Rng) -> Self {
                Self { $( $field: $crate::headers::test_support::Random::random(rng), )* }
            }
        }
    )*};
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Deterministic random header values for round-trip property tests.

    /// xorshift64*: small, seedable, good enough for test data.
    pub(crate) struct Rng(u64);

    impl Rng {
        pub(crate) fn new(seed: u64) -> Self {
            Rng(seed | 1)
        }
        pub(crate) fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    pub(crate) trait Random {
        fn random(rng: &mut Rng) -> Self;
    }

    impl Random for String {
        fn random(rng: &mut Rng) -> Self {
            const PALETTE: &[char] = &[
                'a', 'Z', '0', '9', '_', '-', '%', '@', ' ', '"', '\\', '/', '\u{1}', '\u{2}',
                '\n', 'é', '中', '😀', ':', ';', ',', '{', '}',
            ];
            let len = (rng.next() % 24) as usize;
            (0..len)
                .map(|_| PALETTE[(rng.next() % PALETTE.len() as u64) as usize])
                .collect()
        }
    }
    impl Random for i16 {
        fn random(rng: &mut Rng) -> Self {
            rng.next() as i16
        }
    }
    impl Random for i32 {
        fn random(rng: &mut Rng) -> Self {
            rng.next() as i32
        }
    }
    impl Random for i64 {
        fn random(rng: &mut Rng) -> Self {
            rng.next() as i64
        }
    }
    impl Random for bool {
        fn random(rng: &mut Rng) -> Self {
            rng.next() & 1 == 1
        }
    }
    impl<T: Random> Random for Option<T> {
        fn random(rng: &mut Rng) -> Self {
            if rng.next() % 3 == 0 {
                None
            } else {
                Some(T::random(rng))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    command_header! {
        /// A header for these tests.
        struct Sample {
            name: String = "name",
            count: i32 = "count",
            big: Option<i64> = "big",
            flag: Option<bool> = "flag",
        }
    }

    #[test]
    fn required_and_optional() {
        let mut f = ExtFields::new();
        f.insert("name", "x");
        assert_eq!(Sample::read_from(&f), Err(HeaderError::Missing("count")));
        f.insert("count", " 7 ");
        f.insert("flag", "1");
        let s = Sample::read_from(&f).unwrap();
        assert_eq!(s.count, 7);
        assert_eq!(s.big, None);
        assert_eq!(s.flag, Some(true));
        f.insert("count", "seven");
        let err = Sample::read_from(&f).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the custom field <count> has an invalid value `seven`: expected a 32-bit integer"
        );
    }

    #[test]
    fn lenient_numbers_and_bools() {
        assert_eq!(i32::parse("x", "5.0").unwrap(), 5);
        assert!(i32::parse("x", "5.5").is_err());
        assert!(i32::parse("x", "99999999999").is_err());
        assert!(bool::parse("x", "TRUE").unwrap());
        assert!(!bool::parse("x", "0").unwrap());
        assert!(!bool::parse("x", "yes").unwrap());
        assert_eq!(
            Option::<i64>::read("v", &[("v", "null")].into_iter().collect()).unwrap(),
            None
        );
    }
}

#[cfg(test)]
mod round_trip {
    //! Every header type survives header → ext fields → frame (JSON and binary) → header.

    use super::test_support::{Random, Rng};
    use super::*;
    use crate::command::{RemotingCommand, SerializeType};
    use crate::frame;
    use proptest::prelude::*;

    fn check<H: CommandHeader + Random + PartialEq + std::fmt::Debug>(seed: u64) {
        let mut rng = Rng::new(seed);
        let header = H::random(&mut rng);
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            let cmd = RemotingCommand::request_with(10, &header).with_serialize_type(ser);
            let mut wire = frame::encode(&cmd);
            let back = frame::decode(&mut wire, frame::DEFAULT_MAX_FRAME_LENGTH)
                .expect("decodes")
                .expect("complete");
            let decoded: H = back.decode_header().expect("header reads back");
            assert_eq!(decoded, header, "{ser:?}");
        }
    }

    macro_rules! all_headers {
        ($($t:ty),* $(,)?) => {
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]
                #[test]
                fn every_header_round_trips(seed in any::<u64>()) {
                    $( check::<$t>(seed); )*
                }
            }
        };
    }

    all_headers!(
        SendMessageRequestHeader,
        SendMessageRequestHeaderV2,
        SendMessageResponseHeader,
        ConsumerSendMsgBackRequestHeader,
        EndTransactionRequestHeader,
        CheckTransactionStateRequestHeader,
        RecallMessageRequestHeader,
        RecallMessageResponseHeader,
        PullMessageRequestHeader,
        PullMessageResponseHeader,
        QueryConsumerOffsetRequestHeader,
        OffsetResponseHeader,
        UpdateConsumerOffsetRequestHeader,
        GetMaxOffsetRequestHeader,
        TopicQueueRequestHeader,
        SearchOffsetRequestHeader,
        GetEarliestMsgStoretimeResponseHeader,
        ResetOffsetRequestHeader,
        QueryConsumeTimeSpanRequestHeader,
        CloneGroupOffsetRequestHeader,
        QueryConsumeQueueRequestHeader,
        RegisterBrokerRequestHeader,
        RegisterBrokerResponseHeader,
        UnregisterBrokerRequestHeader,
        GetRouteInfoRequestHeader,
        QueryDataVersionRequestHeader,
        QueryDataVersionResponseHeader,
        BrokerHeartbeatRequestHeader,
        PutKvConfigRequestHeader,
        KvConfigKeyRequestHeader,
        GetKvConfigResponseHeader,
        GetKvListByNamespaceRequestHeader,
        BrokerNameRequestHeader,
        WipeWritePermOfBrokerResponseHeader,
        AddWritePermOfBrokerResponseHeader,
        DeleteTopicFromNamesrvRequestHeader,
        TopicRequestHeader,
        GetTopicsByClusterRequestHeader,
        GetBrokerMemberGroupRequestHeader,
        UnregisterClientRequestHeader,
        ConsumerGroupRequestHeader,
        ProducerGroupRequestHeader,
        QueryMessageRequestHeader,
        QueryMessageResponseHeader,
        ViewMessageRequestHeader,
        GetConsumerRunningInfoRequestHeader,
        ConsumeMessageDirectlyResultRequestHeader,
        GetConsumerStatusRequestHeader,
        CreateTopicRequestHeader,
        GetAllTopicConfigRequestHeader,
        GetAllTopicConfigResponseHeader,
        GetBrokerConfigResponseHeader,
        GetConsumeStatsRequestHeader,
        DeleteSubscriptionGroupRequestHeader,
        GroupRequestHeader,
        QuerySubscriptionByConsumerRequestHeader,
        ViewBrokerStatsDataRequestHeader,
        GetConsumeStatsInBrokerHeader,
        ResumeCheckHalfMessageRequestHeader,
        GetAllSubscriptionGroupRequestHeader,
        UserRequestHeader,
        ListUsersRequestHeader,
        AclRequestHeader,
        DeleteAclRequestHeader,
        ListAclsRequestHeader,
        CreateAccessConfigRequestHeader,
        DeleteAccessConfigRequestHeader,
        UpdateGlobalWhiteAddrsConfigRequestHeader,
        GetBrokerAclConfigResponseHeader,
        PopMessageRequestHeader,
        PopMessageResponseHeader,
        AckMessageRequestHeader,
        ChangeInvisibleTimeRequestHeader,
        ChangeInvisibleTimeResponseHeader,
        NotificationRequestHeader,
        NotificationResponseHeader,
        PollingInfoRequestHeader,
        PollingInfoResponseHeader,
        PeekMessageRequestHeader,
    );

    #[test]
    fn v2_converts_both_ways() {
        for seed in 1..50 {
            let mut rng = Rng::new(seed);
            let v1 = SendMessageRequestHeader::random(&mut rng);
            assert_eq!(SendMessageRequestHeaderV2::from_v1(&v1).into_v1(), v1);
        }
    }
}
