//! What the benchmarks print: RocketMQ-style progress lines on stderr every `--ri` ms, and a
//! final summary (TPS, MB/s, latency percentiles) as text or, with `--json`, as one JSON
//! object on stdout.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::stats::{mean, per_second, Percentiles};

/// Bytes per MB in MB/s figures (SI, like `MB/s` in most tools).
const BYTES_PER_MB: f64 = 1_000_000.0;

/// Cumulative producer counters at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendSnapshot {
    /// Requests answered SEND_OK.
    pub requests: u64,
    /// Messages in those requests.
    pub messages: u64,
    /// Sum of their round trips, µs.
    pub rt_sum_us: u64,
    /// Requests that failed before a broker answered (Java `Send Failed`).
    pub send_failed: u64,
    /// Requests a broker refused or stored with a non-OK status (Java `Response Failed`).
    pub response_failed: u64,
}

/// A producer progress line over the interval `prev → cur` of `secs` seconds (Java's
/// `Send TPS | Max RT(ms) | Average RT(ms) | Send Failed | Response Failed`; batch runs add
/// `Send MPS`, messages per second). Failure counts are totals, as in Java.
pub fn send_progress(
    at: Duration,
    prev: &SendSnapshot,
    cur: &SendSnapshot,
    secs: f64,
    max_rt_us: u64,
    batch: bool,
) -> String {
    let requests = cur.requests.saturating_sub(prev.requests);
    let tps = per_second(requests, secs);
    let avg_ms = mean(cur.rt_sum_us.saturating_sub(prev.rt_sum_us), requests) / 1000.0;
    let mps = if batch {
        format!(
            " | Send MPS: {:.0}",
            per_second(cur.messages.saturating_sub(prev.messages), secs)
        )
    } else {
        String::new()
    };
    format!(
        "[{:>7.1}s] Send TPS: {tps:.0}{mps} | Max RT(ms): {:.3} | Average RT(ms): {avg_ms:7.3} | Send Failed: {} | Response Failed: {}",
        at.as_secs_f64(),
        max_rt_us as f64 / 1000.0,
        cur.send_failed,
        cur.response_failed
    )
}

/// Cumulative consumer counters at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumeSnapshot {
    /// Messages handed to the listener.
    pub consumed: u64,
    /// Sum of born→consume times, ms.
    pub b2c_sum_ms: u64,
    /// Sum of store→consume times, ms.
    pub s2c_sum_ms: u64,
    /// Messages the listener failed on purpose (`-r`).
    pub failed: u64,
}

/// A consumer progress line (Java's `Consume TPS | AVG(B2C) RT(ms) | AVG(S2C) RT(ms) |
/// MAX(B2C) RT(ms) | MAX(S2C) RT(ms) | Consume Fail`, all over the interval).
pub fn consume_progress(
    at: Duration,
    prev: &ConsumeSnapshot,
    cur: &ConsumeSnapshot,
    secs: f64,
    b2c_max_ms: u64,
    s2c_max_ms: u64,
) -> String {
    let n = cur.consumed.saturating_sub(prev.consumed);
    format!(
        "[{:>7.1}s] Consume TPS: {:.0} | AVG(B2C) RT(ms): {:7.3} | AVG(S2C) RT(ms): {:7.3} | MAX(B2C) RT(ms): {b2c_max_ms} | MAX(S2C) RT(ms): {s2c_max_ms} | Consume Fail: {}",
        at.as_secs_f64(),
        per_second(n, secs),
        mean(cur.b2c_sum_ms.saturating_sub(prev.b2c_sum_ms), n),
        mean(cur.s2c_sum_ms.saturating_sub(prev.s2c_sum_ms), n),
        cur.failed.saturating_sub(prev.failed),
    )
}

