//! Runtime information and statistics: GET_BROKER_RUNTIME_INFO (28), GET_TOPIC_STATS_INFO
//! (202), GET_CONSUME_STATS (208), QUERY_CONSUME_TIME_SPAN (303).

use std::collections::HashMap;

use ferromq_model::{
    names, ConsumeStats, KVTable, MessageQueue, OffsetWrapper, QueryConsumeTimeSpanBody,
    QueueTimeSpan, TopicOffset, TopicStatsTable,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::time::now_ms;
use ferromq_protocol::{response_code, version, RemotingCommand};
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};

use crate::context::BrokerContext;

/// A body already in fastjson's form (object keys fastjson writes unquoted).
fn json_body<E: std::fmt::Display>(text: Result<String, E>) -> RequestResult {
    text.map(|s| RemotingCommand::success().with_body(s))
        .map_err(|e| RequestError::system(e.to_string()))
}

fn fmt_tps(v: [f64; 3]) -> String {
    format!("{:.2} {:.2} {:.2}", v[0], v[1], v[2])
}

/// GET_ALL_MESSAGE_REQUEST_MODE (402), which a Java slave of this broker syncs: the
/// per-group POP/PULL modes set with SET_MESSAGE_REQUEST_MODE (`messageRequestMode.json`).
pub(crate) fn all_message_request_modes(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    Ok(crate::pop::request_mode::all_modes(ctx))
}

/// GET_BROKER_HA_STATUS (907): Java's `HARuntimeInfo` (what `mqadmin haStatus` prints).
pub(crate) fn ha_status(ctx: &BrokerContext, _: &Channel, _: &RemotingCommand) -> RequestResult {
    let gap = ctx.settings().get().store.ha_max_gap_not_in_sync.max(0) as i64;
    let info = ctx
        .replication()
        .runtime_info(ctx.store().max_phys_offset(), gap);
    Ok(ok_json(&info))
}

/// GET_BROKER_RUNTIME_INFO: the key/value table `clusterList` and `brokerStatus` print.
pub(crate) fn runtime_info(ctx: &BrokerContext, _: &Channel, _: &RemotingCommand) -> RequestResult {
    let mut t = KVTable::default();
    let tps = ctx.stats().tps();
    let (put_today, get_today, put_yesterday, get_yesterday) = ctx.stats().day_counters();
    // Data, not reservations: what the disk-full and retention thresholds compare.
    let disk_ratio = ctx
        .store()
        .disk_usage()
        .map(|u| u.used_ratio_percent() / 100.0)
        .unwrap_or(0.0);
    t.put("brokerVersionDesc", version::describe(version::CURRENT));
    t.put("brokerVersion", version::CURRENT);
    t.put("brokerActive", "true");
    t.put("putTps", fmt_tps(tps.put));
    t.put("getTransferredTps", fmt_tps(tps.get));
    t.put("getFoundTps", fmt_tps(tps.get));
    t.put("getMissTps", "0.00 0.00 0.00");
    t.put("getTotalTps", fmt_tps(tps.get));
    t.put("msgPutTotalTodayNow", put_today);
    t.put("msgGetTotalTodayNow", get_today);
    t.put("msgPutTotalTodayMorning", 0);
    t.put("msgGetTotalTodayMorning", 0);
    t.put("msgPutTotalYesterdayMorning", put_yesterday);
    t.put("msgGetTotalYesterdayMorning", get_yesterday);
    t.put("putMessageTimesTotal", ctx.stats().total_puts());
    t.put("putMessageSizeTotal", ctx.stats().total_bytes().0);
    t.put("commitLogMinOffset", ctx.store().min_phys_offset());
    t.put("commitLogMaxOffset", ctx.store().max_phys_offset());
    t.put("dispatchBehindBytes", ctx.store().dispatch_behind_bytes());
    t.put(
        "earliestMessageTimeStamp",
        ctx.store().earliest_message_time().unwrap_or(-1),
    );
    t.put(
        "remainHowManyDataToFlush",
        format!(
            "{} B",
            ctx.store().max_phys_offset() - ctx.store().flushed_phys_offset()
        ),
    );
    t.put("commitLogDiskRatio", format!("{disk_ratio:.4}"));
    t.put("pageCacheLockTimeMills", 0);
    t.put("sendThreadPoolQueueSize", 0);
    t.put("sendThreadPoolQueueCapacity", 10000);
    t.put("pullThreadPoolQueueSize", 0);
    t.put("pullThreadPoolQueueCapacity", 100000);
    t.put("sendThreadPoolQueueHeadWaitTimeMills", 0);
    t.put("pullThreadPoolQueueHeadWaitTimeMills", 0);
    t.put(
        "bootTimestamp",
        now_ms() - ctx.identity().started().elapsed().as_millis() as i64,
    );
    let secs = ctx.identity().started().elapsed().as_secs();
    t.put(
        "runtime",
        format!(
            "[ {} days, {} hours, {} minutes, {} seconds ]",
            secs / 86_400,
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60
        ),
    );
    t.put("pullHoldCount", ctx.pull_hold().len());
    put_refusals(ctx, &mut t);
    put_timer(ctx, &mut t);
    Ok(ok_json(&t))
}

