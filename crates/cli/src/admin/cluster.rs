//! Cluster and broker commands: `clusterList`, `brokerStatus`, `getBrokerConfig`,
//! `updateBrokerConfig`.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Result};
use ferromq_model::{ClusterInfo, KVTable};
use serde_json::json;

use super::cli::{BrokerStatusArgs, ClusterListArgs, GetBrokerConfigArgs, UpdateBrokerConfigArgs};
use super::format::now_ms;
use super::out::{progress, Out};
use super::{Ctx, NO_CLUSTER};

/// One `clusterList` row's figures, read from GET_BROKER_RUNTIME_INFO.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BrokerFigures {
    pub version: String,
    pub in_tps: f64,
    pub out_tps: f64,
    pub send_queue: String,
    pub send_wait: String,
    pub pull_queue: String,
    pub pull_wait: String,
    pub ack_queue: String,
    pub ack_wait: String,
    pub page_cache_lock: String,
    pub timer_read_behind: i64,
    pub timer_offset_behind: i64,
    pub timer_congest: i64,
    pub timer_enqueue_tps: f64,
    pub timer_dequeue_tps: f64,
    pub hours: f64,
    pub space: f64,
    pub active: bool,
}

fn first_tps(v: Option<&String>) -> f64 {
    v.and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0)
}

impl BrokerFigures {
    /// Reads the runtime table as `clusterList` does; missing keys print as Java's `null`.
    pub fn from_table(t: &BTreeMap<String, String>, now: i64) -> Self {
        let s = |k: &str| t.get(k).cloned().unwrap_or_else(|| "null".into());
        let num = |k: &str| t.get(k).and_then(|v| v.parse::<i64>().ok());
        let float = |k: &str| t.get(k).and_then(|v| v.parse::<f64>().ok());
        // Java reads the five timer figures in one try block: one bad value zeroes the rest.
        let timers = (|| {
            Some((
                num("timerReadBehind")?,
                num("timerOffsetBehind")?,
                num("timerCongestNum")?,
                float("timerEnqueueTps")?,
                float("timerDequeueTps")?,
            ))
        })()
        .unwrap_or_default();
        BrokerFigures {
            version: s("brokerVersionDesc"),
            in_tps: first_tps(t.get("putTps")),
            out_tps: first_tps(t.get("getTransferredTps")),
            send_queue: s("sendThreadPoolQueueSize"),
            send_wait: s("sendThreadPoolQueueHeadWaitTimeMills"),
            pull_queue: s("pullThreadPoolQueueSize"),
            pull_wait: s("pullThreadPoolQueueHeadWaitTimeMills"),
            ack_queue: t
                .get("ackThreadPoolQueueSize")
                .cloned()
                .unwrap_or_else(|| "N".into()),
            ack_wait: t
                .get("ackThreadPoolQueueHeadWaitTimeMills")
                .cloned()
                .unwrap_or_else(|| "N".into()),
            page_cache_lock: s("pageCacheLockTimeMills"),
            timer_read_behind: timers.0,
            timer_offset_behind: timers.1,
            timer_congest: timers.2,
            timer_enqueue_tps: timers.3,
            timer_dequeue_tps: timers.4,
            hours: num("earliestMessageTimeStamp")
                .map(|e| (now - e) as f64 / 1000.0 / 60.0 / 60.0)
                .unwrap_or(0.0),
            space: float("commitLogDiskRatio").unwrap_or(0.0),
            active: t.get("brokerActive").is_some_and(|v| v == "true"),
        }
    }
}

/// `clusterList`'s header line.
pub fn cluster_header() -> String {
    format!(
        "{:<22}  {:<22}  {:<4}  {:<22} {:<16}  {:>16}  {:>30}  {:<22}  {:<11}  {:<12}  {:<8}  {:<10}",
        "#Cluster Name",
        "#Broker Name",
        "#BID",
        "#Addr",
        "#Version",
        "#InTPS(LOAD)",
        "#OutTPS(LOAD)",
        "#Timer(Progress)",
        "#PCWait(ms)",
        "#Hour",
        "#SPACE",
        "#ACTIVATED"
    )
}