/// Prints a progress line from `tick(elapsed, seconds since the last line)` every `every`
/// until `stop`.
pub fn spawn_progress<F>(every: Duration, stop: CancellationToken, mut tick: F) -> JoinHandle<()>
where
    F: FnMut(Duration, f64) -> String + Send + 'static,
{
    tokio::spawn(async move {
        let start = Instant::now();
        let mut last = start;
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = interval.tick() => {}
            }
            let now = Instant::now();
            eprintln!("{}", tick(now - start, (now - last).as_secs_f64()));
            last = now;
        }
    })
}

/// The end-of-run figures of `bench producer` / `bench batch`.
#[derive(Debug, Clone, Serialize)]
pub struct ProducerSummary {
    /// `producer` or `batch`.
    pub benchmark: &'static str,
    /// Topic.
    pub topic: String,
    /// Body bytes per message.
    pub message_size: usize,
    /// Messages per request.
    pub batch_size: usize,
    /// Sending tasks.
    pub threads: usize,
    /// Async sends (`-y`).
    pub async_send: bool,
    /// Outstanding requests allowed in async mode.
    pub inflight: Option<usize>,
    /// `--rate` target, messages per second.
    pub rate_limit: Option<f64>,
    /// From the first send to the last answer.
    pub elapsed_secs: f64,
    /// Messages stored (SEND_OK).
    pub messages_sent: u64,
    /// Requests answered SEND_OK.
    pub requests_sent: u64,
    /// Requests that failed without an answer.
    pub send_failed: u64,
    /// Requests refused by a broker or stored with a non-OK status.
    pub response_failed: u64,
    /// Messages in failed requests.
    pub messages_failed: u64,
    /// Messages per second.
    pub tps: f64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Body megabytes (10^6 bytes) per second.
    pub mb_per_sec: f64,
    /// Request round trips (send → answer), ms.
    pub latency_ms: Percentiles,
}

impl ProducerSummary {
    /// Fills the rates from the counts and the elapsed time.
    pub fn with_rates(mut self) -> Self {
        self.tps = per_second(self.messages_sent, self.elapsed_secs);
        self.requests_per_sec = per_second(self.requests_sent, self.elapsed_secs);
        self.mb_per_sec = per_second(
            self.messages_sent * self.message_size as u64,
            self.elapsed_secs,
        ) / BYTES_PER_MB;
        self
    }

    /// The human-readable summary.
    pub fn text(&self) -> String {
        format!(
            "[Complete] {} {}: {} messages in {} requests over {:.2}s | TPS: {:.0} msg/s | {:.2} MB/s | Send Failed: {} | Response Failed: {}\n           RT(ms): {}",
            self.benchmark,
            if self.async_send { "async" } else { "sync" },
            self.messages_sent,
            self.requests_sent,
            self.elapsed_secs,
            self.tps,
            self.mb_per_sec,
            self.send_failed,
            self.response_failed,
            self.latency_ms.line()
        )
    }
}

/// The end-of-run figures of `bench consumer`.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumerSummary {
    /// Always `consumer`.
    pub benchmark: &'static str,
    /// Topic.
    pub topic: String,
    /// Consumer group.
    pub group: String,
    /// Listener concurrency.
    pub threads: usize,
    /// From the first to the last consumed message.
    pub elapsed_secs: f64,
    /// Messages consumed successfully.
    pub messages_consumed: u64,
    /// Messages the listener failed (`-r`), redelivered later.
    pub consume_failed: u64,
    /// Body bytes consumed.
    pub bytes: u64,
    /// Messages per second.
    pub tps: f64,
    /// Body megabytes (10^6 bytes) per second.
    pub mb_per_sec: f64,
    /// Born (producer clock) → consumed, ms.
    pub b2c_ms: Percentiles,
    /// Stored (broker clock) → consumed, ms.
    pub s2c_ms: Percentiles,
}

impl ConsumerSummary {
    /// Fills the rates from the counts and the elapsed time.
    pub fn with_rates(mut self) -> Self {
        self.tps = per_second(self.messages_consumed, self.elapsed_secs);
        self.mb_per_sec = per_second(self.bytes, self.elapsed_secs) / BYTES_PER_MB;
        self
    }

