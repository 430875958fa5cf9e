//! How many replicas a write waits for: Java 5.x's rules (`CommitLog.asyncPutMessage`,
//! `calcNeedAckNums`, `handleHA`), written as a pure step.

use ferromq_config::BrokerRole;

/// The replication settings a put consults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HaRules {
    pub(crate) role: BrokerRole,
    /// `inSyncReplicas`: replicas (master included) that must hold a write.
    pub(crate) in_sync_replicas: i32,
    /// `minInSyncReplicas`: the floor when `enableAutoInSyncReplicas` lowers the count.
    pub(crate) min_in_sync_replicas: i32,
    pub(crate) auto_in_sync_replicas: bool,
    /// `enableSlaveActingMaster`: writes refused when too few replicas are in sync.
    pub(crate) slave_acting_master: bool,
    pub(crate) duplication_enable: bool,
}

/// What a put must do about replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Acknowledge once stored (and flushed, as configured).
    Nothing,
    /// Wait until this many replicas (master included) hold the write.
    Acks(usize),
    /// Refuse: fewer replicas are in sync than required (`IN_SYNC_REPLICAS_NOT_ENOUGH`).
    NotEnough,
}

impl HaRules {
    /// The decision for a message whose `WAIT` property is `wait`, with `in_sync` replicas
    /// (master included) currently within `haMaxGapNotInSync` of the master.
    pub(crate) fn need(&self, wait: bool, in_sync: usize) -> Need {
        if !wait || self.duplication_enable || self.role != BrokerRole::SyncMaster {
            return Need::Nothing;
        }
        let mut need = self.in_sync_replicas;
        if self.slave_acting_master {
            if self.auto_in_sync_replicas {
                need = need.min(in_sync as i32).max(self.min_in_sync_replicas);
            }
            if need > in_sync as i32 {
                return Need::NotEnough;
            }
        }
        // Java: one replica (the master itself) needs no waiting. Java 5.x's default
        // `inSyncReplicas=1` therefore makes SYNC_MASTER acknowledge without the slave.
        if need <= 1 {
            Need::Nothing
        } else {
            Need::Acks(need as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(in_sync_replicas: i32) -> HaRules {
        HaRules {
            role: BrokerRole::SyncMaster,
            in_sync_replicas,
            min_in_sync_replicas: 1,
            auto_in_sync_replicas: false,
            slave_acting_master: false,
            duplication_enable: false,
        }
    }

    #[test]
    fn sync_master_waits_only_beyond_one_replica() {
        assert_eq!(rules(1).need(true, 1), Need::Nothing, "Java 5.x default");
        assert_eq!(
            rules(2).need(true, 1),
            Need::Acks(2),
            "waits even with no slave"
        );
        assert_eq!(rules(2).need(false, 2), Need::Nothing, "WAIT=false");
        let async_master = HaRules {
            role: BrokerRole::AsyncMaster,
            ..rules(2)
        };
        assert_eq!(async_master.need(true, 2), Need::Nothing);
        let dup = HaRules {
            duplication_enable: true,
            ..rules(2)
        };
        assert_eq!(dup.need(true, 2), Need::Nothing);
    }

    #[test]
    fn acting_master_refuses_or_degrades() {
        let acting = HaRules {
            slave_acting_master: true,
            ..rules(3)
        };
        assert_eq!(acting.need(true, 2), Need::NotEnough);
        assert_eq!(acting.need(true, 3), Need::Acks(3));
        let auto = HaRules {
            auto_in_sync_replicas: true,
            min_in_sync_replicas: 2,
            ..acting
        };
        assert_eq!(
            auto.need(true, 2),
            Need::Acks(2),
            "lowered to those in sync"
        );
        assert_eq!(
            auto.need(true, 1),
            Need::NotEnough,
            "never below the minimum"
        );
    }
}
