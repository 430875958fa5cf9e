//! The send path shared by producers and by consumers' send-back fallback (Java
//! `sendDefaultImpl` / `sendKernelImpl`): find the publish queues (falling back to TBW102 so
//! the broker auto-creates the topic), pick a queue, send, record latency, and retry on
//! another broker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferromq_model::names::is_not_allowed_send_topic;
use ferromq_model::validate::validate_topic;
use ferromq_model::MessageQueue;
use ferromq_protocol::message::sysflag::message as sysflag;
use ferromq_protocol::message::{keys, Properties};

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use crate::message::{compress_body, encode_batch, Message};
use crate::producer::config::ProducerConfig;
use crate::producer::fault::LatencyFaultTolerance;
use crate::producer::queue_select::select_queue;
use crate::producer::request::{build_send_command, SendRequest};
use crate::producer::send_result::{parse_send_response, SendResult, SendStatus};
use crate::route::TopicRoute;

/// How a send waits for the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendMode {
    /// Wait for the answer; retry on another broker.
    Sync,
    /// Same, run in the background with the async retry count.
    Async,
    /// Fire and forget; no retry.
    Oneway,
}

/// A message ready for the wire.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub topic: String,
    pub body: Bytes,
    pub flag: i32,
    pub properties: Properties,
    /// Compression sysflag bits when the body was compressed.
    pub compressed_flag: i32,
    /// Unique ids of the batch's messages; `None` for a single message.
    pub batch_ids: Option<Vec<String>>,
}

impl Outgoing {
    fn msg_id(&self) -> String {
        match &self.batch_ids {
            Some(ids) => ids.join(","),
            None => self.properties.uniq_key().unwrap_or_default().to_string(),
        }
    }

    fn sys_flag(&self) -> i32 {
        let mut f = self.compressed_flag;
        if self
            .properties
            .get(keys::TRANSACTION_PREPARED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            f |= sysflag::TRANSACTION_PREPARED_TYPE;
        }
        f
    }
}

use ferromq_protocol::time::now_ms as now_millis;

/// The send engine of one producer group.
#[derive(Clone)]
pub(crate) struct Sender {
    pub instance: ClientInstance,
    pub config: Arc<ProducerConfig>,
    pub fault: Arc<LatencyFaultTolerance>,
}

impl Sender {
    pub(crate) fn new(instance: ClientInstance, config: Arc<ProducerConfig>) -> Self {
        Sender {
            instance,
            config,
            fault: Arc::new(LatencyFaultTolerance::new()),
        }
    }

    /// Java `Validators.checkTopic` + `checkMessage`.
    fn check_message(&self, topic: &str, body_len: usize) -> Result<()> {
        validate_topic(topic).map_err(|e| ClientError::IllegalMessage(e.to_string()))?;
        if is_not_allowed_send_topic(topic) {
            return Err(ClientError::IllegalMessage(format!(
                "Sending message to topic[{topic}] is forbidden."
            )));
        }
        if body_len == 0 {
            return Err(ClientError::IllegalMessage(
                "the message body length is zero".into(),
            ));
        }
        if body_len > self.config.max_message_size {
            return Err(ClientError::IllegalMessage(format!(
                "the message body size over max value, MAX: {}",
                self.config.max_message_size
            )));
        }
        Ok(())
    }

    /// Validates `msg`, gives it a unique id and compresses a large body.
    pub(crate) fn prepare(&self, mut msg: Message) -> Result<Outgoing> {
        self.check_message(&msg.topic, msg.body.len())?;
        if msg.uniq_key().is_none() {
            msg.properties.insert(
                keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
                self.instance.ids().next_id(),
            );
        }
        let (body, compressed_flag) = match compress_body(&msg.body, &self.config.compression)
            .map_err(ClientError::Compression)?
        {
            Some((b, f)) => (b, f),
            None => (msg.body, 0),
        };
        Ok(Outgoing {
            topic: msg.topic,
            body,
            flag: msg.flag,
            properties: msg.properties,
            compressed_flag,
            batch_ids: None,
        })
    }

