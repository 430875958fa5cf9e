//! Timer messages (RocketMQ 5.x): arbitrary delivery times from `TIMER_DELIVER_MS`,
//! `TIMER_DELAY_SEC` or `TIMER_DELAY_MS`, up to `timerMaxDelaySec`.
//!
//! Design: a timer message is parked in `rmq_sys_wheel_timer` queue 0 with its delivery time
//! in `TIMER_OUT_MS`. The timer service reads that queue in order into an in-memory wheel of
//! one-second buckets (a `BTreeMap` keyed by second, so millions of pending messages cost one
//! small entry each and no timer per message) and re-puts due messages to their real topic.
//! Progress survives restarts as a low-water mark (`config/timerOffset.json`): the queue
//! offset below which every message was delivered. After a crash, messages delivered out of
//! order above the mark may be delivered again (at-least-once, as RocketMQ's timer).

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromq_model::names;
use ferromq_protocol::message::properties::{find_property, keys, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_store::{GetMessageStatus, MessageToStore};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::error::BrokerError;
use crate::json_file;
use crate::repost::{self, PutOutcome};

const TICK: Duration = Duration::from_millis(100);
/// Queue offsets are grouped in chunks to track the low-water mark cheaply.
const CHUNK: i64 = 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TimerCheckpoint {
    commit_offset: i64,
}

struct Pending {
    deliver_ms: i64,
    phys_offset: i64,
    queue_offset: i64,
}

/// Which offsets of a chunk of the timer queue are finished (delivered or skipped).
#[derive(Default, Clone)]
struct ChunkState {
    finished: [u64; (CHUNK / 64) as usize],
}

impl ChunkState {
    fn finish(&mut self, i: i64) {
        self.finished[(i / 64) as usize] |= 1 << (i % 64);
    }
    fn first_unfinished(&self) -> Option<i64> {
        self.finished
            .iter()
            .enumerate()
            .find(|(_, w)| **w != u64::MAX)
            .map(|(k, w)| k as i64 * 64 + (!w).trailing_zeros() as i64)
    }
}

#[derive(Default)]
struct Wheel {
    /// Delivery second → messages due in that second.
    buckets: BTreeMap<i64, Vec<Pending>>,
    /// Next queue offset to read into the wheel.
    enqueue_offset: i64,
    /// Chunks (queue offset / CHUNK) not yet fully finished.
    chunks: BTreeMap<i64, ChunkState>,
}

impl Wheel {
    fn finish(&mut self, queue_offset: i64) {
        let c = queue_offset.div_euclid(CHUNK);
        self.chunks
            .entry(c)
            .or_default()
            .finish(queue_offset.rem_euclid(CHUNK));
        // Drop leading chunks that are complete.
        while let Some((&c, st)) = self.chunks.first_key_value() {
            if st.first_unfinished().is_none() {
                self.chunks.remove(&c);
            } else {
                break;
            }
        }
    }
}

/// The timer service's state.
pub struct TimerService {
    wheel: Mutex<Wheel>,
    path: PathBuf,
    pending: AtomicU64,
    enqueued: AtomicU64,
    delivered: AtomicU64,
    /// (at ms, enqueued, delivered) once a second, the last [`RATE_WINDOW_SECS`] seconds.
    samples: Mutex<VecDeque<(i64, u64, u64)>>,
}

/// Seconds over which `timerEnqueueTps` / `timerDequeueTps` are averaged.
const RATE_WINDOW_SECS: usize = 10;

/// What GET_BROKER_RUNTIME_INFO reports of the timer, under Java's key names.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimerMetrics {
    /// `timerReadBehind`: seconds the oldest undelivered due message is overdue.
    pub read_behind_secs: i64,
    /// `timerOffsetBehind`: parked messages not yet read into the wheel.
    pub offset_behind: i64,
    /// `timerCongestNum`: messages in the wheel waiting for their time.
    pub congest: u64,
    /// `timerEnqueueTps`: messages read into the wheel per second, recently.
    pub enqueue_tps: f32,
    /// `timerDequeueTps`: messages delivered per second, recently.
    pub dequeue_tps: f32,
}

