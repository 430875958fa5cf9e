//! `bench consumer`: a push consumer (clustering, concurrent listener) that counts what it
//! receives and how old it is — born→consume (producer clock) and store→consume (broker
//! clock), as RocketMQ's `Consumer` benchmark reports them.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{ArgAction, Args, ValueEnum};
use ferromq_client::{
    ConcurrentlyContext, ConcurrentlyStatus, ConsumeFromWhere, PushConsumer, PushConsumerConfig,
    ReceivedMessage,
};
use tokio_util::sync::CancellationToken;

use super::report::{self, ConsumeSnapshot, ConsumerSummary};
use super::run_control::stop_token;
use super::stats::{store_max, Percentiles, ShardedHistogram};
use super::{parse_bool, topic, CommonArgs};

/// Where a group without a committed offset starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StartFrom {
    /// The queue's end (RocketMQ's default, `CONSUME_FROM_LAST_OFFSET`).
    Last,
    /// Offset 0: drain what is stored (measures the consume rate of a backlog).
    First,
}

/// Options of `bench consumer` (RocketMQ's letters).
#[derive(Debug, Clone, Args)]
pub struct ConsumerArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Listener calls running at once (`consumeThreadMax`).
    #[arg(short = 'w', long = "threadCount", default_value_t = 20)]
    pub threads: usize,
    /// Consumer group.
    #[arg(short = 'g', long = "group", default_value = "benchmark_consumer")]
    pub group: String,
    /// Append `_<0..99>` to the group, for a fresh group per run.
    #[arg(short = 'p', long = "groupSuffix", num_args = 0..=1, default_value_t = false,
          default_missing_value = "true", value_parser = parse_bool, action = ArgAction::Set)]
    pub group_suffix: bool,
    /// Filter type with `-e`: TAG or SQL92.
    #[arg(short = 'f', long = "filterType")]
    pub filter_type: Option<String>,
    /// Filter expression, or a file holding it (RocketMQ reads a file).
    #[arg(short = 'e', long = "expression")]
    pub expression: Option<String>,
    /// Fraction of messages (0–1) the listener fails, to exercise redelivery.
    #[arg(short = 'r', long = "failRate", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Stop after consuming this many messages (0 = until `--duration` or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub quantity: u64,
    /// Where a new group starts.
    #[arg(long = "from", value_enum, default_value_t = StartFrom::Last)]
    pub from: StartFrom,
    /// Messages per listener call (`consumeMessageBatchMaxSize`).
    #[arg(long = "consume-batch", default_value_t = 1)]
    pub consume_batch: usize,
    /// Messages per pull request (`pullBatchSize`).
    #[arg(long = "pull-batch", default_value_t = 32)]
    pub pull_batch: i32,
}

/// Counters of a consumer run, updated from the listener threads.
#[derive(Debug)]
struct ConsumeStats {
    start: Instant,
    consumed: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
    b2c_sum_ms: AtomicU64,
    s2c_sum_ms: AtomicU64,
    b2c_max_ms: AtomicU64,
    s2c_max_ms: AtomicU64,
    first_ns: AtomicU64,
    last_ns: AtomicU64,
    b2c: ShardedHistogram,
    s2c: ShardedHistogram,
}

impl ConsumeStats {
    fn new() -> Self {
        ConsumeStats {
            start: Instant::now(),
            consumed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            b2c_sum_ms: AtomicU64::new(0),
            s2c_sum_ms: AtomicU64::new(0),
            b2c_max_ms: AtomicU64::new(0),
            s2c_max_ms: AtomicU64::new(0),
            first_ns: AtomicU64::new(u64::MAX),
            last_ns: AtomicU64::new(0),
            b2c: ShardedHistogram::default(),
            s2c: ShardedHistogram::default(),
        }
    }

    /// Records messages consumed successfully at `now_ms` (epoch ms); returns the new total.
    fn consumed(&self, msgs: &[ReceivedMessage], now_ms: i64) -> u64 {
        for m in msgs {
            let b2c = (now_ms - m.born_timestamp).max(0) as u64;
            let s2c = (now_ms - m.store_timestamp).max(0) as u64;
            self.b2c.record(b2c);
            self.s2c.record(s2c);
            self.b2c_sum_ms.fetch_add(b2c, Ordering::Relaxed);
            self.s2c_sum_ms.fetch_add(s2c, Ordering::Relaxed);
            store_max(&self.b2c_max_ms, b2c);
            store_max(&self.s2c_max_ms, s2c);
            self.bytes.fetch_add(m.body.len() as u64, Ordering::Relaxed);
        }
        let at = self.start.elapsed().as_nanos() as u64;
        self.first_ns.fetch_min(at, Ordering::Relaxed);
        self.last_ns.fetch_max(at, Ordering::Relaxed);
        self.consumed
            .fetch_add(msgs.len() as u64, Ordering::Relaxed)
            + msgs.len() as u64
    }

