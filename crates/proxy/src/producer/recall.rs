//! RecallMessage (Java's `RecallMessageActivity` / `ProducerProcessor.recallMessage`): the
//! recall handle names the broker; RECALL_MESSAGE goes to its master. Only DELAY topics
//! accept a recall when message types are checked.

use ferromq_protocol::headers::{RecallMessageRequestHeader, RecallMessageResponseHeader};
use ferromq_protocol::message::recall::RecallHandle;
use ferromq_protocol::{request_code, response_code, RemotingCommand};

use crate::context::RequestContext;
use crate::pb;
use crate::producer::message_type::{self, TopicMessageType};
use crate::proxy::Proxy;
use crate::status::{ok, Refusal};
use crate::validate;

/// Answers RecallMessage.
pub async fn recall_message(
    proxy: &Proxy,
    _ctx: &RequestContext,
    req: pb::RecallMessageRequest,
) -> pb::RecallMessageResponse {
    match recall(proxy, req).await {
        Ok(message_id) => pb::RecallMessageResponse {
            status: Some(ok()),
            message_id,
        },
        Err(r) => pb::RecallMessageResponse {
            status: Some(r.status()),
            message_id: String::new(),
        },
    }
}

/// The broker name in a recall handle (Java's `RecallMessageHandle.HandleV1`, decoded as
/// leniently as Java decodes it), `None` if it does not decode.
pub fn broker_of_handle(handle: &str) -> Option<String> {
    RecallHandle::decode(handle)
        .ok()
        .map(|h| h.broker_name)
        .filter(|b| !b.is_empty())
}

async fn recall(proxy: &Proxy, req: pb::RecallMessageRequest) -> Result<String, Refusal> {
    let topic = validate::topic(req.topic.as_ref())?;
    if proxy.config().enable_topic_message_type_check {
        let expected = proxy.backend().topic_message_type(&topic).await;
        message_type::check(expected, TopicMessageType::Delay)?;
    }
    let Some(broker) = broker_of_handle(&req.recall_handle) else {
        return Err(Refusal::new(
            pb::Code::InternalServerError,
            "recall handle is invalid",
        ));
    };
    let addr = proxy.backend().master_addr(&broker, &topic).await?;
    let header = RecallMessageRequestHeader {
        producer_group: None,
        topic,
        recall_handle: req.recall_handle,
    };
    let mut request = RemotingCommand::request_with(request_code::RECALL_MESSAGE, &header);
    request.ext_fields.insert("bname", broker.as_str());
    let resp = proxy.backend().invoke(&addr, request).await?;
    if resp.code != response_code::SUCCESS {
        return Err(Refusal::from(ferromq_client::ClientError::Broker {
            code: resp.code,
            remark: resp.remark.unwrap_or_default(),
            addr,
        }));
    }
    let h: RecallMessageResponseHeader = resp
        .decode_header()
        .map_err(|e| Refusal::new(pb::Code::InternalServerError, e.to_string()))?;
    Ok(h.msg_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn handle_names_its_broker() {
        let h =
            base64::engine::general_purpose::URL_SAFE.encode("v1 T broker-a 1700000000000 01AB");
        assert_eq!(broker_of_handle(&h).as_deref(), Some("broker-a"));
        assert_eq!(broker_of_handle("not base64!"), None);
    }
}
