//! Running held pops and notifications again: when a message arrives for their topic (or one
//! of its pop retry topics) and, once a second, when their time is up.

use std::sync::Arc;
use std::time::Instant;

use ferromq_protocol::RESPONSE_FLAG;

use super::hold::{HeldPop, Waiting};
use super::{keys, notification, pop};
use crate::context::BrokerContext;

/// The store dispatched a message of `topic`.
pub(crate) fn on_arrival(ctx: &Arc<BrokerContext>, topic: &str) {
    let hold = ctx.pop().hold();
    if hold.len() == 0 {
        return;
    }
    let mut woken = hold.on_arrival(topic);
    let groups = ctx.tables().groups();
    if let Some((normal, _)) = keys::parse_retry(topic, |g| groups.get(g).is_some()) {
        woken.extend(hold.on_arrival(&normal));
    }
    run_again(ctx, woken);
}

/// The periodic check: requests whose time is up or that would now find something.
pub(crate) fn on_tick(ctx: &Arc<BrokerContext>) {
    let due = ctx.pop().hold().due(Instant::now(), |w| {
        let (topic, group, queue_id, order, attempt_id) = w.target();
        notification::would_find(ctx, topic, group, queue_id, order, attempt_id)
    });
    run_again(ctx, due);
}

/// Runs each request again on its own task and answers it (unless it is held again).
pub(crate) fn run_again(ctx: &Arc<BrokerContext>, woken: Vec<HeldPop>) {
    for held in woken {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let HeldPop {
                channel,
                waiting,
                opaque,
                serialize_type,
                deadline,
            } = held;
            let answer = match waiting {
                Waiting::Pop(h) => {
                    pop::run(&ctx, &channel, h, opaque, serialize_type, Some(deadline))
                }
                Waiting::Notification(h) => {
                    notification::run(&ctx, &channel, h, opaque, serialize_type, Some(deadline))
                }
            };
            if let Some(mut r) = answer {
                r.opaque = opaque;
                r.serialize_type = serialize_type;
                r.flag |= RESPONSE_FLAG;
                let _ = channel.send(r).await;
            }
        });
    }
}
