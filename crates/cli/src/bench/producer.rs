//! `bench producer` and `bench batch`: `-w` tasks sending single messages or batches of `-b`
//! synchronously, or (`-y`) async sends with up to `--inflight` requests outstanding — the
//! tokio counterpart of RocketMQ's `Producer` / `BatchProducer` benchmark classes. Latency is
//! each request's round trip, from the call to the broker's answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{ArgAction, Args};
use ferromq_client::CompressionConfig;
use ferromq_client::{ClientError, Message, Producer, ProducerConfig, SendStatus};
use tokio::sync::Semaphore;
use tokio_util::bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::rate::RateLimiter;
use super::report::{self, ProducerSummary, SendSnapshot};
use super::run_control::{stop_token, Quota};
use super::stats::{store_max, Percentiles, ShardedHistogram};
use super::{parse_bool, topic, CommonArgs};

/// Failures reported in detail before the benchmark goes quiet about them.
const LOGGED_FAILURES: u64 = 10;
/// Pause of a sync sender after a failure (RocketMQ's benchmark pauses 3 s).
const FAILURE_PAUSE: Duration = Duration::from_millis(200);

/// Options of `bench producer` / `bench batch` (RocketMQ's letters).
#[derive(Debug, Clone, Args)]
pub struct ProducerArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Sending tasks: concurrent sync senders, or async dispatchers with `-y` (default 64
    /// sync, 1 async).
    #[arg(short = 'w', long = "threadCount")]
    pub threads: Option<usize>,
    /// Body size in bytes.
    #[arg(short = 's', long = "messageSize", default_value_t = 128)]
    pub message_size: usize,
    /// Messages per request (default 1 for `producer`, 16 for `batch`).
    #[arg(short = 'b', long = "batchSize")]
    pub batch: Option<usize>,
    /// Give every message a key (its sequence number), indexed by the broker.
    #[arg(short = 'k', long = "keyEnable", num_args = 0..=1, default_value_t = false,
          default_missing_value = "true", value_parser = parse_bool, action = ArgAction::Set)]
    pub keys: bool,
    /// Tag messages `tag0` … `tag<n-1>` round robin (0 = no tag).
    #[arg(short = 'l', long = "tagCount", default_value_t = 0)]
    pub tag_count: u64,
    /// Messages to send (0 = until `--duration` or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub quantity: u64,
    /// Async sends: requests are started without waiting for the previous answer.
    #[arg(short = 'y', long = "asyncEnable", num_args = 0..=1, default_value_t = false,
          default_missing_value = "true", value_parser = parse_bool, action = ArgAction::Set)]
    pub async_send: bool,
    /// Async mode: requests outstanding at once.
    #[arg(long = "inflight", default_value_t = 256)]
    pub inflight: usize,
    /// Send delayed messages (delay level `-e`).
    #[arg(short = 'd', long = "delayEnable", num_args = 0..=1, default_value_t = false,
          default_missing_value = "true", value_parser = parse_bool, action = ArgAction::Set)]
    pub delay: bool,
    /// Delay level with `-d` (1 = 1 s, 2 = 5 s, …).
    #[arg(short = 'e', long = "delayLevel", default_value_t = 1)]
    pub delay_level: i32,
    /// Compress bodies of at least `--ch` bytes (zlib level `--cl`).
    #[arg(short = 'c', long = "compressEnable", num_args = 0..=1, default_value_t = false,
          default_missing_value = "true", value_parser = parse_bool, action = ArgAction::Set)]
    pub compress: bool,
    /// zlib level with `-c`.
    #[arg(long = "cl", alias = "compressLevel", default_value_t = 5)]
    pub compress_level: u32,
    /// Compression threshold in bytes with `-c`.
    #[arg(long = "ch", alias = "compressOverHowMuch", default_value_t = 4096)]
    pub compress_over: usize,
    /// Cap the send rate at this many messages per second (to measure latency below peak).
    #[arg(long = "rate")]
    pub rate: Option<f64>,
    /// Producer group.
    #[arg(short = 'g', long = "group", default_value = "benchmark_producer")]
    pub group: String,
}

