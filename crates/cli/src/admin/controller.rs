//! Controller commands (RIP-44): `getControllerMetaData`, `getSyncStateSet`, `electMaster`,
//! `cleanBrokerMetadata`, and the brokers' `getBrokerEpoch`, printed as mqadmin prints them.

use std::time::Duration;

use anyhow::{bail, Result};
use ferromq_protocol::headers::CleanControllerBrokerDataRequestHeader;

use super::cli::{
    CleanBrokerMetadataArgs, ControllerAddrArgs, ElectMasterArgs, GetBrokerEpochArgs,
    GetSyncStateSetArgs,
};
use super::out::Out;
use super::Ctx;

fn or_null<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "null".into(), |v| v.to_string())
}

/// `getControllerMetaData -a addr`.
pub async fn get_controller_metadata(
    ctx: &Ctx,
    args: ControllerAddrArgs,
    out: &mut Out,
) -> Result<()> {
    let m = ctx
        .admin
        .controller_metadata(&args.controller_address)
        .await?;
    let mut s = format!(
        "\n#ControllerGroup\t{}\n#ControllerLeaderId\t{}\n#ControllerLeaderAddress\t{}",
        or_null(m.group.as_deref()),
        or_null(m.controller_leader_id.as_deref()),
        or_null(m.controller_leader_address.as_deref())
    );
    for peer in m
        .peers
        .as_deref()
        .unwrap_or_default()
        .split(';')
        .filter(|p| !p.is_empty())
    {
        s += &format!("\n#Peer:\t{peer}");
    }
    s += "\n";
    out.text(s);
    out.set_json(serde_json::json!({
        "group": m.group,
        "controllerLeaderId": m.controller_leader_id,
        "controllerLeaderAddress": m.controller_leader_address,
        "isLeader": m.is_leader,
        "peers": m.peers,
    }));
    Ok(())
}

/// `getSyncStateSet -a addr -b brokerName | -c cluster [-i seconds]`.
pub async fn get_sync_state_set(ctx: &Ctx, args: GetSyncStateSetArgs, out: &mut Out) -> Result<()> {
    // mqadmin uses the first address of the list.
    let controller = args
        .controller_address
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    loop {
        let names = match (&args.broker_name, &args.cluster_name) {
            (Some(b), _) => vec![b.clone()],
            (None, Some(c)) => {
                let info = ctx.admin.cluster_info().await?;
                let Some(names) = info.cluster_addr_table.get(c) else {
                    bail!(super::NO_CLUSTER);
                };
                names.iter().cloned().collect()
            }
            (None, None) => bail!("-b or -c is required"),
        };
        let info = ctx.admin.sync_state_data(&controller, &names).await?;
        let mut s = String::new();
        for (name, r) in &info.replicas_info_table {
            s += &format!(
                "\n#brokerName\t{name}\n#MasterBrokerId\t{}\n#MasterAddr\t{}\n#MasterEpoch\t{}\n#SyncStateSetEpoch\t{}\n#SyncStateSetNums\t{}\n",
                or_null(r.master_broker_id),
                or_null(r.master_address.as_deref()),
                r.master_epoch,
                r.sync_state_set_epoch,
                r.in_sync_replicas.len()
            );
            for m in &r.in_sync_replicas {
                s += &format!("\nInSyncReplica:\t{m}\n");
            }
            for m in &r.not_in_sync_replicas {
                s += &format!("\nNotInSyncReplica:\t{m}\n");
            }
        }
        out.text(s);
        out.set_json(serde_json::to_value(&info)?);
        match args.interval {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs.max(1))).await,
            None => return Ok(()),
        }
    }
}

