//! Registration with every NameServer in `namesrvAddr`: at start, every
//! `registerNameServerPeriod` (30 s, clamped to 10–60 s), at once when topics change, and an
//! unregistration at shutdown.

use std::sync::Arc;
use std::time::Duration;

use ferromq_model::RegisterBrokerBody;
use ferromq_protocol::headers::{RegisterBrokerRequestHeader, UnregisterBrokerRequestHeader};
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::RemotingClient;
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;

const TIMEOUT: Duration = Duration::from_secs(6);

/// Registers with every NameServer once; returns how many accepted.
pub async fn register_all(ctx: &BrokerContext, client: &RemotingClient) -> usize {
    let (addrs, header, body) = {
        let cfg = ctx.config.read();
        let body = RegisterBrokerBody {
            filter_server_list: Vec::new(),
            topic_config_serialize_wrapper: ctx.topics.wrapper(),
        };
        let bytes = match body.encode(cfg.broker.compressed_register) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode the registration body");
                return 0;
            }
        };
        let header = RegisterBrokerRequestHeader {
            broker_name: ctx.broker_name.clone(),
            broker_addr: ctx.broker_addr(),
            cluster_name: ctx.cluster_name.clone(),
            ha_server_addr: cfg.ha_server_addr(),
            broker_id: ctx.broker_id,
            // Only acting-master setups shorten the NameServer's 120 s expiry (as Java).
            heartbeat_timeout_millis: cfg
                .broker
                .enable_slave_acting_master
                .then_some(cfg.broker.broker_not_active_timeout_millis),
            enable_acting_master: Some(cfg.broker.enable_slave_acting_master),
            compressed: Some(cfg.broker.compressed_register),
            body_crc32: Some((crc32fast_hash(&bytes) & 0x7FFF_FFFF) as i32),
            zone_name: None,
        };
        (cfg.namesrv_addrs(), header, bytes)
    };
    let mut ok = 0;
    for addr in addrs {
        let req =
            RemotingCommand::request_with(rc::REGISTER_BROKER, &header).with_body(body.clone());
        match client.invoke_sync(&addr, req, TIMEOUT).await {
            Ok(r) if r.code == response_code::SUCCESS => {
                ok += 1;
                tracing::debug!(namesrv = %addr, "registered with the name server");
            }
            Ok(r) => {
                tracing::warn!(namesrv = %addr, code = r.code, remark = ?r.remark, "name server refused the registration")
            }
            Err(e) => {
                tracing::warn!(namesrv = %addr, error = %e, "registering with the name server failed")
            }
        }
    }
    ok
}

/// Unregisters from every NameServer.
pub async fn unregister_all(ctx: &BrokerContext, client: &RemotingClient) {
    let addrs = ctx.config.read().namesrv_addrs();
    let header = UnregisterBrokerRequestHeader {
        broker_name: ctx.broker_name.clone(),
        broker_addr: ctx.broker_addr(),
        cluster_name: ctx.cluster_name.clone(),
        broker_id: ctx.broker_id,
    };
    for addr in addrs {
        let req = RemotingCommand::request_with(rc::UNREGISTER_BROKER, &header);
        if let Err(e) = client.invoke_sync(&addr, req, Duration::from_secs(3)).await {
            tracing::warn!(namesrv = %addr, error = %e, "unregistering from the name server failed");
        }
    }
}

fn crc32fast_hash(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(bytes);
    h.finalize()
}

/// Runs the registration loop until `stop`.
pub async fn run(ctx: Arc<BrokerContext>, client: RemotingClient, stop: CancellationToken) {
    let period = {
        let p = ctx.config.read().broker.register_name_server_period;
        Duration::from_millis(p.clamp(10_000, 60_000) as u64)
    };
    register_all(&ctx, &client).await;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
            _ = ctx.registration_needed.notified() => {
                // Coalesce bursts of topic changes into one registration.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        register_all(&ctx, &client).await;
    }
}