/// Counters of a producer run, updated by every sender.
#[derive(Debug, Default)]
struct SendStats {
    requests: AtomicU64,
    messages: AtomicU64,
    rt_sum_us: AtomicU64,
    send_failed: AtomicU64,
    response_failed: AtomicU64,
    messages_failed: AtomicU64,
    interval_max_us: AtomicU64,
    /// Nanoseconds from the start to the latest answer.
    last_done_ns: AtomicU64,
    rt_us: ShardedHistogram,
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// No answer: connection, timeout, no route (Java's `Send Failed`).
    SendFailed,
    /// A broker refused it or stored it with a non-OK status (Java's `Response Failed`).
    ResponseFailed,
}

fn is_broker_answer(e: &ClientError) -> bool {
    match e {
        ClientError::Broker { .. } => true,
        ClientError::SendFailed { last, .. } => is_broker_answer(last),
        _ => false,
    }
}

impl SendStats {
    fn record(&self, start: Instant, begun: Instant, messages: u64, outcome: Outcome) {
        let now = Instant::now();
        self.last_done_ns
            .fetch_max((now - start).as_nanos() as u64, Ordering::Relaxed);
        match outcome {
            Outcome::Ok => {
                let us = (now - begun).as_micros() as u64;
                self.rt_us.record(us);
                self.rt_sum_us.fetch_add(us, Ordering::Relaxed);
                store_max(&self.interval_max_us, us);
                self.messages.fetch_add(messages, Ordering::Relaxed);
                // Last, so a snapshot never sees a request without its messages.
                self.requests.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::SendFailed | Outcome::ResponseFailed => {
                self.messages_failed.fetch_add(messages, Ordering::Relaxed);
                let cell = if outcome == Outcome::SendFailed {
                    &self.send_failed
                } else {
                    &self.response_failed
                };
                cell.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn failures(&self) -> u64 {
        self.send_failed.load(Ordering::Relaxed) + self.response_failed.load(Ordering::Relaxed)
    }

    fn snapshot(&self) -> SendSnapshot {
        SendSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            rt_sum_us: self.rt_sum_us.load(Ordering::Relaxed),
            send_failed: self.send_failed.load(Ordering::Relaxed),
            response_failed: self.response_failed.load(Ordering::Relaxed),
        }
    }
}

/// Builds the messages of a run: one shared random body, optional keys, tags and delay.
#[derive(Debug)]
struct MessageFactory {
    topic: String,
    body: Bytes,
    keys: bool,
    tag_count: u64,
    delay_level: Option<i32>,
    seq: AtomicU64,
}

/// `len` pseudo-random alphanumeric bytes (like Java's `RandomStringUtils.randomAlphanumeric`).
fn random_body(len: usize, mut seed: u64) -> Bytes {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    seed |= 1;
    (0..len)
        .map(|_| {
            // xorshift64
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ALPHABET[(seed % ALPHABET.len() as u64) as usize]
        })
        .collect::<Vec<u8>>()
        .into()
}

impl MessageFactory {
    fn new(args: &ProducerArgs) -> Self {
        let seed = ferromq_protocol::time::now_nanos() as u64 ^ 0x9e37_79b9_7f4a_7c15;
        MessageFactory {
            topic: args.common.topic.clone(),
            body: random_body(args.message_size.max(1), seed),
            keys: args.keys,
            tag_count: args.tag_count,
            delay_level: args.delay.then_some(args.delay_level),
            seq: AtomicU64::new(0),
        }
    }

    fn build(&self, n: u64) -> Vec<Message> {
        let first = self.seq.fetch_add(n, Ordering::Relaxed);
        (first..first + n)
            .map(|seq| {
                let mut m = Message::new(self.topic.clone(), self.body.clone());
                if self.keys {
                    m = m.with_keys([seq.to_string()]);
                }
                if self.tag_count > 0 {
                    m = m.with_tags(format!("tag{}", seq % self.tag_count));
                }
                if let Some(level) = self.delay_level {
                    m = m.with_delay_level(level);
                }
                m
            })
            .collect()
    }
}

/// Everything a sender needs.
struct Run {
    producer: Producer,
    factory: MessageFactory,
    stats: SendStats,
    quota: Quota,
    limiter: Option<RateLimiter>,
    batch: u64,
    start: Instant,
    stop: CancellationToken,
}

impl Run {
    /// Claims, paces and builds the next request; `None` when the run is over.
    async fn next_request(&self) -> Option<Vec<Message>> {
        if self.stop.is_cancelled() {
            return None;
        }
        let n = self.quota.claim(self.batch);
        if n == 0 {
            return None;
        }
        if let Some(l) = &self.limiter {
            tokio::select! {
                _ = l.acquire(n) => {}
                _ = self.stop.cancelled() => return None,
            }
        }
        Some(self.factory.build(n))
    }

    /// Sends one request and records it.
    async fn send(&self, msgs: Vec<Message>) -> Outcome {
        let n = msgs.len() as u64;
        let begun = Instant::now();
        let result = if self.batch > 1 {
            self.producer.send_batch(msgs).await
        } else {
            match msgs.into_iter().next() {
                Some(m) => self.producer.send(m).await,
                None => return Outcome::Ok,
            }
        };
        let outcome = match &result {
            Ok(r) if r.status == SendStatus::SendOk => Outcome::Ok,
            Ok(_) => Outcome::ResponseFailed,
            Err(e) if is_broker_answer(e) => Outcome::ResponseFailed,
            Err(_) => Outcome::SendFailed,
        };
        if outcome != Outcome::Ok && self.stats.failures() < LOGGED_FAILURES {
            match &result {
                Ok(r) => eprintln!("send stored with status {:?}", r.status),
                Err(e) => eprintln!("send failed: {}", error_chain(e)),
            }
        }
        self.stats.record(self.start, begun, n, outcome);
        outcome
    }
}

/// `error: cause: cause` in one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Runs `bench producer` (`default_batch` 1) or `bench batch` (16).
pub async fn run(args: ProducerArgs, default_batch: usize) -> anyhow::Result<()> {
    let batch = args.batch.unwrap_or(default_batch).max(1);
    let threads = args
        .threads
        .unwrap_or(if args.async_send { 1 } else { 64 })
        .max(1);
    let inflight = args.inflight.max(1);
    let benchmark = if default_batch > 1 || batch > 1 {
        "batch"
    } else {
        "producer"
    };
    eprintln!(
        "topic: {}, threadCount: {threads}, messageSize: {}, batchSize: {batch}, keyEnable: {}, tagCount: {}, async: {}{}, delay: {}, compress: {}, rate: {}, messageQuantity: {}, duration: {}s",
        args.common.topic,
        args.message_size,
        args.keys,
        args.tag_count,
        args.async_send,
        if args.async_send { format!(" (inflight {inflight})") } else { String::new() },
        args.delay,
        args.compress,
        args.rate.map(|r| format!("{r} msg/s")).unwrap_or_else(|| "unlimited".into()),
        args.quantity,
        args.common.duration_secs,
    );

    topic::ensure_bench_topic(&args.common).await?;

    let mut config = ProducerConfig::new(args.group.clone(), &args.common.namesrv);
    config.client = args.common.client_config()?;
    config.compression = if args.compress {
        CompressionConfig {
            threshold: args.compress_over,
            level: args.compress_level.min(9),
        }
    } else {
        CompressionConfig {
            threshold: usize::MAX,
            level: 0,
        }
    };
    let producer = Producer::new(config);
    producer.start().await?;
    producer.publish_queues(&args.common.topic).await?;

    let stop = stop_token(args.common.duration_secs);
    let run = Arc::new(Run {
        producer: producer.clone(),
        factory: MessageFactory::new(&args),
        stats: SendStats::default(),
        quota: Quota::new(args.quantity),
        limiter: args.rate.filter(|r| *r > 0.0).map(RateLimiter::new),
        batch: batch as u64,
        start: Instant::now(),
        stop: stop.clone(),
    });

    let progress = {
        let run = run.clone();
        let mut prev = SendSnapshot::default();
        report::spawn_progress(
            Duration::from_millis(args.common.report_interval_ms.max(1)),
            stop.clone(),
            move |at, secs| {
                let cur = run.stats.snapshot();
                let max = run.stats.interval_max_us.swap(0, Ordering::Relaxed);
                let line = report::send_progress(at, &prev, &cur, secs, max, batch > 1);
                prev = cur;
                line
            },
        )
    };

    let mut senders = Vec::with_capacity(threads);
    let permits = Arc::new(Semaphore::new(inflight));
    let async_send = args.async_send;
    for _ in 0..threads {
        let run = run.clone();
        let permits = permits.clone();
        senders.push(tokio::spawn(async move {
            if async_send {
                async_sender(run, permits).await
            } else {
                sync_sender(run).await
            }
        }));
    }
    for s in senders {
        s.await?;
    }
    if args.async_send {
        // Every outstanding request has answered once all permits are back.
        let _all = permits.acquire_many(inflight as u32).await?;
    }
    stop.cancel();
    let _ = progress.await;

    let stats = &run.stats;
    let elapsed = Duration::from_nanos(stats.last_done_ns.load(Ordering::Relaxed));
    let summary = ProducerSummary {
        benchmark,
        topic: args.common.topic.clone(),
        message_size: args.message_size,
        batch_size: batch,
        threads,
        async_send: args.async_send,
        inflight: args.async_send.then_some(inflight),
        rate_limit: run.limiter.as_ref().and(args.rate),
        elapsed_secs: elapsed.as_secs_f64(),
        messages_sent: stats.messages.load(Ordering::Relaxed),
        requests_sent: stats.requests.load(Ordering::Relaxed),
        send_failed: stats.send_failed.load(Ordering::Relaxed),
        response_failed: stats.response_failed.load(Ordering::Relaxed),
        messages_failed: stats.messages_failed.load(Ordering::Relaxed),
        tps: 0.0,
        requests_per_sec: 0.0,
        mb_per_sec: 0.0,
        latency_ms: Percentiles::from_histogram(&stats.rt_us.merged(), 1000.0),
    }
    .with_rates();
    producer.shutdown().await;
    report::print_summary(&summary, &summary.text(), args.common.json)
}

/// One sync sender: a request, its answer, the next request.
async fn sync_sender(run: Arc<Run>) {
    while let Some(msgs) = run.next_request().await {
        if run.send(msgs).await != Outcome::Ok {
            tokio::select! {
                _ = tokio::time::sleep(FAILURE_PAUSE) => {}
                _ = run.stop.cancelled() => {}
            }
        }
    }
}

/// One async dispatcher: starts requests while fewer than `--inflight` are outstanding.
async fn async_sender(run: Arc<Run>, permits: Arc<Semaphore>) {
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = run.stop.cancelled() => return,
        };
        let Some(msgs) = run.next_request().await else {
            return;
        };
        let run = run.clone();
        tokio::spawn(async move {
            run.send(msgs).await;
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_alphanumeric_of_the_requested_size() {
        let b = random_body(1024, 42);
        assert_eq!(b.len(), 1024);
        assert!(b.iter().all(u8::is_ascii_alphanumeric));
        assert_ne!(b, random_body(1024, 1001));
        // Not one repeated byte.
        assert!(b.iter().any(|c| *c != b[0]));
    }

    #[test]
    fn stats_count_requests_and_messages() {
        let s = SendStats::default();
        let start = Instant::now();
        s.record(start, start, 16, Outcome::Ok);
        s.record(start, start, 16, Outcome::Ok);
        s.record(start, start, 16, Outcome::SendFailed);
        s.record(start, start, 4, Outcome::ResponseFailed);
        let snap = s.snapshot();
        assert_eq!(snap.requests, 2);
        assert_eq!(snap.messages, 32);
        assert_eq!(snap.send_failed, 1);
        assert_eq!(snap.response_failed, 1);
        assert_eq!(s.messages_failed.load(Ordering::Relaxed), 20);
        assert_eq!(s.rt_us.merged().len(), 2);
        assert_eq!(s.failures(), 2);
    }

    #[test]
    fn broker_refusals_are_response_failures() {
        let refused = ClientError::Broker {
            code: 14,
            remark: "busy".into(),
            addr: "b".into(),
        };
        assert!(is_broker_answer(&refused));
        let wrapped = ClientError::SendFailed {
            topic: "T".into(),
            attempts: 3,
            brokers: vec![],
            last: Box::new(refused),
        };
        assert!(is_broker_answer(&wrapped));
        assert!(!is_broker_answer(&ClientError::NoRoute("T".into())));
    }
}
