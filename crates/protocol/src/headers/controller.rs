//! Controller-mode headers (RIP-44): what brokers and mqadmin send to the controller
//! (1001–1013; the heartbeat, 904, is `BrokerHeartbeatRequestHeader` with the NameServer's) and what the controller sends to brokers (1008). extField names are
//! Java's field names (`isLeader`, `heartbeatTimeoutMills`, `isCleanLivingBroker`).

use crate::command_header;

command_header! {
    /// CONTROLLER_ALTER_SYNC_STATE_SET (1001); the body is the proposed `SyncStateSet`.
    pub struct AlterSyncStateSetRequestHeader {
        broker_name: String = "brokerName",
        master_broker_id: Option<i64> = "masterBrokerId",
        master_epoch: Option<i32> = "masterEpoch",
        invoke_time: Option<i64> = "invokeTime",
    }

    /// The answer to 1001.
    pub struct AlterSyncStateSetResponseHeader {
        new_sync_state_set_epoch: i32 = "newSyncStateSetEpoch",
    }

    /// CONTROLLER_ELECT_MASTER (1002): a broker asking (its own id), mqadmin designating
    /// one (`designateElect`), or the controller itself (id -1).
    pub struct ElectMasterRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: String = "brokerName",
        broker_id: Option<i64> = "brokerId",
        designate_elect: Option<bool> = "designateElect",
        invoke_time: Option<i64> = "invokeTime",
    }

    /// The answer to 1002 (and the master part of 1003/1004 answers).
    pub struct ElectMasterResponseHeader {
        master_broker_id: Option<i64> = "masterBrokerId",
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
        sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
    }

    /// CONTROLLER_REGISTER_BROKER (1003).
    pub struct RegisterBrokerToControllerRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: String = "brokerName",
        broker_id: Option<i64> = "brokerId",
        broker_address: Option<String> = "brokerAddress",
        invoke_time: Option<i64> = "invokeTime",
    }

    /// The answer to 1003; the master fields only while a live master exists.
    pub struct RegisterBrokerToControllerResponseHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
        master_broker_id: Option<i64> = "masterBrokerId",
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
        sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
    }

    /// CONTROLLER_GET_REPLICA_INFO (1004).
    pub struct GetReplicaInfoRequestHeader {
        broker_name: String = "brokerName",
    }

    /// The answer to 1004.
    pub struct GetReplicaInfoResponseHeader {
        master_broker_id: Option<i64> = "masterBrokerId",
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
    }

    /// The answer to CONTROLLER_GET_METADATA_INFO (1005).
    pub struct GetMetaDataResponseHeader {
        group: Option<String> = "group",
        controller_leader_id: Option<String> = "controllerLeaderId",
        controller_leader_address: Option<String> = "controllerLeaderAddress",
        is_leader: bool = "isLeader",
        peers: Option<String> = "peers",
    }

    /// NOTIFY_BROKER_ROLE_CHANGED (1008), controller → broker; the body is the `SyncStateSet`.
    pub struct NotifyBrokerRoleChangedRequestHeader {
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
        sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
        master_broker_id: Option<i64> = "masterBrokerId",
    }

    /// CLEAN_BROKER_DATA (1011).
    pub struct CleanControllerBrokerDataRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: String = "brokerName",
        broker_controller_ids_to_clean: Option<String> = "brokerControllerIdsToClean",
        is_clean_living_broker: Option<bool> = "isCleanLivingBroker",
        invoke_time: Option<i64> = "invokeTime",
    }

    /// CONTROLLER_GET_NEXT_BROKER_ID (1012).
    pub struct GetNextBrokerIdRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: String = "brokerName",
    }

    /// The answer to 1012.
    pub struct GetNextBrokerIdResponseHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
        next_broker_id: Option<i64> = "nextBrokerId",
    }

    /// CONTROLLER_APPLY_BROKER_ID (1013).
    pub struct ApplyBrokerIdRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: String = "brokerName",
        applied_broker_id: i64 = "appliedBrokerId",
        register_check_code: String = "registerCheckCode",
    }

    /// The answer to 1013.
    pub struct ApplyBrokerIdResponseHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
    }
}
