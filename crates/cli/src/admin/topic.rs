//! Topic commands: `updateTopic`, `deleteTopic`, `topicList`, `topicRoute`, `topicStatus`.

use anyhow::{bail, Result};
use ferromq_model::names::{DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};
use ferromq_model::{ClusterInfo, MessageQueue, TopicConfig, TopicRouteData, TopicStatsTable};
use serde_json::json;

use super::cli::{
    DeleteTopicArgs, TopicListArgs, TopicRouteArgs, TopicStatusArgs, UpdateTopicArgs,
};
use super::format::{front, human_millis, java_double, java_map, parse_attributes, topic_config};
use super::out::Out;
use super::pretty::fastjson_pretty;
use super::Ctx;

/// The NameServer KV namespace of ordered topics' `broker:queues` lists.
const ORDER_TOPIC_NAMESPACE: &str = "ORDER_TOPIC_CONFIG";

/// `TopicSysFlag.buildSysFlag(unit, hasUnitSub)`.
fn topic_sys_flag(unit: bool, has_unit_sub: bool) -> i32 {
    i32::from(unit) | (i32::from(has_unit_sub) << 1)
}

/// The order config of one broker merged into an existing `b1:4;b2:4` list (Java keeps
/// the other brokers' entries when one broker's topic is updated).
pub fn merge_order_conf(old: Option<&str>, broker: &str, entry: &str) -> String {
    let mut items: Vec<String> = old
        .unwrap_or("")
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
    match items
        .iter_mut()
        .find(|i| i.split(':').next() == Some(broker))
    {
        Some(existing) => *existing = entry.to_string(),
        None => items.push(entry.to_string()),
    }
    items.join(";")
}

/// `updateTopic`: creates or updates a topic on one broker (`-b`) or every master of a
/// cluster (`-c`); ordered topics also get their NameServer order config.
pub async fn update_topic(ctx: &Ctx, args: UpdateTopicArgs, out: &mut Out) -> Result<()> {
    let mut config = TopicConfig::with_queues(
        args.topic.clone(),
        args.read_queue_nums.unwrap_or(8),
        args.write_queue_nums.unwrap_or(8),
        args.perm.unwrap_or(6),
    );
    if let Some(a) = &args.attributes {
        config.attributes = parse_attributes(a).map_err(anyhow::Error::msg)?;
    }
    config.topic_sys_flag = topic_sys_flag(
        args.unit.unwrap_or(false),
        args.has_unit_sub.unwrap_or(false),
    );
    config.order = args.order.unwrap_or(false);

    let mut brokers = Vec::new();
    let mut order_conf = None;
    if let Some(addr) = &args.broker_addr {
        ctx.admin.create_or_update_topic(addr, &config).await?;
        brokers.push(addr.clone());
        if config.order {
            let info = ctx.admin.cluster_info().await?;
            let Some(name) = broker_name_of(&info, addr) else {
                bail!(super::NO_CLUSTER);
            };
            let entry = format!("{name}:{}", config.write_queue_nums);
            let old = ctx
                .admin
                .kv_config(ORDER_TOPIC_NAMESPACE, &config.topic_name)
                .await
                .ok()
                .flatten();
            let merged = merge_order_conf(old.as_deref(), &name, &entry);
            ctx.admin
                .put_kv_config(ORDER_TOPIC_NAMESPACE, &config.topic_name, &merged)
                .await?;
            out.line(format!(
                "set broker orderConf. isOrder=true, orderConf=[{entry}]"
            ));
            order_conf = Some(merged);
        }
        out.line(format!("create topic to {addr} success."));
    } else if let Some(cluster) = &args.cluster_name {
        for addr in ctx.masters(cluster).await? {
            ctx.admin.create_or_update_topic(&addr, &config).await?;
            out.line(format!("create topic to {addr} success."));
            brokers.push(addr);
        }
        if config.order {
            let info = ctx.admin.cluster_info().await?;
            let names = info
                .cluster_addr_table
                .get(cluster)
                .cloned()
                .unwrap_or_default();
            let conf: Vec<String> = names
                .iter()
                .map(|n| format!("{n}:{}", config.write_queue_nums))
                .collect();
            let conf = conf.join(";");
            ctx.admin
                .put_kv_config(ORDER_TOPIC_NAMESPACE, &config.topic_name, &conf)
                .await?;
            out.line(format!(
                "set cluster orderConf. isOrder=true, orderConf=[{conf}]"
            ));
            order_conf = Some(conf);
        }
    } else {
        bail!("-b or -c is required");
    }
    wait_for_route(ctx, &config, &brokers).await;
    out.line(topic_config(&config));
    out.set_json(json!({ "brokers": brokers, "topicConfig": config, "orderConf": order_conf }));
    Ok(())
}

