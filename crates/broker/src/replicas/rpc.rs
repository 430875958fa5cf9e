//! The broker's requests to its controllers (Java's `BrokerOuterAPI` controller calls): who
//! leads, the identity handshake (1012/1013), registration (1003), elections (1002), replica
//! info (1004), SyncStateSet changes (1001) and heartbeats (904, to every controller).

use std::collections::BTreeSet;
use std::time::Duration;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{ElectMasterResponseBody, SyncStateSet};
use ferromq_protocol::headers::{
    AlterSyncStateSetRequestHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdRequestHeader,
    BrokerHeartbeatRequestHeader, ElectMasterRequestHeader, ElectMasterResponseHeader,
    GetMetaDataResponseHeader, GetNextBrokerIdRequestHeader, GetNextBrokerIdResponseHeader,
    GetReplicaInfoRequestHeader, GetReplicaInfoResponseHeader,
    RegisterBrokerToControllerRequestHeader, RegisterBrokerToControllerResponseHeader,
};
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::RemotingClient;

const TIMEOUT: Duration = Duration::from_secs(3);

/// Why a controller request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RpcError {
    #[error("controller {addr} unreachable: {why}")]
    Unreachable { addr: String, why: String },
    #[error("controller answered {code}: {remark}")]
    Refused { code: i32, remark: String },
    #[error("unreadable controller answer: {0}")]
    Unreadable(String),
}