/// Not Java's: what the broker refused to keep rather than wedge on (docs/security.md).
fn put_refusals(ctx: &BrokerContext, t: &mut KVTable) {
    let store = ctx.store().stats();
    t.put("dispatchSkipped", store.dispatch_skipped);
    t.put("indexSkipped", store.index_skipped);
    t.put("dispatchRetries", store.dispatch_retries);
    t.put("repostDropped", ctx.stats().dropped_reposts());
}

/// The timer's backlog and rates under Java's keys (zeros when the wheel is disabled, as
/// Java reports them).
fn put_timer(ctx: &BrokerContext, t: &mut KVTable) {
    let timer = if ctx.settings().get().store.timer_wheel_enable {
        let parked = ctx
            .store()
            .max_offset_in_queue(names::TIMER_TOPIC, 0)
            .max(0);
        ctx.delayed().timer().metrics(now_ms(), parked)
    } else {
        crate::delayed::timer::wheel::TimerMetrics::default()
    };
    t.put("timerReadBehind", timer.read_behind_secs);
    t.put("timerOffsetBehind", timer.offset_behind);
    t.put("timerCongestNum", timer.congest);
    t.put("timerEnqueueTps", format!("{:?}", timer.enqueue_tps));
    t.put("timerDequeueTps", format!("{:?}", timer.dequeue_tps));
}

/// GET_TOPIC_STATS_INFO: min/max offsets and last update time per queue.
pub(crate) fn topic_stats(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: TopicRequestHeader = req.decode_header()?;
    let Some(cfg) = ctx.tables().topics().get(&h.topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let mut table = TopicStatsTable {
        offset_table: HashMap::new(),
        topic_put_tps: ctx.stats().topic_tps(&h.topic),
    };
    for q in 0..cfg.write_queue_nums {
        let min = ctx.store().min_offset_in_queue(&h.topic, q).max(0);
        let max = ctx.store().max_offset_in_queue(&h.topic, q).max(0);
        let last = if max > 0 {
            ctx.store()
                .message_store_timestamp(&h.topic, q, max - 1)
                .unwrap_or(0)
        } else {
            0
        };
        table.offset_table.insert(
            MessageQueue::new(h.topic.clone(), ctx.identity().name().to_string(), q),
            TopicOffset {
                last_update_timestamp: last,
                max_offset: max,
                min_offset: min,
            },
        );
    }
    json_body(table.to_fastjson_string())
}

/// GET_CONSUME_STATS: per queue, the broker's max offset, the group's committed offset and
/// the store time of the last consumed message — the lag `consumerProgress` prints.
pub(crate) fn consume_stats(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: GetConsumeStatsRequestHeader = req.decode_header()?;
    let topics: Vec<String> = match h.topic.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => vec![t.to_string()],
        None => match h.topic_list.as_deref().filter(|t| !t.is_empty()) {
            Some(list) => list.split(';').map(str::to_string).collect(),
            None => ctx.tables().offsets().topics_of_group(&h.consumer_group),
        },
    };
    let mut stats = ConsumeStats {
        consume_tps: 0.0,
        offset_table: HashMap::new(),
    };
    for topic in topics {
        let Some(cfg) = ctx.tables().topics().get(&topic) else {
            continue;
        };
        // Skip topics the group neither subscribes to nor has offsets on (Java's rule).
        let subscribed = ctx
            .clients()
            .subscription(&h.consumer_group, &topic)
            .is_some();
        let committed = ctx.tables().offsets().queues(&h.consumer_group, &topic);
        if !subscribed && committed.is_empty() {
            continue;
        }
        for q in 0..cfg.write_queue_nums {
            let broker_offset = ctx.store().max_offset_in_queue(&topic, q).max(0);
            let consumer_offset = committed.get(&q).copied().unwrap_or(0).max(0);
            let last_timestamp = if consumer_offset > 0 {
                ctx.store()
                    .message_store_timestamp(&topic, q, consumer_offset - 1)
                    .unwrap_or(0)
            } else {
                0
            };
            stats.offset_table.insert(
                MessageQueue::new(topic.clone(), ctx.identity().name().to_string(), q),
                OffsetWrapper {
                    broker_offset,
                    consumer_offset,
                    last_timestamp,
                    pull_offset: consumer_offset,
                },
            );
        }
    }
    json_body(stats.to_fastjson_string())
}

