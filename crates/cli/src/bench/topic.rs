//! The benchmark topic: used as is when the NameServer has a route for it, otherwise created
//! (UPDATE_AND_CREATE_TOPIC) on every master of the cluster(s), as RocketMQ's benchmark scripts
//! expect it to be pre-created with `mqadmin updateTopic`.

use std::time::{Duration, Instant};

use anyhow::Context;
use ferromq_client::Admin;
use ferromq_model::{ClusterInfo, TopicConfig};

/// Read and write permission (`PermName.PERM_READ | PERM_WRITE`).
const PERM_READ_WRITE: i32 = 6;
/// How long to wait for a created topic to show up in the NameServer's route table.
const ROUTE_WAIT: Duration = Duration::from_secs(10);

/// Masters to create the topic on: those of `cluster`, or of every cluster.
pub fn target_masters(info: &ClusterInfo, cluster: Option<&str>) -> Vec<String> {
    let mut addrs: Vec<String> = match cluster {
        Some(c) => info
            .master_addrs_of_cluster(c)
            .into_iter()
            .map(str::to_string)
            .collect(),
        None => info
            .cluster_addr_table
            .keys()
            .flat_map(|c| info.master_addrs_of_cluster(c))
            .map(str::to_string)
            .collect(),
    };
    addrs.sort();
    addrs.dedup();
    addrs
}

/// Makes sure the benchmark's topic (`-t`, `-q`, `-c` of `common`) is routable, with an admin
/// client of its own for just that.
pub async fn ensure_bench_topic(common: &super::CommonArgs) -> anyhow::Result<()> {
    let admin = Admin::new(common.client_config()?);
    let ensured = ensure_topic(
        &admin,
        &common.topic,
        common.queues,
        common.cluster.as_deref(),
    )
    .await;
    admin.shutdown().await;
    ensured.map(|_| ())
}

/// Makes sure `topic` is routable; creates it with `queues` queues per master when missing.
/// Returns whether it was created.
pub async fn ensure_topic(
    admin: &Admin,
    topic: &str,
    queues: i32,
    cluster: Option<&str>,
) -> anyhow::Result<bool> {
    if routable(admin, topic).await {
        return Ok(false);
    }
    let info = admin
        .cluster_info()
        .await
        .context("reading the cluster list from the NameServer")?;
    let masters = target_masters(&info, cluster);
    if masters.is_empty() {
        anyhow::bail!(
            "no master broker registered{} to create topic `{topic}` on",
            cluster
                .map(|c| format!(" in cluster `{c}`"))
                .unwrap_or_default()
        );
    }
    let config = TopicConfig::with_queues(topic, queues, queues, PERM_READ_WRITE);
    for addr in &masters {
        admin
            .create_or_update_topic(addr, &config)
            .await
            .with_context(|| format!("creating topic `{topic}` on {addr}"))?;
    }
    eprintln!(
        "created topic {topic} with {queues} queues on {}",
        masters.join(", ")
    );
    let deadline = Instant::now() + ROUTE_WAIT;
    while !routable(admin, topic).await {
        if Instant::now() > deadline {
            anyhow::bail!("topic `{topic}` was created but the NameServer has no route for it");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(true)
}

async fn routable(admin: &Admin, topic: &str) -> bool {
    matches!(admin.topic_route(topic).await, Ok(r) if !r.queue_datas.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::from_fastjson_slice;

    #[test]
    fn masters_of_one_or_all_clusters() {
        let info: ClusterInfo = from_fastjson_slice(
            br#"{"brokerAddrTable":{
                "a":{"brokerAddrs":{"0":"h:1","1":"h:2"},"brokerName":"a","cluster":"C1"},
                "b":{"brokerAddrs":{"1":"h:4"},"brokerName":"b","cluster":"C1"},
                "c":{"brokerAddrs":{"0":"h:3"},"brokerName":"c","cluster":"C2"}},
              "clusterAddrTable":{"C1":["a","b"],"C2":["c"]}}"#,
        )
        .expect("cluster info");
        assert_eq!(target_masters(&info, Some("C1")), vec!["h:1"]);
        assert_eq!(target_masters(&info, None), vec!["h:1", "h:3"]);
        assert!(target_masters(&info, Some("nope")).is_empty());
    }
}
