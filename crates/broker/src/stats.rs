//! Broker traffic counters: totals, per-topic puts, and TPS over 10 s / 60 s / 600 s windows
//! (what `clusterList` and GET_BROKER_RUNTIME_INFO report).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

/// One sample of the totals, taken every second.
#[derive(Clone, Copy, Default)]
struct Sample {
    at_ms: i64,
    puts: u64,
    gets: u64,
}

/// Counters and their recent history.
#[derive(Default)]
pub struct BrokerStats {
    puts: AtomicU64,
    put_bytes: AtomicU64,
    gets: AtomicU64,
    get_bytes: AtomicU64,
    topic_puts: RwLock<HashMap<String, Arc<AtomicU64>>>,
    /// Parked messages (delay, timer) dropped because they could never be re-put.
    dropped_reposts: AtomicU64,
    history: Mutex<VecDeque<Sample>>,
    topic_tps: Mutex<HashMap<String, (u64, f64)>>,
    day: Mutex<DayCounters>,
}

#[derive(Default, Clone, Copy)]
struct DayCounters {
    day: i64,
    puts_today_morning: u64,
    gets_today_morning: u64,
    puts_yesterday_morning: u64,
    gets_yesterday_morning: u64,
}

/// TPS of puts and gets over the three windows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tps {
    pub put: [f64; 3],
    pub get: [f64; 3],
}

impl BrokerStats {
    /// Counts a parked message dropped by a re-put (see `crate::delayed::repost`).
    pub fn record_dropped_repost(&self) {
        self.dropped_reposts.fetch_add(1, Ordering::Relaxed);
    }

    /// Parked messages dropped since start.
    pub fn dropped_reposts(&self) -> u64 {
        self.dropped_reposts.load(Ordering::Relaxed)
    }

    /// Counts `count` messages / `bytes` stored to `topic`.
    pub fn record_put(&self, topic: &str, count: u64, bytes: u64) {
        self.puts.fetch_add(count, Ordering::Relaxed);
        self.put_bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Some(c) = self.topic_puts.read().get(topic) {
            c.fetch_add(count, Ordering::Relaxed);
            return;
        }
        self.topic_puts
            .write()
            .entry(topic.to_string())
            .or_default()
            .fetch_add(count, Ordering::Relaxed);
    }

    /// Counts `count` messages / `bytes` delivered by pulls of `topic`.
    pub fn record_get(&self, _topic: &str, count: u64, bytes: u64) {
        self.gets.fetch_add(count, Ordering::Relaxed);
        self.get_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Total messages stored since start.
    pub fn total_puts(&self) -> u64 {
        self.puts.load(Ordering::Relaxed)
    }

    /// Total messages delivered since start.
    pub fn total_gets(&self) -> u64 {
        self.gets.load(Ordering::Relaxed)
    }

    /// Bytes stored / delivered since start.
    pub fn total_bytes(&self) -> (u64, u64) {
        (
            self.put_bytes.load(Ordering::Relaxed),
            self.get_bytes.load(Ordering::Relaxed),
        )
    }

    /// Messages stored to `topic` since start.
    pub fn topic_puts(&self, topic: &str) -> u64 {
        self.topic_puts
            .read()
            .get(topic)
            .map(|c| c.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Takes a sample (call once a second).
    pub fn sample(&self, now_ms: i64) {
        let s = Sample {
            at_ms: now_ms,
            puts: self.total_puts(),
            gets: self.total_gets(),
        };
        {
            let mut h = self.history.lock();
            h.push_back(s);
            while h.len() > 601 {
                h.pop_front();
            }
        }
        // Per-topic TPS over the last ~10 s.
        if now_ms / 1000 % 10 == 0 {
            let counts: Vec<(String, u64)> = self
                .topic_puts
                .read()
                .iter()
                .map(|(t, c)| (t.clone(), c.load(Ordering::Relaxed)))
                .collect();
            let mut tps = self.topic_tps.lock();
            for (t, n) in counts {
                let e = tps.entry(t).or_insert((n, 0.0));
                e.1 = (n - e.0.min(n)) as f64 / 10.0;
                e.0 = n;
            }
        }
        let day = now_ms.div_euclid(86_400_000);
        let mut d = self.day.lock();
        if d.day != day {
            d.puts_yesterday_morning = d.puts_today_morning;
            d.gets_yesterday_morning = d.gets_today_morning;
            d.puts_today_morning = s.puts;
            d.gets_today_morning = s.gets;
            d.day = day;
        }
    }

    /// TPS over 10 s, 60 s and 600 s.
    pub fn tps(&self) -> Tps {
        let h = self.history.lock();
        let mut out = Tps::default();
        let Some(last) = h.back().copied() else {
            return out;
        };
        for (i, secs) in [10usize, 60, 600].into_iter().enumerate() {
            let idx = h.len().saturating_sub(secs + 1);
            let first = h[idx];
            let dt = (last.at_ms - first.at_ms) as f64 / 1000.0;
            if dt > 0.0 {
                out.put[i] = (last.puts - first.puts) as f64 / dt;
                out.get[i] = (last.gets - first.gets) as f64 / dt;
            }
        }
        out
    }

    /// The recent put TPS of `topic`.
    pub fn topic_tps(&self, topic: &str) -> f64 {
        self.topic_tps.lock().get(topic).map(|e| e.1).unwrap_or(0.0)
    }

    /// (puts today, gets today, puts yesterday, gets yesterday) counted from the day
    /// boundaries this process saw.
    pub fn day_counters(&self) -> (u64, u64, u64, u64) {
        let d = *self.day.lock();
        let (p, g) = (self.total_puts(), self.total_gets());
        (
            p - d.puts_today_morning.min(p),
            g - d.gets_today_morning.min(g),
            d.puts_today_morning - d.puts_yesterday_morning.min(d.puts_today_morning),
            d.gets_today_morning - d.gets_yesterday_morning.min(d.gets_today_morning),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tps_over_windows() {
        let s = BrokerStats::default();
        for i in 0..=20 {
            s.record_put("T", 100, 1000);
            s.sample(1_000_000 + i * 1000);
        }
        let tps = s.tps();
        assert!((tps.put[0] - 100.0).abs() < 1e-9, "{tps:?}");
        assert!((tps.put[1] - 100.0).abs() < 1e-9);
        assert_eq!(s.topic_puts("T"), 2100);
        assert_eq!(s.topic_puts("U"), 0);
    }
}