/// One `clusterList` row.
pub fn cluster_row(cluster: &str, broker: &str, id: i64, addr: &str, f: &BrokerFigures) -> String {
    format!(
        "{:<22}  {:<22}  {:<4}  {:<22} {:<16}  {:>16}  {:>30}  {:<22}  {:>11}  {:<12}  {:<8}  {:>10}",
        cluster,
        broker,
        id,
        addr,
        f.version,
        format!("{:9.2}({},{}ms)", f.in_tps, f.send_queue, f.send_wait),
        format!(
            "{:9.2}({},{}ms|{},{}ms)",
            f.out_tps, f.pull_queue, f.pull_wait, f.ack_queue, f.ack_wait
        ),
        format!(
            "{}-{}({:.1}w, {:.1}, {:.1})",
            f.timer_read_behind,
            f.timer_offset_behind,
            f.timer_congest as f64 / 10000.0,
            f.timer_enqueue_tps,
            f.timer_dequeue_tps
        ),
        f.page_cache_lock,
        format!("{:.2}", f.hours),
        format!("{:.4}", f.space),
        f.active
    )
}

/// Long subtraction of two runtime counters, 0 when either is missing (Java swallows it).
fn diff(t: &BTreeMap<String, String>, a: &str, b: &str) -> i64 {
    match (
        t.get(a).and_then(|v| v.parse::<i64>().ok()),
        t.get(b).and_then(|v| v.parse::<i64>().ok()),
    ) {
        (Some(x), Some(y)) => x - y,
        _ => 0,
    }
}

fn target_clusters(info: &ClusterInfo, cluster: Option<&str>) -> Vec<String> {
    match cluster.filter(|c| !c.is_empty()) {
        Some(c) => vec![c.to_string()],
        None => info.cluster_addr_table.keys().cloned().collect(),
    }
}

async fn print_clusters(ctx: &Ctx, args: &ClusterListArgs, out: &mut Out) -> Result<()> {
    let info = ctx.admin.cluster_info().await?;
    let clusters = target_clusters(&info, args.cluster_name.as_deref());
    if args.more_stats {
        out.line(format!(
            "{:<16}  {:<32} {:>14} {:>14} {:>14} {:>14}",
            "#Cluster Name",
            "#Broker Name",
            "#InTotalYest",
            "#OutTotalYest",
            "#InTotalToday",
            "#OutTotalToday"
        ));
    } else {
        out.line(cluster_header());
    }
    let mut rows = Vec::new();
    for cluster in &clusters {
        let names = info
            .cluster_addr_table
            .get(cluster)
            .cloned()
            .unwrap_or_default();
        for name in names {
            let Some(bd) = info.broker_addr_table.get(&name) else {
                continue;
            };
            for (id, addr) in &bd.broker_addrs {
                let table = match ctx.admin.broker_runtime_info(addr).await {
                    Ok(KVTable { table }) => table,
                    Err(e) => {
                        progress(format!(
                            "fetching the runtime info of {addr} failed: {}",
                            ctx.describe(&e)
                        ));
                        BTreeMap::new()
                    }
                };
                if args.more_stats {
                    let in_yest = diff(
                        &table,
                        "msgPutTotalTodayMorning",
                        "msgPutTotalYesterdayMorning",
                    );
                    let out_yest = diff(
                        &table,
                        "msgGetTotalTodayMorning",
                        "msgGetTotalYesterdayMorning",
                    );
                    let in_today = diff(&table, "msgPutTotalTodayNow", "msgPutTotalTodayMorning");
                    let out_today = diff(&table, "msgGetTotalTodayNow", "msgGetTotalTodayMorning");
                    out.line(format!(
                        "{cluster:<16}  {name:<32} {in_yest:>14} {out_yest:>14} {in_today:>14} {out_today:>14}"
                    ));
                    rows.push(json!({
                        "clusterName": cluster, "brokerName": name, "brokerId": id, "addr": addr,
                        "inTotalYest": in_yest, "outTotalYest": out_yest,
                        "inTotalToday": in_today, "outTotalToday": out_today,
                    }));
                } else {
                    let f = BrokerFigures::from_table(&table, now_ms());
                    out.line(cluster_row(cluster, &name, *id, addr, &f));
                    rows.push(json!({
                        "clusterName": cluster, "brokerName": name, "brokerId": id, "addr": addr,
                        "version": f.version, "inTps": f.in_tps, "outTps": f.out_tps,
                        "sendThreadPoolQueueSize": f.send_queue,
                        "pullThreadPoolQueueSize": f.pull_queue,
                        "timerReadBehind": f.timer_read_behind,
                        "timerOffsetBehind": f.timer_offset_behind,
                        "timerCongestNum": f.timer_congest,
                        "pageCacheLockTimeMills": f.page_cache_lock,
                        "hours": f.hours, "commitLogDiskRatio": f.space, "activated": f.active,
                        "runtime": table,
                    }));
                }
            }
        }
    }
    out.set_json(json!(rows));
    Ok(())
}

