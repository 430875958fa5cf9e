//! Controller calls (RIP-44) behind mqadmin's `getControllerMetaData`, `getSyncStateSet`,
//! `electMaster` and `cleanBrokerMetadata`: the metadata from any controller, the rest from
//! its leader.

use ferromq_model::{from_fastjson_slice, BrokerReplicasInfo, EpochEntryCache};
use ferromq_protocol::headers::{
    CleanControllerBrokerDataRequestHeader, ElectMasterRequestHeader, ElectMasterResponseHeader,
    GetMetaDataResponseHeader,
};
use ferromq_protocol::{request_code as rc, RemotingCommand};

use super::Admin;
use crate::error::{ClientError, Result};

impl Admin {
    /// CONTROLLER_GET_METADATA_INFO (1005): the group, its leader and its peers.
    pub async fn controller_metadata(&self, controller: &str) -> Result<GetMetaDataResponseHeader> {
        let r = self
            .call(
                controller,
                RemotingCommand::request(rc::CONTROLLER_GET_METADATA_INFO),
            )
            .await?;
        Ok(r.decode_header()?)
    }

    /// The leader's address, asked of `controller`.
    pub async fn controller_leader(&self, controller: &str) -> Result<String> {
        self.controller_metadata(controller)
            .await?
            .controller_leader_address
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                ClientError::InvalidArgument(format!("{controller} knows no controller leader"))
            })
    }

    /// CONTROLLER_GET_SYNC_STATE_DATA (1006) of `broker_names`, from the leader.
    pub async fn sync_state_data(
        &self,
        controller: &str,
        broker_names: &[String],
    ) -> Result<BrokerReplicasInfo> {
        let leader = self.controller_leader(controller).await?;
        let body = serde_json::to_vec(broker_names)
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        let r = self
            .call(
                &leader,
                RemotingCommand::request(rc::CONTROLLER_GET_SYNC_STATE_DATA).with_body(body),
            )
            .await?;
        Ok(from_fastjson_slice(&r.body.to_bytes())?)
    }

    /// CONTROLLER_ELECT_MASTER (1002) designating `broker_id` (mqadmin `electMaster`).
    pub async fn elect_master(
        &self,
        controller: &str,
        cluster: &str,
        broker_name: &str,
        broker_id: i64,
    ) -> Result<ElectMasterResponseHeader> {
        let leader = self.controller_leader(controller).await?;
        let h = ElectMasterRequestHeader {
            cluster_name: Some(cluster.to_string()),
            broker_name: broker_name.to_string(),
            broker_id: Some(broker_id),
            designate_elect: Some(true),
            invoke_time: Some(ferromq_protocol::time::now_ms()),
        };
        let r = self
            .call(
                &leader,
                RemotingCommand::request_with(rc::CONTROLLER_ELECT_MASTER, &h),
            )
            .await?;
        Ok(r.decode_header()?)
    }

    /// CLEAN_BROKER_DATA (1011) (mqadmin `cleanBrokerMetadata`).
    pub async fn clean_broker_metadata(
        &self,
        controller: &str,
        h: &CleanControllerBrokerDataRequestHeader,
    ) -> Result<()> {
        let leader = self.controller_leader(controller).await?;
        self.call(
            &leader,
            RemotingCommand::request_with(rc::CLEAN_BROKER_DATA, h),
        )
        .await?;
        Ok(())
    }

    /// GET_BROKER_EPOCH_CACHE (1007) of one broker (mqadmin `getBrokerEpoch`).
    pub async fn broker_epoch_cache(&self, broker_addr: &str) -> Result<EpochEntryCache> {
        let r = self
            .call(
                broker_addr,
                RemotingCommand::request(rc::GET_BROKER_EPOCH_CACHE),
            )
            .await?;
        Ok(from_fastjson_slice(&r.body.to_bytes())?)
    }
}