impl TimerService {
    /// Loads the checkpoint; the wheel refills from the queue when the service runs.
    pub fn load(root: &str) -> Result<Self, BrokerError> {
        let path = PathBuf::from(root).join("config").join("timerOffset.json");
        let cp: TimerCheckpoint = json_file::load(&path)?.unwrap_or_default();
        Ok(TimerService {
            wheel: Mutex::new(Wheel {
                enqueue_offset: cp.commit_offset,
                ..Wheel::default()
            }),
            path,
            pending: AtomicU64::new(0),
            enqueued: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            samples: Mutex::new(VecDeque::with_capacity(RATE_WINDOW_SECS + 1)),
        })
    }

    /// Records the counters for the rates (call once a second).
    pub fn sample(&self, now_ms: i64) {
        let mut s = self.samples.lock();
        s.push_back((
            now_ms,
            self.enqueued.load(Ordering::Relaxed),
            self.delivered(),
        ));
        while s.len() > RATE_WINDOW_SECS + 1 {
            s.pop_front();
        }
    }

    /// The timer's state at `now_ms`; `parked_max_offset` is the timer queue's max offset.
    pub fn metrics(&self, now_ms: i64, parked_max_offset: i64) -> TimerMetrics {
        let (oldest_due, enqueue_offset) = {
            let w = self.wheel.lock();
            let oldest = w
                .buckets
                .values()
                .next()
                .and_then(|b| b.iter().map(|p| p.deliver_ms).min());
            (oldest, w.enqueue_offset)
        };
        let (enqueue_tps, dequeue_tps) = {
            let s = self.samples.lock();
            match (s.front(), s.back()) {
                (Some(a), Some(b)) if b.0 > a.0 => {
                    let secs = (b.0 - a.0) as f32 / 1000.0;
                    ((b.1 - a.1) as f32 / secs, (b.2 - a.2) as f32 / secs)
                }
                _ => (0.0, 0.0),
            }
        };
        TimerMetrics {
            read_behind_secs: oldest_due.map_or(0, |d| (now_ms - d).max(0) / 1000),
            offset_behind: (parked_max_offset - enqueue_offset).max(0),
            congest: self.pending(),
            enqueue_tps,
            dequeue_tps,
        }
    }

    /// Timer messages waiting for their time.
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Timer messages delivered since start.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// The queue offset below which everything was delivered.
    pub fn commit_offset(&self) -> i64 {
        let w = self.wheel.lock();
        low_water(&w)
    }

    /// Persists the low-water mark.
    pub fn persist(&self) -> Result<(), BrokerError> {
        json_file::store(
            &self.path,
            &TimerCheckpoint {
                commit_offset: self.commit_offset(),
            },
        )
    }
}

fn low_water(w: &Wheel) -> i64 {
    let first = w
        .chunks
        .iter()
        .find_map(|(c, st)| st.first_unfinished().map(|i| c * CHUNK + i));
    match first {
        Some(o) => o.min(w.enqueue_offset),
        None => w.enqueue_offset,
    }
}

/// The delivery time a message asks for, if it is a timer message.
pub fn requested_delivery(props: &str, now_ms: i64) -> Option<i64> {
    if let Some(v) = find_property(props, keys::TIMER_DELIVER_MS) {
        return v.trim().parse().ok();
    }
    if let Some(v) = find_property(props, keys::TIMER_DELAY_SEC) {
        return v
            .trim()
            .parse::<i64>()
            .ok()
            .map(|s| now_ms.saturating_add(s.saturating_mul(1000)));
    }
    if let Some(v) = find_property(props, keys::TIMER_DELAY_MS) {
        return v
            .trim()
            .parse::<i64>()
            .ok()
            .map(|ms| now_ms.saturating_add(ms));
    }
    None
}

/// The send-side rewrite: parks a timer message in the timer topic, or returns an error
/// response (timer disabled, delay too long). Messages already due are left alone.
pub fn park(
    ctx: &BrokerContext,
    msg: &mut MessageToStore,
    p: &mut Properties,
    deliver_ms: i64,
    now_ms: i64,
) -> Result<(), RemotingCommand> {
    let cfg = ctx.config.read();
    if !cfg.store.timer_wheel_enable {
        return Err(RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "accurate timer message is not enabled, timerWheelEnable is false",
        ));
    }
    let max_ms = (cfg.store.timer_max_delay_sec as i64).saturating_mul(1000);
    if deliver_ms.saturating_sub(now_ms) > max_ms {
        return Err(RemotingCommand::error(
            response_code::MESSAGE_ILLEGAL,
            format!(
                "timer message illegal: the delay is longer than timerMaxDelaySec {}",
                cfg.store.timer_max_delay_sec
            ),
        ));
    }
    if deliver_ms <= now_ms {
        return Ok(());
    }
    p.insert(keys::TIMER_OUT_MS, deliver_ms.to_string());
    p.insert(keys::REAL_TOPIC, msg.topic.clone());
    p.insert(keys::REAL_QUEUE_ID, msg.queue_id.to_string());
    msg.topic = names::TIMER_TOPIC.to_string();
    msg.queue_id = 0;
    Ok(())
}

