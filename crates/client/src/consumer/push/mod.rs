//! [`PushConsumer`]: the broker "pushes" messages to listeners — really the core's
//! long-polling pull loop per assigned queue, rebalanced every 20 s and whenever the group
//! changes. This layer adds the listener, the consume threads that run it (concurrent or
//! orderly), per-queue flow control, orderly broker locks and redelivery via send-back.
//!
//! Inside: [`state`] is the shared state every other file uses; [`concurrent`] and
//! [`orderly`] consume on [`consume_threads`]; [`send_back`] returns failed messages; [`lock`]
//! holds broker locks; [`layer`] plugs all of it into the core; [`server_requests`] answers
//! brokers; [`sql_check`] runs at start.

mod concurrent;
mod consume_threads;
mod layer;
mod lock;
mod orderly;
mod send_back;
mod server_requests;
mod sql_check;
mod state;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::names::{retry_topic, CLIENT_INNER_PRODUCER_GROUP};
use ferromq_model::{ExpressionType, MessageQueue, SubscriptionData};
use parking_lot::RwLock;

use crate::consumer::config::PushConsumerConfig;
use crate::consumer::core::{self, ConsumerCore, CoreConfig, Layer, SHUTDOWN_WAIT};
use crate::consumer::listener::{ConcurrentListener, OrderlyListener};
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use crate::producer::sender::Sender;
use crate::producer::ProducerConfig;
use consume_threads::ConsumeThreads;
use state::{Listener, PushInner};

/// A push consumer of one consumer group.
///
/// ```no_run
/// # async fn demo() -> Result<(), ferromq_client::ClientError> {
/// use ferromq_client::{ConcurrentlyStatus, PushConsumer, PushConsumerConfig};
/// let consumer = PushConsumer::new(PushConsumerConfig::new("my_group", "127.0.0.1:9876"));
/// consumer.subscribe("TopicTest", "TagA || TagB")?;
/// consumer.register_concurrent_listener(|msgs: &[ferromq_client::ReceivedMessage], _ctx: &mut ferromq_client::ConcurrentlyContext| {
///     for m in msgs { println!("{} {}", m.msg_id(), m.body_str()); }
///     ConcurrentlyStatus::ConsumeSuccess
/// });
/// consumer.start().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PushConsumer {
    inner: Arc<PushInner>,
}

impl std::fmt::Debug for PushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConsumer")
            .field("group", &self.inner.config.group)
            .field("client_id", &self.inner.core.instance().client_id())
            .finish()
    }
}

impl PushConsumer {
    /// A consumer with `config`; subscribe, register a listener, then [`PushConsumer::start`].
    pub fn new(config: PushConsumerConfig) -> Self {
        let broadcasting = config.message_model == ferromq_model::MessageModel::Broadcasting;
        let instance = ClientInstance::with_identity(config.client.clone(), broadcasting);
        let core = ConsumerCore::new(
            CoreConfig::from(&config),
            instance.clone(),
            &config.offset_store_dir,
        );
        let mut inner_producer = ProducerConfig::new(CLIENT_INNER_PRODUCER_GROUP, "");
        inner_producer.client = config.client.clone();
        let sender = Sender::new(instance, Arc::new(inner_producer));
        PushConsumer {
            inner: Arc::new(PushInner {
                consume_threads: ConsumeThreads::new(format!(
                    "ConsumeMessageThread_{}",
                    config.group
                )),
                listener: RwLock::new(None),
                sender,
                core,
                config,
            }),
        }
    }

    fn layer(&self) -> Arc<dyn Layer> {
        self.inner.clone()
    }

    /// Subscribes to `topic` with a TAG expression (`*`, `TagA || TagB`).
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<()> {
        self.subscribe_with(topic, expression, ExpressionType::Tag)
    }

    /// Subscribes to `topic` with an SQL92 selector over message properties (the broker needs
    /// `enablePropertyFilter=true`).
    pub fn subscribe_sql(&self, topic: &str, sql: &str) -> Result<()> {
        self.subscribe_with(topic, sql, ExpressionType::Sql92)
    }