impl RpcError {
    /// The answer's code, if the controller answered.
    pub(crate) fn code(&self) -> Option<i32> {
        match self {
            RpcError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The master of a broker set as a controller reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MasterInfo {
    /// `None` when the set has no (live) master.
    pub(crate) master_id: Option<i64>,
    pub(crate) master_addr: Option<String>,
    pub(crate) master_epoch: i32,
    pub(crate) sync_state_set_epoch: i32,
    pub(crate) sync_state_set: BTreeSet<i64>,
}

impl MasterInfo {
    fn known(&self) -> Option<i64> {
        self.master_id
            .filter(|_| self.master_addr.as_deref().is_some_and(|a| !a.is_empty()))
    }

    /// The master's id, if one is known with an address.
    pub(crate) fn master(&self) -> Option<i64> {
        self.known()
    }
}

/// Who this broker is, as it introduces itself to controllers.
#[derive(Debug, Clone)]
pub(crate) struct Me {
    pub(crate) cluster: String,
    pub(crate) name: String,
    pub(crate) addr: String,
}

async fn call(
    client: &RemotingClient,
    addr: &str,
    req: RemotingCommand,
) -> Result<RemotingCommand, RpcError> {
    client
        .invoke_sync(addr, req, TIMEOUT)
        .await
        .map_err(|e| RpcError::Unreachable {
            addr: addr.to_string(),
            why: e.to_string(),
        })
}

fn ok(r: RemotingCommand, also: &[i32]) -> Result<RemotingCommand, RpcError> {
    if r.code == response_code::SUCCESS || also.contains(&r.code) {
        Ok(r)
    } else {
        Err(RpcError::Refused {
            code: r.code,
            remark: r.remark.clone().unwrap_or_default(),
        })
    }
}

fn header<H: ferromq_protocol::headers::CommandHeader>(r: &RemotingCommand) -> Result<H, RpcError> {
    r.decode_header::<H>()
        .map_err(|e| RpcError::Unreadable(e.to_string()))
}

fn body<T: serde::de::DeserializeOwned + Default>(r: &RemotingCommand) -> Result<T, RpcError> {
    let b = r.body.to_bytes();
    if b.is_empty() {
        return Ok(T::default());
    }
    from_fastjson_slice(&b).map_err(|e| RpcError::Unreadable(e.to_string()))
}

/// CONTROLLER_GET_METADATA_INFO (1005): the leader's address as `addr` knows it.
pub(crate) async fn leader_of(
    client: &RemotingClient,
    addr: &str,
) -> Result<Option<String>, RpcError> {
    let req = RemotingCommand::request(rc::CONTROLLER_GET_METADATA_INFO);
    let r = ok(call(client, addr, req).await?, &[])?;
    let h: GetMetaDataResponseHeader = header(&r)?;
    Ok(h.controller_leader_address.filter(|a| !a.is_empty()))
}

/// CONTROLLER_GET_NEXT_BROKER_ID (1012).
pub(crate) async fn next_broker_id(
    client: &RemotingClient,
    leader: &str,
    me: &Me,
) -> Result<i64, RpcError> {
    let h = GetNextBrokerIdRequestHeader {
        cluster_name: Some(me.cluster.clone()),
        broker_name: me.name.clone(),
    };
    let req = RemotingCommand::request_with(rc::CONTROLLER_GET_NEXT_BROKER_ID, &h);
    let r = ok(call(client, leader, req).await?, &[])?;
    let h: GetNextBrokerIdResponseHeader = header(&r)?;
    h.next_broker_id
        .ok_or_else(|| RpcError::Unreadable("no nextBrokerId".into()))
}

/// CONTROLLER_APPLY_BROKER_ID (1013).
pub(crate) async fn apply_broker_id(
    client: &RemotingClient,
    leader: &str,
    me: &Me,
    id: i64,
    check_code: &str,
) -> Result<(), RpcError> {
    let h = ApplyBrokerIdRequestHeader {
        cluster_name: Some(me.cluster.clone()),
        broker_name: me.name.clone(),
        applied_broker_id: id,
        register_check_code: check_code.to_string(),
    };
    let req = RemotingCommand::request_with(rc::CONTROLLER_APPLY_BROKER_ID, &h);
    ok(call(client, leader, req).await?, &[]).map(|_| ())
}

/// CONTROLLER_REGISTER_BROKER (1003): the set's master, if it has a live one.
pub(crate) async fn register(
    client: &RemotingClient,
    leader: &str,
    me: &Me,
    id: i64,
) -> Result<MasterInfo, RpcError> {
    let h = RegisterBrokerToControllerRequestHeader {
        cluster_name: Some(me.cluster.clone()),
        broker_name: me.name.clone(),
        broker_id: Some(id),
        broker_address: Some(me.addr.clone()),
        invoke_time: Some(ferromq_protocol::time::now_ms()),
    };
    let req = RemotingCommand::request_with(rc::CONTROLLER_REGISTER_BROKER, &h);
    let r = ok(call(client, leader, req).await?, &[])?;
    let h: RegisterBrokerToControllerResponseHeader = header(&r)?;
    let set: SyncStateSet = body(&r)?;
    Ok(MasterInfo {
        master_id: h.master_broker_id,
        master_addr: h.master_address,
        master_epoch: h.master_epoch.unwrap_or(0),
        sync_state_set_epoch: h.sync_state_set_epoch.unwrap_or(set.sync_state_set_epoch),
        sync_state_set: set.sync_state_set,
    })
}

/// CONTROLLER_ELECT_MASTER (1002) as a broker asks it (its own id); "master still exists"
/// (2011) answers like a success.
pub(crate) async fn elect(
    client: &RemotingClient,
    leader: &str,
    me: &Me,
    id: i64,
) -> Result<MasterInfo, RpcError> {
    let h = ElectMasterRequestHeader {
        cluster_name: Some(me.cluster.clone()),
        broker_name: me.name.clone(),
        broker_id: Some(id),
        designate_elect: Some(false),
        invoke_time: Some(ferromq_protocol::time::now_ms()),
    };
    let req = RemotingCommand::request_with(rc::CONTROLLER_ELECT_MASTER, &h);
    let r = ok(
        call(client, leader, req).await?,
        &[response_code::CONTROLLER_MASTER_STILL_EXIST],
    )?;
    let h: ElectMasterResponseHeader = header(&r)?;
    let b: ElectMasterResponseBody = body(&r)?;
    Ok(MasterInfo {
        master_id: h.master_broker_id,
        master_addr: h.master_address,
        master_epoch: h.master_epoch.unwrap_or(0),
        sync_state_set_epoch: h.sync_state_set_epoch.unwrap_or(0),
        sync_state_set: b.sync_state_set,
    })
}

/// CONTROLLER_GET_REPLICA_INFO (1004).
pub(crate) async fn replica_info(
    client: &RemotingClient,
    leader: &str,
    me: &Me,
) -> Result<MasterInfo, RpcError> {
    let h = GetReplicaInfoRequestHeader {
        broker_name: me.name.clone(),
    };
    let req = RemotingCommand::request_with(rc::CONTROLLER_GET_REPLICA_INFO, &h);
    let r = ok(call(client, leader, req).await?, &[])?;
    let h: GetReplicaInfoResponseHeader = header(&r)?;
    let set: SyncStateSet = body(&r)?;
    Ok(MasterInfo {
        master_id: h.master_broker_id,
        master_addr: h.master_address,
        master_epoch: h.master_epoch.unwrap_or(0),
        sync_state_set_epoch: set.sync_state_set_epoch,
        sync_state_set: set.sync_state_set,
    })
}

/// CONTROLLER_ALTER_SYNC_STATE_SET (1001): proposes `set` (the master's view) against the
/// controller's epoch `ss_epoch`; returns the new epoch.
pub(crate) async fn alter_sync_state_set(
    client: &RemotingClient,
    leader: &str,
    me: &Me,
    master: (i64, i32),
    set: &BTreeSet<i64>,
    ss_epoch: i32,
) -> Result<i32, RpcError> {
    let h = AlterSyncStateSetRequestHeader {
        broker_name: me.name.clone(),
        master_broker_id: Some(master.0),
        master_epoch: Some(master.1),
        invoke_time: Some(ferromq_protocol::time::now_ms()),
    };
    let b = serde_json::to_vec(&SyncStateSet {
        sync_state_set: set.clone(),
        sync_state_set_epoch: ss_epoch,
    })
    .map_err(|e| RpcError::Unreadable(e.to_string()))?;
    let req = RemotingCommand::request_with(rc::CONTROLLER_ALTER_SYNC_STATE_SET, &h).with_body(b);
    let r = ok(call(client, leader, req).await?, &[])?;
    let h: AlterSyncStateSetResponseHeader = header(&r)?;
    Ok(h.new_sync_state_set_epoch)
}

/// What a heartbeat tells the controllers.
#[derive(Debug, Clone)]
pub(crate) struct Beat {
    pub(crate) id: i64,
    pub(crate) epoch: i32,
    pub(crate) max_offset: i64,
    pub(crate) confirm_offset: i64,
    pub(crate) timeout_ms: i64,
    pub(crate) priority: i32,
}

/// BROKER_HEARTBEAT (904), oneway, to `addr`.
pub(crate) async fn heartbeat(
    client: &RemotingClient,
    addr: &str,
    me: &Me,
    beat: &Beat,
    timeout: Duration,
) -> Result<(), RpcError> {
    let h = BrokerHeartbeatRequestHeader {
        cluster_name: me.cluster.clone(),
        broker_addr: me.addr.clone(),
        broker_name: me.name.clone(),
        broker_id: Some(beat.id),
        epoch: Some(beat.epoch),
        max_offset: Some(beat.max_offset),
        confirm_offset: Some(beat.confirm_offset),
        heartbeat_timeout_mills: Some(beat.timeout_ms),
        election_priority: Some(beat.priority),
    };
    let req = RemotingCommand::request_with(rc::BROKER_HEARTBEAT, &h);
    let sent = tokio::time::timeout(timeout, client.invoke_oneway(addr, req)).await;
    match sent {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(RpcError::Unreachable {
            addr: addr.to_string(),
            why: e.to_string(),
        }),
        Err(_) => Err(RpcError::Unreachable {
            addr: addr.to_string(),
            why: "timed out".into(),
        }),
    }
}
