//! [`PushConsumer`]: the broker "pushes" messages to listeners — really a long-polling pull
//! loop per assigned queue, rebalanced every 20 s and whenever the group changes.

mod concurrent;
mod consume_threads;
mod hooks;
mod orderly;
mod pull_loop;
mod rebalance_run;
mod send_back;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::names::retry_topic;
use ferromq_model::validate::validate_group;
use ferromq_model::{ExpressionType, MessageModel, MessageQueue, SubscriptionData};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::consumer::config::PushConsumerConfig;
use crate::consumer::listener::{ConcurrentListener, OrderlyListener};
use crate::consumer::offset_store::{local_offset_path, OffsetStore};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::pull::SuggestedBrokers;
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use crate::producer::sender::Sender;
use crate::producer::ProducerConfig;
use consume_threads::ConsumeThreads;

/// How long [`PushConsumer::shutdown`] waits for listener calls and tasks in flight.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// The registered listener.
#[derive(Clone)]
pub(crate) enum Listener {
    Concurrent(Arc<dyn ConcurrentListener>),
    Orderly(Arc<dyn OrderlyListener>),
}

/// Shared state of a push consumer.
pub(crate) struct PushInner {
    pub config: PushConsumerConfig,
    pub instance: ClientInstance,
    pub subscriptions: RwLock<BTreeMap<String, SubscriptionData>>,
    pub listener: RwLock<Option<Listener>>,
    pub queues: Mutex<BTreeMap<MessageQueue, Arc<ProcessQueue>>>,
    pub offsets: OffsetStore,
    /// Send path for the send-back fallback (`CLIENT_INNER_PRODUCER`).
    pub sender: Sender,
    pub suggested: SuggestedBrokers,
    /// Where listener calls run (`consume_concurrency` threads).
    pub consume_threads: ConsumeThreads,
    pub rebalance_signal: Notify,
    pub running: AtomicBool,
    pub paused: AtomicBool,
    pub stop: CancellationToken,
    pub tasks: TaskTracker,
    pub start_millis: i64,
    pub consume_timestamp: i64,
}

impl PushInner {
    pub fn is_orderly(&self) -> bool {
        matches!(*self.listener.read(), Some(Listener::Orderly(_)))
    }

    pub fn clustering(&self) -> bool {
        self.config.message_model == MessageModel::Clustering
    }

    /// Redeliveries allowed before the DLQ (concurrent: 16 by default).
    pub fn max_reconsume_times(&self) -> i32 {
        self.config.max_reconsume_times.unwrap_or(16)
    }

    /// Queues currently held.
    pub fn assigned(&self) -> BTreeSet<MessageQueue> {
        self.queues.lock().keys().cloned().collect()
    }

    /// Runs `fut` on the consumer's task tracker unless stopping.
    pub fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let stop = self.stop.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = fut => {}
            }
        });
    }
}

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
            .field("client_id", &self.inner.instance.client_id())
            .finish()
    }
}

impl PushConsumer {
    /// A consumer with `config`; subscribe, register a listener, then [`PushConsumer::start`].
    pub fn new(config: PushConsumerConfig) -> Self {
        let broadcasting = config.message_model == MessageModel::Broadcasting;
        let instance = ClientInstance::with_identity(config.client.clone(), broadcasting);
        let offsets = if broadcasting {
            OffsetStore::file(local_offset_path(
                &config.offset_store_dir,
                instance.client_id(),
                &config.group,
            ))
        } else {
            OffsetStore::broker(instance.clone(), &config.group)
        };
        let mut inner_producer =
            ProducerConfig::new(ferromq_model::names::CLIENT_INNER_PRODUCER_GROUP, "");
        inner_producer.client = config.client.clone();
        let sender = Sender::new(instance.clone(), Arc::new(inner_producer));
        let consume_timestamp = config
            .consume_timestamp
            .unwrap_or_else(|| crate::consumer::now_millis() - 30 * 60 * 1000);
        PushConsumer {
            inner: Arc::new(PushInner {
                consume_threads: ConsumeThreads::new(format!(
                    "ConsumeMessageThread_{}",
                    config.group
                )),
                stop: instance.shutdown_token().child_token(),
                subscriptions: RwLock::new(BTreeMap::new()),
                listener: RwLock::new(None),
                queues: Mutex::new(BTreeMap::new()),
                suggested: SuggestedBrokers::default(),
                rebalance_signal: Notify::new(),
                running: AtomicBool::new(false),
                paused: AtomicBool::new(false),
                tasks: TaskTracker::new(),
                start_millis: crate::consumer::now_millis(),
                consume_timestamp,
                offsets,
                sender,
                instance,
                config,
            }),
        }
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
        ferromq_model::validate::validate_topic(topic)
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        let sub = SubscriptionData::build(topic, expression, ty);
        self.inner
            .subscriptions
            .write()
            .insert(topic.to_string(), sub);
        if self.inner.running.load(Ordering::SeqCst) {
            let inner = self.inner.clone();
            let topic = topic.to_string();
            tokio::spawn(async move {
                let _ = inner.instance.update_route(&topic).await;
                inner.instance.send_heartbeat_to_all().await;
                inner.rebalance_signal.notify_one();
            });
        }
        Ok(())
    }

