//! Requests brokers send to clients over the client's own connections:
//! NOTIFY_CONSUMER_IDS_CHANGED (40), CHECK_TRANSACTION_STATE (39),
//! RESET_CONSUMER_CLIENT_OFFSET (220), GET_CONSUMER_RUNNING_INFO (307) and
//! CONSUME_MESSAGE_DIRECTLY (309). Anything else is answered REQUEST_CODE_NOT_SUPPORTED.

use std::sync::{Arc, Weak};

use bytes::Bytes;
use ferromq_model::ResetOffsetBody;
use ferromq_protocol::headers::{
    CheckTransactionStateRequestHeader, ConsumeMessageDirectlyResultRequestHeader,
    ConsumerGroupRequestHeader, GetConsumerRunningInfoRequestHeader,
};
use ferromq_protocol::message::keys;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{request_code, response_code, RemotingCommand};
use ferromq_remoting::{not_supported, Channel, RequestHandler, ResponseFuture};

use super::{ClientInstance, Inner};
use crate::message::ReceivedMessage;

/// The instance's handler for server-initiated requests.
pub(crate) struct ServerRequests {
    instance: Weak<Inner>,
}

impl ServerRequests {
    pub(crate) fn new(instance: Weak<Inner>) -> Self {
        ServerRequests { instance }
    }

    fn instance(&self) -> Option<ClientInstance> {
        self.instance
            .upgrade()
            .map(|inner| ClientInstance { inner })
    }
}

fn decode_message(body: &Bytes) -> Option<ReceivedMessage> {
    let record = MessageExt::decode(body).ok()?;
    Some(ReceivedMessage::from_record(record, "", true))
}

impl RequestHandler for ServerRequests {
    fn handle(&self, channel: Channel, request: RemotingCommand) -> ResponseFuture {
        let Some(instance) = self.instance() else {
            return Box::pin(async { None });
        };
        Box::pin(async move { dispatch(instance, channel, request).await })
    }
}

async fn dispatch(
    instance: ClientInstance,
    channel: Channel,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    match request.code {
        request_code::NOTIFY_CONSUMER_IDS_CHANGED => {
            let header: ConsumerGroupRequestHeader = request.decode_header().ok()?;
            tracing::info!(group = %header.consumer_group, "consumer ids changed; rebalancing");
            if let Some(c) = instance.consumer(&header.consumer_group) {
                c.rebalance_now();
            }
            None
        }
        request_code::CHECK_TRANSACTION_STATE => {
            let header: CheckTransactionStateRequestHeader = request.decode_header().ok()?;
            let body = request.body.to_bytes();
            let msg = decode_message(&body)?;
            let group = msg.property(keys::PRODUCER_GROUP)?.to_string();
            match instance.producer(&group) {
                Some(p) => {
                    p.check_transaction(&instance, channel.remote_addr().to_string(), msg, header)
                }
                None if instance.transaction_check_hook().is_some() => {
                    if let (Some(hook), Ok(message)) =
                        (instance.transaction_check_hook(), MessageExt::decode(&body))
                    {
                        hook(super::TransactionCheck {
                            broker_addr: channel.remote_addr().to_string(),
                            header,
                            message,
                        });
                    }
                }
                None => {
                    tracing::debug!(group = %group, "transaction check for an unknown producer group")
                }
            }
            None
        }
        request_code::RESET_CONSUMER_CLIENT_OFFSET => {
            let topic = request.ext_fields.get("topic")?.to_string();
            let group = request.ext_fields.get("group")?.to_string();
            let body = request.body.to_bytes();
            let offsets = if body.is_empty() {
                Default::default()
            } else {
                let text = String::from_utf8_lossy(&body);
                match ResetOffsetBody::from_fastjson(&text) {
                    Ok(b) => b.offset_table,
                    Err(e) => {
                        tracing::warn!(error = %e, "bad reset-offset body");
                        return None;
                    }
                }
            };
            tracing::info!(topic = %topic, group = %group, queues = offsets.len(), "broker resets consumer offsets");
            if let Some(c) = instance.consumer(&group) {
                c.reset_offset(topic, offsets);
            }
            None
        }
        request_code::GET_CONSUMER_RUNNING_INFO => {
            let header: GetConsumerRunningInfoRequestHeader = match request.decode_header() {
                Ok(h) => h,
                Err(e) => {
                    return Some(RemotingCommand::error(
                        response_code::SYSTEM_ERROR,
                        e.to_string(),
                    ))
                }
            };
            let foreign = instance.foreign_request_hook();
            Some(match instance.consumer(&header.consumer_group) {
                Some(c) => RemotingCommand::success().with_body(c.running_info()),
                None if foreign.is_some() => return foreign?(request).await,
                None => RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    format!(
                        "The Consumer Group <{}> not exist in this consumer",
                        header.consumer_group
                    ),
                ),
            })
        }
        request_code::CONSUME_MESSAGE_DIRECTLY => {
            let header: ConsumeMessageDirectlyResultRequestHeader = match request.decode_header() {
                Ok(h) => h,
                Err(e) => {
                    return Some(RemotingCommand::error(
                        response_code::SYSTEM_ERROR,
                        e.to_string(),
                    ))
                }
            };
            if instance.consumer(&header.consumer_group).is_none() {
                if let Some(hook) = instance.foreign_request_hook() {
                    return hook(request).await;
                }
            }
            let Some(mut msg) = decode_message(&request.body.to_bytes()) else {
                return Some(RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    "bad message body",
                ));
            };
            msg.broker_name = header.broker_name.clone().unwrap_or_default();
            let Some(consumer) = instance.consumer(&header.consumer_group) else {
                return Some(RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    format!(
                        "The Consumer Group <{}> not exist in this consumer",
                        header.consumer_group
                    ),
                ));
            };
            let consumer: Arc<_> = consumer;
            let result = tokio::task::spawn_blocking(move || consumer.consume_directly(msg))
                .await
                .ok()
                .flatten();
            Some(match result {
                Some(body) => RemotingCommand::success().with_body(body),
                None => RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    "consume directly is not supported",
                ),
            })
        }
        code => Some(not_supported(code)),
    }
}
