//! Applying events: the only way the replicated state changes. Deterministic — every
//! controller applies the same log to the same state.

use serde::{Deserialize, Serialize};

use super::{BrokerSet, ControllerState, Event, Member};

/// What applying an entry returns to the writer (nothing: the leader reads the state after
/// its write is applied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied;

impl ControllerState {
    /// Applies one event (Java's `ReplicasInfoManager.applyEvent`).
    pub fn apply(&mut self, event: &Event) -> Applied {
        match event {
            Event::ApplyBrokerId {
                cluster,
                broker_name,
                broker_id,
                address,
                register_check_code,
            } => {
                let set = self.entry(cluster, broker_name);
                if !set.members.contains_key(broker_id) {
                    set.members.insert(
                        *broker_id,
                        Member {
                            address: address.clone(),
                            register_check_code: register_check_code.clone(),
                        },
                    );
                    set.next_broker_id += 1;
                }
            }
            Event::UpdateBrokerAddress {
                broker_name,
                broker_id,
                address,
                ..
            } => {
                if let Some(m) = self
                    .sets
                    .get_mut(broker_name)
                    .and_then(|s| s.members.get_mut(broker_id))
                {
                    m.address = address.clone();
                }
            }
            Event::ElectMaster {
                broker_name,
                new_master,
            } => {
                if let Some(set) = self.sets.get_mut(broker_name) {
                    set.master = *new_master;
                    set.master_epoch += 1;
                    if let Some(id) = new_master {
                        set.sync_state_set = [*id].into();
                        set.sync_state_set_epoch += 1;
                    }
                }
            }
            Event::AlterSyncStateSet {
                broker_name,
                sync_state_set,
            } => {
                if let Some(set) = self.sets.get_mut(broker_name) {
                    set.sync_state_set = sync_state_set.clone();
                    set.sync_state_set_epoch += 1;
                }
            }
            Event::CleanBrokerData {
                broker_name,
                broker_ids,
            } => match broker_ids.as_ref().filter(|ids| !ids.is_empty()) {
                None => {
                    self.sets.remove(broker_name);
                }
                Some(ids) => {
                    if let Some(set) = self.sets.get_mut(broker_name) {
                        for id in ids {
                            set.members.remove(id);
                            set.sync_state_set.remove(id);
                            if set.master == Some(*id) {
                                set.master = None;
                            }
                        }
                        // Java keeps two tables and a set exists only in both: emptying
                        // either removes it.
                        if set.members.is_empty() || set.sync_state_set.is_empty() {
                            self.sets.remove(broker_name);
                        }
                    }
                }
            },
        }
        Applied
    }

    fn entry(&mut self, cluster: &str, broker_name: &str) -> &mut BrokerSet {
        self.sets
            .entry(broker_name.to_string())
            .or_insert_with(|| BrokerSet {
                cluster: cluster.to_string(),
                broker_name: broker_name.to_string(),
                next_broker_id: 1,
                ..BrokerSet::default()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(s: &mut ControllerState, id: u64) {
        s.apply(&Event::ApplyBrokerId {
            cluster: "c".into(),
            broker_name: "b".into(),
            broker_id: id,
            address: format!("10.0.0.{id}:1"),
            register_check_code: format!("10.0.0.{id}:1;1"),
        });
        s.apply(&Event::UpdateBrokerAddress {
            cluster: "c".into(),
            broker_name: "b".into(),
            broker_id: id,
            address: format!("10.0.0.{id}:10911"),
        });
    }

    #[test]
    fn elections_move_the_epochs_and_restart_the_sync_state_set() {
        let mut s = ControllerState::default();
        joined(&mut s, 1);
        joined(&mut s, 2);
        let set = s.set("b").unwrap();
        assert_eq!(set.next_broker_id(), 3);
        assert_eq!((set.master(), set.master_epoch()), (None, 0));
        s.apply(&Event::ElectMaster {
            broker_name: "b".into(),
            new_master: Some(1),
        });
        s.apply(&Event::AlterSyncStateSet {
            broker_name: "b".into(),
            sync_state_set: [1, 2].into(),
        });
        let set = s.set("b").unwrap();
        assert_eq!((set.master(), set.master_epoch()), (Some(1), 1));
        assert_eq!(set.sync_state_set(), &[1, 2].into());
        assert_eq!(set.sync_state_set_epoch(), 2);
        s.apply(&Event::ElectMaster {
            broker_name: "b".into(),
            new_master: Some(2),
        });
        let set = s.set("b").unwrap();
        assert_eq!((set.master(), set.master_epoch()), (Some(2), 2));
        assert_eq!(set.sync_state_set(), &[2].into());
        assert_eq!(set.sync_state_set_epoch(), 3);
        assert_eq!(set.address(2), Some("10.0.0.2:10911"));
        // No master could be elected: the epoch moves on, the set stays.
        s.apply(&Event::ElectMaster {
            broker_name: "b".into(),
            new_master: None,
        });
        let set = s.set("b").unwrap();
        assert_eq!((set.master(), set.master_epoch()), (None, 3));
        assert_eq!(
            (set.sync_state_set(), set.sync_state_set_epoch()),
            (&[2].into(), 3)
        );
        s.apply(&Event::CleanBrokerData {
            broker_name: "b".into(),
            broker_ids: Some([1].into()),
        });
        assert!(!s.set("b").unwrap().has(1));
        s.apply(&Event::CleanBrokerData {
            broker_name: "b".into(),
            broker_ids: None,
        });
        assert!(s.set("b").is_none());
    }
}