/// Brokers register topic changes with the NameServers in the background; wait (briefly)
/// until the route shows the new queue counts on every broker written to, so that a script's
/// next command sees the topic.
async fn wait_for_route(ctx: &Ctx, config: &TopicConfig, addrs: &[String]) {
    let Ok(info) = ctx.admin.cluster_info().await else {
        return;
    };
    let names: Vec<String> = addrs
        .iter()
        .filter_map(|a| broker_name_of(&info, a))
        .collect();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        if let Ok(route) = ctx.admin.topic_route(&config.topic_name).await {
            let routed = names.iter().all(|n| {
                route.queue_datas.iter().any(|q| {
                    &q.broker_name == n
                        && q.read_queue_nums == config.read_queue_nums
                        && q.write_queue_nums == config.write_queue_nums
                })
            });
            if routed {
                return;
            }
        }
        if tokio::time::Instant::now() >= deadline {
            super::out::progress("updateTopic: the NameServer does not route the topic yet");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn broker_name_of(info: &ClusterInfo, addr: &str) -> Option<String> {
    info.broker_addr_table
        .values()
        .find(|b| b.broker_addrs.values().any(|a| a == addr))
        .map(|b| b.broker_name.clone())
}

/// `deleteTopic`: from every master of the cluster, then from every NameServer.
pub async fn delete_topic(ctx: &Ctx, args: DeleteTopicArgs, out: &mut Out) -> Result<()> {
    let masters = ctx.masters(&args.cluster_name).await?;
    for addr in &masters {
        ctx.admin.delete_topic_in_broker(addr, &args.topic).await?;
    }
    out.line(format!(
        "delete topic [{}] from cluster [{}] success.",
        args.topic, args.cluster_name
    ));
    for ns in &ctx.namesrv_addrs {
        ctx.admin
            .delete_topic_in_namesrv(ns, &args.topic, Some(&args.cluster_name))
            .await?;
    }
    out.line(format!(
        "delete topic [{}] from NameServer success.",
        args.topic
    ));
    out.set_json(json!({
        "topic": args.topic, "clusterName": args.cluster_name,
        "brokers": masters, "nameServers": ctx.namesrv_addrs,
    }));
    Ok(())
}

/// `topicList`: every topic; `-c` adds each topic's cluster and consumer groups.
pub async fn topic_list(ctx: &Ctx, args: TopicListArgs, out: &mut Out) -> Result<()> {
    let list = ctx.admin.topic_list().await?;
    if !args.cluster_model {
        for t in &list.topic_list {
            out.line(t);
        }
        out.set_json(json!({ "topicList": list.topic_list }));
        return Ok(());
    }
    let info = ctx.admin.cluster_info().await?;
    out.line(format!(
        "{:<20}  {:<48}  {:<48}",
        "#Cluster Name", "#Topic", "#Consumer Group"
    ));
    let mut rows = Vec::new();
    for topic in &list.topic_list {
        if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) || topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
        {
            continue;
        }
        let mut cluster = String::new();
        let mut groups = Vec::new();
        if let Ok(route) = ctx.admin.topic_route(topic).await {
            if let Some(bd) = route.broker_datas.first() {
                cluster = info
                    .cluster_addr_table
                    .iter()
                    .find(|(_, names)| names.contains(&bd.broker_name))
                    .map(|(c, _)| c.clone())
                    .unwrap_or_default();
            }
            if let Some(addr) = route
                .broker_datas
                .iter()
                .find_map(|b| b.select_broker_addr())
            {
                if let Ok(g) = ctx.admin.topic_consumer_groups(addr, topic).await {
                    groups = g.group_list.into_iter().collect();
                }
            }
        }
        let shown = if groups.is_empty() {
            vec![String::new()]
        } else {
            groups.clone()
        };
        for g in &shown {
            out.line(format!(
                "{:<20}  {:<64}  {:<64}",
                front(&cluster, 20),
                front(topic, 64),
                front(g, 64)
            ));
        }
        rows.push(json!({ "clusterName": cluster, "topic": topic, "consumerGroups": groups }));
    }
    out.set_json(json!(rows));
    Ok(())
}

/// `topicRoute -l`'s table.
pub fn route_table(route: &TopicRouteData) -> String {
    let row = |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| {
        format!("{a:<45} {b:<32} {c:<50} {d:<10} {e:<11} {f:<5}\n")
    };
    let mut brokers = route.broker_datas.clone();
    brokers.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    let mut s = row(
        "#ClusterName",
        "#BrokerName",
        "#BrokerAddrs",
        "#ReadQueue",
        "#WriteQueue",
        "#Perm",
    );
    let (mut total_read, mut total_write) = (0, 0);
    for bd in &brokers {
        let Some(qd) = route
            .queue_datas
            .iter()
            .find(|q| q.broker_name == bd.broker_name)
        else {
            continue;
        };
        total_read += qd.read_queue_nums;
        total_write += qd.write_queue_nums;
        let addrs: Vec<(String, &str)> = bd
            .broker_addrs
            .iter()
            .map(|(id, a)| (id.to_string(), a.as_str()))
            .collect();
        let addrs = java_map(addrs.iter().map(|(id, a)| (id.as_str(), *a)));
        s.push_str(&row(
            &bd.cluster,
            &bd.broker_name,
            &addrs,
            &qd.read_queue_nums.to_string(),
            &qd.write_queue_nums.to_string(),
            &qd.perm.to_string(),
        ));
    }
    s.push_str(&"-".repeat(158));
    s.push('\n');
    let broker_count = {
        let mut names: Vec<&str> = route
            .queue_datas
            .iter()
            .map(|q| q.broker_name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    s.push_str(&row(
        "Total:",
        &broker_count.to_string(),
        "",
        &total_read.to_string(),
        &total_write.to_string(),
        "",
    ));
    s
}

/// `topicRoute`: the NameServer's route as fastjson pretty JSON, or `-l` as a table.
pub async fn topic_route(ctx: &Ctx, args: TopicRouteArgs, out: &mut Out) -> Result<()> {
    let route = ctx.admin.topic_route(&args.topic).await?;
    if args.list {
        out.text(route_table(&route));
    } else {
        out.line(fastjson_pretty(&serde_json::to_value(&route)?));
    }
    out.set_json(serde_json::to_value(&route)?);
    Ok(())
}

/// `topicStatus`'s table.
pub fn status_table(stats: &TopicStatsTable) -> String {
    let mut queues: Vec<&MessageQueue> = stats.offset_table.keys().collect();
    queues.sort();
    let mut s = format!(
        "{:<32}  {:<4}  {:<20}  {:<20}    {}\n",
        "#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"
    );
    for mq in queues {
        let o = &stats.offset_table[mq];
        let last = if o.last_update_timestamp > 0 {
            human_millis(o.last_update_timestamp)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "{:<32}  {:<4}  {:<20}  {:<20}    {}\n",
            front(&mq.broker_name, 32),
            mq.queue_id,
            o.min_offset,
            o.max_offset,
            last
        ));
    }
    s.push('\n');
    s.push_str(&format!(
        "Topic Put TPS: {}\n",
        java_double(stats.topic_put_tps)
    ));
    s
}

/// `topicStatus`: min/max offset and last update of every queue of a topic.
pub async fn topic_status(ctx: &Ctx, args: TopicStatusArgs, out: &mut Out) -> Result<()> {
    let stats = match &args.cluster {
        Some(cluster) => {
            let route = ctx.admin.topic_route(cluster).await?;
            let mut all = TopicStatsTable::default();
            for bd in &route.broker_datas {
                if let Some(addr) = bd.select_broker_addr() {
                    let t = ctx.admin.topic_stats_in_broker(addr, &args.topic).await?;
                    all.offset_table.extend(t.offset_table);
                    all.topic_put_tps += t.topic_put_tps;
                }
            }
            all
        }
        None => ctx.admin.topic_stats(&args.topic).await?,
    };
    out.text(status_table(&stats));
    let mut queues: Vec<(&MessageQueue, _)> = stats.offset_table.iter().collect();
    queues.sort_by(|a, b| a.0.cmp(b.0));
    let queues: Vec<_> = queues
        .into_iter()
        .map(|(mq, o)| {
            json!({
                "brokerName": mq.broker_name, "queueId": mq.queue_id,
                "minOffset": o.min_offset, "maxOffset": o.max_offset,
                "lastUpdateTimestamp": o.last_update_timestamp,
            })
        })
        .collect();
    out.set_json(
        json!({ "topic": args.topic, "queues": queues, "topicPutTps": stats.topic_put_tps }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::{BrokerData, QueueData, TopicOffset};

    #[test]
    fn sys_flags_and_order_conf() {
        assert_eq!(topic_sys_flag(false, false), 0);
        assert_eq!(topic_sys_flag(true, false), 1);
        assert_eq!(topic_sys_flag(true, true), 3);
        assert_eq!(merge_order_conf(None, "a", "a:4"), "a:4");
        assert_eq!(merge_order_conf(Some("a:4;b:8"), "a", "a:2"), "a:2;b:8");
        assert_eq!(merge_order_conf(Some("b:8"), "a", "a:2"), "b:8;a:2");
    }

    #[test]
    fn route_list_format() {
        let mut bd = BrokerData::new("C", "broker-a");
        bd.broker_addrs.insert(0, "10.0.0.1:10911".into());
        let route = TopicRouteData {
            broker_datas: vec![bd],
            queue_datas: vec![QueueData {
                broker_name: "broker-a".into(),
                perm: 6,
                read_queue_nums: 4,
                topic_sys_flag: 0,
                write_queue_nums: 2,
            }],
            ..Default::default()
        };
        let t = route_table(&route);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[1],
            format!(
                "{:<45} {:<32} {:<50} {:<10} {:<11} {:<5}",
                "C", "broker-a", "{0=10.0.0.1:10911}", 4, 2, 6
            )
        );
        assert_eq!(lines[2], "-".repeat(158));
        assert!(lines[3].starts_with("Total:                                        1    "));
    }

    #[test]
    fn status_rows_sorted_by_queue() {
        let mut stats = TopicStatsTable::default();
        for q in [2, 0, 1] {
            stats.offset_table.insert(
                MessageQueue::new("T", "b", q),
                TopicOffset {
                    last_update_timestamp: 0,
                    max_offset: q as i64 * 10,
                    min_offset: 0,
                },
            );
        }
        let t = status_table(&stats);
        let qids: Vec<&str> = t.lines().skip(1).take(3).map(|l| &l[34..35]).collect();
        assert_eq!(qids, ["0", "1", "2"]);
        assert!(t.ends_with("\nTopic Put TPS: 0.0\n"));
    }
}
