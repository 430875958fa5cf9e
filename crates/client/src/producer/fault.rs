//! Latency-based fault avoidance (Java's `MQFaultStrategy` + `LatencyFaultToleranceImpl`).
//!
//! After each send the broker group's latency is recorded; a latency at or above a step of
//! `LATENCY_MAX` isolates the broker for the matching `NOT_AVAILABLE` duration. A failed send
//! counts as 10 s of latency (⇒ 10 s of isolation). Broker errors also mark the broker
//! unreachable. On top of Java's rules, never more than [`MAX_ISOLATED_RATIO`] of a route's
//! brokers are avoided at once: past that, the broker isolated longest is used again, so a
//! burst of slow answers (a zone under load) cannot push all traffic onto a few brokers.
//! Time is passed in, so the rules are tested without clocks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Latency steps (ms), Java's `latencyMax`.
pub(crate) const LATENCY_MAX: [u64; 7] = [50, 100, 550, 1800, 3000, 5000, 15000];
/// Isolation per step (ms), Java's `notAvailableDuration`.
pub(crate) const NOT_AVAILABLE: [u64; 7] = [0, 0, 2000, 5000, 6000, 10000, 30000];
/// Latency charged for a failed send (Java passes 10000 when isolating).
pub(crate) const ISOLATION_LATENCY_MS: u64 = 10_000;
/// At most this share of a route's brokers is isolated at once (30 %).
pub(crate) const MAX_ISOLATED_RATIO: (usize, usize) = (3, 10);

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
    /// When the current isolation began.
    isolated_since: Instant,
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
                isolated_since: now,
                reachable,
            });
        item.latency_ms = latency_ms;
        item.reachable = reachable;
        // Java only ever extends the isolation window.
        if !duration.is_zero() && now + duration > item.available_at {
            if item.available_at <= now {
                item.isolated_since = now;
            }
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

    /// Which of `brokers` (a route's broker names) a send may use at `now`: those not
    /// isolated, plus — when more than 30 % of them (and more than one) are
    /// isolated — the ones isolated longest, until no more than that share stays isolated.
    pub fn usable<'a>(&self, brokers: &[&'a str], now: Instant) -> Vec<&'a str> {
        let items = self.items.lock();
        let mut usable = Vec::with_capacity(brokers.len());
        let mut isolated = Vec::new();
        for b in brokers {
            match items.get(*b) {
                Some(i) if now < i.available_at => isolated.push((i.isolated_since, *b)),
                _ => usable.push(*b),
            }
        }
        // One bad broker may always be avoided while another remains (of two, one is
        // 50 %): the share caps bursts, not a single failure.
        let share = brokers.len() * MAX_ISOLATED_RATIO.0 / MAX_ISOLATED_RATIO.1;
        let cap = if brokers.len() >= 2 { share.max(1) } else { 0 };
        if isolated.len() > cap {
            isolated.sort();
            let readmit = isolated.len() - cap;
            usable.extend(isolated.iter().take(readmit).map(|(_, b)| *b));
        }
        usable
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
    fn at_most_thirty_percent_of_brokers_are_avoided() {
        let t = LatencyFaultTolerance::new();
        let t0 = Instant::now();
        let names: Vec<String> = (0..10).map(|i| format!("b{i}")).collect();
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        // b0..b4 fail one after another, 1 s apart.
        for (i, b) in all.iter().take(5).enumerate() {
            t.record(b, 0, true, false, t0 + Duration::from_secs(i as u64));
        }
        let now = t0 + Duration::from_secs(5);
        let mut usable = t.usable(&all, now);
        usable.sort();
        // 3 of 10 may stay isolated: b0 and b1, isolated longest, are used again.
        assert_eq!(usable, ["b0", "b1", "b5", "b6", "b7", "b8", "b9"]);
        // Under the cap nothing changes.
        let few: Vec<&str> = all[3..].to_vec();
        let mut usable = t.usable(&few, now);
        usable.sort();
        assert_eq!(
            usable,
            ["b5", "b6", "b7", "b8", "b9"],
            "2 of 7 may stay isolated"
        );
        // One of two may be avoided; a lone broker is always used.
        assert_eq!(t.usable(&["b4", "b9"], now), ["b9"]);
        assert_eq!(t.usable(&["b4"], now), ["b4"]);
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
