//! Timer messages (RocketMQ 5.x): arbitrary delivery times up to `timerMaxDelaySec`.
//!
//! A send parks a timer message in `rmq_sys_wheel_timer` queue 0 with its delivery time in
//! `TIMER_OUT_MS` ([`request`]). This service reads that queue in order into the wheel
//! ([`wheel`]) and re-puts due messages to their real topic. After a crash, messages
//! delivered out of order above the wheel's low-water mark may be delivered again
//! (at-least-once, as RocketMQ's timer).

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
use wheel::Pending;

const TICK: Duration = Duration::from_millis(100);

/// Reads newly parked timer messages into the wheel.
fn enqueue(ctx: &BrokerContext) {
    let t = ctx.delayed().timer();
    let next = walk(
        ctx.store(),
        names::TIMER_TOPIC,
        0,
        t.enqueue_offset(),
        |qo, bytes| {
            let parked = MessageExt::decode(bytes).ok().and_then(|e| {
                let props = String::from_utf8_lossy(&e.properties).into_owned();
                find_property(&props, keys::TIMER_OUT_MS)
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .map(|d| (d, e.commit_log_offset))
            });
            if parked.is_none() {
                tracing::error!(qo, "timer message without TIMER_OUT_MS skipped");
            }
            t.add(qo, parked);
            Visit::Next
        },
    );
    t.skip_to(next);
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
