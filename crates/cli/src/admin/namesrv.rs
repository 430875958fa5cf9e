//! NameServer commands: `wipeWritePerm`, `addWritePerm`, `getNamesrvConfig`,
//! `updateKvConfig`, `deleteKvConfig`; and `sendMessage`.

use anyhow::{bail, Result};
use ferromq_client::{Message, MessageQueue, Producer, ProducerConfig};
use ferromq_protocol::message::keys;
use serde_json::json;

use super::cli::{
    BrokerNameArgs, DeleteKvConfigArgs, GetNamesrvConfigArgs, SendMessageArgs, UpdateKvConfigArgs,
};
use super::format::now_ms;
use super::out::{progress, Out};
use super::Ctx;

/// `wipeWritePerm` (`add = false`) / `addWritePerm`: a broker's write permission in every
/// NameServer given with `-n`.
pub async fn write_perm(ctx: &Ctx, args: BrokerNameArgs, add: bool, out: &mut Out) -> Result<()> {
    let (verb, name) = if add {
        ("add", "addWritePerm")
    } else {
        ("wipe", "wipeWritePerm")
    };
    let broker = &args.broker_name;
    let mut rows = Vec::new();
    let mut failed = 0;
    for ns in &ctx.namesrv_addrs {
        let one = ctx.one_namesrv(ns);
        let r = if add {
            one.add_write_perm(broker).await
        } else {
            one.wipe_write_perm(broker).await
        };
        one.shutdown().await;
        match r {
            Ok(counts) => {
                let count: i32 = counts.iter().map(|(_, c)| c).sum();
                out.line(format!(
                    "{verb} write perm of broker[{broker}] in name server[{ns}] OK, {count}"
                ));
                rows.push(json!({ "nameServer": ns, "ok": true, "topicCount": count }));
            }
            Err(e) => {
                out.line(format!(
                    "{verb} write perm of broker[{broker}] in name server[{ns}] Failed"
                ));
                progress(format!("{name}: {}", ctx.describe(&e)));
                rows.push(json!({ "nameServer": ns, "ok": false, "error": ctx.describe(&e) }));
                failed += 1;
            }
        }
    }
    out.set_json(json!({ "brokerName": broker, "nameServers": rows }));
    if failed > 0 {
        bail!("{failed} name server(s) failed");
    }
    Ok(())
}

/// `getNamesrvConfig`: the configuration of every NameServer.
pub async fn get_namesrv_config(
    ctx: &Ctx,
    _args: GetNamesrvConfigArgs,
    out: &mut Out,
) -> Result<()> {
    let configs = ctx.admin.namesrv_config(None).await?;
    for (addr, config) in &configs {
        out.line(format!("============{addr}============"));
        for (k, v) in config {
            out.line(format!("{k:<50}=  {v}"));
        }
    }
    out.set_json(json!(configs));
    Ok(())
}

/// `updateKvConfig`: one key of a NameServer KV namespace, on every NameServer.
pub async fn update_kv_config(ctx: &Ctx, args: UpdateKvConfigArgs, out: &mut Out) -> Result<()> {
    ctx.admin
        .put_kv_config(&args.namespace, &args.key, &args.value)
        .await?;
    out.line("create or update kv config to namespace success.");
    out.set_json(json!({ "namespace": args.namespace, "key": args.key, "value": args.value }));
    Ok(())
}

/// `deleteKvConfig`: removes one key of a NameServer KV namespace everywhere.
pub async fn delete_kv_config(ctx: &Ctx, args: DeleteKvConfigArgs, out: &mut Out) -> Result<()> {
    ctx.admin
        .delete_kv_config(&args.namespace, &args.key)
        .await?;
    out.line("delete kv config from namespace success.");
    out.set_json(json!({ "namespace": args.namespace, "key": args.key, "deleted": true }));
    Ok(())
}

/// `sendMessage`: one message, to any queue or to `-b`/`-i`.
pub async fn send_message(ctx: &Ctx, args: SendMessageArgs, out: &mut Out) -> Result<()> {
    if args.qid.is_some() && args.broker.is_none() {
        bail!("Broker name must be set if the queue is chosen!");
    }
    if args.msg_trace_enable == Some(true) {
        progress("sendMessage: message traces are not supported; sending without one");
    }
    let mut msg = Message::new(args.topic.clone(), args.body.clone().into_bytes());
    if let Some(t) = &args.tags {
        msg = msg.with_tags(t.clone());
    }
    if let Some(k) = &args.key {
        msg = msg.with_property(keys::KEYS, k.clone());
    }
    let mut config = ProducerConfig::new(now_ms().to_string(), &ctx.namesrv);
    config.client = ctx.client_config(&ctx.namesrv);
    let producer = Producer::new(config);
    producer.start().await?;
    let result = match (&args.broker, args.qid) {
        (Some(b), Some(q)) if q > -1 => {
            producer
                .send_to_queue(msg, &MessageQueue::new(args.topic.clone(), b.clone(), q))
                .await
        }
        _ => producer.send(msg).await,
    };
    producer.shutdown().await;
    let r = result?;
    let row = |a: &str, b: &str, c: &str, d: &str| format!("{a:<32}  {b:<4}  {c:<20}    {d}");
    out.line(row("#Broker Name", "#QID", "#Send Result", "#MsgId"));
    out.line(row(
        &r.queue.broker_name,
        &r.queue.queue_id.to_string(),
        r.status.name(),
        &r.msg_id,
    ));
    out.set_json(json!({
        "brokerName": r.queue.broker_name, "queueId": r.queue.queue_id,
        "sendStatus": r.status.name(), "msgId": r.msg_id, "offsetMsgId": r.offset_msg_id,
        "queueOffset": r.queue_offset,
    }));
    Ok(())
}