/// QUERY_CONSUME_TIME_SPAN: store times of the oldest, newest and last consumed message per
/// queue.
pub(crate) fn consume_time_span(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: QueryConsumeTimeSpanRequestHeader = req.decode_header()?;
    let Some(cfg) = ctx.tables().topics().get(&h.topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let mut body = QueryConsumeTimeSpanBody::default();
    for q in 0..cfg.write_queue_nums {
        let min = ctx.store().min_offset_in_queue(&h.topic, q);
        let max = ctx.store().max_offset_in_queue(&h.topic, q);
        let ts = |o: i64| {
            ctx.store()
                .message_store_timestamp(&h.topic, q, o)
                .unwrap_or(0)
        };
        let consumed = ctx
            .tables()
            .offsets()
            .query(&h.group, &h.topic, q)
            .unwrap_or(0);
        let max_ts = if max > 0 { ts(max - 1) } else { 0 };
        let consume_ts = if consumed > 0 {
            ts(consumed - 1)
        } else {
            ts(min)
        };
        body.consume_time_span_set.push(QueueTimeSpan {
            consume_time_stamp: consume_ts,
            delay_time: (max_ts - consume_ts).max(0),
            max_time_stamp: max_ts,
            message_queue: MessageQueue::new(h.topic.clone(), ctx.identity().name().to_string(), q),
            min_time_stamp: ts(min),
        });
    }
    Ok(ok_json(&body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, topic};
    use ferromq_protocol::request_code as rc;

    /// What a Java slave of this broker syncs besides offsets: no request modes (no POP).
    #[tokio::test]
    async fn message_request_modes_are_empty() {
        let t = testing::context();
        let r = all_message_request_modes(
            &t,
            &channel(),
            &RemotingCommand::request(rc::GET_ALL_MESSAGE_REQUEST_MODE),
        )
        .unwrap();
        assert_eq!(&r.body.to_bytes()[..], br#"{"messageRequestModeMap":{}}"#);
    }

    #[tokio::test]
    async fn runtime_info_and_topic_stats() {
        let t = testing::context();
        let ch = channel();
        let r = runtime_info(
            &t,
            &ch,
            &RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO),
        )
        .unwrap();
        let text = String::from_utf8_lossy(&r.body.to_bytes()).into_owned();
        for key in [
            "brokerVersionDesc",
            "commitLogDiskRatio",
            "dispatchSkipped",
            "timerCongestNum",
            "pullHoldCount",
        ] {
            assert!(text.contains(key), "{key} in {text}");
        }
        topic(&t, "T", 2, 6);
        let req = RemotingCommand::request_with(
            rc::GET_TOPIC_STATS_INFO,
            &TopicRequestHeader { topic: "T".into() },
        );
        assert_eq!(
            topic_stats(&t, &ch, &req).unwrap().code,
            response_code::SUCCESS
        );
        let missing = RemotingCommand::request_with(
            rc::GET_TOPIC_STATS_INFO,
            &TopicRequestHeader { topic: "X".into() },
        );
        assert_eq!(
            topic_stats(&t, &ch, &missing).unwrap_err().code(),
            response_code::TOPIC_NOT_EXIST
        );
    }
}
