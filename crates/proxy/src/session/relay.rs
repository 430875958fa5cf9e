//! Broker requests about a gRPC consumer, relayed over its Telemetry stream (Java's
//! `GrpcClientChannel`): GET_CONSUMER_RUNNING_INFO with `jstackEnable` becomes a
//! PrintThreadStackTraceCommand, CONSUME_MESSAGE_DIRECTLY a VerifyMessageCommand; the client's
//! ThreadStackTrace / VerifyMessageResult, matched by nonce, becomes the broker's answer
//! (`mqadmin consumerStatus -s`, `queryMsgById -g -d`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use ferromq_protocol::headers::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{request_code, response_code, RemotingCommand};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::pb;
use crate::pb::telemetry_command::Command;
use crate::producer::convert;
use crate::proxy::Proxy;

/// Java's `grpcProxyRelayRequestTimeoutInSeconds`.
const RELAY_TIMEOUT: Duration = Duration::from_secs(5);
/// Relays awaiting their client's answer at most.
const MAX_PENDING: usize = 1024;

/// What a client answered: its status and, for a thread stack request, the stack.
type Answer = (pb::Status, Option<String>);

/// Relays awaiting their answer, by nonce.
#[derive(Default)]
pub struct Relays {
    next: AtomicU64,
    pending: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
}

