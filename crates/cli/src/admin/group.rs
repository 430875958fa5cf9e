//! Consumer and producer group commands: `updateSubGroup`, `deleteSubGroup`,
//! `setConsumeMode`, `consumerProgress`, `consumerConnection`, `producerConnection`.

use std::collections::HashMap;

use anyhow::{bail, Result};
use ferromq_client::ClientError;
use ferromq_model::names::{dlq_topic, retry_topic, RETRY_GROUP_TOPIC_PREFIX};
use ferromq_model::{
    from_fastjson, ConsumeStats, ConsumeType, ConsumerConnection, GroupRetryPolicy, MessageQueue,
    MessageRequestMode, SetMessageRequestModeRequestBody, SubscriptionGroupConfig,
};
use ferromq_protocol::{response_code, version};
use serde_json::json;

use super::cli::{
    ConsumerConnectionArgs, ConsumerProgressArgs, DeleteSubGroupArgs, ProducerConnectionArgs,
    SetConsumeModeArgs, UpdateSubGroupArgs,
};
use super::format::{front, human_seconds, parse_attributes, subscription_group};
use super::out::{progress, Out};
use super::{raw, Ctx};

/// `updateSubGroup`: creates or updates a subscription group on a broker or on every master
/// of a cluster.
pub async fn update_sub_group(ctx: &Ctx, args: UpdateSubGroupArgs, out: &mut Out) -> Result<()> {
    let mut c = SubscriptionGroupConfig::new(args.group_name.clone());
    c.consume_broadcast_enable = args.consume_broadcast_enable.unwrap_or(false);
    c.consume_from_min_enable = args.consume_from_min_enable.unwrap_or(false);
    if let Some(v) = args.consume_enable {
        c.consume_enable = v;
    }
    if let Some(v) = args.consume_message_orderly {
        c.consume_message_orderly = v;
    }
    if let Some(v) = args.retry_queue_nums {
        c.retry_queue_nums = v;
    }
    if let Some(v) = args.retry_max_times {
        c.retry_max_times = v;
    }
    if let Some(p) = &args.group_retry_policy {
        c.group_retry_policy = from_fastjson::<GroupRetryPolicy>(p)
            .map_err(|e| anyhow::anyhow!("bad groupRetryPolicy JSON: {e}"))?;
    }
    if let Some(v) = args.broker_id {
        c.broker_id = v;
    }
    if let Some(v) = args.which_broker_when_consume_slowly {
        c.which_broker_when_consume_slowly = v;
    }
    if let Some(v) = args.notify_consumer_ids_changed {
        c.notify_consumer_ids_changed_enable = v;
    }
    if let Some(a) = &args.attributes {
        c.attributes = parse_attributes(a).map_err(anyhow::Error::msg)?;
    }
    let mut brokers = Vec::new();
    if let Some(addr) = &args.broker_addr {
        ctx.admin
            .create_or_update_subscription_group(addr, &c)
            .await?;
        out.line(format!("create subscription group to {addr} success."));
        brokers.push(addr.clone());
    } else if let Some(cluster) = &args.cluster_name {
        let mut failed = 0;
        for addr in ctx.masters(cluster).await? {
            match ctx
                .admin
                .create_or_update_subscription_group(&addr, &c)
                .await
            {
                Ok(()) => {
                    out.line(format!("create subscription group to {addr} success."));
                    brokers.push(addr);
                }
                Err(e) => {
                    progress(format!(
                        "create subscription group to {addr} failed: {}",
                        ctx.describe(&e)
                    ));
                    failed += 1;
                }
            }
        }
        if failed > 0 {
            bail!("{failed} broker(s) were not updated");
        }
    } else {
        bail!("-b or -c is required");
    }
    out.line(subscription_group(&c));
    out.set_json(json!({ "brokers": brokers, "subscriptionGroupConfig": c }));
    Ok(())
}

