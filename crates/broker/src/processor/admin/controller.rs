//! What controllers and mqadmin ask a broker in controller mode: NOTIFY_BROKER_ROLE_CHANGED
//! (1008, a controller announcing a new master) and GET_BROKER_EPOCH_CACHE (1007, what
//! `mqadmin getBrokerEpoch` prints).

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{EpochEntry, EpochEntryCache, SyncStateSet};
use ferromq_protocol::headers::NotifyBrokerRoleChangedRequestHeader;
use ferromq_protocol::RemotingCommand;
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};

use crate::context::BrokerContext;
use crate::ha::RoleHint;

/// NOTIFY_BROKER_ROLE_CHANGED (1008): handed to the replicas manager, which acts only on
/// an epoch newer than its own (a stale or forged announcement changes nothing).
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
    let body = req.body.to_bytes();
    let set: SyncStateSet = if body.is_empty() {
        SyncStateSet::default()
    } else {
        from_fastjson_slice(&body).map_err(|e| RequestError::system(e.to_string()))?
    };
    if let (Some(master_id), Some(master_addr), Some(master_epoch)) =
        (h.master_broker_id, h.master_address, h.master_epoch)
    {
        c.hint(RoleHint {
            master_id,
            master_addr,
            master_epoch,
            sync_state_set_epoch: h.sync_state_set_epoch.unwrap_or(set.sync_state_set_epoch),
            sync_state_set: set.sync_state_set,
        });
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