    /// Validates and encodes a batch (bodies are never compressed in a batch).
    pub(crate) fn prepare_batch(&self, mut msgs: Vec<Message>) -> Result<Outgoing> {
        for m in &msgs {
            self.check_message(&m.topic, m.body.len())?;
        }
        let (body, ids) = encode_batch(&mut msgs, self.instance.ids())?;
        let first = &msgs[0];
        let mut properties = Properties::new();
        properties.insert(keys::WAIT_STORE_MSG_OK, first.wait_store_ok().to_string());
        properties.insert(
            keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
            self.instance.ids().next_id(),
        );
        Ok(Outgoing {
            topic: first.topic.clone(),
            body,
            flag: 0,
            properties,
            compressed_flag: 0,
            batch_ids: Some(ids),
        })
    }

    /// The topic's route with publish queues (Java `tryToFindTopicPublishInfo`): cached, else
    /// from the NameServer, else — when the NameServer has no route at all — TBW102's.
    pub(crate) async fn publish_route(&self, topic: &str) -> Result<Arc<TopicRoute>> {
        if let Some(r) = self.instance.routes().get(topic) {
            if r.publish.ok() {
                return Ok(r);
            }
        }
        match self.instance.update_route(topic).await {
            Ok(r) => Ok(r),
            Err(ClientError::Broker { .. }) => {
                let r = self
                    .instance
                    .update_route_from_default(
                        topic,
                        &self.config.create_topic_key,
                        self.config.default_topic_queue_nums,
                    )
                    .await
                    .map_err(|_| ClientError::NoRoute(topic.to_string()))?;
                Ok(r)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends with queue selection, fault avoidance and retries.
    pub(crate) async fn send(
        &self,
        msg: Outgoing,
        mode: SendMode,
        timeout: Duration,
    ) -> Result<Option<SendResult>> {
        let begin = Instant::now();
        let route = self.publish_route(&msg.topic).await?;
        if !route.publish.ok() {
            return Err(ClientError::NoRoute(msg.topic.clone()));
        }
        let attempts = match mode {
            SendMode::Sync => 1 + self.config.retry_times_when_send_failed,
            SendMode::Async => 1 + self.config.retry_times_when_send_async_failed,
            SendMode::Oneway => 1,
        };
        let fault = self
            .config
            .send_latency_fault_enable
            .then_some(&*self.fault);
        // Brokers of the earlier attempts, and the queue of the current one (the list is only
        // needed for the error, so the common one-attempt send does not build it).
        let mut brokers = Vec::new();
        let mut last_mq: Option<MessageQueue> = None;
        let mut last_error = None;
        let mut stored_not_ok = None;
        for attempt in 0..attempts {
            let Some(mq) = select_queue(
                &route.publish,
                last_mq.as_ref().map(|m| m.broker_name.as_str()),
                fault,
                attempt > 0,
                Instant::now(),
            ) else {
                break;
            };
            if let Some(previous) = last_mq.take() {
                brokers.push(previous.broker_name);
            }
            let mq = &*last_mq.insert(mq);
            let elapsed = begin.elapsed();
            if elapsed > timeout {
                return Err(ClientError::SendTimeout {
                    attempt: attempt + 1,
                });
            }
            let started = Instant::now();
            let outcome = self.attempt(&msg, mq, mode, timeout - elapsed).await;
            let latency = started.elapsed().as_millis() as u64;
            match outcome {
                Ok(result) => {
                    self.record(&mq.broker_name, latency, false, true);
                    match result {
                        Some(r)
                            if r.status != SendStatus::SendOk
                                && self.config.retry_another_broker_when_not_store_ok =>
                        {
                            stored_not_ok = Some(r);
                            continue;
                        }
                        other => return Ok(other),
                    }
                }
                Err(e @ ClientError::Remoting(_)) => {
                    self.record(&mq.broker_name, latency, true, true);
                    tracing::warn!(broker = %mq.broker_name, error = %e, attempt, "send failed; retrying on another broker");
                    last_error = Some(e);
                }
                Err(ClientError::Broker { code, remark, addr }) => {
                    self.record(&mq.broker_name, latency, true, false);
                    let e = ClientError::Broker { code, remark, addr };
                    if !self.config.retry_response_codes.contains(&code) {
                        return match stored_not_ok {
                            Some(r) => Ok(Some(r)),
                            None => Err(e),
                        };
                    }
                    tracing::warn!(broker = %mq.broker_name, error = %e, attempt, "broker refused the send; retrying");
                    last_error = Some(e);
                }
                Err(e) => {
                    self.record(&mq.broker_name, latency, false, true);
                    last_error = Some(e);
                }
            }
        }
        if let Some(r) = stored_not_ok {
            return Ok(Some(r));
        }
        brokers.extend(last_mq.map(|m| m.broker_name));
        Err(ClientError::SendFailed {
            topic: msg.topic.clone(),
            attempts: brokers.len(),
            brokers,
            last: Box::new(last_error.unwrap_or_else(|| ClientError::NoRoute(msg.topic.clone()))),
        })
    }

    fn record(&self, broker: &str, latency_ms: u64, isolation: bool, reachable: bool) {
        if self.config.send_latency_fault_enable {
            self.fault
                .record(broker, latency_ms, isolation, reachable, Instant::now());
        }
    }

    /// One attempt to `mq`, without retries or fault bookkeeping.
    pub(crate) async fn attempt(
        &self,
        msg: &Outgoing,
        mq: &MessageQueue,
        mode: SendMode,
        timeout: Duration,
    ) -> Result<Option<SendResult>> {
        let addr = self
            .instance
            .master_addr(&mq.broker_name, &mq.topic)
            .await?;
        let request = build_send_command(&SendRequest {
            group: &self.config.group,
            topic: &msg.topic,
            default_topic: &self.config.create_topic_key,
            default_topic_queue_nums: self.config.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: msg.sys_flag(),
            born_timestamp: now_millis(),
            flag: msg.flag,
            properties: &msg.properties,
            batch: msg.batch_ids.is_some(),
            broker_name: &mq.broker_name,
            body: msg.body.clone(),
        });
        if mode == SendMode::Oneway {
            self.instance.invoke_oneway(&addr, request).await?;
            return Ok(None);
        }
        let response = self.instance.invoke(&addr, request, timeout).await?;
        parse_send_response(&addr, &msg.topic, &mq.broker_name, msg.msg_id(), &response).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn sender() -> Sender {
        let mut cfg = ProducerConfig::new("pg", "127.0.0.1:1");
        cfg.client = ClientConfig::new("127.0.0.1:1");
        Sender::new(ClientInstance::new(cfg.client.clone()), Arc::new(cfg))
    }

    #[tokio::test]
    async fn prepare_assigns_ids_and_compresses() {
        let s = sender();
        let out = s.prepare(Message::new("T", vec![b'x'; 5000])).unwrap();
        assert_eq!(out.compressed_flag, 0x301);
        assert!(out.body.len() < 5000);
        assert_eq!(out.properties.uniq_key().unwrap().len(), 32);
        assert_eq!(out.msg_id(), out.properties.uniq_key().unwrap());
        let small = s.prepare(Message::new("T", "x")).unwrap();
        assert_eq!(small.compressed_flag, 0);
        let tx = s
            .prepare(Message::new("T", "x").with_property("TRAN_MSG", "true"))
            .unwrap();
        assert_eq!(tx.sys_flag(), sysflag::TRANSACTION_PREPARED_TYPE);
        for bad in [
            Message::new("T", ""),
            Message::new("bad topic", "x"),
            Message::new("SCHEDULE_TOPIC_XXXX", "x"),
            Message::new("T", vec![0u8; 4 * 1024 * 1024 + 1]),
        ] {
            assert!(matches!(
                s.prepare(bad),
                Err(ClientError::IllegalMessage(_))
            ));
        }
        let batch = s
            .prepare_batch(vec![Message::new("T", "a"), Message::new("T", "b")])
            .unwrap();
        let ids = batch.batch_ids.clone().unwrap();
        assert_eq!(batch.msg_id(), format!("{},{}", ids[0], ids[1]));
        assert_eq!(batch.properties.get("WAIT"), Some("true"));
    }
}