/// `deleteSubGroup`: from one broker, or from every master of a cluster together with the
/// group's retry and DLQ topics.
pub async fn delete_sub_group(ctx: &Ctx, args: DeleteSubGroupArgs, out: &mut Out) -> Result<()> {
    let group = &args.group_name;
    let clean = args.remove_offset.unwrap_or(false);
    let mut brokers = Vec::new();
    if let Some(addr) = &args.broker_addr {
        ctx.admin
            .delete_subscription_group(addr, group, clean)
            .await?;
        out.line(format!(
            "delete subscription group [{group}] from broker [{addr}] success."
        ));
        brokers.push(addr.clone());
    } else if let Some(cluster) = &args.cluster_name {
        for addr in ctx.masters(cluster).await? {
            ctx.admin
                .delete_subscription_group(&addr, group, clean)
                .await?;
            out.line(format!(
                "delete subscription group [{group}] from broker [{addr}] in cluster [{cluster}] success."
            ));
            brokers.push(addr);
        }
        for topic in [retry_topic(group), dlq_topic(group)] {
            if let Err(e) = ctx.admin.delete_topic(&topic, cluster).await {
                progress(format!(
                    "deleting topic {topic} failed: {}",
                    ctx.describe(&e)
                ));
            }
        }
    } else {
        bail!("-b or -c is required");
    }
    out.set_json(json!({ "group": group, "brokers": brokers, "removeOffset": clean }));
    Ok(())
}

/// `setConsumeMode`: the PULL/POP mode (and POP queue sharing) of a group on a topic, on one
/// broker or on every master of a cluster; a client learns it from QUERY_ASSIGNMENT.
pub async fn set_consume_mode(ctx: &Ctx, args: SetConsumeModeArgs, out: &mut Out) -> Result<()> {
    let mode = match args.mode.as_str() {
        "PULL" => MessageRequestMode::Pull,
        "POP" => MessageRequestMode::Pop,
        other => bail!("No enum constant MessageRequestMode.{other}"),
    };
    let share: i32 = match &args.pop_share_queue_num {
        Some(q) => q
            .parse()
            .map_err(|_| anyhow::anyhow!("For input string: \"{q}\""))?,
        None => 0,
    };
    let body = SetMessageRequestModeRequestBody {
        consumer_group: args.group_name.clone(),
        mode,
        pop_share_queue_num: share,
        topic: args.topic_name.clone(),
    };
    let brokers = if let Some(addr) = &args.broker_addr {
        vec![addr.clone()]
    } else if let Some(cluster) = &args.cluster_name {
        ctx.masters(cluster).await?
    } else {
        bail!("-b or -c is required");
    };
    let mut done = Vec::new();
    for addr in brokers {
        match raw::set_message_request_mode(&ctx.admin, &addr, &body).await {
            Ok(()) => {
                out.line(format!("set consume mode to {addr} success."));
                done.push(addr);
            }
            Err(e) if args.broker_addr.is_some() => return Err(e.into()),
            Err(e) => progress(format!(
                "set consume mode to {addr} failed: {}",
                ctx.describe(&e)
            )),
        }
    }
    out.text(format!(
        "topic[{}] group[{}] consume mode[{}] popShareQueueNum[{share}]",
        args.topic_name, args.group_name, args.mode
    ));
    out.set_json(json!({
        "topic": args.topic_name, "group": args.group_name, "mode": args.mode,
        "popShareQueueNum": share, "brokers": done,
    }));
    Ok(())
}

