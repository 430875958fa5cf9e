//! Typed config values: how each Java field type is read from and written to properties text.
//!
//! Reading is lenient where Java (or a RocketMQ user) is: values are trimmed, booleans accept
//! `true/false` in any case and `1/0`, enums accept their Java names in any case. Unlike Java,
//! which silently keeps the default when a value does not parse, a bad value is an error.

use std::fmt;
use std::str::FromStr;

/// A type a config key can have.
pub trait ConfigValue: Sized {
    /// The Java type name, shown in key listings.
    const JAVA_TYPE: &'static str;

    /// Parses a raw (untrimmed) property value; the error says what was expected.
    fn parse_value(raw: &str) -> Result<Self, String>;

    /// The value as properties text; `None` when unset (a Java `null`, omitted from output).
    fn render(&self) -> Option<String>;
}

impl ConfigValue for String {
    const JAVA_TYPE: &'static str = "String";

    fn parse_value(raw: &str) -> Result<Self, String> {
        Ok(raw.trim().to_owned())
    }

    fn render(&self) -> Option<String> {
        Some(self.clone())
    }
}

/// A `String` whose Java default is `null`.
impl ConfigValue for Option<String> {
    const JAVA_TYPE: &'static str = "String";

    fn parse_value(raw: &str) -> Result<Self, String> {
        Ok(Some(raw.trim().to_owned()))
    }

    fn render(&self) -> Option<String> {
        self.clone()
    }
}

impl ConfigValue for bool {
    const JAVA_TYPE: &'static str = "boolean";

    fn parse_value(raw: &str) -> Result<Self, String> {
        let v = raw.trim();
        if v.eq_ignore_ascii_case("true") || v == "1" {
            Ok(true)
        } else if v.eq_ignore_ascii_case("false") || v == "0" {
            Ok(false)
        } else {
            Err("expected true or false (or 1 / 0)".to_owned())
        }
    }

    fn render(&self) -> Option<String> {
        Some(self.to_string())
    }
}

macro_rules! integer_value {
    ($ty:ty, $java:literal, $expected:literal) => {
        impl ConfigValue for $ty {
            const JAVA_TYPE: &'static str = $java;

            fn parse_value(raw: &str) -> Result<Self, String> {
                raw.trim().parse::<$ty>().map_err(|_| $expected.to_owned())
            }

            fn render(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    };
}

integer_value!(i32, "int", "expected a 32-bit integer");
integer_value!(i64, "long", "expected a 64-bit integer");
integer_value!(u16, "int", "expected a port number 0..65535");

impl ConfigValue for f64 {
    const JAVA_TYPE: &'static str = "double";

    fn parse_value(raw: &str) -> Result<Self, String> {
        raw.trim()
            .parse::<f64>()
            .map_err(|_| "expected a decimal number".to_owned())
    }

    /// Java's `Double.toString` shape for ordinary values: `1.0`, not `1`.
    fn render(&self) -> Option<String> {
        if self.is_finite() && self.fract() == 0.0 && self.abs() < 1e7 {
            Some(format!("{self:.1}"))
        } else {
            Some(self.to_string())
        }
    }
}

/// Declares a Java enum read and written by its constant names.
macro_rules! java_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[doc = $doc:literal])+ $variant:ident = $java:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl $name {
            /// Every constant, in Java declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The Java constant name, e.g. as written in broker.conf.
            pub const fn java_name(self) -> &'static str {
                match self {
                    $( $name::$variant => $java, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.java_name())
            }
        }

        impl FromStr for $name {
            type Err = String;

            /// Accepts the Java constant name in any case, surrounding blanks ignored.
            fn from_str(s: &str) -> Result<Self, String> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.java_name().eq_ignore_ascii_case(s))
                    .ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|v| v.java_name()).collect();
                        format!("expected one of {}", names.join(", "))
                    })
            }
        }

        impl ConfigValue for $name {
            const JAVA_TYPE: &'static str = stringify!($name);

            fn parse_value(raw: &str) -> Result<Self, String> {
                raw.parse()
            }

            fn render(&self) -> Option<String> {
                Some(self.java_name().to_owned())
            }
        }
    };
}

