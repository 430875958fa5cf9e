//! What a broker in controller mode does with what a controller tells it (Java's
//! `ReplicasManager` rules), as a pure step: a newer master epoch names a master (become
//! it, or follow it) or none (ask for an election); at the same epoch a master adopts a
//! newer SyncStateSet; anything older is ignored.

use std::collections::BTreeSet;

use super::rpc::MasterInfo;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    BecomeMaster {
        epoch: i32,
        sync_state_set_epoch: i32,
        sync_state_set: BTreeSet<i64>,
    },
    BecomeSlave {
        master_id: i64,
        master_addr: String,
        epoch: i32,
    },
    /// The set has no master: ask for an election.
    Elect,
    /// Same master epoch, this broker is master: the controller's SyncStateSet (if newer).
    AdoptSyncStateSet {
        epoch: i32,
        sync_state_set: BTreeSet<i64>,
    },
    Nothing,
}

/// Where this broker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Local {
    /// This broker's controller id.
    pub(crate) me: i64,
    /// The master epoch it acts under (0 before the first).
    pub(crate) master_epoch: i32,
    /// Whether it is the master now.
    pub(crate) is_master: bool,
    /// Whether it still waits for its first role.
    pub(crate) fenced: bool,
}

/// The step for `info`, a controller's view of the set.
pub(crate) fn step(local: Local, info: &MasterInfo) -> Step {
    let newer = info.master_epoch > local.master_epoch || local.fenced;
    if !newer {
        if info.master_epoch == local.master_epoch
            && local.is_master
            && info.master() == Some(local.me)
        {
            return Step::AdoptSyncStateSet {
                epoch: info.sync_state_set_epoch,
                sync_state_set: info.sync_state_set.clone(),
            };
        }
        return Step::Nothing;
    }
    match info.master() {
        Some(id) if id == local.me => Step::BecomeMaster {
            epoch: info.master_epoch,
            sync_state_set_epoch: info.sync_state_set_epoch,
            sync_state_set: info.sync_state_set.clone(),
        },
        Some(id) => Step::BecomeSlave {
            master_id: id,
            master_addr: info.master_addr.clone().unwrap_or_default(),
            epoch: info.master_epoch,
        },
        None => Step::Elect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(master: Option<i64>, epoch: i32) -> MasterInfo {
        MasterInfo {
            master_id: master,
            master_addr: master.map(|id| format!("10.0.0.{id}:10911")),
            master_epoch: epoch,
            sync_state_set_epoch: epoch,
            sync_state_set: master.into_iter().collect(),
        }
    }

    fn local(me: i64, epoch: i32, is_master: bool) -> Local {
        Local {
            me,
            master_epoch: epoch,
            is_master,
            fenced: false,
        }
    }

    #[test]
    fn a_newer_epoch_names_the_role() {
        assert!(matches!(
            step(local(1, 1, false), &info(Some(1), 2)),
            Step::BecomeMaster { epoch: 2, .. }
        ));
        assert_eq!(
            step(local(1, 1, true), &info(Some(2), 2)),
            Step::BecomeSlave {
                master_id: 2,
                master_addr: "10.0.0.2:10911".into(),
                epoch: 2
            }
        );
        assert_eq!(step(local(1, 1, false), &info(None, 2)), Step::Elect);
    }

    #[test]
    fn the_same_or_an_older_epoch_changes_no_role() {
        assert_eq!(step(local(1, 3, false), &info(Some(2), 3)), Step::Nothing);
        assert_eq!(step(local(1, 3, true), &info(Some(2), 2)), Step::Nothing);
        assert!(matches!(
            step(local(1, 3, true), &info(Some(1), 3)),
            Step::AdoptSyncStateSet { epoch: 3, .. }
        ));
    }

    #[test]
    fn a_fenced_broker_takes_whatever_role_the_controller_has() {
        let mut l = local(2, 5, false);
        l.fenced = true;
        assert!(matches!(
            step(l, &info(Some(1), 5)),
            Step::BecomeSlave { master_id: 1, .. }
        ));
    }
}