/// Consume stats of `group` from the brokers of the first route found among its retry
/// topic, `topic` and `cluster` (mqadmin's `examineConsumeStats`); an empty table is an
/// error, as in mqadmin.
async fn consume_stats(
    ctx: &Ctx,
    group: &str,
    topic: Option<&str>,
    cluster: Option<&str>,
) -> Result<ConsumeStats> {
    let mut route = None;
    let mut last_err = None;
    for candidate in std::iter::once(retry_topic(group))
        .chain(topic.map(str::to_string))
        .chain(cluster.map(str::to_string))
    {
        match ctx.admin.topic_route(&candidate).await {
            Ok(r) => {
                route = Some(r);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let Some(route) = route else {
        return Err(last_err
            .unwrap_or_else(|| ClientError::NoRoute(retry_topic(group)))
            .into());
    };
    let mut all = ConsumeStats::default();
    for bd in &route.broker_datas {
        if let Some(addr) = bd.select_broker_addr() {
            let s = ctx
                .admin
                .consume_stats_in_broker(addr, group, topic)
                .await?;
            all.offset_table.extend(s.offset_table);
            all.consume_tps += s.consume_tps;
        }
    }
    if all.offset_table.is_empty() {
        return Err(ClientError::Broker {
            code: response_code::CONSUMER_NOT_ONLINE,
            remark: "Not found the consumer group consume stats, because return offset table is empty, maybe the consumer not consume any message".into(),
            addr: String::new(),
        }
        .into());
    }
    Ok(all)
}

/// Which client (by IP) holds each queue, from the clients' running info.
async fn queue_owners(ctx: &Ctx, group: &str) -> HashMap<MessageQueue, String> {
    let mut owners = HashMap::new();
    let Ok(cc) = ctx.admin.consumer_connection(group).await else {
        return owners;
    };
    for conn in &cc.connection_set {
        let Ok(info) = ctx
            .admin
            .consumer_running_info(group, &conn.client_id)
            .await
        else {
            continue;
        };
        let ip = conn
            .client_id
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string();
        if let Some(table) = info.get("mqTable").and_then(|t| t.as_object()) {
            for key in table.keys() {
                if let Ok(mq) = serde_json::from_str::<MessageQueue>(key) {
                    owners.insert(mq, ip.clone());
                }
            }
        }
    }
    owners
}

/// `consumerProgress`: per-queue lag of a group (`-g`), or a summary line per group.
pub async fn consumer_progress(ctx: &Ctx, args: ConsumerProgressArgs, out: &mut Out) -> Result<()> {
    let Some(group) = &args.group_name else {
        return group_summaries(ctx, out).await;
    };
    let stats = consume_stats(
        ctx,
        group,
        args.topic_name.as_deref(),
        args.cluster.as_deref(),
    )
    .await?;
    let show_ip = args.show_client_ip.unwrap_or(false);
    let owners = if show_ip {
        queue_owners(ctx, group).await
    } else {
        HashMap::new()
    };
    out.line(progress_header(show_ip));
    let mut queues: Vec<&MessageQueue> = stats.offset_table.keys().collect();
    queues.sort();
    let (mut diff_total, mut inflight_total) = (0i64, 0i64);
    let mut rows = Vec::new();
    for mq in queues {
        let o = &stats.offset_table[mq];
        let diff = o.broker_offset - o.consumer_offset;
        let inflight = o.pull_offset - o.consumer_offset;
        diff_total += diff;
        inflight_total += inflight;
        let last = if o.last_timestamp == 0 {
            "N/A".to_string()
        } else {
            human_seconds(o.last_timestamp)
        };
        let ip = owners.get(mq).map(String::as_str);
        out.line(progress_row(
            mq,
            o.broker_offset,
            o.consumer_offset,
            show_ip.then(|| ip.unwrap_or("N/A")),
            diff,
            inflight,
            &last,
        ));
        rows.push(json!({
            "topic": mq.topic, "brokerName": mq.broker_name, "queueId": mq.queue_id,
            "brokerOffset": o.broker_offset, "consumerOffset": o.consumer_offset,
            "clientIP": ip, "diff": diff, "inflight": inflight, "lastTimestamp": o.last_timestamp,
        }));
    }
    out.line("");
    out.line(format!("Consume TPS: {:.2}", stats.consume_tps));
    out.line(format!("Consume Diff Total: {diff_total}"));
    out.line(format!("Consume Inflight Total: {inflight_total}"));
    out.set_json(json!({
        "group": group, "queues": rows, "consumeTps": stats.consume_tps,
        "diffTotal": diff_total, "inflightTotal": inflight_total,
    }));
    Ok(())
}

/// `consumerProgress -g`'s header.
pub fn progress_header(show_ip: bool) -> String {
    if show_ip {
        format!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20} {:<20}{}",
            "#Topic",
            "#Broker Name",
            "#QID",
            "#Broker Offset",
            "#Consumer Offset",
            "#Client IP",
            "#Diff",
            "#Inflight",
            "#LastTime"
        )
    } else {
        format!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20}{}",
            "#Topic",
            "#Broker Name",
            "#QID",
            "#Broker Offset",
            "#Consumer Offset",
            "#Diff",
            "#Inflight",
            "#LastTime"
        )
    }
}

