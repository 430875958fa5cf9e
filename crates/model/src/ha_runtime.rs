//! `GET_BROKER_HA_STATUS` (907) body: Java's `HARuntimeInfo` — a master's slaves and how far
//! each has acknowledged, or a slave's link to its master (what `mqadmin haStatus` prints).

use serde::{Deserialize, Serialize};

use crate::lenient;

/// A broker's replication state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HaRuntimeInfo {
    /// Whether the broker is a master (then `ha_connection_info` is filled, else
    /// `ha_client_runtime_info`).
    #[serde(deserialize_with = "lenient::boolean")]
    pub master: bool,
    /// The master's CommitLog end.
    #[serde(deserialize_with = "lenient::int")]
    pub master_commit_log_max_offset: i64,
    /// Slaves within `haMaxGapNotInSync` of the master.
    #[serde(deserialize_with = "lenient::int")]
    pub in_sync_slave_nums: i32,
    /// One entry per connected slave.
    #[serde(deserialize_with = "lenient::null_default")]
    pub ha_connection_info: Vec<HaConnectionRuntimeInfo>,
    /// A slave's link to its master.
    #[serde(deserialize_with = "lenient::null_default")]
    pub ha_client_runtime_info: HaClientRuntimeInfo,
}

/// One slave as its master sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HaConnectionRuntimeInfo {
    /// The slave's `ip:port`.
    #[serde(deserialize_with = "lenient::string")]
    pub addr: String,
    /// The slave's last reported CommitLog end.
    #[serde(deserialize_with = "lenient::int")]
    pub slave_ack_offset: i64,
    /// Master end minus slave acknowledgement.
    #[serde(deserialize_with = "lenient::int")]
    pub diff: i64,
    /// Within `haMaxGapNotInSync`.
    #[serde(deserialize_with = "lenient::boolean")]
    pub in_sync: bool,
    /// Bytes sent in the last second.
    #[serde(deserialize_with = "lenient::int")]
    pub transferred_byte_in_second: i64,
    /// Where the next transfer starts.
    #[serde(deserialize_with = "lenient::int")]
    pub transfer_from_where: i64,
}

/// A slave's link to its master.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HaClientRuntimeInfo {
    /// The master's HA address.
    #[serde(deserialize_with = "lenient::null_default")]
    pub master_addr: Option<String>,
    /// Bytes received in the last second.
    #[serde(deserialize_with = "lenient::int")]
    pub transferred_byte_in_second: i64,
    /// The slave's CommitLog end.
    #[serde(deserialize_with = "lenient::int")]
    pub max_offset: i64,
    /// When the slave last read from the master (ms since the epoch).
    #[serde(deserialize_with = "lenient::int")]
    pub last_read_timestamp: i64,
    /// When the slave last reported to the master.
    #[serde(deserialize_with = "lenient::int")]
    pub last_write_timestamp: i64,
    /// The master's flushed offset (classic HA does not carry it: 0).
    #[serde(deserialize_with = "lenient::int")]
    pub master_flush_offset: i64,
    /// Connected to the master (fastjson names Java's `isActivated()` getter `activated`).
    #[serde(deserialize_with = "lenient::boolean")]
    pub activated: bool,
}