    /// Stops consuming `topic`.
    pub fn unsubscribe(&self, topic: &str) {
        self.inner.subscriptions.write().remove(topic);
        self.inner.rebalance_signal.notify_one();
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
        self.inner.instance.client_id()
    }

    /// The client instance.
    pub fn instance(&self) -> &ClientInstance {
        &self.inner.instance
    }

    /// The settings.
    pub fn config(&self) -> &PushConsumerConfig {
        &self.inner.config
    }

    /// Queues currently assigned to this client (all topics, retry topic included).
    pub fn assigned_queues(&self) -> BTreeSet<MessageQueue> {
        self.inner.assigned()
    }

    /// The in-memory committed offset of `mq` (next offset to consume).
    pub fn committed_offset(&self, mq: &MessageQueue) -> Option<i64> {
        self.inner.offsets.table().get(mq)
    }

    /// Stops pulling without leaving the group.
    pub fn suspend(&self) {
        self.inner.paused.store(true, Ordering::SeqCst);
    }

    /// Resumes pulling.
    pub fn resume(&self) {
        self.inner.paused.store(false, Ordering::SeqCst);
        self.inner.rebalance_signal.notify_one();
    }

    /// Joins the group and starts consuming.
    pub async fn start(&self) -> Result<()> {
        let inner = &self.inner;
        validate_group(&inner.config.group)
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        if inner.config.client.namesrv_addrs.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        if inner.listener.read().is_none() {
            return Err(ClientError::InvalidArgument(
                "no message listener registered".into(),
            ));
        }
        if inner.subscriptions.read().is_empty() {
            return Err(ClientError::InvalidArgument("no subscription".into()));
        }
        if inner.instance.is_shut_down() {
            // Connections and tasks are gone; build a new client instead.
            return Err(ClientError::NotRunning);
        }
        if inner.running.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        if inner.clustering() {
            let retry = retry_topic(&inner.config.group);
            inner
                .subscriptions
                .write()
                .insert(retry.clone(), SubscriptionData::from_expression(retry, "*"));
        }
        inner.offsets.load().await?;
        inner
            .instance
            .register_consumer(&inner.config.group, Arc::new(hooks::PushHooks::new(inner)))?;
        inner.instance.start();
        let topics: Vec<String> = inner.subscriptions.read().keys().cloned().collect();
        for topic in &topics {
            if let Err(e) = inner.instance.update_route(topic).await {
                tracing::debug!(topic = %topic, error = %e, "no route yet");
            }
        }
        let ready = match rebalance_run::check_sql_subscriptions(inner).await {
            Ok(()) => inner
                .consume_threads
                .start(
                    inner.config.consume_concurrency,
                    &tokio::runtime::Handle::current(),
                )
                .map_err(ClientError::ConsumeThreads),
            Err(e) => Err(e),
        };
        if let Err(e) = ready {
            inner.running.store(false, Ordering::SeqCst);
            inner.consume_threads.shutdown(Duration::ZERO).await;
            inner
                .instance
                .unregister_consumer(&inner.config.group)
                .await;
            inner.instance.shutdown().await;
            return Err(e);
        }
        inner.instance.send_heartbeat_to_all().await;
        rebalance_run::spawn_loops(inner);
        Ok(())
    }

    /// Leaves the group: stops pulling, lets the listener calls in flight finish (up to 5 s;
    /// messages still queued for a consume thread stay uncommitted and are redelivered),
    /// commits offsets, releases orderly locks, unregisters.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        if !inner.running.swap(false, Ordering::SeqCst) {
            return;
        }
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        inner.stop.cancel();
        if !inner.consume_threads.shutdown(SHUTDOWN_WAIT).await {
            tracing::warn!(group = %inner.config.group, "listener calls still running after {SHUTDOWN_WAIT:?}");
        }
        inner.tasks.close();
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, inner.tasks.wait()).await;
        for pq in inner.queues.lock().values() {
            pq.set_dropped();
        }
        let assigned = inner.assigned();
        inner.offsets.persist_all(&assigned).await;
        if inner.is_orderly() && inner.clustering() {
            rebalance_run::unlock_all(inner, &assigned).await;
        }
        inner
            .instance
            .unregister_consumer(&inner.config.group)
            .await;
        inner.instance.shutdown().await;
    }
}
