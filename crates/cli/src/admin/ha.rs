//! `haStatus`: a master's slaves (acknowledged offset, lag, speed, in sync or not) or a
//! slave's link to its master, as `mqadmin haStatus` prints them; `-i` repeats every N s.

use std::time::Duration;

use anyhow::Result;
use ferromq_model::HaRuntimeInfo;

use super::cli::HaStatusArgs;
use super::format::human_millis;
use super::out::Out;
use super::Ctx;

/// `haStatus -b addr | -c cluster [-i seconds]`.
pub async fn ha_status(ctx: &Ctx, args: HaStatusArgs, out: &mut Out) -> Result<()> {
    loop {
        let addrs = match (&args.broker_addr, &args.cluster_name) {
            (Some(b), _) => vec![b.clone()],
            (None, Some(c)) => ctx.masters(c).await?,
            (None, None) => anyhow::bail!("-b or -c is required"),
        };
        let mut doc = serde_json::Map::new();
        for addr in addrs {
            let info = ctx.admin.broker_ha_status(&addr).await?;
            out.text(render(&addr, &info));
            doc.insert(addr, serde_json::to_value(&info)?);
        }
        out.set_json(serde_json::Value::Object(doc));
        match args.interval {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs.max(1))).await,
            None => return Ok(()),
        }
    }
}

/// The text of one broker, in mqadmin's layout.
fn render(addr: &str, info: &HaRuntimeInfo) -> String {
    let mut s = String::new();
    if info.master {
        s += &format!(
            "\n#MasterAddr\t{addr}\n#MasterCommitLogMaxOffset\t{}\n#SlaveNum\t{}\n#InSyncSlaveNum\t{}\n",
            info.master_commit_log_max_offset,
            info.ha_connection_info.len(),
            info.in_sync_slave_nums
        );
        s += &format!(
            "{:<32}  {:<16} {:>16} {:>16} {:>16} {:>16}\n",
            "#SlaveAddr",
            "#SlaveAckOffset",
            "#Diff",
            "#TransferSpeed(KB/s)",
            "#Status",
            "#TransferFromWhere"
        );
        for c in &info.ha_connection_info {
            s += &format!(
                "{:<32}  {:<16} {:>16} {:>16.2} {:>16} {:>16}\n",
                c.addr,
                c.slave_ack_offset,
                c.diff,
                c.transferred_byte_in_second as f64 / 1024.0,
                if c.in_sync { "OK" } else { "Fall Behind" },
                c.transfer_from_where
            );
        }
    } else {
        let l = &info.ha_client_runtime_info;
        s += &format!(
            "\n#MasterAddr\t{}\n",
            l.master_addr.as_deref().unwrap_or("null")
        );
        s += &format!("#CommitLogMaxOffset\t{}\n", l.max_offset);
        s += &format!(
            "#TransferSpeed(KB/s)\t{:.2}\n",
            l.transferred_byte_in_second as f64 / 1024.0
        );
        s += &format!("#LastReadTime\t{}\n", human_millis(l.last_read_timestamp));
        s += &format!("#LastWriteTime\t{}\n", human_millis(l.last_write_timestamp));
        s += &format!("#MasterFlushOffset\t{}\n", l.master_flush_offset);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::HaConnectionRuntimeInfo;

    #[test]
    fn master_table_has_mqadmins_columns() {
        let info = HaRuntimeInfo {
            master: true,
            master_commit_log_max_offset: 4096,
            in_sync_slave_nums: 1,
            ha_connection_info: vec![HaConnectionRuntimeInfo {
                addr: "10.0.0.2:40112".into(),
                slave_ack_offset: 4000,
                diff: 96,
                in_sync: true,
                transferred_byte_in_second: 2048,
                transfer_from_where: 4096,
            }],
            ..HaRuntimeInfo::default()
        };
        let text = render("10.0.0.1:10911", &info);
        assert!(text.contains("#MasterAddr\t10.0.0.1:10911\n#MasterCommitLogMaxOffset\t4096\n#SlaveNum\t1\n#InSyncSlaveNum\t1\n"));
        let row = text.lines().last().unwrap();
        assert_eq!(
            row,
            format!(
                "{:<32}  {:<16} {:>16} {:>16} {:>16} {:>16}",
                "10.0.0.2:40112", 4000, 96, "2.00", "OK", 4096
            )
        );
    }
}
