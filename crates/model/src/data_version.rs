//! `DataVersion`: the version stamp of a broker's topic/offset/group tables. The NameServer
//! re-applies a broker's topics only when it changes.

use ferromq_protocol::time::now_ms as now_millis;
use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::lenient;

/// `{"counter":5,"stateVersion":0,"timestamp":1700000000000}`.
///
/// `Default` is all zeros (deterministic); [`DataVersion::new`] stamps the current time like
/// Java's constructor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    /// Bumped on every change.
    #[serde(deserialize_with = "lenient::int")]
    pub counter: i64,
    /// Epoch of the state machine that made the change (controller mode), else 0.
    #[serde(deserialize_with = "lenient::int")]
    pub state_version: i64,
    /// Milliseconds since the epoch of the last change.
    #[serde(deserialize_with = "lenient::int")]
    pub timestamp: i64,
}

impl DataVersion {
    /// A fresh version: counter 0, stamped now.
    pub fn new() -> Self {
        Self {
            counter: 0,
            state_version: 0,
            timestamp: now_millis(),
        }
    }

    /// Records a change: counter + 1, timestamp now, state version 0.
    pub fn next_version(&mut self) {
        self.next_version_with_state(0);
    }

    /// Records a change made under `state_version`.
    pub fn next_version_with_state(&mut self, state_version: i64) {
        self.timestamp = now_millis();
        self.state_version = state_version;
        self.counter = self.counter.wrapping_add(1);
    }
}

/// Java's `DataVersion.compare`: state version, then counter, then timestamp.
impl Ord for DataVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.state_version
            .cmp(&other.state_version)
            .then(self.counter.cmp(&other.counter))
            .then(self.timestamp.cmp(&other.timestamp))
    }
}

impl PartialOrd for DataVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    pub(crate) fn arb_data_version() -> impl Strategy<Value = DataVersion> {
        (any::<i64>(), any::<i64>(), any::<i64>()).prop_map(
            |(counter, state_version, timestamp)| DataVersion {
                counter,
                state_version,
                timestamp,
            },
        )
    }

    #[test]
    fn json_shape_matches_fastjson() {
        let v = DataVersion {
            counter: 5,
            state_version: 0,
            timestamp: 1_700_000_000_000,
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"counter":5,"stateVersion":0,"timestamp":1700000000000}"#
        );
        let partial: DataVersion = from_fastjson(r#"{"counter":"7","timestamp":1}"#).unwrap();
        assert_eq!(
            partial,
            DataVersion {
                counter: 7,
                state_version: 0,
                timestamp: 1
            }
        );
    }

    #[test]
    fn next_version_bumps_counter_and_time() {
        let mut v = DataVersion::default();
        v.next_version_with_state(3);
        assert_eq!((v.counter, v.state_version), (1, 3));
        assert!(v.timestamp > 1_600_000_000_000);
        let before = v;
        v.next_version();
        assert_eq!((v.counter, v.state_version), (2, 0));
        assert!(before.counter < v.counter);
    }

    #[test]
    fn ordering_is_state_then_counter_then_time() {
        let a = DataVersion {
            counter: 9,
            state_version: 0,
            timestamp: 9,
        };
        let b = DataVersion {
            counter: 1,
            state_version: 1,
            timestamp: 1,
        };
        let c = DataVersion {
            counter: 10,
            state_version: 0,
            timestamp: 0,
        };
        assert!(a < b);
        assert!(a < c);
        assert!(DataVersion { timestamp: 10, ..a } > a);
    }

    proptest! {
        #[test]
        fn round_trip(v in arb_data_version()) {
            let json = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(from_fastjson::<DataVersion>(&json).unwrap(), v);
        }
    }
}
