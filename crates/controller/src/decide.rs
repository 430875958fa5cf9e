//! What the leader decides for each broker-facing request: a response and the events to
//! replicate before sending it (Java's `ReplicasInfoManager` operations and
//! `DefaultElectPolicy`), as pure functions of the applied state and the liveness table.

use std::collections::BTreeSet;

use ferromq_model::{
    BrokerMemberGroup, BrokerReplicasInfo, ElectMasterResponseBody, ReplicaIdentity, ReplicasInfo,
    SyncStateSet,
};
use ferromq_protocol::headers::{
    AlterSyncStateSetRequestHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdRequestHeader,
    ApplyBrokerIdResponseHeader, CleanControllerBrokerDataRequestHeader, ElectMasterRequestHeader,
    ElectMasterResponseHeader, GetNextBrokerIdRequestHeader, GetNextBrokerIdResponseHeader,
    GetReplicaInfoRequestHeader, GetReplicaInfoResponseHeader,
    RegisterBrokerToControllerRequestHeader, RegisterBrokerToControllerResponseHeader,
};
use ferromq_protocol::{response_code as code, RemotingCommand};

use crate::liveness::LiveTable;
use crate::state::{BrokerId, BrokerSet, ControllerState, Event};

/// A response and the events that must be committed before it is sent.
#[derive(Debug)]
pub struct Decision {
    pub response: RemotingCommand,
    pub events: Vec<Event>,
}

impl Decision {
    fn reply(response: RemotingCommand) -> Self {
        Decision {
            response,
            events: Vec::new(),
        }
    }

    fn fail(c: i32, remark: impl Into<String>) -> Self {
        Self::reply(RemotingCommand::error(c, remark))
    }
}

/// What decisions read: the applied state, who is alive, and when.
pub struct View<'a> {
    pub state: &'a ControllerState,
    pub live: &'a LiveTable,
    pub now_ms: i64,
    /// `enableElectUncleanMaster`: elect outside the SyncStateSet when nobody in it can.
    pub elect_unclean: bool,
}