    /// The human-readable summary.
    pub fn text(&self) -> String {
        format!(
            "[Complete] consumer: {} messages over {:.2}s | TPS: {:.0} msg/s | {:.2} MB/s | Consume Fail: {}\n           B2C(ms): {}\n           S2C(ms): {}",
            self.messages_consumed,
            self.elapsed_secs,
            self.tps,
            self.mb_per_sec,
            self.consume_failed,
            self.b2c_ms.line(),
            self.s2c_ms.line()
        )
    }
}

/// Prints a summary: JSON on stdout with `json` (text on stderr), else text on stdout.
pub fn print_summary<S: Serialize>(summary: &S, text: &str, json: bool) -> anyhow::Result<()> {
    if json {
        eprintln!("{text}");
        println!("{}", serde_json::to_string(summary)?);
    } else {
        println!("{text}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producer_line_is_interval_based() {
        let prev = SendSnapshot {
            requests: 100,
            messages: 1600,
            rt_sum_us: 50_000,
            send_failed: 1,
            response_failed: 0,
        };
        let cur = SendSnapshot {
            requests: 300,
            messages: 4800,
            rt_sum_us: 450_000,
            send_failed: 2,
            response_failed: 3,
        };
        let line = send_progress(Duration::from_secs(2), &prev, &cur, 0.5, 4_500, true);
        assert_eq!(
            line,
            "[    2.0s] Send TPS: 400 | Send MPS: 6400 | Max RT(ms): 4.500 | Average RT(ms):   2.000 | Send Failed: 2 | Response Failed: 3"
        );
        let idle = send_progress(Duration::ZERO, &cur, &cur, 1.0, 0, false);
        assert!(idle.contains("Send TPS: 0 | Max RT(ms): 0.000 | Average RT(ms):   0.000"));
    }

    #[test]
    fn consumer_line_is_interval_based() {
        let prev = ConsumeSnapshot {
            consumed: 10,
            b2c_sum_ms: 100,
            s2c_sum_ms: 50,
            failed: 1,
        };
        let cur = ConsumeSnapshot {
            consumed: 30,
            b2c_sum_ms: 160,
            s2c_sum_ms: 70,
            failed: 4,
        };
        let line = consume_progress(Duration::from_millis(1500), &prev, &cur, 2.0, 9, 7);
        assert_eq!(
            line,
            "[    1.5s] Consume TPS: 10 | AVG(B2C) RT(ms):   3.000 | AVG(S2C) RT(ms):   1.000 | MAX(B2C) RT(ms): 9 | MAX(S2C) RT(ms): 7 | Consume Fail: 3"
        );
    }

    #[test]
    fn summary_rates_and_json() {
        let p = Percentiles::from_histogram(
            &{
                let h = super::super::stats::ShardedHistogram::default();
                h.record(2000);
                h.merged()
            },
            1000.0,
        );
        let s = ProducerSummary {
            benchmark: "batch",
            topic: "T".into(),
            message_size: 1000,
            batch_size: 10,
            threads: 2,
            async_send: false,
            inflight: None,
            rate_limit: None,
            elapsed_secs: 2.0,
            messages_sent: 4000,
            requests_sent: 400,
            send_failed: 0,
            response_failed: 0,
            messages_failed: 0,
            tps: 0.0,
            requests_per_sec: 0.0,
            mb_per_sec: 0.0,
            latency_ms: p,
        }
        .with_rates();
        assert_eq!(s.tps, 2000.0);
        assert_eq!(s.requests_per_sec, 200.0);
        assert_eq!(s.mb_per_sec, 2.0);
        let v: serde_json::Value = serde_json::to_value(&s).unwrap();
        assert_eq!(v["messages_sent"], 4000);
        assert!(v["latency_ms"]["p99"].as_f64().unwrap() > 1.99);
        assert!(s.text().contains("TPS: 2000 msg/s | 2.00 MB/s"));
    }
}
