//! GET_CONSUMER_LIST_BY_GROUP (38): the client ids of a consumer group, as a broker serving
//! the topic sees them — the input of every client-side rebalance.

use ferromq_model::{from_fastjson_slice, GetConsumerListByGroupResponseBody};
use ferromq_protocol::headers::ConsumerGroupRequestHeader;
use ferromq_protocol::{request_code, RemotingCommand};

use super::ClientInstance;
use crate::error::{ClientError, Result};

impl ClientInstance {
    /// The client ids of `group`, asked from a broker hosting `topic`.
    pub async fn consumer_id_list(&self, topic: &str, group: &str) -> Result<Vec<String>> {
        let addr = match self.routes().any_broker_of(topic) {
            Some(a) => a,
            None => {
                self.update_route(topic).await?;
                self.routes()
                    .any_broker_of(topic)
                    .ok_or_else(|| ClientError::NoRoute(topic.to_string()))?
            }
        };
        let header = ConsumerGroupRequestHeader {
            consumer_group: group.to_string(),
        };
        let req = RemotingCommand::request_with(request_code::GET_CONSUMER_LIST_BY_GROUP, &header);
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        let body: GetConsumerListByGroupResponseBody = from_fastjson_slice(&resp.body.to_bytes())?;
        Ok(body.consumer_id_list)
    }
}