/// One `consumerProgress -g` row; `ip` is the client column (`-s true`).
pub fn progress_row(
    mq: &MessageQueue,
    broker_offset: i64,
    consumer_offset: i64,
    ip: Option<&str>,
    diff: i64,
    inflight: i64,
    last: &str,
) -> String {
    let head = format!(
        "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  ",
        front(&mq.topic, 64),
        front(&mq.broker_name, 32),
        mq.queue_id,
        broker_offset,
        consumer_offset
    );
    match ip {
        Some(ip) => format!("{head}{ip:<20} {diff:<20} {inflight:<20} {last}"),
        None => format!("{head}{diff:<20} {inflight:<20} {last}"),
    }
}

/// `consumerProgress` without `-g`: one line per group that has a retry topic.
async fn group_summaries(ctx: &Ctx, out: &mut Out) -> Result<()> {
    out.line(format!(
        "{:<64}  {:<6}  {:<24} {:<5}  {:<14}  {:<7}  {}",
        "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS", "#Diff Total"
    ));
    let topics = ctx.admin.topic_list().await?;
    let mut rows = Vec::new();
    for topic in &topics.topic_list {
        let Some(group) = topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX) else {
            continue;
        };
        let stats = ctx.admin.consume_stats(group, None).await.ok();
        let cc = ctx.admin.consumer_connection(group).await.ok();
        let (tps, diff) = stats
            .as_ref()
            .map(|s| (s.consume_tps as i64, s.total_diff()))
            .unwrap_or((0, 0));
        let row = summary_row(group, cc.as_ref(), tps, diff);
        out.line(&row);
        let count = cc.as_ref().map_or(0, |c| c.connection_set.len());
        rows.push(json!({
            "group": group, "count": count,
            "version": cc.as_ref().and_then(|c| c.min_version()).map(version::describe),
            "consumeType": cc.as_ref().and_then(|c| c.consume_type).map(|t| t.name()),
            "messageModel": cc.as_ref().and_then(|c| c.message_model).map(|m| m.name()),
            "consumeTps": tps, "diffTotal": diff,
        }));
    }
    out.set_json(json!(rows));
    Ok(())
}

/// One `consumerProgress` summary line (Java's `GroupConsumeInfo`).
pub fn summary_row(group: &str, cc: Option<&ConsumerConnection>, tps: i64, diff: i64) -> String {
    let count = cc.map_or(0, |c| c.connection_set.len());
    let (version, kind, model) = match cc {
        Some(c) if count > 0 => {
            let push = c.consume_type == Some(ConsumeType::ConsumePassively);
            (
                version::describe(c.min_version().unwrap_or(0)),
                if c.consume_type == Some(ConsumeType::ConsumeActively) {
                    "PULL"
                } else {
                    "PUSH"
                },
                if push {
                    c.message_model.map(|m| m.name()).unwrap_or("")
                } else {
                    ""
                },
            )
        }
        _ => ("OFFLINE".to_string(), "", ""),
    };
    format!(
        "{:<64}  {:<6}  {:<24} {:<5}  {:<14}  {:<7}  {}",
        front(group, 64),
        count,
        version,
        kind,
        model,
        tps,
        diff
    )
}

