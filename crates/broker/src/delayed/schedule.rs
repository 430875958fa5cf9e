//! Delay levels (`SCHEDULE_TOPIC_XXXX`): messages sent with `DELAY=n` wait in queue `n − 1`
//! and are re-put to their real topic and queue (`REAL_TOPIC`/`REAL_QID`) once
//! `store time + delay(n)` has passed. Progress per level is [`super::delay_offsets`].
//!
//! [`step`] decides what to do with one parked message; [`deliver_due`] walks each level's
//! queue and applies the steps.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferromq_model::names;
use ferromq_protocol::message::properties::Properties;
use ferromq_protocol::message::record::MessageExt;
use ferromq_store::{MessageToStore, PutMessageStatus};
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::delayed::repost::{self, PutOutcome, RepostError};
use crate::delayed::system_queue::{walk, Visit};
use crate::tables::TopicTable;

/// How often each level's queue is examined (Java: 100 ms).
const TICK: Duration = Duration::from_millis(100);

/// What to do with one parked message.
#[derive(Debug)]
pub(crate) enum Step {
    /// Not due yet; neither is anything behind it in the level's queue.
    Wait,
    /// Due: put this message.
    Deliver(MessageToStore),
    /// It has no valid place to go: drop it (logged and counted).
    Drop(RepostError),
}

/// The step for a message parked at `store time`, in a level of `delay_ms`, at `now_ms`.
pub(crate) fn step(
    ext: &MessageExt,
    delay_ms: i64,
    now_ms: i64,
    topics: &TopicTable,
    store_host: SocketAddr,
) -> Step {
    if now_ms < ext.store_timestamp.saturating_add(delay_ms) {
        return Step::Wait;
    }
    match restore(topics, ext, store_host) {
        Ok(m) => Step::Deliver(m),
        Err(e) => Step::Drop(e),
    }
}

/// Builds the message to deliver from a parked one: real topic and queue restored (and
/// checked, see [`repost`]). As in Java, the stored property string is kept as it was (the
/// consumer still sees `DELAY`, `REAL_TOPIC`, `REAL_QID`).
pub(crate) fn restore(
    topics: &TopicTable,
    ext: &MessageExt,
    store_host: SocketAddr,
) -> Result<MessageToStore, RepostError> {
    let props = Properties::parse_bytes(&ext.properties);
    let (topic, queue_id) = repost::real_target(topics, &props)?;
    let mut m = MessageToStore::from_stored(ext, store_host);
    m.topic = topic;
    m.queue_id = queue_id;
    Ok(m)
}

/// Delivers every due message of every level; returns how many were delivered.
pub(crate) fn deliver_due(ctx: &BrokerContext, now_ms: i64) -> usize {
    let levels: Vec<u64> = ctx.settings().get().delay_levels().to_vec();
    let mut delivered = 0;
    for (i, delay) in levels.iter().enumerate() {
        delivered += deliver_level(ctx, i as i32 + 1, *delay as i64, now_ms);
    }
    delivered
}

fn deliver_level(ctx: &BrokerContext, level: i32, delay_ms: i64, now_ms: i64) -> usize {
    let offsets = ctx.delayed().delay_offsets();
    let mut delivered = 0;
    let from = offsets.get(level);
    let next = walk(
        ctx.store(),
        names::SCHEDULE_TOPIC,
        level - 1,
        from,
        |qo, bytes| {
            let ext = match MessageExt::decode(bytes) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(level, qo, error = %e, "undecodable delayed message skipped");
                    return Visit::Next;
                }
            };
            let host = ctx.identity().store_host();
            match step(&ext, delay_ms, now_ms, ctx.tables().topics(), host) {
                Step::Wait => Visit::Stop,
                Step::Deliver(msg) => {
                    let visit = put(ctx, &msg, level, qo);
                    if visit == Visit::Next {
                        delivered += 1;
                    }
                    visit
                }
                Step::Drop(e) => {
                    ctx.stats().record_dropped_repost();
                    tracing::error!(level, qo, error = %e, "delayed message dropped");
                    Visit::Next
                }
            }
        },
    );
    offsets.set(level, next);
    delivered
}

