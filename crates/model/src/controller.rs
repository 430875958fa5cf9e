//! Controller-mode bodies (RIP-44): the SyncStateSet, the election answer, the replicas of
//! broker sets (what `mqadmin getSyncStateSet` prints) and a broker's epoch cache.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::cluster::BrokerMemberGroup;
use crate::lenient;

/// `{"syncStateSet":[1,2],"syncStateSetEpoch":3}`: the replicas in sync with the master
/// (controller ids, the master included) and the set's epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncStateSet {
    /// Controller ids of the in-sync replicas.
    #[serde(deserialize_with = "lenient::null_default")]
    pub sync_state_set: BTreeSet<i64>,
    /// Epoch of the set.
    #[serde(deserialize_with = "lenient::int")]
    pub sync_state_set_epoch: i32,
}

/// The body of a successful CONTROLLER_ELECT_MASTER: every member of the set and the new
/// SyncStateSet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ElectMasterResponseBody {
    /// The set's members (id → address), absent when the master did not change.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub broker_member_group: Option<BrokerMemberGroup>,
    /// The SyncStateSet after the election.
    #[serde(deserialize_with = "lenient::null_default")]
    pub sync_state_set: BTreeSet<i64>,
}

/// One replica as `getSyncStateSet` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicaIdentity {
    /// `brokerName`.
    #[serde(deserialize_with = "lenient::string")]
    pub broker_name: String,
    /// Controller id.
    #[serde(deserialize_with = "lenient::int")]
    pub broker_id: i64,
    /// `ip:port`.
    #[serde(deserialize_with = "lenient::string")]
    pub broker_address: String,
    /// Heart-beating to the controller.
    #[serde(deserialize_with = "lenient::boolean")]
    pub alive: bool,
}

impl std::fmt::Display for ReplicaIdentity {
    /// Java's `toString`, which mqadmin prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ReplicaIdentity{{brokerName='{}', brokerId={}, brokerAddress='{}', alive={}}}",
            self.broker_name, self.broker_id, self.broker_address, self.alive
        )
    }
}

/// One broker set's replicas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicasInfo {
    /// The master's controller id, if any.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub master_broker_id: Option<i64>,
    /// The master's address.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub master_address: Option<String>,
    /// Master epoch.
    #[serde(deserialize_with = "lenient::int")]
    pub master_epoch: i32,
    /// SyncStateSet epoch.
    #[serde(deserialize_with = "lenient::int")]
    pub sync_state_set_epoch: i32,
    /// Members of the SyncStateSet.
    #[serde(deserialize_with = "lenient::null_default")]
    pub in_sync_replicas: Vec<ReplicaIdentity>,
    /// The other members.
    #[serde(deserialize_with = "lenient::null_default")]
    pub not_in_sync_replicas: Vec<ReplicaIdentity>,
}

/// CONTROLLER_GET_SYNC_STATE_DATA (1006) answer: `{"replicasInfoTable":{name:{…}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerReplicasInfo {
    /// Broker set name → replicas.
    #[serde(deserialize_with = "lenient::null_default")]
    pub replicas_info_table: BTreeMap<String, ReplicasInfo>,
}

/// One epoch of a broker's log: messages from `start_offset` (to `end_offset`) were written
/// under master epoch `epoch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EpochEntry {
    /// Master epoch.
    #[serde(deserialize_with = "lenient::int")]
    pub epoch: i32,
    /// First CommitLog offset of the epoch.
    #[serde(deserialize_with = "lenient::int")]
    pub start_offset: i64,
    /// Offset past the epoch (`Long.MAX_VALUE` for the current one).
    #[serde(deserialize_with = "lenient::int")]
    pub end_offset: i64,
}

/// GET_BROKER_EPOCH_CACHE (1007) answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EpochEntryCache {
    /// `brokerClusterName`.
    #[serde(deserialize_with = "lenient::string")]
    pub cluster_name: String,
    /// `brokerName`.
    #[serde(deserialize_with = "lenient::string")]
    pub broker_name: String,
    /// 0 on the master, the controller id on slaves.
    #[serde(deserialize_with = "lenient::int")]
    pub broker_id: i64,
    /// The epochs, oldest first.
    #[serde(deserialize_with = "lenient::null_default")]
    pub epoch_list: Vec<EpochEntry>,
    /// The CommitLog end.
    #[serde(deserialize_with = "lenient::int")]
    pub max_offset: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;

    #[test]
    fn java_bodies_with_bare_numeric_keys_parse() {
        let java = r#"{"brokerMemberGroup":{"brokerAddrs":{1:"10.0.0.1:30911",2:"10.0.0.2:30911"},"brokerName":"b","cluster":"c"},"syncStateSet":[2]}"#;
        let body: ElectMasterResponseBody = from_fastjson(java).unwrap();
        let group = body.broker_member_group.unwrap();
        assert_eq!(group.broker_addrs[&2], "10.0.0.2:30911");
        assert_eq!(body.sync_state_set, [2].into());
        let set: SyncStateSet =
            from_fastjson(r#"{"syncStateSet":[1,2],"syncStateSetEpoch":3}"#).unwrap();
        assert_eq!(set.sync_state_set_epoch, 3);
        let r = ReplicaIdentity {
            broker_name: "b".into(),
            broker_id: 1,
            broker_address: "a:1".into(),
            alive: true,
        };
        assert_eq!(
            r.to_string(),
            "ReplicaIdentity{brokerName='b', brokerId=1, brokerAddress='a:1', alive=true}"
        );
    }
}
