//! Latency and throughput bookkeeping shared by the benchmarks: a sharded HDR histogram that
//! many tasks and blocking-pool threads record into without contending on one lock, and the
//! percentile summary printed at the end.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::Serialize;

/// Highest value a histogram tracks; larger samples are clamped to it (one hour in µs).
const HIGHEST: u64 = 3_600_000_000;
/// Significant decimal digits kept (0.1 % relative error).
const SIGFIG: u8 = 3;
/// Shards per histogram; recorders pick one per thread.
const SHARDS: usize = 8;

fn new_histogram() -> Histogram<u64> {
    // The bounds are constants that satisfy hdrhistogram's rules (low ≥ 1, high ≥ 2·low).
    Histogram::new_with_bounds(1, HIGHEST, SIGFIG).expect("valid histogram bounds")
}

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

/// An HDR histogram split into per-thread shards, merged when read.
pub struct ShardedHistogram {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl std::fmt::Debug for ShardedHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedHistogram")
            .field("count", &self.merged().len())
            .finish()
    }
}

impl Default for ShardedHistogram {
    fn default() -> Self {
        ShardedHistogram {
            shards: (0..SHARDS).map(|_| Mutex::new(new_histogram())).collect(),
        }
    }
}

impl ShardedHistogram {
    /// Records one sample (clamped to the tracked range).
    pub fn record(&self, value: u64) {
        let shard = SHARD.with(|s| *s);
        self.shards[shard].lock().saturating_record(value.max(1));
    }

    /// All shards added together.
    pub fn merged(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for s in &self.shards {
            // Same bounds everywhere, so adding cannot fail.
            let _ = all.add(&*s.lock());
        }
        all
    }
}

/// A latency distribution in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest sample.
    pub max: f64,
}

impl Percentiles {
    /// Reads `h`, whose samples are in units of `1/per_ms` milliseconds (1000 for µs, 1 for
    /// ms). An empty histogram gives zeros.
    pub fn from_histogram(h: &Histogram<u64>, per_ms: f64) -> Self {
        if h.is_empty() {
            return Percentiles {
                count: 0,
                mean: 0.0,
                p50: 0.0,
                p90: 0.0,
                p99: 0.0,
                p999: 0.0,
                max: 0.0,
            };
        }
        // `value_at_quantile` returns the highest value equivalent to the bucket's; clamp it
        // to the recorded maximum so p999 never exceeds max.
        let max = h.max();
        let q = |p: f64| h.value_at_quantile(p).min(max) as f64 / per_ms;
        Percentiles {
            count: h.len(),
            mean: h.mean() / per_ms,
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            p999: q(0.999),
            max: max as f64 / per_ms,
        }
    }

    /// `p50 1.234 | p90 … | max …` in ms.
    pub fn line(&self) -> String {
        format!(
            "p50 {:.3} | p90 {:.3} | p99 {:.3} | p999 {:.3} | max {:.3} | mean {:.3}",
            self.p50, self.p90, self.p99, self.p999, self.max, self.mean
        )
    }
}

/// Raises `cell` to `value` if larger.
pub fn store_max(cell: &AtomicU64, value: u64) {
    cell.fetch_max(value, Ordering::Relaxed);
}

/// A monotonic counter snapshot pair turned into a per-second rate.
pub fn per_second(delta: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        0.0
    } else {
        delta as f64 / secs
    }
}

/// Mean of `sum` over `count`, 0 when there is nothing.
pub fn mean(sum: u64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum as f64 / count as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let h = ShardedHistogram::default();
        // 1..=1000 µs, uniformly.
        for v in 1..=1000u64 {
            h.record(v);
        }
        let p = Percentiles::from_histogram(&h.merged(), 1000.0);
        assert_eq!(p.count, 1000);
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.002 + 1e-9;
        assert!(close(p.p50, 0.500), "{p:?}");
        assert!(close(p.p90, 0.900), "{p:?}");
        assert!(close(p.p99, 0.990), "{p:?}");
        assert!(close(p.p999, 0.999), "{p:?}");
        assert!(close(p.max, 1.000), "{p:?}");
        assert!(close(p.mean, 0.5005), "{p:?}");
        assert!(p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.p999 && p.p999 <= p.max);
    }

    #[test]
    fn shards_from_many_threads_merge() {
        let h = Arc::new(ShardedHistogram::default());
        let threads: Vec<_> = (0..12)
            .map(|t| {
                let h = h.clone();
                std::thread::spawn(move || {
                    for i in 0..500u64 {
                        h.record(t * 1000 + i + 1);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let m = h.merged();
        assert_eq!(m.len(), 6000);
        assert_eq!(m.min(), 1);
        assert!(m.max() >= 11_500 && m.max() <= 11_510, "{}", m.max());
    }

    #[test]
    fn outliers_are_clamped_and_zero_counts_as_one() {
        let h = ShardedHistogram::default();
        h.record(0);
        h.record(u64::MAX);
        let m = h.merged();
        assert_eq!(m.len(), 2);
        assert_eq!(m.min(), 1);
        assert!(m.max() >= HIGHEST);
        let p = Percentiles::from_histogram(&m, 1.0);
        assert!(p.p999 <= p.max);
    }

    #[test]
    fn empty_is_zero() {
        let p = Percentiles::from_histogram(&ShardedHistogram::default().merged(), 1000.0);
        assert_eq!(p.count, 0);
        assert_eq!(p.max, 0.0);
    }

    #[test]
    fn rates_and_means() {
        assert_eq!(per_second(500, 0.5), 1000.0);
        assert_eq!(per_second(5, 0.0), 0.0);
        assert_eq!(mean(10, 4), 2.5);
        assert_eq!(mean(10, 0), 0.0);
        let c = AtomicU64::new(5);
        store_max(&c, 3);
        store_max(&c, 9);
        assert_eq!(c.load(Ordering::Relaxed), 9);
    }
}