/// Reads newly parked timer messages into the wheel.
fn enqueue(ctx: &BrokerContext, t: &TimerService) {
    loop {
        let offset = t.wheel.lock().enqueue_offset;
        let r = ctx
            .store
            .get_messages(names::TIMER_TOPIC, 0, offset, 32, usize::MAX, None);
        match r.status {
            GetMessageStatus::Found => {}
            GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly => {
                t.wheel.lock().enqueue_offset = r.next_begin_offset;
                return;
            }
            _ => return,
        }
        let mut w = t.wheel.lock();
        for (bytes, queue_offset) in r.messages.iter().zip(r.queue_offsets.iter()) {
            let deliver_ms = MessageExt::decode(bytes).ok().and_then(|e| {
                let props = String::from_utf8_lossy(&e.properties).into_owned();
                find_property(&props, keys::TIMER_OUT_MS)
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .map(|d| (d, e.commit_log_offset))
            });
            match deliver_ms {
                Some((deliver_ms, phys_offset)) => {
                    w.chunks.entry(queue_offset.div_euclid(CHUNK)).or_default();
                    w.buckets
                        .entry(deliver_ms.div_euclid(1000))
                        .or_default()
                        .push(Pending {
                            deliver_ms,
                            phys_offset,
                            queue_offset: *queue_offset,
                        });
                    t.pending.fetch_add(1, Ordering::Relaxed);
                    t.enqueued.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    tracing::error!(queue_offset, "timer message without TIMER_OUT_MS skipped");
                    w.finish(*queue_offset);
                }
            }
            w.enqueue_offset = queue_offset + 1;
        }
        if r.next_begin_offset <= offset {
            return;
        }
    }
}

/// Delivers every due message; returns how many.
fn dequeue(ctx: &BrokerContext, t: &TimerService, now_ms: i64) -> usize {
    let now_sec = now_ms.div_euclid(1000);
    let due: Vec<Pending> = {
        let mut w = t.wheel.lock();
        let mut due = Vec::new();
        while let Some((&sec, _)) = w.buckets.first_key_value() {
            if sec > now_sec {
                break;
            }
            let bucket = w.buckets.remove(&sec).unwrap_or_default();
            let (ready, later): (Vec<Pending>, Vec<Pending>) =
                bucket.into_iter().partition(|p| p.deliver_ms <= now_ms);
            due.extend(ready);
            if !later.is_empty() {
                w.buckets.insert(sec, later);
                break;
            }
        }
        due
    };
    let mut delivered = 0;
    for p in due {
        match deliver(ctx, &p, now_ms) {
            PutOutcome::Retry => {
                // The store cannot take it now (disk full): try again in a second.
                t.wheel
                    .lock()
                    .buckets
                    .entry(now_sec + 1)
                    .or_default()
                    .push(p);
                continue;
            }
            PutOutcome::Drop => ctx.stats.record_dropped_repost(),
            PutOutcome::Stored => {}
        }
        delivered += 1;
        t.pending.fetch_sub(1, Ordering::Relaxed);
        t.delivered.fetch_add(1, Ordering::Relaxed);
        t.wheel.lock().finish(p.queue_offset);
    }
    delivered
}

