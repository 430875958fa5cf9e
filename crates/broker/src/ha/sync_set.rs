//! A controller-mode master's SyncStateSet: the replicas that hold everything acknowledged
//! (Java's `AutoSwitchHAService` local set and its synchronisation with the controller),
//! written as pure steps.
//!
//! The master keeps two sets: `confirmed`, the controller's (with its epoch), and `local`,
//! what the master now believes. A slave that catches up joins `local` at once; one that
//! falls behind for `haMaxTimeSlaveNotCatchup` or disconnects leaves it. While the two
//! differ, the change is reported to the controller (CONTROLLER_ALTER_SYNC_STATE_SET), and
//! writes count the union of both (Java's "synchronizing" state), so a write acknowledged
//! under either set is on every replica the controller may elect.

use std::collections::BTreeSet;

/// The SyncStateSet of a master.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SyncSet {
    me: i64,
    confirmed: BTreeSet<i64>,
    epoch: i32,
    local: BTreeSet<i64>,
}

impl SyncSet {
    /// The controller's set `confirmed` (epoch `epoch`) for master `me`; the master itself
    /// is always a member.
    pub(crate) fn new(me: i64, confirmed: BTreeSet<i64>, epoch: i32) -> Self {
        let mut local = confirmed.clone();
        local.insert(me);
        SyncSet {
            me,
            confirmed,
            epoch,
            local,
        }
    }

    /// The controller's epoch of the set.
    pub(crate) fn epoch(&self) -> i32 {
        self.epoch
    }

    /// The controller's set.
    #[cfg(test)]
    pub(crate) fn confirmed(&self) -> &BTreeSet<i64> {
        &self.confirmed
    }

    /// What writes count: the confirmed set, joined by a change not confirmed yet.
    pub(crate) fn members(&self) -> BTreeSet<i64> {
        self.confirmed.union(&self.local).copied().collect()
    }

    /// The members other than the master.
    pub(crate) fn others(&self) -> BTreeSet<i64> {
        let mut m = self.members();
        m.remove(&self.me);
        m
    }

    /// The change to report to the controller, if the master's view differs from it.
    pub(crate) fn proposal(&self) -> Option<BTreeSet<i64>> {
        (self.local != self.confirmed).then(|| self.local.clone())
    }

    /// Slave `id` caught up: it joins. Returns whether the local set changed.
    pub(crate) fn expand(&mut self, id: i64) -> bool {
        self.local.insert(id)
    }

    /// Keeps the members `keep` accepts (the master always stays). Returns whether the
    /// local set changed.
    pub(crate) fn shrink(&mut self, keep: impl Fn(i64) -> bool) -> bool {
        let me = self.me;
        let before = self.local.len();
        self.local.retain(|id| *id == me || keep(*id));
        self.local.len() != before
    }

    /// The controller accepted the proposed `set`, now at `epoch`. A change the master made
    /// since it proposed stays pending. Older epochs are ignored; returns whether applied.
    pub(crate) fn confirm(&mut self, set: BTreeSet<i64>, epoch: i32) -> bool {
        if epoch < self.epoch {
            return false;
        }
        self.confirmed = set;
        self.epoch = epoch;
        true
    }

    /// The controller reports `set` at `epoch` (a replica-info poll): a newer set replaces
    /// the master's view. Returns whether it was adopted.
    pub(crate) fn adopt(&mut self, set: BTreeSet<i64>, epoch: i32) -> bool {
        if epoch <= self.epoch {
            return false;
        }
        self.local = set.clone();
        self.local.insert(self.me);
        self.confirmed = set;
        self.epoch = epoch;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[i64]) -> BTreeSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn a_caught_up_slave_joins_and_counts_before_the_controller_confirms() {
        let mut s = SyncSet::new(1, set(&[1]), 1);
        assert_eq!(s.proposal(), None);
        assert!(s.expand(2));
        assert!(!s.expand(2), "already in");
        assert_eq!(s.proposal(), Some(set(&[1, 2])));
        assert_eq!(s.others(), set(&[2]), "writes wait for it at once");
        assert!(s.confirm(set(&[1, 2]), 2));
        assert_eq!(s.proposal(), None);
        assert_eq!(s.epoch(), 2);
    }

    #[test]
    fn a_slave_that_leaves_still_counts_until_the_controller_agrees() {
        let mut s = SyncSet::new(1, set(&[1, 2, 3]), 4);
        assert!(s.shrink(|id| id != 3));
        assert!(!s.shrink(|id| id != 3), "nothing more to drop");
        assert_eq!(s.members(), set(&[1, 2, 3]), "union while synchronizing");
        assert_eq!(s.proposal(), Some(set(&[1, 2])));
        assert!(!s.confirm(set(&[1, 2]), 3), "stale epoch");
        s.shrink(|id| id == 1);
        assert!(s.confirm(set(&[1, 2]), 5), "the first proposal");
        assert_eq!(
            s.proposal(),
            Some(set(&[1])),
            "the later change stays pending"
        );
        assert!(s.confirm(set(&[1]), 6));
        assert_eq!(s.members(), set(&[1]));
        assert_eq!(s.confirmed(), &set(&[1]));
    }

    #[test]
    fn a_newer_controller_set_replaces_the_local_view() {
        let mut s = SyncSet::new(1, set(&[1]), 1);
        s.expand(2);
        assert!(!s.adopt(set(&[1, 3]), 1), "not newer");
        assert!(s.adopt(set(&[1, 3]), 7));
        assert_eq!(s.members(), set(&[1, 3]));
        assert_eq!(s.proposal(), None);
    }
}
