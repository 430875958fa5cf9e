//! Queue offset look-ups on the broker that owns a queue: GET_MAX_OFFSET (30),
//! GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32).

use ferromq_model::names::MASTER_ID;
use ferromq_model::MessageQueue;
use ferromq_protocol::headers::{
    GetEarliestMsgStoretimeResponseHeader, GetMaxOffsetRequestHeader, OffsetResponseHeader,
    SearchOffsetRequestHeader, TopicQueueRequestHeader,
};
use ferromq_protocol::{request_code, RemotingCommand};

use super::ClientInstance;
use crate::error::{ClientError, Result};

impl ClientInstance {
    /// The master (or any replica) of `mq`'s broker, refreshing the route once: where queue
    /// and consumer offsets of `mq` are asked and committed.
    pub(crate) async fn queue_broker_addr(&self, mq: &MessageQueue) -> Result<String> {
        if let Some((a, _)) = self
            .routes()
            .subscribe_addr(&mq.broker_name, MASTER_ID, true)
        {
            return Ok(a);
        }
        let _ = self.update_route(&mq.topic).await;
        self.routes()
            .subscribe_addr(&mq.broker_name, MASTER_ID, false)
            .map(|(a, _)| a)
            .ok_or_else(|| ClientError::BrokerNotFound(mq.broker_name.clone()))
    }

    /// The next offset to be written in `mq`.
    pub async fn max_offset(&self, mq: &MessageQueue) -> Result<i64> {
        let addr = self.queue_broker_addr(mq).await?;
        let header = GetMaxOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            committed: None,
        };
        let req = RemotingCommand::request_with(request_code::GET_MAX_OFFSET, &header)
            .with_ext("bname", mq.broker_name.clone());
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(resp.decode_header::<OffsetResponseHeader>()?.offset)
    }

    /// The oldest offset still stored in `mq`.
    pub async fn min_offset(&self, mq: &MessageQueue) -> Result<i64> {
        let addr = self.queue_broker_addr(mq).await?;
        let header = TopicQueueRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
        };
        let req = RemotingCommand::request_with(request_code::GET_MIN_OFFSET, &header)
            .with_ext("bname", mq.broker_name.clone());
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(resp.decode_header::<OffsetResponseHeader>()?.offset)
    }

    /// The offset of the first message of `mq` stored at or after `timestamp` (epoch ms).
    pub async fn search_offset(&self, mq: &MessageQueue, timestamp: i64) -> Result<i64> {
        let addr = self.queue_broker_addr(mq).await?;
        let header = SearchOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            timestamp,
            boundary_type: None,
        };
        let req = RemotingCommand::request_with(request_code::SEARCH_OFFSET_BY_TIMESTAMP, &header)
            .with_ext("bname", mq.broker_name.clone());
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(resp.decode_header::<OffsetResponseHeader>()?.offset)
    }

    /// Store time of the oldest message of `mq`.
    pub async fn earliest_msg_store_time(&self, mq: &MessageQueue) -> Result<i64> {
        let addr = self.queue_broker_addr(mq).await?;
        let header = TopicQueueRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
        };
        let req = RemotingCommand::request_with(request_code::GET_EARLIEST_MSG_STORETIME, &header)
            .with_ext("bname", mq.broker_name.clone());
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(resp
            .decode_header::<GetEarliestMsgStoretimeResponseHeader>()?
            .timestamp)
    }
}