/// `consumerConnection`: a group's clients and subscriptions.
pub async fn consumer_connection(
    ctx: &Ctx,
    args: ConsumerConnectionArgs,
    out: &mut Out,
) -> Result<()> {
    let cc = match &args.broker_addr {
        Some(addr) => raw::consumer_connection_at(&ctx.admin, addr, &args.consumer_group).await?,
        None => ctx.admin.consumer_connection(&args.consumer_group).await?,
    };
    out.line(format!(
        "{:<36} {:<22} {:<10} {}",
        "#ClientId", "#ClientAddr", "#Language", "#Version"
    ));
    for c in &cc.connection_set {
        out.line(format!(
            "{:<36} {:<22} {:<10} {}",
            c.client_id,
            c.client_addr,
            c.language,
            version::describe(c.version)
        ));
    }
    out.line("");
    out.line("Below is subscription:");
    out.line(format!("{:<20} {}", "#Topic", "#SubExpression"));
    for sd in cc.subscription_table.values() {
        out.line(format!("{:<20} {}", sd.topic, sd.sub_string));
    }
    out.line("");
    let name = |n: Option<&'static str>| n.unwrap_or("null");
    out.line(format!(
        "ConsumeType: {}",
        name(cc.consume_type.map(|t| t.name()))
    ));
    out.line(format!(
        "MessageModel: {}",
        name(cc.message_model.map(|m| m.name()))
    ));
    out.line(format!(
        "ConsumeFromWhere: {}",
        name(cc.consume_from_where.map(|w| w.name()))
    ));
    out.set_json(serde_json::to_value(&cc)?);
    Ok(())
}

/// `producerConnection`: the clients of a producer group, found on the topic's brokers.
pub async fn producer_connection(
    ctx: &Ctx,
    args: ProducerConnectionArgs,
    out: &mut Out,
) -> Result<()> {
    let pc = ctx
        .admin
        .producer_connection(&args.producer_group, &args.topic)
        .await?;
    for (i, c) in pc.connection_set.iter().enumerate() {
        out.line(format!(
            "{:04}  {:<32} {:<22} {:<8} {}",
            i + 1,
            c.client_id,
            c.client_addr,
            c.language,
            version::describe(c.version)
        ));
    }
    out.set_json(serde_json::to_value(&pc)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::{Connection, MessageModel};

    #[test]
    fn progress_rows_line_up_with_the_header() {
        let h = progress_header(false);
        let mq = MessageQueue::new("T", "broker-a", 3);
        let r = progress_row(&mq, 10, 4, None, 6, 0, "N/A");
        assert_eq!(h.find("#Diff"), r.find("6 "));
        assert!(r.ends_with(" N/A"));
        let h = progress_header(true);
        let r = progress_row(&mq, 10, 4, Some("10.0.0.1"), 6, 0, "N/A");
        assert_eq!(h.find("#Client IP"), r.find("10.0.0.1"));
    }

    #[test]
    fn summary_rows() {
        let offline = summary_row("G", None, 0, 5);
        assert!(offline.contains("  0       OFFLINE"), "{offline}");
        let cc = ConsumerConnection {
            connection_set: vec![Connection {
                client_addr: "1.2.3.4:5".into(),
                client_id: "1.2.3.4@x".into(),
                language: "JAVA".into(),
                version: version::V5_3_3,
            }],
            consume_type: Some(ConsumeType::ConsumePassively),
            message_model: Some(MessageModel::Clustering),
            ..Default::default()
        };
        let row = summary_row("G", Some(&cc), 3, 7);
        assert!(
            row.contains("  1       V5_3_3                   PUSH   CLUSTERING      3        7"),
            "{row}"
        );
    }
}