/// Re-puts one due timer message to its real topic.
fn deliver(ctx: &BrokerContext, p: &Pending, now_ms: i64) -> PutOutcome {
    let Some((_, ext)) = ctx.store.message_by_phys_offset(p.phys_offset) else {
        tracing::error!(
            phys = p.phys_offset,
            "timer message no longer in the CommitLog"
        );
        return PutOutcome::Drop;
    };
    let mut msg = match crate::schedule::restore(ctx, &ext) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(phys = p.phys_offset, error = %e, "timer message dropped");
            return PutOutcome::Drop;
        }
    };
    let mut props = Properties::parse(&msg.properties);
    props.insert(keys::TIMER_DEQUEUE_MS, now_ms.to_string());
    msg.properties = props.encode();
    let put = ctx.store.put_message(&msg);
    let outcome = repost::classify(put.status);
    match outcome {
        PutOutcome::Stored => ctx.stats.record_put(&msg.topic, 1, msg.body.len() as u64),
        PutOutcome::Retry => tracing::warn!(
            status = put.status.name(),
            "delivering a timer message failed"
        ),
        PutOutcome::Drop => tracing::error!(
            phys = p.phys_offset,
            status = put.status.name(),
            "a timer message can never be stored; dropped"
        ),
    }
    outcome
}

/// Runs the timer every 100 ms and persists its mark every 10 s, until `stop`.
pub async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    crate::ticker::Ticker {
        tick: TICK,
        persist_every: 100,
        work: |c| {
            enqueue(c, &c.timer);
            dequeue(c, &c.timer, crate::processor::now_ms());
        },
        persist: |c| c.timer.persist(),
        name: "timer",
    }
    .run(ctx, stop)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_delivery_from_each_property() {
        assert_eq!(
            requested_delivery("TIMER_DELIVER_MS\u{1}5000\u{2}", 1000),
            Some(5000)
        );
        assert_eq!(
            requested_delivery("TIMER_DELAY_SEC\u{1}3\u{2}", 1000),
            Some(4000)
        );
        assert_eq!(
            requested_delivery("TIMER_DELAY_MS\u{1}250\u{2}", 1000),
            Some(1250)
        );
        assert_eq!(requested_delivery("TAGS\u{1}a\u{2}", 1000), None);
        // Values from the wire saturate instead of overflowing.
        assert_eq!(
            requested_delivery("TIMER_DELAY_SEC\u{1}9223372036854775807\u{2}", 1000),
            Some(i64::MAX)
        );
        assert_eq!(
            requested_delivery("TIMER_DELAY_MS\u{1}-9223372036854775808\u{2}", 1000),
            Some(i64::MIN + 1000)
        );
    }

    #[test]
    fn metrics_report_backlog_overdue_and_rates() {
        let dir = tempfile::tempdir().unwrap();
        let t = TimerService::load(dir.path().to_str().unwrap()).unwrap();
        assert_eq!(t.metrics(50_000, 0), TimerMetrics::default());
        {
            let mut w = t.wheel.lock();
            w.enqueue_offset = 7;
            for (q, deliver_ms) in [(5, 48_200), (6, 48_700), (4, 90_000)] {
                w.buckets
                    .entry(deliver_ms / 1000)
                    .or_default()
                    .push(Pending {
                        deliver_ms,
                        phys_offset: 0,
                        queue_offset: q,
                    });
            }
        }
        t.pending.store(3, Ordering::Relaxed);
        t.sample(40_000);
        t.enqueued.store(30, Ordering::Relaxed);
        t.delivered.store(10, Ordering::Relaxed);
        t.sample(45_000);
        let m = t.metrics(50_000, 12);
        assert_eq!(m.read_behind_secs, 1, "48.2 s due, now 50 s");
        assert_eq!(m.offset_behind, 5, "parked up to 12, read up to 7");
        assert_eq!(m.congest, 3);
        assert_eq!((m.enqueue_tps, m.dequeue_tps), (6.0, 2.0));
        assert_eq!(t.metrics(48_000, 7).read_behind_secs, 0, "nothing due yet");
    }

    #[test]
    fn low_water_mark_is_the_first_unfinished_offset() {
        let mut w = Wheel {
            enqueue_offset: 3000,
            ..Wheel::default()
        };
        assert_eq!(low_water(&w), 3000);
        // offsets 0..3000 read; pending at 5, 1500, 2999
        for o in 0..3000 {
            if ![5, 1500, 2999].contains(&o) {
                w.finish(o);
            } else {
                w.chunks.entry(o / CHUNK).or_default();
            }
        }
        assert_eq!(low_water(&w), 5);
        w.finish(5);
        assert_eq!(low_water(&w), 1500);
        w.finish(2999);
        assert_eq!(
            low_water(&w),
            1500,
            "out-of-order delivery does not move the mark"
        );
        w.finish(1500);
        assert_eq!(low_water(&w), 3000);
        assert!(w.chunks.len() <= 1);
    }
}
