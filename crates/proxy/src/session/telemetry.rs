//! Telemetry: the bidirectional stream on which a client sends its settings and the proxy
//! answers with its own (Java's `ClientActivity.telemetry`), then pushes orphaned-transaction
//! recovery commands over the same stream. Thread-stack and verify-message results the client
//! sends are accepted and logged.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use super::{register, settings, TelemetrySender};
use crate::context::RequestContext;
use crate::pb;
use crate::pb::telemetry_command::Command;
use crate::proxy::Proxy;
use crate::service::BoxStream;
use crate::status::{ok, Refusal};
use crate::validate;

/// Commands queued towards one client; a client that stops reading loses pushes beyond this
/// rather than holding proxy memory.
const QUEUE: usize = 64;

/// Topics one producer may publish to, subscriptions one consumer may hold: what a session
/// keeps and every heartbeat repeats to every broker.
const MAX_RESOURCES: usize = 1024;

static NEXT_CALL: AtomicU64 = AtomicU64::new(1);

/// Answers Telemetry.
pub fn telemetry(
    proxy: Arc<Proxy>,
    ctx: RequestContext,
    mut inbound: Streaming<pb::TelemetryCommand>,
) -> BoxStream<pb::TelemetryCommand> {
    let (tx, rx) = mpsc::channel(QUEUE);
    let call = NEXT_CALL.fetch_add(1, Ordering::Relaxed);
    // The stream's settings register the client as the caller of this call.
    let caller = crate::auth::current().unwrap_or(crate::auth::Caller::Anonymous);
    tokio::spawn(crate::auth::scoped(caller, async move {
        loop {
            let cmd = match inbound.message().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(client = ctx.client_id(), error = %e, "telemetry stream failed");
                    break;
                }
            };
            if let Err(st) = on_command(&proxy, &ctx, call, &tx, cmd).await {
                let _ = tx.send(Err(st)).await;
                break;
            }
        }
        // The stream ends once no sender is left: ours here, the session's on detach.
        proxy.sessions().detach(ctx.client_id(), call);
    }));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

async fn on_command(
    proxy: &Proxy,
    ctx: &RequestContext,
    call: u64,
    tx: &TelemetrySender,
    cmd: pb::TelemetryCommand,
) -> Result<(), Status> {
    match cmd.command {
        Some(Command::Settings(s)) => {
            let answer = on_settings(proxy, ctx, call, tx, s).await?;
            let _ = tx.send(Ok(answer)).await;
        }
        Some(Command::ThreadStackTrace(t)) => {
            tracing::info!(client = ctx.client_id(), nonce = %t.nonce, status = ?cmd.status, "thread stack trace from client");
            proxy
                .relays()
                .complete(&t.nonce, cmd.status, t.thread_stack_trace);
        }
        Some(Command::VerifyMessageResult(v)) => {
            tracing::info!(client = ctx.client_id(), nonce = %v.nonce, status = ?cmd.status, "verify-message result from client");
            proxy.relays().complete(&v.nonce, cmd.status, None);
        }
        _ => {}
    }
    Ok(())
}

/// Java's `processTelemetryException`: a client error is INVALID_ARGUMENT, anything else
/// INTERNAL, both ending the stream.
fn failed(r: Refusal) -> Status {
    let msg = format!("process client telemetryCommand failed. {}", r.message);
    let code = r.code as i32;
    if (pb::Code::BadRequest as i32..pb::Code::InternalError as i32).contains(&code) {
        Status::invalid_argument(msg)
    } else {
        Status::internal(msg)
    }
}

async fn on_settings(
    proxy: &Proxy,
    ctx: &RequestContext,
    call: u64,
    tx: &TelemetrySender,
    client: pb::Settings,
) -> Result<pb::TelemetryCommand, Status> {
    let resources = match &client.pub_sub {
        Some(pb::settings::PubSub::Publishing(p)) => p.topics.len(),
        Some(pb::settings::PubSub::Subscription(s)) => s.subscriptions.len(),
        None => 0,
    };
    if resources > MAX_RESOURCES {
        return Err(failed(Refusal::new(
            pb::Code::BadRequest,
            format!("too many topics or subscriptions ({resources}, max {MAX_RESOURCES})"),
        )));
    }
    let group = match &client.pub_sub {
        Some(pb::settings::PubSub::Publishing(p)) => {
            for t in &p.topics {
                validate::topic(Some(t)).map_err(failed)?;
            }
            None
        }
        Some(pb::settings::PubSub::Subscription(s)) => {
            Some(validate::consumer_group(s.group.as_ref()).map_err(failed)?)
        }
        None => {
            return Err(Status::invalid_argument(
                "there is no publishing or subscription data in settings",
            ))
        }
    };
    let config = proxy.config();
    let stored = settings::stored(config, client);
    let group_config = match &group {
        Some(g) => proxy.backend().subscription_group(g).await,
        None => None,
    };
    let answered = settings::answer(config, &stored, group_config.as_ref());
    // Registration first: a refused subscription must not leave a session behind.
    register::heartbeat_data(ctx.client_id(), &stored).map_err(failed)?;
    let sessions = proxy.sessions();
    sessions
        .set_settings(ctx, stored.clone(), answered.clone())
        .map_err(failed)?;
    sessions.attach(ctx, call, tx.clone()).map_err(failed)?;
    super::register(proxy, ctx, &stored).await.map_err(failed)?;
    Ok(pb::TelemetryCommand {
        status: Some(ok()),
        command: Some(Command::Settings(answered)),
    })
}
