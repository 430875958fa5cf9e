//! What controllers and mqadmin ask a broker in controller mode: NOTIFY_BROKER_ROLE_CHANGED
//! (1008, a controller announcing a new master) and GET_BROKER_EPOCH_CACHE (1007, what
//! `mqadmin getBrokerEpoch` prints).

use ferromq_model::{EpochEntry, EpochEntryCache};
use ferromq_protocol::headers::NotifyBrokerRoleChangedRequestHeader;
use ferromq_protocol::RemotingCommand;
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};

use crate::context::BrokerContext;

/// NOTIFY_BROKER_ROLE_CHANGED (1008): only the announced epoch is kept (the body is not
/// read); the replicas manager asks the controller leader when it is newer than its own, so a
/// stale or forged announcement changes nothing. Java acts only when a master is named.
pub(crate) fn role_changed(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let Some(c) = ctx.replication().controlled() else {
        return Err(RequestError::system(
            "this request only for controllerMode ",
        ));
    };
    let h: NotifyBrokerRoleChangedRequestHeader = req.decode_header()?;
    if let (Some(_), Some(epoch)) = (h.master_broker_id, h.master_epoch) {
        c.announce(epoch);
    }
    Ok(RemotingCommand::success())
}

/// GET_BROKER_EPOCH_CACHE (1007): the epochs of the local log, the last one open-ended.
pub(crate) fn epoch_cache(ctx: &BrokerContext, _: &Channel, _: &RemotingCommand) -> RequestResult {
    let Some(c) = ctx.replication().controlled() else {
        return Err(RequestError::system(
            "this request only for controllerMode ",
        ));
    };
    let epochs = c.epochs();
    let entries = epochs.entries();
    let epoch_list = entries
        .iter()
        .enumerate()
        .map(|(i, e)| EpochEntry {
            epoch: e.epoch,
            start_offset: e.start_offset as i64,
            end_offset: entries
                .get(i + 1)
                .map_or(i64::MAX, |n| n.start_offset as i64),
        })
        .collect();
    let id = ctx.identity();
    Ok(ok_json(&EpochEntryCache {
        cluster_name: id.cluster().to_string(),
        broker_name: id.name().to_string(),
        broker_id: id.id(),
        epoch_list,
        max_offset: ctx.store().max_phys_offset(),
    }))
}
