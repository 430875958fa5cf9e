//! [`Producer`]: the public producer handle.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ferromq_model::validate::validate_group;
use ferromq_model::MessageQueue;
use tokio::task::JoinHandle;

use crate::error::{ClientError, Result};
use crate::instance::members::{PlainProducer, ProducerHooks};
use crate::instance::ClientInstance;
use crate::message::Message;
use crate::producer::config::ProducerConfig;
use crate::producer::fault::LatencyFaultTolerance;
use crate::producer::selector::{QueueSelector, SelectByHash};
use crate::producer::send_result::SendResult;
use crate::producer::sender::{SendMode, Sender};

/// A producer of one producer group. Clone it freely; all clones share one connection pool.
///
/// ```no_run
/// # async fn demo() -> Result<(), ferromq_client::ClientError> {
/// use ferromq_client::{Message, Producer, ProducerConfig};
/// let producer = Producer::new(ProducerConfig::new("my_group", "127.0.0.1:9876"));
/// producer.start().await?;
/// let result = producer.send(Message::new("TopicTest", "hello").with_tags("TagA")).await?;
/// println!("{} stored at {}:{}", result.msg_id, result.queue, result.queue_offset);
/// producer.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Producer {
    pub(crate) sender: Sender,
    running: Arc<AtomicBool>,
    hooks: Arc<dyn ProducerHooks>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("group", &self.sender.config.group)
            .field("client_id", &self.sender.instance.client_id())
            .finish()
    }
}

/// A send running in the background; await it for the result (dropping it does not cancel
/// the send).
#[derive(Debug)]
pub struct SendHandle(JoinHandle<Result<SendResult>>);

impl Future for SendHandle {
    type Output = Result<SendResult>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or_else(|e| Err(ClientError::Aborted(e.to_string()))))
    }
}

impl Producer {
    /// A producer with `config`; call [`Producer::start`] before sending.
    pub fn new(config: ProducerConfig) -> Self {
        Self::with_hooks(config, Arc::new(PlainProducer))
    }

    pub(crate) fn with_hooks(config: ProducerConfig, hooks: Arc<dyn ProducerHooks>) -> Self {
        let instance = ClientInstance::new(config.client.clone());
        Producer {
            sender: Sender::new(instance, Arc::new(config)),
            running: Arc::new(AtomicBool::new(false)),
            hooks,
        }
    }

    /// Registers the group, starts route refresh and heartbeats.
    pub async fn start(&self) -> Result<()> {
        let group = &self.sender.config.group;
        validate_group(group).map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        if self.sender.config.client.namesrv_addrs.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        if self.sender.instance.is_shut_down() {
            // Connections and tasks are gone; build a new client instead.
            return Err(ClientError::NotRunning);
        }
        if self.running.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.sender
            .instance
            .register_producer(group, self.hooks.clone())?;
        self.sender.instance.start();
        Ok(())
    }

    /// Unregisters from the brokers and closes connections.
    pub async fn shutdown(&self) {
        if !self.running.swap(false, Ordering::SeqCst) {
            return;
        }
        self.sender
            .instance
            .unregister_producer(&self.sender.config.group)
            .await;
        self.sender.instance.shutdown().await;
    }

