//! GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25).

use std::sync::Arc;

use ferromq_config::ConfigTable;
use ferromq_model::DataVersion;
use ferromq_protocol::headers::GetBrokerConfigResponseHeader;
use ferromq_protocol::{response_code, RemotingCommand};

use crate::context::BrokerContext;

/// The live config as Java properties text, with the topic table's data version.
pub fn get_broker_config(ctx: &BrokerContext) -> RemotingCommand {
    let text = ctx.config.read().to_properties();
    let version: DataVersion = ctx.topics.data_version();
    RemotingCommand::success()
        .with_header(&GetBrokerConfigResponseHeader {
            version: serde_json::to_string(&version).unwrap_or_default(),
        })
        .with_body(text)
}

/// Applies properties text to the live config (keys in `configBlackList` are refused).
///
/// The text is parsed and applied to a copy while only other updates wait (the body can be
/// megabytes); the live config's write lock is held just for the swap, so sends and pulls
/// reading the config never wait on a parse.
pub fn update_broker_config(ctx: &Arc<BrokerContext>, req: &RemotingCommand) -> RemotingCommand {
    let text = String::from_utf8_lossy(&req.body.to_bytes()).into_owned();
    let _one_update_at_a_time = ctx.config_update.lock();
    let mut next = ctx.config.read().clone();
    let result = next.update_from_properties(&text);
    if result.is_ok() {
        *ctx.config.write() = next;
    }
    match result {
        Ok(changed) => {
            tracing::info!(?changed, "broker config updated");
            if changed.iter().any(|k| k == "brokerPermission") {
                ctx.topics_changed();
            }
            RemotingCommand::success()
        }
        Err(e) => RemotingCommand::error(response_code::SYSTEM_ERROR, e.to_string()),
    }
}