java_enum! {
    /// When a put is acknowledged relative to the CommitLog reaching the disk (`flushDiskType`).
    pub enum FlushDiskType {
        /// Acknowledge once in the page cache; a background task flushes (the default).
        AsyncFlush = "ASYNC_FLUSH",
        /// Acknowledge after a group-commit flush (`syncFlushTimeout` bounds the wait).
        SyncFlush = "SYNC_FLUSH",
    }
}

java_enum! {
    /// The replication role of a broker in a master/slave group (`brokerRole`).
    pub enum BrokerRole {
        /// Master that replicates asynchronously (the default).
        AsyncMaster = "ASYNC_MASTER",
        /// Master that waits for `inSyncReplicas` acknowledgements.
        SyncMaster = "SYNC_MASTER",
        /// Replica of the master with the same brokerName.
        Slave = "SLAVE",
    }
}

impl BrokerRole {
    /// Whether this role accepts writes.
    pub const fn is_master(self) -> bool {
        !matches!(self, BrokerRole::Slave)
    }
}

/// `messageDelayLevel`: the delay of each level, e.g. `"1s 5s 10s 30s 1m … 2h"`.
///
/// Units `s`, `m`, `h`, `d` (any case); entries are separated by blanks. Level `n` (1-based) is
/// the n-th entry. Keeps the text as written, so it is printed back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayLevels {
    text: String,
    levels_ms: Vec<u64>,
}

impl DelayLevels {
    /// RocketMQ's default: 18 levels from 1 s to 2 h.
    pub const JAVA_DEFAULT: &'static str =
        "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

    /// The text as configured.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Delay of each level in milliseconds; index 0 is level 1.
    pub fn levels_ms(&self) -> &[u64] {
        &self.levels_ms
    }

    /// Delay of a 1-based level; levels above the highest are clamped to it (as the broker
    /// does), level 0 or below is `None` (no delay).
    pub fn delay_ms(&self, level: i32) -> Option<u64> {
        let level = usize::try_from(level).ok().filter(|l| *l > 0)?;
        let idx = level.min(self.levels_ms.len()) - 1;
        self.levels_ms.get(idx).copied()
    }
}

impl Default for DelayLevels {
    fn default() -> Self {
        Self::from_str(Self::JAVA_DEFAULT).unwrap_or_else(|_| DelayLevels {
            text: Self::JAVA_DEFAULT.to_owned(),
            levels_ms: Vec::new(),
        })
    }
}

impl FromStr for DelayLevels {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim();
        let mut levels_ms = Vec::new();
        for entry in text.split_whitespace() {
            let bad = || format!("bad delay {entry:?}: expected a number followed by s, m, h or d");
            let unit = entry.chars().last().ok_or_else(bad)?;
            let factor: u64 = match unit.to_ascii_lowercase() {
                's' => 1_000,
                'm' => 60_000,
                'h' => 3_600_000,
                'd' => 86_400_000,
                _ => return Err(bad()),
            };
            let number: u64 = entry[..entry.len() - unit.len_utf8()]
                .parse()
                .map_err(|_| bad())?;
            levels_ms.push(number.checked_mul(factor).ok_or_else(bad)?);
        }
        if levels_ms.is_empty() {
            return Err("expected at least one delay level, e.g. \"1s 5s 10s\"".to_owned());
        }
        Ok(DelayLevels {
            text: text.to_owned(),
            levels_ms,
        })
    }
}

impl ConfigValue for DelayLevels {
    const JAVA_TYPE: &'static str = "String";

    fn parse_value(raw: &str) -> Result<Self, String> {
        raw.parse()
    }

    fn render(&self) -> Option<String> {
        Some(self.text.clone())
    }
}

/// `deleteWhen`: the hour(s) of day at which expired files are deleted, `"04"` or `"04;05"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteWhen {
    text: String,
    hours: Vec<u8>,
}

impl DeleteWhen {
    /// The text as configured.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The hours (0–23), in the order written.
    pub fn hours(&self) -> &[u8] {
        &self.hours
    }
}

impl Default for DeleteWhen {
    fn default() -> Self {
        DeleteWhen {
            text: "04".to_owned(),
            hours: vec![4],
        }
    }
}