/// `clusterList`: every broker with its version and load; `-m` today's/yesterday's totals;
/// `-i` repeats every interval seconds.
pub async fn cluster_list(ctx: &Ctx, args: ClusterListArgs, json_mode: bool) -> Result<()> {
    loop {
        let mut out = Out::new(json_mode);
        print_clusters(ctx, &args, &mut out).await?;
        out.finish();
        match args.interval {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs.max(1))).await,
            None => return Ok(()),
        }
    }
}

/// `brokerStatus`: a broker's runtime table, sorted by key.
pub async fn broker_status(ctx: &Ctx, args: BrokerStatusArgs, out: &mut Out) -> Result<()> {
    let addrs: Vec<String> = match (&args.broker_addr, &args.cluster_name) {
        (Some(b), _) => vec![b.clone()],
        (None, Some(c)) => ctx.all_addrs(c).await?,
        (None, None) => bail!("-b or -c is required"),
    };
    let with_addr = args.broker_addr.is_none();
    let mut doc = serde_json::Map::new();
    for addr in addrs {
        let table = match ctx.admin.broker_runtime_info(&addr).await {
            Ok(t) => t.table,
            Err(e) if with_addr => {
                progress(format!("{addr}: {}", ctx.describe(&e)));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for (k, v) in &table {
            if with_addr {
                out.line(format!("{addr:<24} {k:<32}: {v}"));
            } else {
                out.line(format!("{k:<32}: {v}"));
            }
        }
        doc.insert(addr, json!(table));
    }
    out.set_json(serde_json::Value::Object(doc));
    Ok(())
}

/// `getBrokerConfig`: the configuration of one broker (`-b`) or of every broker of a cluster.
pub async fn get_broker_config(ctx: &Ctx, args: GetBrokerConfigArgs, out: &mut Out) -> Result<()> {
    let mut targets: Vec<(String, String)> = Vec::new();
    if let Some(b) = &args.broker_addr {
        targets.push((format!("============{b}============"), b.clone()));
    } else if let Some(c) = &args.cluster_name {
        let info = ctx.admin.cluster_info().await?;
        let Some(names) = info.cluster_addr_table.get(c) else {
            bail!(NO_CLUSTER);
        };
        for name in names {
            let Some(bd) = info.broker_addr_table.get(name) else {
                continue;
            };
            let master = bd.master_addr().map(str::to_string);
            if let Some(m) = &master {
                targets.push((format!("============Master: {m}============"), m.clone()));
            }
            for (id, addr) in &bd.broker_addrs {
                if *id == 0 {
                    continue;
                }
                let m = master.as_deref().unwrap_or("NO_MASTER");
                targets.push((
                    format!("============My Master: {m}=====Slave: {addr}============"),
                    addr.clone(),
                ));
            }
        }
    } else {
        bail!("-b or -c is required");
    }
    let mut doc = serde_json::Map::new();
    for (title, addr) in targets {
        let config = ctx.admin.broker_config(&addr).await?;
        out.line(title);
        for (k, v) in &config {
            out.line(format!("{k:<50}=  {v}"));
        }
        out.line("");
        doc.insert(addr, json!(config));
    }
    out.set_json(serde_json::Value::Object(doc));
    Ok(())
}

/// `updateBrokerConfig`: sets one key on a broker, or on every master (`-a`: every broker) of
/// a cluster.
pub async fn update_broker_config(
    ctx: &Ctx,
    args: UpdateBrokerConfigArgs,
    out: &mut Out,
) -> Result<()> {
    let changes = BTreeMap::from([(args.key.clone(), args.value.clone())]);
    if args.key.is_empty() {
        bail!("the config key is empty");
    }
    let (addrs, stop_on_error) = match (&args.broker_addr, &args.cluster_name) {
        (Some(b), _) => (vec![b.clone()], true),
        (None, Some(c)) if args.update_all_broker.is_some() => (ctx.all_addrs(c).await?, false),
        (None, Some(c)) => (ctx.masters(c).await?, false),
        (None, None) => bail!("-b or -c is required"),
    };
    let mut updated = Vec::new();
    let mut failed = 0;
    for addr in addrs {
        match ctx.admin.update_broker_config(&addr, &changes).await {
            Ok(()) => {
                out.line(format!("update broker config success, {addr}"));
                updated.push(addr);
            }
            Err(e) if !stop_on_error => {
                progress(format!(
                    "update broker config of {addr} failed: {}",
                    ctx.describe(&e)
                ));
                failed += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    out.set_json(json!({ "key": args.key, "value": args.value, "brokers": updated }));
    if failed > 0 {
        bail!("{failed} broker(s) were not updated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_row_matches_mqadmin_widths() {
        let t = BTreeMap::from([
            ("brokerVersionDesc".to_string(), "V5_3_3".to_string()),
            ("putTps".to_string(), "12.5 3.0 1.0".to_string()),
            ("getTransferredTps".to_string(), "0.0 0.0 0.0".to_string()),
            ("sendThreadPoolQueueSize".to_string(), "0".to_string()),
            (
                "sendThreadPoolQueueHeadWaitTimeMills".to_string(),
                "0".to_string(),
            ),
            ("pullThreadPoolQueueSize".to_string(), "0".to_string()),
            (
                "pullThreadPoolQueueHeadWaitTimeMills".to_string(),
                "0".to_string(),
            ),
            ("pageCacheLockTimeMills".to_string(), "0".to_string()),
            ("earliestMessageTimeStamp".to_string(), "0".to_string()),
            ("commitLogDiskRatio".to_string(), "0.25".to_string()),
            ("brokerActive".to_string(), "true".to_string()),
            ("timerReadBehind".to_string(), "1".to_string()),
            ("timerOffsetBehind".to_string(), "2".to_string()),
            ("timerCongestNum".to_string(), "5000".to_string()),
            ("timerEnqueueTps".to_string(), "1.0".to_string()),
            ("timerDequeueTps".to_string(), "2.0".to_string()),
        ]);
        let f = BrokerFigures::from_table(&t, 2 * 3_600_000);
        assert_eq!(f.hours, 2.0);
        assert!(f.active);
        let row = cluster_row("DefaultCluster", "broker-a", 0, "10.0.0.1:10911", &f);
        assert_eq!(
            row,
            "DefaultCluster          broker-a                0     10.0.0.1:10911         V5_3_3                12.50(0,0ms)               0.00(0,0ms|N,Nms)  1-2(0.5w, 1.0, 2.0)               0  2.00          0.2500          true"
        );
        assert_eq!(
            cluster_header(),
            "#Cluster Name           #Broker Name            #BID  #Addr                  #Version              #InTPS(LOAD)                   #OutTPS(LOAD)  #Timer(Progress)        #PCWait(ms)  #Hour         #SPACE    #ACTIVATED"
        );
        // missing figures print as Java prints nulls and zeroes
        let empty = BrokerFigures::from_table(&BTreeMap::new(), 0);
        assert_eq!(empty.version, "null");
        assert!(!empty.active);
    }

    #[test]
    fn counters_subtract_when_both_present() {
        let t = BTreeMap::from([
            ("a".to_string(), "10".to_string()),
            ("b".to_string(), "4".to_string()),
        ]);
        assert_eq!(diff(&t, "a", "b"), 6);
        assert_eq!(diff(&t, "a", "c"), 0);
    }
}
