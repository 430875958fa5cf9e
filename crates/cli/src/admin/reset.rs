//! `resetOffsetByTime`: moves a consumer group's offsets on a topic to the first message
//! stored at or after a time — server side (INVOKE_BROKER_TO_RESET_OFFSET), one queue at a
//! time with `-b`/`-q`, or, when an old broker answers CONSUMER_NOT_ONLINE, by committing the
//! offsets directly as mqadmin's `resetOffsetByTimeOld` does.

use anyhow::Result;
use ferromq_client::ClientError;
use ferromq_model::MessageQueue;
use ferromq_protocol::response_code;
use serde_json::json;

use super::cli::{ResetOffsetByTimeArgs, SkipAccumulatedArgs};
use super::format::{front, parse_timestamp};
use super::out::Out;
use super::{raw, Ctx};

/// The offset the old-style reset commits, if any: with `force` always the offset found for
/// the time, otherwise only when it moves the group backwards.
pub fn rollback_offset(force: bool, timestamp_offset: i64, consumer_offset: i64) -> Option<i64> {
    (force || timestamp_offset <= consumer_offset).then_some(timestamp_offset)
}

/// `resetOffsetByTime`.
pub async fn reset_offset_by_time(
    ctx: &Ctx,
    args: ResetOffsetByTimeArgs,
    out: &mut Out,
) -> Result<()> {
    let ts_text = args.timestamp.clone();
    let timestamp = parse_timestamp(&ts_text, true).map_err(anyhow::Error::msg)?;
    let force = args.force.unwrap_or(true);
    let (group, topic) = (&args.group, &args.topic);

    if let (Some(broker), Some(queue)) = (&args.broker, args.queue.filter(|q| *q >= 0)) {
        out.line(format!(
            "start reset consumer offset by specified, group[{group}], topic[{topic}], queueId[{queue}], broker[{broker}], timestamp(string)[{ts_text}], timestamp(long)[{timestamp}]"
        ));
        let offset = match args.offset {
            Some(o) => o,
            None => raw::search_offset_at(&ctx.admin, broker, topic, queue, timestamp).await?,
        };
        out.line(format!("reset consumer offset to {offset}"));
        if offset >= 0 {
            raw::reset_queue_offset(&ctx.admin, broker, group, topic, queue, offset).await?;
        }
        out.set_json(json!({
            "group": group, "topic": topic, "broker": broker, "queueId": queue,
            "timestamp": timestamp, "offset": offset,
        }));
        return Ok(());
    }

    reset_all_queues(ctx, &args, timestamp, force, true, out).await
}

/// `skipAccumulatedMessage`: resets the group to the end of every queue (timestamp −1).
pub async fn skip_accumulated(ctx: &Ctx, args: SkipAccumulatedArgs, out: &mut Out) -> Result<()> {
    let force = args.force.unwrap_or(true);
    let reset = ResetOffsetByTimeArgs {
        common: args.common,
        group: args.group,
        topic: args.topic,
        timestamp: "-1".to_string(),
        force: Some(force),
        broker: None,
        queue: None,
        offset: None,
        cluster: args.cluster,
    };
    reset_all_queues(ctx, &reset, -1, force, false, out).await
}

