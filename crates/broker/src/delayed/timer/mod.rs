//! Timer messages (RocketMQ 5.x): arbitrary delivery times up to `timerMaxDelaySec`.
//!
//! A send parks a timer message in `rmq_sys_wheel_timer` queue 0 with its delivery time in
//! `TIMER_OUT_MS` ([`request`]). This service reads that queue in order into the wheel
//! ([`wheel`]) and re-puts due messages to their real topic. After a crash, messages
//! delivered out of order above the wheel's low-water mark may be delivered again
//! (at-least-once, as RocketMQ's timer). A recall parks a deletion marker due with the
//! message it takes back (`processor::recall`); the wheel drops both when they are due.

pub(crate) mod request;
pub(crate) mod wheel;

use std::sync::Arc;
use std::time::Duration;

use ferromq_model::names;
use ferromq_protocol::message::properties::{find_property, keys, Properties};
use ferromq_protocol::message::record::MessageExt;
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::delayed::repost::{self, PutOutcome};
use crate::delayed::system_queue::{walk, Visit};
use wheel::{Parked, Pending};

const TICK: Duration = Duration::from_millis(100);

/// Reads newly parked timer messages (and recalls' deletion markers) into the wheel.
pub(crate) fn enqueue(ctx: &BrokerContext) {
    let t = ctx.delayed().timer();
    let next = walk(
        ctx.store(),
        names::TIMER_TOPIC,
        0,
        t.enqueue_offset(),
        |qo, bytes| {
            let record = MessageExt::decode(bytes).ok();
            let props = record
                .as_ref()
                .map(|e| String::from_utf8_lossy(&e.properties).into_owned())
                .unwrap_or_default();
            let phys = record.as_ref().map_or(-1, |e| e.commit_log_offset);
            let mut key = String::new();
            let parked = read_parked(&props, phys, &mut key);
            if parked == Parked::Unreadable {
                tracing::error!(qo, "timer message without TIMER_OUT_MS skipped");
            }
            t.add(qo, parked);
            Visit::Next
        },
    );
    t.skip_to(next);
}

/// What a parked record is to the wheel, from its properties; `key` holds a message's delete
/// key while the answer borrows it.
fn read_parked<'a>(props: &'a str, phys_offset: i64, key: &'a mut String) -> Parked<'a> {
    let Some(deliver_ms) =
        find_property(props, keys::TIMER_OUT_MS).and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return Parked::Unreadable;
    };
    if let Some(k) = find_property(props, keys::TIMER_DEL_UNIQKEY) {
        return Parked::Marker { deliver_ms, key: k };
    }
    let uniq = find_property(props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    let real_topic = find_property(props, keys::REAL_TOPIC).unwrap_or_default();
    let key = match uniq {
        Some(u) => {
            *key = wheel::delete_key(real_topic, u);
            Some(key.as_str())
        }
        None => None,
    };
    Parked::Message {
        deliver_ms,
        phys_offset,
        key,
    }
}

/// Delivers every due message; returns how many.
fn dequeue(ctx: &BrokerContext, now_ms: i64) -> usize {
    let t = ctx.delayed().timer();
    let mut delivered = 0;
    for p in t.take_due(now_ms) {
        match deliver(ctx, &p, now_ms) {
            PutOutcome::Retry => {
                // The store cannot take it now (disk full): try again in a second.
                t.retry_later(p, now_ms);
                continue;
            }
            PutOutcome::Drop => ctx.stats().record_dropped_repost(),
            PutOutcome::Stored => {}
        }
        delivered += 1;
        t.finished(&p);
    }
    delivered
}

/// Re-puts one due timer message to its real topic.
fn deliver(ctx: &BrokerContext, p: &Pending, now_ms: i64) -> PutOutcome {
    let Some((_, ext)) = ctx.store().message_by_phys_offset(p.phys_offset) else {
        tracing::error!(
            phys = p.phys_offset,
            "timer message no longer in the CommitLog"
        );
        return PutOutcome::Drop;
    };
    let host = ctx.identity().store_host();
    let mut msg = match crate::delayed::schedule::restore(ctx.tables().topics(), &ext, host) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(phys = p.phys_offset, error = %e, "timer message dropped");
            return PutOutcome::Drop;
        }
    };
    let mut props = Properties::parse(&msg.properties);
    props.insert(keys::TIMER_DEQUEUE_MS, now_ms.to_string());
    msg.properties = props.encode();
    let put = ctx.store().put_message(&msg);
    let outcome = repost::classify(put.status);
    match outcome {
        PutOutcome::Stored => ctx.stats().record_put(&msg.topic, 1, msg.body.len() as u64),
        PutOutcome::Retry => {
            tracing::warn!(
                status = put.status.name(),
                "delivering a timer message failed"
            )
        }
        PutOutcome::Drop => tracing::error!(
            phys = p.phys_offset,
            status = put.status.name(),
            "a timer message can never be stored; dropped"
        ),
    }
    outcome
}

/// Runs the timer every 100 ms and persists its mark every 10 s, until `stop`.
pub(crate) async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    crate::delayed::ticker::Ticker {
        tick: TICK,
        persist_every: 100,
        work: |c| {
            enqueue(c);
            dequeue(c, ferromq_protocol::time::now_ms());
        },
        persist: |c| c.delayed().timer().persist(),
        name: "timer",
    }
    .run(ctx, stop)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parked_records_are_messages_markers_or_unreadable() {
        let mut key = String::new();
        let msg = "UNIQ_KEY\u{1}U1\u{2}REAL_TOPIC\u{1}T\u{2}TIMER_OUT_MS\u{1}5000\u{2}";
        assert_eq!(
            read_parked(msg, 7, &mut key),
            Parked::Message {
                deliver_ms: 5000,
                phys_offset: 7,
                key: Some("T+U1")
            }
        );
        let marker =
            "TIMER_DEL_UNIQKEY\u{1}T+U1\u{2}UNIQ_KEY\u{1}U1\u{2}TIMER_OUT_MS\u{1}5000\u{2}";
        assert_eq!(
            read_parked(marker, 9, &mut key),
            Parked::Marker {
                deliver_ms: 5000,
                key: "T+U1"
            }
        );
        assert_eq!(
            read_parked("TIMER_OUT_MS\u{1}x\u{2}", 1, &mut key),
            Parked::Unreadable
        );
        let no_uniq = "TIMER_OUT_MS\u{1}10\u{2}";
        assert!(matches!(
            read_parked(no_uniq, 1, &mut key),
            Parked::Message { key: None, .. }
        ));
    }
}
