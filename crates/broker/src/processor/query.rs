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
