//! GET_CONSUMER_RUNNING_INFO (307) / CONSUME_MESSAGE_DIRECTLY (309): forwarded to the client
//! named in the header, its answer returned.

use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};

use crate::context::BrokerContext;
use crate::processor::Later;

/// How long the client has to answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The route of both codes.
pub(crate) fn relay_to_client(ctx: Arc<BrokerContext>, _: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move { relay(&ctx, req).await })
}

async fn relay(ctx: &BrokerContext, req: RemotingCommand) -> RequestResult {
    let mut body = req.body.clone();
    let mut ext = req.ext_fields.clone();
    let (group, client) = if req.code == rc::GET_CONSUMER_RUNNING_INFO {
        let h: GetConsumerRunningInfoRequestHeader = req.decode_header()?;
        (h.consumer_group, Some(h.client_id))
    } else {
        // The client consumes the stored record named by the offset msgId.
        let h: ConsumeMessageDirectlyResultRequestHeader = req.decode_header()?;
        let Some(phys) = h
            .msg_id
            .as_deref()
            .and_then(|id| ferromq_protocol::message::id::decode_offset_msg_id(id).ok())
            .map(|id| id.commit_log_offset)
        else {
            return Err(RequestError::system("msgId is not an offset message id"));
        };
        let Some((record, _)) = ctx.store().message_by_phys_offset(phys) else {
            return Err(RequestError::system(format!(
                "can not find message by the offset, {phys}"
            )));
        };
        body = record.into();
        ext.insert("brokerName", ctx.identity().name().to_string());
        (h.consumer_group, h.client_id)
    };
    let Some(client) = client else {
        return Err(RequestError::system("clientId is required"));
    };
    let Some(channel) = ctx.clients().find_consumer_channel(&group, &client) else {
        return Err(RequestError::system(format!(
            "The Consumer <{client}> <{group}> not online"
        )));
    };
    let mut fwd = RemotingCommand::request(req.code).with_body(body);
    fwd.ext_fields = ext;
    match channel.request(fwd, CLIENT_TIMEOUT).await {
        Ok(resp) => {
            let mut out = RemotingCommand::response(resp.code).with_body(resp.body);
            out.remark = resp.remark;
            out.ext_fields = resp.ext_fields;
            Ok(out)
        }
        Err(e) => Err(RequestError::system(format!(
            "invoke consumer <{client}> <{group}> failed: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel};
    use ferromq_protocol::response_code;

    #[tokio::test]
    async fn clients_not_online_are_refused() {
        let t = testing::context();
        let req = RemotingCommand::request_with(
            rc::GET_CONSUMER_RUNNING_INFO,
            &GetConsumerRunningInfoRequestHeader {
                consumer_group: "cg".into(),
                client_id: "nobody".into(),
                jstack_enable: None,
            },
        );
        let e = relay_to_client(t.ctx.clone(), channel(), req)
            .await
            .unwrap_err();
        assert_eq!(e.code(), response_code::SYSTEM_ERROR);
        assert!(e.remark().contains("not online"));
    }
}