/// The server-side reset of every queue; `announce` prints mqadmin's "start reset" line.
async fn reset_all_queues(
    ctx: &Ctx,
    args: &ResetOffsetByTimeArgs,
    timestamp: i64,
    force: bool,
    announce: bool,
    out: &mut Out,
) -> Result<()> {
    let (group, topic) = (&args.group, &args.topic);
    let table = match ctx
        .admin
        .reset_offset_by_time(topic, group, timestamp, force)
        .await
    {
        Ok(t) => t,
        Err(ClientError::Broker { code, .. }) if code == response_code::CONSUMER_NOT_ONLINE => {
            return reset_old_style(ctx, args, timestamp, force, out).await;
        }
        Err(e) => return Err(e.into()),
    };
    if announce {
        out.line(format!(
            "start reset consumer offset by specified, group[{group}], topic[{topic}], force[{force}], timestamp(string)[{}], timestamp(long)[{timestamp}]",
            args.timestamp
        ));
    }
    out.line(format!(
        "{:<40}  {:<40}  {:<40}",
        "#brokerName", "#queueId", "#offset"
    ));
    let mut entries: Vec<(&MessageQueue, &i64)> = table.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut rows = Vec::new();
    for (mq, offset) in entries {
        out.line(format!(
            "{:<40}  {:<40}  {:<40}",
            front(&mq.broker_name, 32),
            mq.queue_id,
            offset
        ));
        rows.push(
            json!({ "brokerName": mq.broker_name, "queueId": mq.queue_id, "offset": offset }),
        );
    }
    out.set_json(json!({
        "group": group, "topic": topic, "force": force, "timestamp": timestamp, "offsets": rows,
    }));
    Ok(())
}

/// The reset for brokers that need a consumer online: read the group's offsets, find each
/// queue's offset for the time, commit it.
async fn reset_old_style(
    ctx: &Ctx,
    args: &ResetOffsetByTimeArgs,
    timestamp: i64,
    force: bool,
    out: &mut Out,
) -> Result<()> {
    let (group, topic) = (&args.group, &args.topic);
    let route = ctx.admin.topic_route(topic).await?;
    let mut stats = Vec::new();
    for bd in &route.broker_datas {
        let Some(addr) = bd.select_broker_addr() else {
            continue;
        };
        let cs = ctx
            .admin
            .consume_stats_in_broker(addr, group, Some(topic))
            .await?;
        let mut queues: Vec<_> = cs
            .offset_table
            .into_iter()
            .filter(|(mq, _)| &mq.topic == topic)
            .collect();
        queues.sort_by(|a, b| a.0.cmp(&b.0));
        for (mq, o) in queues {
            let found = if timestamp == -1 {
                raw::max_offset_at(&ctx.admin, addr, topic, mq.queue_id).await?
            } else {
                raw::search_offset_at(&ctx.admin, addr, topic, mq.queue_id, timestamp).await?
            };
            let reset = rollback_offset(force, found, o.consumer_offset);
            if let Some(r) = reset {
                raw::update_consumer_offset(&ctx.admin, addr, group, &mq, r).await?;
            }
            stats.push((
                mq,
                o.broker_offset,
                o.consumer_offset,
                found,
                reset.unwrap_or(o.consumer_offset),
            ));
        }
    }
    out.line(format!(
        "reset consumer offset by specified consumerGroup[{group}], topic[{topic}], force[{force}], timestamp(string)[{}], timestamp(long)[{timestamp}]",
        args.timestamp
    ));
    out.line(format!(
        "{:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}",
        "#brokerName",
        "#queueId",
        "#brokerOffset",
        "#consumerOffset",
        "#timestampOffset",
        "#resetOffset"
    ));
    let mut rows = Vec::new();
    for (mq, broker_offset, consumer_offset, found, reset) in &stats {
        out.line(format!(
            "{:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}",
            front(&mq.broker_name, 32),
            mq.queue_id,
            broker_offset,
            consumer_offset,
            found,
            reset
        ));
        rows.push(json!({
            "brokerName": mq.broker_name, "queueId": mq.queue_id, "brokerOffset": broker_offset,
            "consumerOffset": consumer_offset, "timestampOffset": found, "resetOffset": reset,
        }));
    }
    out.set_json(json!({
        "group": group, "topic": topic, "force": force, "timestamp": timestamp, "offsets": rows,
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_style_reset_only_rolls_back_unless_forced() {
        assert_eq!(rollback_offset(false, 3, 5), Some(3));
        assert_eq!(rollback_offset(false, 5, 5), Some(5));
        assert_eq!(rollback_offset(false, 7, 5), None);
        assert_eq!(rollback_offset(true, 7, 5), Some(7));
    }
}