fn json(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// Broker sets one controller group keeps (each a few hundred bytes; a cluster has tens).
pub const MAX_BROKER_SETS: usize = 10_000;
/// Members of one broker set.
pub const MAX_SET_MEMBERS: usize = 64;
/// Longest `registerCheckCode` (`address;millis` in Java).
pub const MAX_CHECK_CODE_LEN: usize = 512;

fn bad_name(name: &str) -> Option<Decision> {
    (!ferromq_model::validate::is_valid_broker_name(name)).then(|| {
        Decision::fail(
            code::CONTROLLER_INVALID_REQUEST,
            format!(
                "invalid broker name {:?}: 1-255 of [%|a-zA-Z0-9_.-]",
                name.chars().take(64).collect::<String>()
            ),
        )
    })
}

fn id_of(v: Option<i64>) -> Option<BrokerId> {
    v.and_then(|i| u64::try_from(i).ok())
}

impl View<'_> {
    fn alive(&self, set: &BrokerSet, id: BrokerId) -> bool {
        self.live.is_alive(set.broker_name(), id, self.now_ms)
    }

    fn sync_state_body(set: &BrokerSet) -> Vec<u8> {
        json(&SyncStateSet {
            sync_state_set: set.sync_state_set().iter().map(|i| *i as i64).collect(),
            sync_state_set_epoch: set.sync_state_set_epoch(),
        })
    }

    /// CONTROLLER_ALTER_SYNC_STATE_SET (1001), checks in Java's order.
    pub fn alter_sync_state_set(
        &self,
        h: &AlterSyncStateSetRequestHeader,
        proposed: &SyncStateSet,
    ) -> Decision {
        let failed = |c: i32, remark: String| {
            Decision::reply(RemotingCommand::error(c, remark).with_header(
                &AlterSyncStateSetResponseHeader {
                    new_sync_state_set_epoch: 0,
                },
            ))
        };
        let Some(set) = self.state.set(&h.broker_name) else {
            return failed(
                code::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
                "Broker metadata is not existed".into(),
            );
        };
        let new: BTreeSet<BrokerId> = proposed
            .sync_state_set
            .iter()
            .filter_map(|i| u64::try_from(*i).ok())
            .collect();
        if &new == set.sync_state_set() {
            return failed(
                code::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
                "The newSyncStateSet is equal with oldSyncStateSet, no needed to update syncStateSet".into(),
            );
        }
        if set.master().is_none() || set.master() != id_of(h.master_broker_id) {
            return failed(
                code::CONTROLLER_INVALID_MASTER,
                format!(
                    "Rejecting alter syncStateSet request because the current leader is:{:?}, not {:?}",
                    set.master(),
                    h.master_broker_id
                ),
            );
        }
        if h.master_epoch != Some(set.master_epoch()) {
            return failed(
                code::CONTROLLER_FENCED_MASTER_EPOCH,
                format!(
                    "Rejecting alter syncStateSet request because the current master epoch is:{}, not {:?}",
                    set.master_epoch(),
                    h.master_epoch
                ),
            );
        }
        if proposed.sync_state_set_epoch != set.sync_state_set_epoch() {
            return failed(
                code::CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
                format!(
                    "Rejecting alter syncStateSet request because the current syncStateSet epoch is:{}, not {}",
                    set.sync_state_set_epoch(),
                    proposed.sync_state_set_epoch
                ),
            );
        }
        for id in &new {
            if !set.has(*id) {
                return failed(
                    code::CONTROLLER_INVALID_REPLICAS,
                    format!("Rejecting alter syncStateSet request because the replicas {id} don't exist"),
                );
            }
            if !self.alive(set, *id) {
                return failed(
                    code::CONTROLLER_BROKER_NOT_ALIVE,
                    format!("Rejecting alter syncStateSet request because the replicas {id} don't alive"),
                );
            }
        }
        if !set.master().is_some_and(|m| new.contains(&m)) {
            return failed(
                code::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
                "Rejecting alter syncStateSet request because the newSyncStateSet don't contains origin leader".into(),
            );
        }
        let epoch = set.sync_state_set_epoch() + 1;
        Decision {
            response: RemotingCommand::success()
                .with_header(&AlterSyncStateSetResponseHeader {
                    new_sync_state_set_epoch: epoch,
                })
                .with_body(json(&SyncStateSet {
                    sync_state_set: proposed.sync_state_set.clone(),
                    sync_state_set_epoch: epoch,
                })),
            events: vec![Event::AlterSyncStateSet {
                broker_name: h.broker_name.clone(),
                sync_state_set: new,
            }],
        }
    }

    /// `DefaultElectPolicy.elect`: the SyncStateSet first, then (unclean) any member.
    pub fn elect_policy(
        &self,
        set: &BrokerSet,
        old_master: Option<BrokerId>,
        preferred: Option<BrokerId>,
    ) -> Option<BrokerId> {
        let first = self.try_elect(
            set,
            set.sync_state_set().iter().copied(),
            old_master,
            preferred,
        );
        if first.is_some() || !self.elect_unclean {
            return first;
        }
        self.try_elect(set, set.members().keys().copied(), old_master, preferred)
    }

    fn try_elect(
        &self,
        set: &BrokerSet,
        candidates: impl Iterator<Item = BrokerId>,
        old_master: Option<BrokerId>,
        preferred: Option<BrokerId>,
    ) -> Option<BrokerId> {
        let alive: Vec<BrokerId> = candidates.filter(|id| self.alive(set, *id)).collect();
        if alive.is_empty() {
            return None;
        }
        if let Some(old) = old_master {
            if alive.contains(&old) && preferred.is_none_or(|p| p == old) {
                return Some(old);
            }
        }
        if let Some(p) = preferred {
            return alive.contains(&p).then_some(p);
        }
        // Highest epoch, then furthest log, then lowest priority value.
        alive.into_iter().min_by_key(|id| {
            let info = self.live.info(set.broker_name(), *id);
            let (epoch, offset, priority) = info
                .map(|i| (i.epoch, i.max_offset, i.election_priority))
                .unwrap_or((-1, -1, i32::MAX));
            (
                std::cmp::Reverse(epoch),
                std::cmp::Reverse(offset),
                priority,
                *id,
            )
        })
    }

    /// CONTROLLER_ELECT_MASTER (1002). `h.broker_id` -1 or absent is the controller's own
    /// request (after a master died).
    pub fn elect_master(&self, h: &ElectMasterRequestHeader) -> Decision {
        let Some(set) = self.state.set(&h.broker_name) else {
            return Decision::fail(
                code::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
                format!("Broker {} hasn't been registered", h.broker_name),
            );
        };
        let requested = id_of(h.broker_id);
        let old = set.master();
        // The first election takes the asking broker as it is (Java: brokers race).
        let mut candidate = if set.master_epoch() == 0 {
            requested
        } else {
            None
        };
        if candidate.is_none() {
            let preferred = if h.designate_elect.unwrap_or(false) {
                requested
            } else {
                None
            };
            candidate = self.elect_policy(set, old, preferred);
        }
        let master_header =
            |id: Option<BrokerId>, epoch: i32, ss_epoch: i32| ElectMasterResponseHeader {
                master_broker_id: id.map(|i| i as i64),
                master_address: id.and_then(|i| set.address(i)).map(str::to_string),
                master_epoch: Some(epoch),
                sync_state_set_epoch: Some(ss_epoch),
            };
        match candidate {
            Some(id) if Some(id) == old => Decision::reply(
                RemotingCommand::error(
                    code::CONTROLLER_MASTER_STILL_EXIST,
                    "The old master still exist",
                )
                .with_header(&master_header(
                    old,
                    set.master_epoch(),
                    set.sync_state_set_epoch(),
                ))
                .with_body(json(&ElectMasterResponseBody {
                    broker_member_group: None,
                    sync_state_set: set.sync_state_set().iter().map(|i| *i as i64).collect(),
                })),
            ),
            Some(id) => {
                let group = BrokerMemberGroup {
                    broker_addrs: set
                        .members()
                        .iter()
                        .map(|(i, m)| (*i as i64, m.address.clone()))
                        .collect(),
                    broker_name: set.broker_name().to_string(),
                    cluster: set.cluster().to_string(),
                };
                Decision {
                    response: RemotingCommand::success()
                        .with_header(&master_header(
                            Some(id),
                            set.master_epoch() + 1,
                            set.sync_state_set_epoch() + 1,
                        ))
                        .with_body(json(&ElectMasterResponseBody {
                            broker_member_group: Some(group),
                            sync_state_set: [id as i64].into(),
                        })),
                    events: vec![Event::ElectMaster {
                        broker_name: h.broker_name.clone(),
                        new_master: Some(id),
                    }],
                }
            }
            None if requested.is_none() => Decision {
                response: RemotingCommand::error(
                    code::CONTROLLER_MASTER_NOT_AVAILABLE,
                    "Old master has down and failed to elect a new broker master",
                ),
                events: vec![Event::ElectMaster {
                    broker_name: h.broker_name.clone(),
                    new_master: None,
                }],
            },
            None => Decision::fail(
                code::CONTROLLER_ELECT_MASTER_FAILED,
                "Failed to elect a new master",
            ),
        }
    }

    /// CONTROLLER_REGISTER_BROKER (1003).
    pub fn register_broker(&self, h: &RegisterBrokerToControllerRequestHeader) -> Decision {
        if h.broker_address
            .as_deref()
            .is_some_and(|a| a.len() > MAX_CHECK_CODE_LEN)
        {
            return Decision::fail(code::CONTROLLER_INVALID_REQUEST, "brokerAddress too long");
        }
        let Some(set) = self.state.set(&h.broker_name) else {
            return Decision::fail(
                code::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
                format!(
                    "Broker-set: {} hasn't been registered in controller",
                    h.broker_name
                ),
            );
        };
        let Some(id) = id_of(h.broker_id).filter(|i| set.has(*i)) else {
            return Decision::fail(
                code::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
                format!(
                    "BrokerId: {} hasn't been registered in broker-set: {}",
                    h.broker_id.unwrap_or(-1),
                    h.broker_name
                ),
            );
        };
        let mut header = RegisterBrokerToControllerResponseHeader {
            cluster_name: Some(set.cluster().to_string()),
            broker_name: Some(set.broker_name().to_string()),
            master_broker_id: None,
            master_address: None,
            master_epoch: None,
            sync_state_set_epoch: None,
        };
        if let Some(m) = set.master().filter(|m| self.alive(set, *m)) {
            header.master_broker_id = Some(m as i64);
            header.master_address = set.address(m).map(str::to_string);
            header.master_epoch = Some(set.master_epoch());
            header.sync_state_set_epoch = Some(set.sync_state_set_epoch());
        }
        let mut events = Vec::new();
        if let Some(addr) = h.broker_address.as_deref() {
            if set.address(id) != Some(addr) {
                events.push(Event::UpdateBrokerAddress {
                    cluster: set.cluster().to_string(),
                    broker_name: h.broker_name.clone(),
                    broker_id: id,
                    address: addr.to_string(),
                });
            }
        }
        Decision {
            response: RemotingCommand::success()
                .with_header(&header)
                .with_body(Self::sync_state_body(set)),
            events,
        }
    }

    /// CONTROLLER_GET_REPLICA_INFO (1004).
    pub fn get_replica_info(&self, h: &GetReplicaInfoRequestHeader) -> Decision {
        let Some(set) = self.state.set(&h.broker_name) else {
            return Decision::fail(
                code::CONTROLLER_BROKER_METADATA_NOT_EXIST,
                "Broker metadata is not existed",
            );
        };
        let header = GetReplicaInfoResponseHeader {
            master_broker_id: set.master().map(|m| m as i64),
            master_address: set
                .master()
                .and_then(|m| set.address(m))
                .map(str::to_string),
            master_epoch: Some(set.master_epoch()),
        };
        Decision::reply(
            RemotingCommand::success()
                .with_header(&header)
                .with_body(Self::sync_state_body(set)),
        )
    }

    /// CONTROLLER_GET_SYNC_STATE_DATA (1006) for `names` (unknown ones skipped).
    pub fn sync_state_data(&self, names: &[String]) -> Decision {
        let mut table = BrokerReplicasInfo::default();
        for name in names {
            let Some(set) = self.state.set(name) else {
                continue;
            };
            let mut info = ReplicasInfo {
                master_broker_id: set.master().map(|m| m as i64),
                master_address: set
                    .master()
                    .and_then(|m| set.address(m))
                    .map(str::to_string),
                master_epoch: set.master_epoch(),
                sync_state_set_epoch: set.sync_state_set_epoch(),
                ..ReplicasInfo::default()
            };
            for (id, m) in set.members() {
                let r = ReplicaIdentity {
                    broker_name: name.clone(),
                    broker_id: *id as i64,
                    broker_address: m.address.clone(),
                    alive: self.alive(set, *id),
                };
                if set.sync_state_set().contains(id) {
                    info.in_sync_replicas.push(r);
                } else {
                    info.not_in_sync_replicas.push(r);
                }
            }
            table.replicas_info_table.insert(name.clone(), info);
        }
        Decision::reply(RemotingCommand::success().with_body(json(&table)))
    }

    /// CONTROLLER_GET_NEXT_BROKER_ID (1012).
    pub fn next_broker_id(&self, h: &GetNextBrokerIdRequestHeader) -> Decision {
        let next = self
            .state
            .set(&h.broker_name)
            .map_or(1, |s| s.next_broker_id());
        Decision::reply(
            RemotingCommand::success().with_header(&GetNextBrokerIdResponseHeader {
                cluster_name: h.cluster_name.clone(),
                broker_name: Some(h.broker_name.clone()),
                next_broker_id: Some(next as i64),
            }),
        )
    }

    /// CONTROLLER_APPLY_BROKER_ID (1013): an unused id, or the one this broker already
    /// proved with the same check code (a retry).
    pub fn apply_broker_id(&self, h: &ApplyBrokerIdRequestHeader) -> Decision {
        if let Some(refused) = bad_name(&h.broker_name) {
            return refused;
        }
        if let Some(c) = h.cluster_name.as_deref().filter(|c| !c.is_empty()) {
            if let Some(refused) = bad_name(c) {
                return refused;
            }
        }
        if h.register_check_code.len() > MAX_CHECK_CODE_LEN {
            return Decision::fail(
                code::CONTROLLER_INVALID_REQUEST,
                "registerCheckCode too long",
            );
        }
        let Ok(id) = u64::try_from(h.applied_broker_id) else {
            return Decision::fail(code::CONTROLLER_BROKER_ID_INVALID, "invalid brokerId");
        };
        let full = match self.state.set(&h.broker_name) {
            None => self.state.sets().count() >= MAX_BROKER_SETS,
            Some(set) => !set.has(id) && set.members().len() >= MAX_SET_MEMBERS,
        };
        if full {
            return Decision::fail(
                code::CONTROLLER_BROKER_ID_INVALID,
                format!("the controller keeps at most {MAX_BROKER_SETS} broker sets of {MAX_SET_MEMBERS} members"),
            );
        }
        let accepted = match self.state.set(&h.broker_name) {
            None if id == 1 => true,
            None => {
                return Decision::fail(
                    code::CONTROLLER_BROKER_ID_INVALID,
                    format!(
                        "Broker-set: {} hasn't been registered in controller, but broker try to apply brokerId: {id}",
                        h.broker_name
                    ),
                )
            }
            Some(set) => set
                .members()
                .get(&id)
                .is_none_or(|m| m.register_check_code == h.register_check_code),
        };
        if !accepted {
            return Decision::fail(
                code::CONTROLLER_BROKER_ID_INVALID,
                format!(
                    "Fail to apply brokerId: {id} in broker-set: {}",
                    h.broker_name
                ),
            );
        }
        let address = h
            .register_check_code
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        Decision {
            response: RemotingCommand::success().with_header(&ApplyBrokerIdResponseHeader {
                cluster_name: h.cluster_name.clone(),
                broker_name: Some(h.broker_name.clone()),
            }),
            events: vec![Event::ApplyBrokerId {
                cluster: h.cluster_name.clone().unwrap_or_default(),
                broker_name: h.broker_name.clone(),
                broker_id: id,
                address,
                register_check_code: h.register_check_code.clone(),
            }],
        }
    }

    /// CLEAN_BROKER_DATA (1011).
    pub fn clean_broker_data(&self, h: &CleanControllerBrokerDataRequestHeader) -> Decision {
        let ids_text = h.broker_controller_ids_to_clean.clone().unwrap_or_default();
        let set = self.state.set(&h.broker_name);
        let mut ids = BTreeSet::new();
        if !h.is_clean_living_broker.unwrap_or(false) {
            if ids_text.trim().is_empty() && set.is_some_and(|s| s.master().is_some()) {
                return Decision::fail(
                    code::CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
                    format!("Broker {} is still alive, clean up failure", h.broker_name),
                );
            }
            for part in ids_text.split(';').filter(|p| !p.trim().is_empty()) {
                match part.trim().parse::<u64>() {
                    Ok(id) => {
                        ids.insert(id);
                    }
                    Err(e) => {
                        return Decision::fail(
                            code::CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
                            format!("Please set the option <brokerControllerIdsToClean> according to the format, exception: {e}"),
                        )
                    }
                }
            }
            if let Some(set) = set {
                for id in &ids {
                    if self.alive(set, *id) {
                        return Decision::fail(
                            code::CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
                            format!(
                                "Broker [{},  {id}] is still alive, clean up failure",
                                h.broker_name
                            ),
                        );
                    }
                }
            }
        } else {
            ids = ids_text
                .split(';')
                .filter_map(|p| p.trim().parse::<u64>().ok())
                .collect();
        }
        if set.is_none() {
            return Decision::fail(
                code::CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
                format!(
                    "Broker {} is not existed,clean broker data failure.",
                    h.broker_name
                ),
            );
        }
        Decision {
            response: RemotingCommand::success(),
            events: vec![Event::CleanBrokerData {
                broker_name: h.broker_name.clone(),
                broker_ids: (!ids.is_empty()).then_some(ids),
            }],
        }
    }
}
