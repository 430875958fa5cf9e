//! Which brokers are alive, as this controller hears their heartbeats (BROKER_HEARTBEAT,
//! sent to every controller and kept by each — never replicated). Time is passed in.

use std::collections::HashMap;

use crate::state::BrokerId;

/// One broker's last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveInfo {
    /// Its remoting address (from the first heartbeat).
    pub addr: String,
    /// The connection it heart-beats on; closing it ends the broker's liveness.
    pub channel: u64,
    /// Last heartbeat, ms.
    pub last_update_ms: i64,
    /// How long it stays alive without a heartbeat, ms.
    pub timeout_ms: i64,
    /// The last epoch in its epoch file (never goes back).
    pub epoch: i32,
    /// Its CommitLog end (never goes back within an epoch).
    pub max_offset: i64,
    /// Its confirm offset.
    pub confirm_offset: i64,
    /// Lower is preferred in elections.
    pub election_priority: i32,
}

/// A heartbeat's figures (absent ones take Java's defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub cluster: String,
    pub broker_name: String,
    pub broker_id: BrokerId,
    pub addr: String,
    pub epoch: i32,
    pub max_offset: i64,
    pub confirm_offset: i64,
    pub timeout_ms: i64,
    pub election_priority: i32,
}

/// Brokers one controller tracks (heartbeats of others are refused).
pub const MAX_LIVE_BROKERS: usize = 100_000;

/// The live brokers, by brokerName and controller id (looked up without allocating).
#[derive(Debug, Default)]
pub struct LiveTable {
    brokers: HashMap<String, HashMap<BrokerId, (String, LiveInfo)>>,
    count: usize,
}

impl LiveTable {
    /// Records a heartbeat at `now_ms` on connection `channel`. The address and connection
    /// are those of the first heartbeat; epoch and offsets only move forward (Java). A new
    /// broker past [`MAX_LIVE_BROKERS`] is not recorded (`false`).
    pub fn heartbeat(&mut self, hb: Heartbeat, channel: u64, now_ms: i64) -> bool {
        let known = self
            .brokers
            .get(&hb.broker_name)
            .is_some_and(|s| s.contains_key(&hb.broker_id));
        if !known && self.len() >= MAX_LIVE_BROKERS {
            return false;
        }
        let set = self.brokers.entry(hb.broker_name.clone()).or_default();
        match set.get_mut(&hb.broker_id) {
            None => {
                let info = LiveInfo {
                    addr: hb.addr,
                    channel,
                    last_update_ms: now_ms,
                    timeout_ms: hb.timeout_ms,
                    epoch: hb.epoch,
                    max_offset: hb.max_offset,
                    confirm_offset: hb.confirm_offset,
                    election_priority: hb.election_priority,
                };
                set.insert(hb.broker_id, (hb.cluster, info));
                self.count += 1;
            }
            Some((_, info)) => {
                info.last_update_ms = now_ms;
                info.timeout_ms = hb.timeout_ms;
                info.election_priority = hb.election_priority;
                if hb.epoch > info.epoch
                    || (hb.epoch == info.epoch && hb.max_offset > info.max_offset)
                {
                    info.epoch = hb.epoch;
                    info.max_offset = hb.max_offset;
                    info.confirm_offset = hb.confirm_offset;
                }
            }
        }
        true
    }

    /// Whether `id` of `broker_name` heart-beat within its timeout.
    pub fn is_alive(&self, broker_name: &str, id: BrokerId, now_ms: i64) -> bool {
        self.info(broker_name, id)
            .is_some_and(|i| i.last_update_ms + i.timeout_ms >= now_ms)
    }

    /// The last heartbeat of `id`.
    pub fn info(&self, broker_name: &str, id: BrokerId) -> Option<&LiveInfo> {
        self.brokers
            .get(broker_name)
            .and_then(|set| set.get(&id))
            .map(|(_, i)| i)
    }

    /// Drops brokers silent past their timeout; returns them (cluster, name, id).
    pub fn expire(&mut self, now_ms: i64) -> Vec<(String, String, BrokerId)> {
        self.remove_where(|info| info.last_update_ms + info.timeout_ms < now_ms)
    }

    fn remove_where(
        &mut self,
        gone_if: impl Fn(&LiveInfo) -> bool,
    ) -> Vec<(String, String, BrokerId)> {
        let mut gone = Vec::new();
        for (name, set) in self.brokers.iter_mut() {
            set.retain(|id, (cluster, info)| {
                let remove = gone_if(info);
                if remove {
                    gone.push((cluster.clone(), name.clone(), *id));
                }
                !remove
            });
        }
        self.brokers.retain(|_, set| !set.is_empty());
        self.count -= gone.len();
        gone
    }

    /// Brokers tracked.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no broker is tracked.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Drops the brokers that heart-beat on a closed connection.
    pub fn channel_closed(&mut self, channel: u64) -> Vec<(String, String, BrokerId)> {
        self.remove_where(|info| info.channel == channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hb(id: BrokerId, epoch: i32, max_offset: i64) -> Heartbeat {
        Heartbeat {
            cluster: "c".into(),
            broker_name: "b".into(),
            broker_id: id,
            addr: format!("a{id}"),
            epoch,
            max_offset,
            confirm_offset: max_offset,
            timeout_ms: 10_000,
            election_priority: i32::MAX,
        }
    }

    #[test]
    fn liveness_expires_and_figures_only_move_forward() {
        let mut t = LiveTable::default();
        t.heartbeat(hb(1, 2, 100), 7, 0);
        t.heartbeat(hb(1, 2, 50), 7, 1_000);
        assert_eq!(t.info("b", 1).unwrap().max_offset, 100, "never backwards");
        t.heartbeat(hb(1, 3, 10), 7, 2_000);
        assert_eq!(t.info("b", 1).unwrap().epoch, 3, "a newer epoch wins");
        assert!(t.is_alive("b", 1, 12_000));
        assert!(!t.is_alive("b", 1, 12_001));
        t.heartbeat(hb(2, 0, 0), 8, 5_000);
        assert_eq!(t.expire(12_001), vec![("c".into(), "b".into(), 1)]);
        assert_eq!(t.channel_closed(8), vec![("c".into(), "b".into(), 2)]);
        assert!(t.info("b", 2).is_none());
        assert!(t.is_empty());
    }

    #[test]
    fn the_table_is_bounded() {
        let mut t = LiveTable::default();
        for id in 0..MAX_LIVE_BROKERS as u64 {
            assert!(t.heartbeat(hb(id, 0, 0), 1, 0));
        }
        assert!(
            !t.heartbeat(hb(u64::MAX, 0, 0), 1, 0),
            "a new broker past the bound"
        );
        assert!(t.heartbeat(hb(7, 1, 1), 1, 10), "known brokers still beat");
        assert_eq!(t.len(), MAX_LIVE_BROKERS);
        assert_eq!(t.expire(i64::MAX).len(), MAX_LIVE_BROKERS);
        assert!(t.heartbeat(hb(u64::MAX, 0, 0), 1, 0));
    }
}
