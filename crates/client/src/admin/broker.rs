//! Broker-level admin calls: runtime info (28), config (25/26).

use std::collections::BTreeMap;

use ferromq_model::{from_fastjson_slice, HaRuntimeInfo, KVTable};
use ferromq_protocol::{request_code, RemotingCommand};

use super::properties::{format_properties, parse_properties};
use super::Admin;
use crate::error::Result;

impl Admin {
    /// GET_BROKER_RUNTIME_INFO (28): the broker's runtime figures (`brokerVersionDesc`,
    /// `putTps`, `msgPutTotalTodayNow`, …).
    pub async fn broker_runtime_info(&self, broker_addr: &str) -> Result<KVTable> {
        let resp = self
            .call(
                broker_addr,
                RemotingCommand::request(request_code::GET_BROKER_RUNTIME_INFO),
            )
            .await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }

    /// GET_BROKER_HA_STATUS (907): a master's slaves or a slave's link to its master.
    pub async fn broker_ha_status(&self, broker_addr: &str) -> Result<HaRuntimeInfo> {
        let resp = self
            .call(
                broker_addr,
                RemotingCommand::request(request_code::GET_BROKER_HA_STATUS),
            )
            .await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }

    /// GET_BROKER_CONFIG (26): the broker's configuration.
    pub async fn broker_config(&self, broker_addr: &str) -> Result<BTreeMap<String, String>> {
        let resp = self
            .call(
                broker_addr,
                RemotingCommand::request(request_code::GET_BROKER_CONFIG),
            )
            .await?;
        Ok(parse_properties(&String::from_utf8_lossy(
            &resp.body.to_bytes(),
        )))
    }

    /// UPDATE_BROKER_CONFIG (25): changes broker settings at runtime (persisted by the broker).
    pub async fn update_broker_config(
        &self,
        broker_addr: &str,
        changes: &BTreeMap<String, String>,
    ) -> Result<()> {
        let req = RemotingCommand::request(request_code::UPDATE_BROKER_CONFIG)
            .with_body(format_properties(changes));
        self.call(broker_addr, req).await.map(|_| ())
    }
}
