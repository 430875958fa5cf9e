//! Latency-based fault avoidance (Java's `MQFaultStrategy` + `LatencyFaultToleranceImpl`).
//!
//! After each send the broker group's latency is recorded; a latency at or above a step of
//! `LATENCY_MAX` isolates the broker for the matching `NOT_AVAILABLE` duration. A failed send
//! counts as 10 s of latency (⇒ 10 s of isolation). Broker errors also mark the broker
//! unreachable. Time is passed in, so the rules are tested without clocks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Latency steps (ms), Java's `latencyMax`.
pub(crate) const LATENCY_MAX: [u64; 7] = [50, 100, 550, 1800, 3000, 5000, 15000];
/// Isolation per step (ms), Java's `notAvailableDuration`.
pub(crate) const NOT_AVAILABLE: [u64; 7] = [0, 0, 2000, 5000, 6000, 10000, 30000];
/// Latency charged for a failed send (Java passes 10000 when isolating).
pub(crate) const ISOLATION_LATENCY_MS: u64 = 10_000;

/// How long a broker that answered in `latency_ms` is avoided.
pub(crate) fn not_available_duration(latency_ms: u64) -> Duration {
    for i in (0..LATENCY_MAX.len()).rev() {
        if latency_ms >= LATENCY_MAX[i] {
            return Duration::from_millis(NOT_AVAILABLE[i]);
        }
    }
    Duration::ZERO
}

#[derive(Debug, Clone)]
struct FaultItem {
    latency_ms: u64,
    available_at: Instant,
    reachable: bool,
}

/// Per-broker-group latency and isolation state.
#[derive(Debug, Default)]
pub struct LatencyFaultTolerance {
    items: Mutex<HashMap<String, FaultItem>>,
}

impl LatencyFaultTolerance {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a send to `broker` that took `latency_ms`. `isolation` charges
    /// `ISOLATION_LATENCY_MS` instead; `reachable` false keeps the broker out of the second
    /// selection round until it answers again.
    pub fn record(
        &self,
        broker: &str,
        latency_ms: u64,
        isolation: bool,
        reachable: bool,
        now: Instant,
    ) {
        let charged = if isolation {
            ISOLATION_LATENCY_MS
        } else {
            latency_ms
        };
        let duration = not_available_duration(charged);
        let mut items = self.items.lock();
        let item = items
            .entry(broker.to_string())
            .or_insert_with(|| FaultItem {
                latency_ms,
                available_at: now,
                reachable,
            });
        item.latency_ms = latency_ms;
        item.reachable = reachable;
        // Java only ever extends the isolation window.
        if !duration.is_zero() && now + duration > item.available_at {
            item.available_at = now + duration;
        }
    }

    /// Whether `broker` is out of isolation at `now` (unknown brokers are available).
    pub fn is_available(&self, broker: &str, now: Instant) -> bool {
        self.items
            .lock()
            .get(broker)
            .is_none_or(|i| now >= i.available_at)
    }

    /// Whether `broker` was reachable at its last send (unknown brokers are).
    pub fn is_reachable(&self, broker: &str) -> bool {
        self.items.lock().get(broker).is_none_or(|i| i.reachable)
    }

    /// When `broker` becomes available again, if it is isolated at `now`.
    pub fn isolated_until(&self, broker: &str, now: Instant) -> Option<Instant> {
        self.items
            .lock()
            .get(broker)
            .map(|i| i.available_at)
            .filter(|at| *at > now)
    }

    /// Forgets `broker`.
    pub fn remove(&self, broker: &str) {
        self.items.lock().remove(broker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_java_steps() {
        let cases = [
            (0, 0),
            (49, 0),
            (50, 0),
            (100, 0),
            (549, 0),
            (550, 2000),
            (1799, 2000),
            (1800, 5000),
            (3000, 6000),
            (5000, 10000),
            (10_000, 10000),
            (15000, 30000),
            (u64::MAX, 30000),
        ];
        for (lat, ms) in cases {
            assert_eq!(
                not_available_duration(lat),
                Duration::from_millis(ms),
                "latency {lat}"
            );
        }
    }

    #[test]
    fn isolation_expires_and_only_extends() {
        let t = LatencyFaultTolerance::new();
        let now = Instant::now();
        assert!(t.is_available("a", now));
        t.record("a", 3, true, true, now);
        assert!(!t.is_available("a", now + Duration::from_millis(9_999)));
        assert!(t.is_available("a", now + Duration::from_millis(10_000)));
        assert_eq!(
            t.isolated_until("a", now),
            Some(now + Duration::from_secs(10))
        );
        // A fast success does not shorten the window.
        t.record("a", 3, false, true, now + Duration::from_secs(1));
        assert!(!t.is_available("a", now + Duration::from_secs(5)));
        // A slow one (600 ms ⇒ 2 s) later on extends nothing before the old end.
        t.record("b", 600, false, true, now);
        assert!(!t.is_available("b", now + Duration::from_millis(1999)));
        assert!(t.is_available("b", now + Duration::from_millis(2000)));
        t.record("c", 5, true, false, now);
        assert!(!t.is_reachable("c"));
        t.record("c", 5, false, true, now);
        assert!(t.is_reachable("c"));
        t.remove("a");
        assert!(t.is_available("a", now));
    }
}