    fn subscribe_with(&self, topic: &str, expression: &str, ty: ExpressionType) -> Result<()> {
        self.inner.core.subscribe(topic, expression, ty)?;
        if self.inner.core.is_running() {
            let inner = self.inner.clone();
            let topic = topic.to_string();
            tokio::spawn(async move {
                let instance = inner.core.instance();
                let _ = instance.update_route(&topic).await;
                instance.send_heartbeat_to_all().await;
                inner.core.rebalance_now();
            });
        }
        Ok(())
    }

    /// Stops consuming `topic`.
    pub fn unsubscribe(&self, topic: &str) {
        self.inner.core.unsubscribe(topic);
    }

    /// Sets a concurrent listener (replaces any listener; before `start`).
    pub fn register_concurrent_listener(&self, listener: impl ConcurrentListener) {
        *self.inner.listener.write() = Some(Listener::Concurrent(Arc::new(listener)));
    }

    /// Sets an orderly listener (replaces any listener; before `start`).
    pub fn register_orderly_listener(&self, listener: impl OrderlyListener) {
        *self.inner.listener.write() = Some(Listener::Orderly(Arc::new(listener)));
    }

    /// This consumer's client id.
    pub fn client_id(&self) -> &str {
        self.inner.core.instance().client_id()
    }

    /// The client instance.
    pub fn instance(&self) -> &ClientInstance {
        self.inner.core.instance()
    }

    /// The settings.
    pub fn config(&self) -> &PushConsumerConfig {
        &self.inner.config
    }

    /// Queues currently assigned to this client (all topics, retry topic included).
    pub fn assigned_queues(&self) -> BTreeSet<MessageQueue> {
        self.inner.core.assigned()
    }

    /// The in-memory committed offset of `mq` (next offset to consume).
    pub fn committed_offset(&self, mq: &MessageQueue) -> Option<i64> {
        self.inner.offsets().table().get(mq)
    }

    /// Stops pulling without leaving the group.
    pub fn suspend(&self) {
        self.inner.core.set_paused(true);
    }

    /// Resumes pulling.
    pub fn resume(&self) {
        self.inner.core.set_paused(false);
    }

    /// Joins the group and starts consuming.
    pub async fn start(&self) -> Result<()> {
        let inner = &self.inner;
        let core = &inner.core;
        core.check_config()?;
        if inner.listener.read().is_none() {
            return Err(ClientError::InvalidArgument(
                "no message listener registered".into(),
            ));
        }
        if core.subscriptions().is_empty() {
            return Err(ClientError::InvalidArgument("no subscription".into()));
        }
        if !core.mark_running()? {
            return Ok(());
        }
        if inner.clustering() {
            let retry = retry_topic(&inner.config.group);
            core.add_subscription(SubscriptionData::from_expression(retry, "*"));
        }
        let layer = self.layer();
        core::join(&layer).await?;
        if let Err(e) = self.prepare_consuming().await {
            core.mark_stopped();
            inner.consume_threads.shutdown(Duration::ZERO).await;
            core.leave().await;
            return Err(e);
        }
        core.instance().send_heartbeat_to_all().await;
        core::spawn_loops(&layer);
        if inner.orderly_clustering() {
            lock::spawn_renewal(inner);
        }
        Ok(())
    }

    /// Checks SQL subscriptions with the brokers and starts the consume threads.
    async fn prepare_consuming(&self) -> Result<()> {
        let inner = &self.inner;
        sql_check::check_sql_subscriptions(inner).await?;
        inner
            .consume_threads
            .start(
                inner.config.consume_concurrency,
                &tokio::runtime::Handle::current(),
            )
            .map_err(ClientError::ConsumeThreads)
    }

    /// Leaves the group: stops pulling, lets the listener calls in flight finish (up to 5 s;
    /// messages still queued for a consume thread stay uncommitted and are redelivered),
    /// commits offsets, releases orderly locks, unregisters.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        let core = &inner.core;
        if !core.mark_stopped() {
            return;
        }
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        core.cancel_tasks();
        if !inner.consume_threads.shutdown(SHUTDOWN_WAIT).await {
            tracing::warn!(group = %inner.config.group, "listener calls still running after {SHUTDOWN_WAIT:?}");
        }
        core.wait_tasks(deadline).await;
        let assigned = core.assigned();
        core.persist_offsets().await;
        if inner.orderly_clustering() {
            lock::unlock(inner, &assigned, false).await;
        }
        core.leave().await;
    }
}