impl FromStr for DeleteWhen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim();
        let hours = text
            .split(';')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| h.parse::<u8>().ok().filter(|h| *h < 24))
            .collect::<Option<Vec<u8>>>()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| "expected hours of day 0-23 separated by ';', e.g. \"04\"".to_owned())?;
        Ok(DeleteWhen {
            text: text.to_owned(),
            hours,
        })
    }
}

impl ConfigValue for DeleteWhen {
    const JAVA_TYPE: &'static str = "String";

    fn parse_value(raw: &str) -> Result<Self, String> {
        raw.parse()
    }

    fn render(&self) -> Option<String> {
        Some(self.text.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_lenient_but_not_sloppy() {
        for (raw, want) in [
            ("true", true),
            (" TRUE ", true),
            ("True", true),
            ("1", true),
            ("false", false),
            ("FaLsE\t", false),
            ("0", false),
        ] {
            assert_eq!(bool::parse_value(raw), Ok(want), "{raw:?}");
        }
        for raw in ["yes", "", "2", "tru"] {
            assert!(bool::parse_value(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn integers_trim_and_check_range() {
        assert_eq!(i32::parse_value(" 10911 "), Ok(10911));
        assert_eq!(i32::parse_value("-1"), Ok(-1));
        assert!(i32::parse_value("2147483648").is_err());
        assert_eq!(i64::parse_value("2147483648"), Ok(2_147_483_648));
        assert!(i64::parse_value("1k").is_err());
        assert!(u16::parse_value("65536").is_err());
        assert!(u16::parse_value("-1").is_err());
    }

    #[test]
    fn doubles_render_like_java() {
        assert_eq!(0.8f64.render().as_deref(), Some("0.8"));
        assert_eq!(1.0f64.render().as_deref(), Some("1.0"));
        assert_eq!(f64::parse_value(" 0.75 "), Ok(0.75));
    }

    #[test]
    fn enums_by_java_name_any_case() {
        assert_eq!("ASYNC_FLUSH".parse(), Ok(FlushDiskType::AsyncFlush));
        assert_eq!(" sync_flush ".parse(), Ok(FlushDiskType::SyncFlush));
        assert_eq!("Sync_Master".parse(), Ok(BrokerRole::SyncMaster));
        assert_eq!("slave".parse(), Ok(BrokerRole::Slave));
        let err = "MASTER".parse::<BrokerRole>().unwrap_err();
        assert!(err.contains("ASYNC_MASTER, SYNC_MASTER, SLAVE"), "{err}");
        assert_eq!(
            BrokerRole::SyncMaster.render().as_deref(),
            Some("SYNC_MASTER")
        );
        assert!(BrokerRole::SyncMaster.is_master() && !BrokerRole::Slave.is_master());
    }

    #[test]
    fn default_delay_levels_are_rocketmqs_18() {
        let d = DelayLevels::default();
        let secs: Vec<u64> = d.levels_ms().iter().map(|ms| ms / 1000).collect();
        assert_eq!(
            secs,
            vec![
                1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600,
                7200
            ]
        );
        assert_eq!(d.delay_ms(3), Some(10_000));
        assert_eq!(d.delay_ms(99), Some(7_200_000));
        assert_eq!(d.delay_ms(0), None);
        assert_eq!(d.delay_ms(-1), None);
    }

    #[test]
    fn delay_levels_units_and_errors() {
        let d: DelayLevels = " 500s  1d 2H ".parse().unwrap();
        assert_eq!(d.levels_ms(), &[500_000, 86_400_000, 7_200_000]);
        assert_eq!(d.as_str(), "500s  1d 2H");
        for bad in ["", "1x", "s", "-1s", "1.5m", "99999999999999999999s"] {
            assert!(bad.parse::<DelayLevels>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn delete_when_hours() {
        assert_eq!("04".parse::<DeleteWhen>().unwrap().hours(), &[4]);
        assert_eq!(
            " 04; 5 ;23;".parse::<DeleteWhen>().unwrap().hours(),
            &[4, 5, 23]
        );
        for bad in ["", ";", "24", "4am", "-1"] {
            assert!(bad.parse::<DeleteWhen>().is_err(), "{bad:?}");
        }
    }
}