/// Puts a due message; a put that may succeed later stops the level's walk here.
fn put(ctx: &BrokerContext, msg: &MessageToStore, level: i32, qo: i64) -> Visit {
    let r = ctx.store().put_message(msg);
    match repost::classify(r.status) {
        PutOutcome::Stored => {
            if r.status == PutMessageStatus::PutOk {
                ctx.stats().record_put(&msg.topic, 1, msg.body.len() as u64);
            }
            Visit::Next
        }
        PutOutcome::Retry => {
            // Disk full or shutting down: try again on a later tick.
            tracing::warn!(
                level,
                status = r.status.name(),
                "delivering a delayed message failed"
            );
            Visit::Stop
        }
        PutOutcome::Drop => {
            ctx.stats().record_dropped_repost();
            tracing::error!(
                level,
                qo,
                status = r.status.name(),
                "a delayed message can never be stored; dropped"
            );
            Visit::Next
        }
    }
}

/// Runs delivery every 100 ms and persists progress every 10 s, until `stop`.
pub(crate) async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    crate::delayed::ticker::Ticker {
        tick: TICK,
        persist_every: 100,
        work: |c| {
            deliver_due(c, ferromq_protocol::time::now_ms());
        },
        persist: |c| c.delayed().delay_offsets().persist(),
        name: "delay levels",
    }
    .run(ctx, stop)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_config::BrokerConfig;
    use ferromq_model::TopicConfig;
    use ferromq_protocol::message::properties::keys;

    fn parked(real: &str, qid: &str, store_ts: i64) -> MessageExt {
        let mut p = Properties::new();
        p.insert(keys::REAL_TOPIC, real);
        p.insert(keys::REAL_QUEUE_ID, qid);
        p.insert(keys::DELAY_TIME_LEVEL, "2");
        let host: SocketAddr = "10.0.0.1:1".parse().unwrap();
        MessageExt {
            store_size: 0,
            version: Default::default(),
            body_crc: 0,
            queue_id: 1,
            flag: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            sys_flag: 0,
            born_timestamp: 1,
            born_host: host,
            store_timestamp: store_ts,
            store_host: host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            topic: names::SCHEDULE_TOPIC.into(),
            body: bytes::Bytes::from_static(b"b"),
            properties: p.encode().into_bytes().into(),
        }
    }

    #[test]
    fn steps_wait_deliver_or_drop() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = BrokerConfig::default();
        c.store.store_path_root_dir = dir.path().to_string_lossy().into_owned();
        let topics = TopicTable::load(&c).unwrap();
        topics
            .put(TopicConfig::with_queues("Real", 4, 4, 6))
            .unwrap();
        let host: SocketAddr = "127.0.0.1:10911".parse().unwrap();

        let m = parked("Real", "3", 1_000);
        assert!(matches!(step(&m, 5_000, 5_999, &topics, host), Step::Wait));
        match step(&m, 5_000, 6_000, &topics, host) {
            Step::Deliver(d) => {
                assert_eq!((d.topic.as_str(), d.queue_id), ("Real", 3));
                assert_eq!(d.store_host, host);
                assert_eq!(&d.body[..], b"b");
                assert!(d.properties.contains("REAL_TOPIC"), "kept as Java keeps it");
            }
            other => panic!("{other:?}"),
        }
        let bad = parked(names::TRANS_HALF_TOPIC, "0", 1_000);
        assert!(matches!(
            step(&bad, 0, 6_000, &topics, host),
            Step::Drop(RepostError::SystemTopic(_))
        ));
        // A delay that would overflow is never due early.
        let late = parked("Real", "0", i64::MAX - 10);
        assert!(matches!(
            step(&late, 1_000, i64::MAX - 1, &topics, host),
            Step::Wait
        ));
    }
}
