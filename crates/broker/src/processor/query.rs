//! QUERY_MESSAGE (12) by key or unique key, and VIEW_MESSAGE_BY_ID (33) by physical offset.

use ferromq_protocol::headers::*;
use ferromq_protocol::{response_code, Body, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};

use crate::context::BrokerContext;

/// QUERY_MESSAGE: records whose `topic#key` (or `topic#UNIQ_KEY`) is indexed, newest first.
pub(crate) fn query_message(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: QueryMessageRequestHeader = req.decode_header()?;
    let unique = req
        .ext_fields
        .get(UNIQUE_KEY_QUERY)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // Java caps unique-key queries to the configured default max number.
    let max = if unique {
        ctx.settings().get().store.default_query_max_num.max(1) as usize
    } else {
        h.max_num.max(1) as usize
    };
    let end = if h.end_timestamp <= 0 {
        i64::MAX
    } else {
        h.end_timestamp
    };
    let result = ctx
        .store()
        .query_by_key(&h.topic, &h.key, max, h.begin_timestamp.max(0), end);
    let header = QueryMessageResponseHeader {
        index_last_update_timestamp: result.index_last_update_timestamp,
        index_last_update_phyoffset: result.index_last_update_phy_offset,
    };
    if result.messages.is_empty() {
        // Java sends the header with this refusal too.
        return Ok(RemotingCommand::error(
            response_code::QUERY_NOT_FOUND,
            "can not find message, maybe time range not correct",
        )
        .with_header(&header));
    }
    let mut resp = RemotingCommand::success().with_header(&header);
    resp.body = Body::from_chunks(result.messages);
    Ok(resp)
}

/// VIEW_MESSAGE_BY_ID: the record at a physical offset (decoded from an offset msgId).
/// Only a real record (its ConsumeQueue says one starts there) is returned.
pub(crate) fn view_message_by_id(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: ViewMessageRequestHeader = req.decode_header()?;
    match ctx.store().message_by_phys_offset(h.offset) {
        Some((bytes, _)) => Ok(RemotingCommand::success().with_body(bytes)),
        None => Err(RequestError::system(format!(
            "can not find message by the offset, {}",
            h.offset
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, send_request, topic};
    use ferromq_protocol::message::properties::{keys, Properties};
    use ferromq_protocol::request_code as rc;

    #[tokio::test]
    async fn by_key_and_by_offset() {
        let t = testing::context();
        topic(&t, "T", 1, 6);
        let mut p = Properties::new();
        p.insert(keys::KEYS, "order-7");
        let r = crate::processor::send::send(&t, &channel(), send_request("T", 0, "m", &p))
            .await
            .unwrap();
        let h: SendMessageResponseHeader = r.decode_header().unwrap();
        let phys = ferromq_protocol::message::id::decode_offset_msg_id(&h.msg_id)
            .unwrap()
            .commit_log_offset;
        assert!(t.store().wait_dispatched(std::time::Duration::from_secs(5)));
        let q = |key: &str| {
            RemotingCommand::request_with(
                rc::QUERY_MESSAGE,
                &QueryMessageRequestHeader {
                    topic: "T".into(),
                    key: key.into(),
                    max_num: 32,
                    begin_timestamp: 0,
                    end_timestamp: i64::MAX,
                },
            )
        };
        let ch = channel();
        assert_eq!(
            query_message(&t, &ch, &q("order-7")).unwrap().code,
            response_code::SUCCESS
        );
        assert_eq!(
            query_message(&t, &ch, &q("nope")).unwrap().code,
            response_code::QUERY_NOT_FOUND
        );
        let view = |offset| {
            RemotingCommand::request_with(
                rc::VIEW_MESSAGE_BY_ID,
                &ViewMessageRequestHeader {
                    topic: None,
                    offset,
                },
            )
        };
        assert!(view_message_by_id(&t, &ch, &view(phys)).is_ok());
        for bad in [phys + 1, -1, i64::MAX] {
            assert_eq!(
                view_message_by_id(&t, &ch, &view(bad)).unwrap_err().code(),
                response_code::SYSTEM_ERROR
            );
        }
    }
}