    fn check_running(&self) -> Result<()> {
        if self.running.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(ClientError::NotRunning)
        }
    }

    /// The settings.
    pub fn config(&self) -> &ProducerConfig {
        &self.sender.config
    }

    /// The client instance (connections, routes, client id).
    pub fn instance(&self) -> &ClientInstance {
        &self.sender.instance
    }

    /// The per-broker latency/isolation table.
    pub fn fault_tolerance(&self) -> &LatencyFaultTolerance {
        &self.sender.fault
    }

    /// Sends and waits, retrying on another broker (up to `retry_times_when_send_failed`).
    pub async fn send(&self, msg: Message) -> Result<SendResult> {
        self.send_with_timeout(msg, self.sender.config.send_timeout)
            .await
    }

    /// [`Producer::send`] with an explicit timeout for the whole send.
    pub async fn send_with_timeout(&self, msg: Message, timeout: Duration) -> Result<SendResult> {
        self.check_running()?;
        let out = self.sender.prepare(msg)?;
        self.sender
            .send(out, SendMode::Sync, timeout)
            .await?
            .ok_or_else(|| ClientError::Aborted("no send result".into()))
    }

    /// Starts sending in the background (retrying `retry_times_when_send_async_failed` times)
    /// and returns at once.
    pub fn send_async(&self, msg: Message) -> SendHandle {
        let this = self.clone();
        SendHandle(tokio::spawn(async move {
            this.check_running()?;
            let out = this.sender.prepare(msg)?;
            this.sender
                .send(out, SendMode::Async, this.sender.config.send_timeout)
                .await?
                .ok_or_else(|| ClientError::Aborted("no send result".into()))
        }))
    }

    /// Sends in the background and calls `callback` with the outcome (Java's `SendCallback`).
    pub fn send_with_callback<F>(&self, msg: Message, callback: F)
    where
        F: FnOnce(Result<SendResult>) + Send + 'static,
    {
        let handle = self.send_async(msg);
        tokio::spawn(async move { callback(handle.await) });
    }

    /// Sends without waiting for the broker's answer (no retry, no result).
    pub async fn send_oneway(&self, msg: Message) -> Result<()> {
        self.check_running()?;
        let out = self.sender.prepare(msg)?;
        self.sender
            .send(out, SendMode::Oneway, self.sender.config.send_timeout)
            .await?;
        Ok(())
    }

    /// Sends several messages of one topic in one SEND_BATCH_MESSAGE; they land in one queue
    /// with consecutive offsets. The result's `msg_id` joins the ids with commas.
    pub async fn send_batch(&self, msgs: Vec<Message>) -> Result<SendResult> {
        self.check_running()?;
        let out = self.sender.prepare_batch(msgs)?;
        self.sender
            .send(out, SendMode::Sync, self.sender.config.send_timeout)
            .await?
            .ok_or_else(|| ClientError::Aborted("no send result".into()))
    }

    /// Sends a batch to a chosen queue.
    pub async fn send_batch_to_queue(
        &self,
        msgs: Vec<Message>,
        mq: &MessageQueue,
    ) -> Result<SendResult> {
        self.check_running()?;
        let out = self.sender.prepare_batch(msgs)?;
        self.attempt(out, mq).await
    }

    /// Sends to a chosen queue (one attempt, no retry).
    pub async fn send_to_queue(&self, msg: Message, mq: &MessageQueue) -> Result<SendResult> {
        self.check_running()?;
        if msg.topic != mq.topic {
            return Err(ClientError::InvalidArgument(format!(
                "message topic `{}` and queue topic `{}` differ",
                msg.topic, mq.topic
            )));
        }
        let out = self.sender.prepare(msg)?;
        self.attempt(out, mq).await
    }

    async fn attempt(
        &self,
        out: crate::producer::sender::Outgoing,
        mq: &MessageQueue,
    ) -> Result<SendResult> {
        self.sender.publish_route(&mq.topic).await?;
        self.sender
            .attempt(&out, mq, SendMode::Sync, self.sender.config.send_timeout)
            .await?
            .ok_or_else(|| ClientError::Aborted("no send result".into()))
    }

    /// Sends to the queue `selector` picks among the topic's publish queues (one attempt).
    pub async fn send_with_selector(
        &self,
        msg: Message,
        selector: &dyn QueueSelector,
    ) -> Result<SendResult> {
        self.check_running()?;
        let route = self.sender.publish_route(&msg.topic).await?;
        let mq = selector
            .select(&route.publish.queues, &msg)
            .ok_or_else(|| ClientError::InvalidArgument("the selector chose no queue".into()))?;
        let out = self.sender.prepare(msg)?;
        self.sender
            .attempt(&out, &mq, SendMode::Sync, self.sender.config.send_timeout)
            .await?
            .ok_or_else(|| ClientError::Aborted("no send result".into()))
    }

    /// Sends so that every message with the same `sharding_key` goes to the same queue, in
    /// send order ([`SelectByHash`]).
    pub async fn send_orderly(&self, msg: Message, sharding_key: &str) -> Result<SendResult> {
        self.send_with_selector(msg, &SelectByHash::new(sharding_key))
            .await
    }

    /// The queues this producer may send `topic` to.
    pub async fn publish_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        Ok(self
            .sender
            .publish_route(topic)
            .await?
            .publish
            .queues
            .clone())
    }
}