    fn snapshot(&self) -> ConsumeSnapshot {
        ConsumeSnapshot {
            consumed: self.consumed.load(Ordering::Relaxed),
            b2c_sum_ms: self.b2c_sum_ms.load(Ordering::Relaxed),
            s2c_sum_ms: self.s2c_sum_ms.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// The span the rate is computed over: first to last consumed message (time spent waiting
    /// for a producer does not count); the whole run when fewer than two arrived.
    fn active_span(&self) -> Duration {
        let first = self.first_ns.load(Ordering::Relaxed);
        let last = self.last_ns.load(Ordering::Relaxed);
        if first == u64::MAX || last <= first || self.consumed.load(Ordering::Relaxed) < 2 {
            self.start.elapsed()
        } else {
            Duration::from_nanos(last - first)
        }
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let t = ferromq_protocol::time::now_nanos() as u64;
    let here = &t as *const u64 as u64;
    (t ^ here.rotate_left(32)) | 1
}

/// A uniform sample in [0, 1) from a per-thread xorshift generator.
fn uniform() -> f64 {
    RNG.with(|r| {
        let mut x = r.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// The filter expression: the content of the file `-e` names, else `-e` itself.
fn read_expression(e: &str) -> anyhow::Result<String> {
    let path = std::path::Path::new(e);
    if path.is_file() {
        Ok(std::fs::read_to_string(path)?.trim().to_string())
    } else {
        Ok(e.trim().to_string())
    }
}

/// Runs `bench consumer`.
pub async fn run(args: ConsumerArgs) -> anyhow::Result<()> {
    let group = if args.group_suffix {
        let ms = ferromq_protocol::time::now_ms();
        format!("{}_{}", args.group, ms % 100)
    } else {
        args.group.clone()
    };
    eprintln!(
        "topic: {}, threadCount: {}, group: {group}, filterType: {}, expression: {}, failRate: {}, from: {:?}, messageQuantity: {}, duration: {}s",
        args.common.topic,
        args.threads,
        args.filter_type.as_deref().unwrap_or("-"),
        args.expression.as_deref().unwrap_or("-"),
        args.fail_rate,
        args.from,
        args.quantity,
        args.common.duration_secs,
    );

    topic::ensure_bench_topic(&args.common).await?;

    let mut config = PushConsumerConfig::new(group.clone(), &args.common.namesrv);
    config.client = args.common.client_config()?;
    config.consume_concurrency = args.threads.max(1);
    config.consume_batch_max_size = args.consume_batch.max(1);
    config.pull_batch_size = args.pull_batch.max(1);
    config.consume_from_where = match args.from {
        StartFrom::Last => ConsumeFromWhere::ConsumeFromLastOffset,
        StartFrom::First => ConsumeFromWhere::ConsumeFromFirstOffset,
    };
    let consumer = PushConsumer::new(config);
    match (args.filter_type.as_deref(), args.expression.as_deref()) {
        (Some(ty), Some(e)) => {
            let expr = read_expression(e)?;
            eprintln!("Expression: {expr}");
            if ty.eq_ignore_ascii_case("TAG") {
                consumer.subscribe(&args.common.topic, &expr)?;
            } else if ty.eq_ignore_ascii_case("SQL92") {
                consumer.subscribe_sql(&args.common.topic, &expr)?;
            } else {
                anyhow::bail!("unsupported filter type `{ty}` (TAG or SQL92)");
            }
        }
        _ => consumer.subscribe(&args.common.topic, "*")?,
    }

    let stop = stop_token(args.common.duration_secs);
    let stats = Arc::new(ConsumeStats::new());
    consumer.register_concurrent_listener(listener(
        stats.clone(),
        stop.clone(),
        args.fail_rate,
        args.quantity,
    ));
    consumer.start().await?;
    eprintln!("Consumer Started.");

    let progress = {
        let stats = stats.clone();
        let mut prev = ConsumeSnapshot::default();
        report::spawn_progress(
            Duration::from_millis(args.common.report_interval_ms.max(1)),
            stop.clone(),
            move |at, secs| {
                let cur = stats.snapshot();
                let b2c = stats.b2c_max_ms.swap(0, Ordering::Relaxed);
                let s2c = stats.s2c_max_ms.swap(0, Ordering::Relaxed);
                let line = report::consume_progress(at, &prev, &cur, secs, b2c, s2c);
                prev = cur;
                line
            },
        )
    };
    stop.cancelled().await;
    let span = stats.active_span();
    consumer.shutdown().await;
    let _ = progress.await;

    let summary = ConsumerSummary {
        benchmark: "consumer",
        topic: args.common.topic.clone(),
        group,
        threads: args.threads,
        elapsed_secs: span.as_secs_f64(),
        messages_consumed: stats.consumed.load(Ordering::Relaxed),
        consume_failed: stats.failed.load(Ordering::Relaxed),
        bytes: stats.bytes.load(Ordering::Relaxed),
        tps: 0.0,
        mb_per_sec: 0.0,
        b2c_ms: Percentiles::from_histogram(&stats.b2c.merged(), 1.0),
        s2c_ms: Percentiles::from_histogram(&stats.s2c.merged(), 1.0),
    }
    .with_rates();
    report::print_summary(&summary, &summary.text(), args.common.json)
}

/// The benchmark's listener: fails `fail_rate` of the calls, counts the rest, and stops the
/// run once `quantity` messages are consumed.
fn listener(
    stats: Arc<ConsumeStats>,
    stop: CancellationToken,
    fail_rate: f64,
    quantity: u64,
) -> impl Fn(&[ReceivedMessage], &mut ConcurrentlyContext) -> ConcurrentlyStatus + Send + Sync + 'static
{
    move |msgs: &[ReceivedMessage], _ctx: &mut ConcurrentlyContext| {
        if fail_rate > 0.0 && uniform() < fail_rate {
            stats.failed.fetch_add(msgs.len() as u64, Ordering::Relaxed);
            return ConcurrentlyStatus::ReconsumeLater;
        }
        let total = stats.consumed(msgs, epoch_millis());
        if quantity > 0 && total >= quantity {
            stop.cancel();
        }
        ConcurrentlyStatus::ConsumeSuccess
    }
}

use ferromq_protocol::time::now_ms as epoch_millis;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_in_range_and_roughly_uniform() {
        let n = 100_000;
        let mut below = 0;
        for _ in 0..n {
            let u = uniform();
            assert!((0.0..1.0).contains(&u));
            if u < 0.25 {
                below += 1;
            }
        }
        let frac = below as f64 / n as f64;
        assert!((frac - 0.25).abs() < 0.01, "{frac}");
    }

    #[test]
    fn expression_from_file_or_literal() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("expr");
        std::fs::write(&f, "TagA || TagB\n").unwrap();
        assert_eq!(
            read_expression(f.to_str().unwrap()).unwrap(),
            "TagA || TagB"
        );
        assert_eq!(read_expression(" a > 1 ").unwrap(), "a > 1");
    }

    fn received(born: i64, stored: i64, body: &'static str) -> ReceivedMessage {
        let host: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        ReceivedMessage {
            topic: "T".into(),
            body: body.as_bytes().to_vec().into(),
            flag: 0,
            properties: ferromq_protocol::message::Properties::new(),
            broker_name: "b".into(),
            queue_id: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            store_size: 0,
            sys_flag: 0,
            born_timestamp: born,
            born_host: host,
            store_timestamp: stored,
            store_host: host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
        }
    }

    #[test]
    fn consumed_messages_feed_counts_and_latencies() {
        let s = ConsumeStats::new();
        let total = s.consumed(&[received(900, 950, "abc"), received(990, 995, "de")], 1000);
        assert_eq!(total, 2);
        let snap = s.snapshot();
        assert_eq!(snap.b2c_sum_ms, 100 + 10);
        assert_eq!(snap.s2c_sum_ms, 50 + 5);
        assert_eq!(s.bytes.load(Ordering::Relaxed), 5);
        assert_eq!(s.b2c_max_ms.load(Ordering::Relaxed), 100);
        assert_eq!(s.s2c_max_ms.load(Ordering::Relaxed), 50);
        // A clock behind the producer's counts as 0, not as a huge unsigned value.
        s.consumed(&[received(2000, 2000, "x")], 1000);
        assert_eq!(s.b2c.merged().max(), 100);
    }

    #[test]
    fn listener_stops_the_run_at_the_quantity_and_fails_at_the_rate() {
        let stats = Arc::new(ConsumeStats::new());
        let stop = CancellationToken::new();
        let l = listener(stats.clone(), stop.clone(), 0.0, 3);
        let mq = ferromq_client::MessageQueue::new("T", "b", 0);
        let mut ctx = ConcurrentlyContext::new(mq.clone());
        let now = epoch_millis();
        let batch = [received(now, now, "a"), received(now, now, "b")];
        assert_eq!(l(&batch, &mut ctx), ConcurrentlyStatus::ConsumeSuccess);
        assert!(!stop.is_cancelled());
        assert_eq!(l(&batch, &mut ctx), ConcurrentlyStatus::ConsumeSuccess);
        assert!(stop.is_cancelled());
        assert_eq!(stats.consumed.load(Ordering::Relaxed), 4);

        let failing = listener(stats.clone(), CancellationToken::new(), 1.0, 0);
        assert_eq!(
            failing(&batch, &mut ctx),
            ConcurrentlyStatus::ReconsumeLater
        );
        assert_eq!(stats.failed.load(Ordering::Relaxed), 2);
        assert_eq!(stats.consumed.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn span_is_first_to_last_message() {
        let s = ConsumeStats::new();
        assert_eq!(s.snapshot(), ConsumeSnapshot::default());
        s.first_ns.store(1_000_000_000, Ordering::Relaxed);
        s.last_ns.store(3_000_000_000, Ordering::Relaxed);
        s.consumed.store(10, Ordering::Relaxed);
        assert_eq!(s.active_span(), Duration::from_secs(2));
    }
}
