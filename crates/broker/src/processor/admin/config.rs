//! GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25).

use ferromq_config::ConfigTable;
use ferromq_protocol::headers::GetBrokerConfigResponseHeader;
use ferromq_protocol::RemotingCommand;
use ferromq_remoting::{Channel, RequestError, RequestResult};

use crate::context::BrokerContext;

/// The live config as Java properties text, with the topic table's data version.
pub(crate) fn get_broker_config(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    let text = ctx.settings().get().to_properties();
    let version = ctx.tables().topics().data_version();
    Ok(RemotingCommand::success()
        .with_header(&GetBrokerConfigResponseHeader {
            version: serde_json::to_string(&version).unwrap_or_default(),
        })
        .with_body(text))
}

/// Applies properties text to the live config (keys in `configBlackList` are refused). The
/// text is parsed aside; readers never wait for it (see [`crate::settings`]).
pub(crate) fn update_broker_config(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let text = String::from_utf8_lossy(&req.body.to_bytes()).into_owned();
    let changed = ctx
        .settings()
        .update(&text)
        .map_err(|e| RequestError::system(e.to_string()))?;
    tracing::info!(?changed, "broker config updated");
    if changed.iter().any(|k| k == "brokerPermission") {
        ctx.topics_changed();
    }
    Ok(RemotingCommand::success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel};
    use ferromq_protocol::{request_code as rc, response_code};

    #[tokio::test]
    async fn updates_apply_and_show() {
        let t = testing::context();
        let ch = channel();
        let update = |text: &str| {
            RemotingCommand::request(rc::UPDATE_BROKER_CONFIG).with_body(text.as_bytes().to_vec())
        };
        update_broker_config(&t, &ch, &update("brokerPermission=4")).unwrap();
        assert!(!t.settings().writable());
        let got =
            get_broker_config(&t, &ch, &RemotingCommand::request(rc::GET_BROKER_CONFIG)).unwrap();
        assert!(String::from_utf8_lossy(&got.body.to_bytes()).contains("brokerPermission=4"));
        let e = update_broker_config(&t, &ch, &update("brokerPermission=nope")).unwrap_err();
        assert_eq!(e.code(), response_code::SYSTEM_ERROR);
    }
}
