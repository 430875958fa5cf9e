//! A slave's copy of its master's metadata (Java's `SlaveSynchronize`): every 10 s — first
//! 3 s after start — topics, consumer offsets, delay-level progress and subscription groups
//! are fetched from the master over remoting and replace the slave's own, so consumers that
//! fall back to the slave find their topics and resume where the master had them. With a
//! user store (ACL 2.0), users and ACLs are copied too — Java leaves that to `mqadmin -c`,
//! which writes to every slave; a FerroMQ slave also catches up with a change it missed.

use std::time::Duration;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{
    AclInfo, ConsumerOffsetSerializeWrapper, DelayOffsetSerializeWrapper, SubscriptionGroupWrapper,
    TopicConfigAndMappingSerializeWrapper, UserInfo,
};
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::RemotingClient;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::Shared;

const FIRST: Duration = Duration::from_secs(3);
const PERIOD: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(3);

/// Copies the master's metadata until `stop`.
pub(crate) async fn sync_from_master(ctx: Shared, client: RemotingClient, stop: CancellationToken) {
    let mut wait = FIRST;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = PERIOD;
        if !ctx.replication().is_slave() {
            // Controller mode: this broker became master.
            continue;
        }
        if let Some(master) = ctx.replication().master().broker_addr {
            sync_all(&ctx, &client, &master).await;
        }
    }
}

/// One round: each table on its own, as Java does (a failure of one does not stop the
/// others).
pub(crate) async fn sync_all(ctx: &Shared, client: &RemotingClient, master: &str) {
    let tables = ctx.tables();
    if let Some(w) =
        fetch::<TopicConfigAndMappingSerializeWrapper>(client, master, rc::GET_ALL_TOPIC_CONFIG)
            .await
    {
        if tables.topics().replace_from_master(w) {
            tracing::info!(master, "topic configs synced from the master");
            ctx.topics_changed();
        }
    }
    if let Some(w) =
        fetch::<ConsumerOffsetSerializeWrapper>(client, master, rc::GET_ALL_CONSUMER_OFFSET).await
    {
        let n = tables.offsets().merge_from_master(w);
        tracing::debug!(
            master,
            entries = n,
            "consumer offsets synced from the master"
        );
    }
    if let Some(w) =
        fetch::<DelayOffsetSerializeWrapper>(client, master, rc::GET_ALL_DELAY_OFFSET).await
    {
        let levels = ctx.settings().delay_level_count();
        let delay = ctx.delayed().delay_offsets();
        for (level, offset) in w.offset_table {
            if (1..=levels).contains(&level) && offset >= 0 {
                delay.set(level, offset);
            }
        }
    }
    if let Some(w) =
        fetch::<SubscriptionGroupWrapper>(client, master, rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG)
            .await
    {
        if tables.groups().replace_from_master(w) {
            tracing::info!(master, "subscription groups synced from the master");
            tables.request_persist();
        }
    }
    if let Some(w) = fetch::<crate::pop::request_mode::ModeFile>(
        client,
        master,
        rc::GET_ALL_MESSAGE_REQUEST_MODE,
    )
    .await
    {
        let modes = ctx.pop().modes();
        if modes.replace_from_master(w) {
            tracing::info!(master, "message request modes synced from the master");
            if let Err(e) = modes.persist() {
                tracing::error!(error = %e, "persisting messageRequestMode.json failed");
            }
        }
    }
    sync_auth(ctx, client, master).await;
}

/// Users and ACLs, when this broker keeps them (the master answers its super users: the
/// slave signs with `innerClientAuthenticationCredentials`).
async fn sync_auth(ctx: &Shared, client: &RemotingClient, master: &str) {
    if ctx.access().store().is_err() {
        return;
    }
    let users = fetch_list::<UserInfo>(client, master, rc::AUTH_LIST_USER).await;
    let acls = fetch_list::<AclInfo>(client, master, rc::AUTH_LIST_ACL).await;
    let (Some(users), Some(acls)) = (users, acls) else {
        return;
    };
    let c = ctx.clone();
    let changed = tokio::task::spawn_blocking(move || {
        c.access()
            .store()
            .map(|s| s.replace_from_master(users, acls))
    })
    .await;
    match changed {
        Ok(Ok(Ok(true))) => tracing::info!(master, "users and ACLs synced from the master"),
        Ok(Ok(Err(e))) => tracing::warn!(master, error = %e, "users and ACLs could not be stored"),
        _ => {}
    }
}

/// A list answer; no body means an empty list (Java answers so when there is nothing).
async fn fetch_list<T: DeserializeOwned>(
    client: &RemotingClient,
    master: &str,
    code: i32,
) -> Option<Vec<T>> {
    let body = fetch_body(client, master, code).await?;
    if body.is_empty() {
        return Some(Vec::new());
    }
    parse(master, code, &body)
}

async fn fetch<T: DeserializeOwned>(client: &RemotingClient, master: &str, code: i32) -> Option<T> {
    let body = fetch_body(client, master, code).await?;
    parse(master, code, &body)
}

/// The body of the master's successful answer to `code`.
async fn fetch_body(client: &RemotingClient, master: &str, code: i32) -> Option<bytes::Bytes> {
    let name = rc::name(code).unwrap_or("?");
    let r = match client
        .invoke_sync(master, RemotingCommand::request(code), TIMEOUT)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(master, request = name, error = %e, "syncing from the master failed");
            return None;
        }
    };
    if r.code != response_code::SUCCESS {
        tracing::warn!(master, request = name, code = r.code, remark = ?r.remark, "the master refused a sync request");
        return None;
    }
    Some(r.body.to_bytes())
}

fn parse<T: DeserializeOwned>(master: &str, code: i32, body: &[u8]) -> Option<T> {
    match from_fastjson_slice::<T>(body) {
        Ok(v) => Some(v),
        Err(e) => {
            let name = rc::name(code).unwrap_or("?");
            tracing::warn!(master, request = name, error = %e, "unreadable sync answer from the master");
            None
        }
    }
}