impl Relays {
    fn open(&self) -> Option<(String, oneshot::Receiver<Answer>)> {
        let mut pending = self.pending.lock();
        pending.retain(|_, tx| !tx.is_closed());
        if pending.len() >= MAX_PENDING {
            return None;
        }
        let nonce = format!("relay-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        pending.insert(nonce.clone(), tx);
        Some((nonce, rx))
    }

    /// The client's answer to `nonce` (unknown nonces are ignored).
    pub fn complete(&self, nonce: &str, status: Option<pb::Status>, stack: Option<String>) {
        if let Some(tx) = self.pending.lock().remove(nonce) {
            let _ = tx.send((status.unwrap_or_default(), stack));
        }
    }
}

fn error(code: i32, remark: &str) -> RemotingCommand {
    RemotingCommand::error(code, remark)
}

/// Installs the relay on the proxy's broker connections.
pub(crate) fn install(proxy: &Arc<Proxy>) {
    let weak: Weak<Proxy> = Arc::downgrade(proxy);
    proxy
        .backend()
        .instance()
        .set_foreign_request_hook(Arc::new(move |request| {
            let weak = weak.clone();
            Box::pin(async move {
                let proxy = weak.upgrade()?;
                Some(relay(&proxy, request).await)
            })
        }));
}

async fn relay(proxy: &Proxy, request: RemotingCommand) -> RemotingCommand {
    match request.code {
        request_code::GET_CONSUMER_RUNNING_INFO => running_info(proxy, &request).await,
        request_code::CONSUME_MESSAGE_DIRECTLY => consume_directly(proxy, &request).await,
        code => ferromq_remoting::not_supported(code),
    }
}

/// Pushes `command(nonce)` to `client_id` and waits for its answer.
async fn ask(
    proxy: &Proxy,
    client_id: &str,
    command: impl FnOnce(String) -> Command,
) -> Result<Answer, RemotingCommand> {
    let Some(tx) = proxy.sessions().telemetry_of(client_id) else {
        return Err(error(
            response_code::SYSTEM_ERROR,
            &format!("The client {client_id} has no telemetry stream on this proxy"),
        ));
    };
    let Some((nonce, rx)) = proxy.relays().open() else {
        return Err(error(
            response_code::SYSTEM_BUSY,
            "too many relayed requests",
        ));
    };
    let cmd = pb::TelemetryCommand {
        status: None,
        command: Some(command(nonce)),
    };
    if tx.try_send(Ok(cmd)).is_err() {
        return Err(error(
            response_code::SYSTEM_ERROR,
            "the client is not reading",
        ));
    }
    match tokio::time::timeout(RELAY_TIMEOUT, rx).await {
        Ok(Ok(answer)) => Ok(answer),
        _ => Err(error(
            response_code::SYSTEM_ERROR,
            "the client did not answer in time",
        )),
    }
}

async fn running_info(proxy: &Proxy, request: &RemotingCommand) -> RemotingCommand {
    let Ok(h) = request.decode_header::<GetConsumerRunningInfoRequestHeader>() else {
        return error(response_code::SYSTEM_ERROR, "bad header");
    };
    if h.jstack_enable != Some(true) {
        // Java's gRPC channel answers only stack requests.
        return error(
            response_code::SYSTEM_ERROR,
            "gRPC clients report thread stacks only (jstackEnable)",
        );
    }
    let answer = ask(proxy, &h.client_id, |nonce| {
        Command::PrintThreadStackTraceCommand(pb::PrintThreadStackTraceCommand { nonce })
    })
    .await;
    match answer {
        Err(e) => e,
        Ok((status, stack)) => running_info_answer(&status, stack),
    }
}

/// Java's `reportThreadStackTrace`: a stack in a ConsumerRunningInfo, or the refusal.
pub fn running_info_answer(status: &pb::Status, stack: Option<String>) -> RemotingCommand {
    match pb::Code::try_from(status.code) {
        Ok(pb::Code::Ok) => {
            let body = serde_json::json!({
                "jstack": stack.unwrap_or_default(),
                "mqTable": {},
                "properties": {},
                "statusTable": {},
                "subscriptionSet": [],
            });
            RemotingCommand::success().with_body(body.to_string())
        }
        Ok(pb::Code::VerifyFifoMessageUnsupported) => {
            error(response_code::NO_PERMISSION, "forbidden to verify message")
        }
        _ => error(response_code::SYSTEM_ERROR, "verify message failed"),
    }
}

async fn consume_directly(proxy: &Proxy, request: &RemotingCommand) -> RemotingCommand {
    let Ok(h) = request.decode_header::<ConsumeMessageDirectlyResultRequestHeader>() else {
        return error(response_code::SYSTEM_ERROR, "bad header");
    };
    let Ok(record) = MessageExt::decode(&request.body.to_bytes()) else {
        return error(response_code::SYSTEM_ERROR, "bad message body");
    };
    let message = convert::from_record(&record, ferromq_protocol::time::now_ms());
    let client = h.client_id.unwrap_or_default();
    let answer = ask(proxy, &client, |nonce| {
        Command::VerifyMessageCommand(pb::VerifyMessageCommand {
            nonce,
            message: Some(message),
        })
    })
    .await;
    match answer {
        Err(e) => e,
        Ok((status, _)) => {
            let body = serde_json::json!({
                "autoCommit": true,
                "consumeResult": consume_result(&status),
                "order": false,
                "remark": "from gRPC client",
                "spentTimeMills": 0,
            });
            RemotingCommand::success().with_body(body.to_string())
        }
    }
}

/// Java's `buildConsumeMessageDirectlyResult`.
pub fn consume_result(status: &pb::Status) -> Option<&'static str> {
    match pb::Code::try_from(status.code) {
        Ok(pb::Code::Ok) => Some("CR_SUCCESS"),
        Ok(pb::Code::FailedToConsumeMessage) => Some("CR_LATER"),
        Ok(pb::Code::MessageCorrupted) => Some("CR_RETURN_NULL"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::status;

    #[test]
    fn answers_as_java() {
        assert_eq!(
            consume_result(&status(pb::Code::Ok, "")),
            Some("CR_SUCCESS")
        );
        assert_eq!(
            consume_result(&status(pb::Code::FailedToConsumeMessage, "")),
            Some("CR_LATER")
        );
        let r = running_info_answer(&status(pb::Code::Ok, ""), Some("main thread".into()));
        assert_eq!(r.code, response_code::SUCCESS);
        assert!(String::from_utf8_lossy(&r.body.to_bytes()).contains("main thread"));
        let r = running_info_answer(&status(pb::Code::VerifyFifoMessageUnsupported, ""), None);
        assert_eq!(r.code, response_code::NO_PERMISSION);
    }

    #[test]
    fn relays_are_bounded_and_matched_by_nonce() {
        let r = Relays::default();
        let (nonce, mut rx) = r.open().unwrap();
        r.complete("other", None, None);
        assert!(rx.try_recv().is_err());
        r.complete(&nonce, Some(status(pb::Code::Ok, "OK")), Some("s".into()));
        assert_eq!(rx.try_recv().unwrap().1.as_deref(), Some("s"));
        let held: Vec<_> = (0..MAX_PENDING).filter_map(|_| r.open()).collect();
        assert_eq!(held.len(), MAX_PENDING);
        assert!(r.open().is_none());
    }
}