/// `getBrokerEpoch -b brokerName | -c cluster [-i seconds]`: every master's and slave's
/// epochs (GET_BROKER_EPOCH_CACHE), the last one ending at the broker's CommitLog end.
pub async fn get_broker_epoch(ctx: &Ctx, args: GetBrokerEpochArgs, out: &mut Out) -> Result<()> {
    loop {
        let addrs = match (&args.broker_name, &args.cluster_name) {
            (Some(b), _) => {
                let info = ctx.admin.cluster_info().await?;
                let Some(data) = info.broker_addr_table.get(b) else {
                    bail!("broker {b} not found in the cluster info");
                };
                let mut a: Vec<String> = data.broker_addrs.values().cloned().collect();
                a.sort();
                a
            }
            (None, Some(c)) => ctx.all_addrs(c).await?,
            (None, None) => bail!("-b or -c is required"),
        };
        let mut doc = serde_json::Map::new();
        let mut s = String::new();
        for addr in addrs {
            let cache = ctx.admin.broker_epoch_cache(&addr).await?;
            s += &format!(
                "\n#clusterName\t{}\n#brokerName\t{}\n#brokerAddr\t{addr}\n#brokerId\t{}",
                cache.cluster_name, cache.broker_name, cache.broker_id
            );
            let n = cache.epoch_list.len();
            for (i, e) in cache.epoch_list.iter().enumerate() {
                let end = if i + 1 == n {
                    cache.max_offset
                } else {
                    e.end_offset
                };
                s += &format!(
                    "\n#Epoch: EpochEntry{{epoch={}, startOffset={}, endOffset={end}}}",
                    e.epoch, e.start_offset
                );
            }
            s += "\n";
            doc.insert(addr, serde_json::to_value(&cache)?);
        }
        out.text(s);
        out.set_json(serde_json::Value::Object(doc));
        match args.interval {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs.max(1))).await,
            None => return Ok(()),
        }
    }
}

/// `electMaster -a addr -c cluster -bn brokerName -b brokerId`.
pub async fn elect_master(ctx: &Ctx, args: ElectMasterArgs, out: &mut Out) -> Result<()> {
    let controller = args.controller_address.clone();
    let h = ctx
        .admin
        .elect_master(
            &controller,
            &args.cluster_name,
            &args.broker_name,
            args.broker_id,
        )
        .await?;
    out.text(format!(
        "\n#ClusterName\t{}\n#BrokerName\t{}\n#BrokerMasterAddr\t{}\n#MasterEpoch\t{}\n#SyncStateSetEpoch\t{}\n",
        args.cluster_name,
        args.broker_name,
        or_null(h.master_address.as_deref()),
        or_null(h.master_epoch),
        or_null(h.sync_state_set_epoch)
    ));
    out.set_json(serde_json::json!({
        "masterBrokerId": h.master_broker_id,
        "masterAddress": h.master_address,
        "masterEpoch": h.master_epoch,
        "syncStateSetEpoch": h.sync_state_set_epoch,
    }));
    Ok(())
}

/// `cleanBrokerMetadata -a addr -bn brokerName [-b ids] [-c cluster] [-l]`.
pub async fn clean_broker_metadata(
    ctx: &Ctx,
    args: CleanBrokerMetadataArgs,
    out: &mut Out,
) -> Result<()> {
    if !args.clean_living_broker && args.cluster_name.is_none() {
        bail!("cleanLivingBroker option is false, clusterName option can not be empty.");
    }
    let h = CleanControllerBrokerDataRequestHeader {
        cluster_name: args.cluster_name.clone(),
        broker_name: args.broker_name.clone(),
        broker_controller_ids_to_clean: args.broker_ids.clone(),
        is_clean_living_broker: Some(args.clean_living_broker),
        invoke_time: Some(ferromq_protocol::time::now_ms()),
    };
    ctx.admin
        .clean_broker_metadata(&args.controller_address, &h)
        .await?;
    out.text(format!(
        "clear broker {} metadata from controller success! \n",
        args.broker_name
    ));
    out.set_json(serde_json::json!({"cleaned": args.broker_name}));
    Ok(())
}
