//! [`ConsumerCore`]: the state every consumer of a group has, behind methods.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ferromq_model::validate::{validate_group, validate_topic};
use ferromq_model::{ConsumeType, ExpressionType, MessageModel, MessageQueue, SubscriptionData};
use parking_lot::RwLock;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config::CoreConfig;
use super::queues::QueueTable;
use crate::consumer::offset_store::{local_offset_path, OffsetStore};
use crate::consumer::puller::{Puller, RemotePuller};
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use ferromq_protocol::time::now_ms as now_millis;

/// State and plumbing common to every consumer of a group.
pub(crate) struct ConsumerCore {
    config: CoreConfig,
    instance: ClientInstance,
    puller: Arc<dyn Puller>,
    subscriptions: RwLock<BTreeMap<String, SubscriptionData>>,
    queues: QueueTable,
    offsets: OffsetStore,
    rebalance_signal: Notify,
    running: AtomicBool,
    /// Consumer-wide suspension: no pulls, no rebalance (push `suspend`, offset resets).
    paused: AtomicBool,
    stop: CancellationToken,
    tasks: TaskTracker,
    start_millis: i64,
}

impl ConsumerCore {
    /// A core on `instance`, talking to the brokers through it; broadcasting groups keep
    /// their offsets in a file under `offset_dir`, clustering groups on the brokers.
    pub(crate) fn new(
        config: CoreConfig,
        instance: ClientInstance,
        offset_dir: &std::path::Path,
    ) -> Self {
        let puller: Arc<dyn Puller> = Arc::new(RemotePuller::new(instance.clone()));
        let offsets = if config.message_model == MessageModel::Broadcasting {
            OffsetStore::file(local_offset_path(
                offset_dir,
                instance.client_id(),
                &config.group,
            ))
        } else {
            OffsetStore::broker(puller.clone(), &config.group)
        };
        Self::with_puller(config, instance, puller, offsets)
    }

    /// A core whose loops reach the brokers through `puller`.
    pub(crate) fn with_puller(
        config: CoreConfig,
        instance: ClientInstance,
        puller: Arc<dyn Puller>,
        offsets: OffsetStore,
    ) -> Self {
        ConsumerCore {
            stop: instance.shutdown_token().child_token(),
            subscriptions: RwLock::new(BTreeMap::new()),
            queues: QueueTable::default(),
            rebalance_signal: Notify::new(),
            running: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            tasks: TaskTracker::new(),
            start_millis: now_millis(),
            config,
            instance,
            puller,
            offsets,
        }
    }

    /// The settings.
    pub(crate) fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The consumer group.
    pub(crate) fn group(&self) -> &str {
        &self.config.group
    }

    /// The client instance.
    pub(crate) fn instance(&self) -> &ClientInstance {
        &self.instance
    }

    /// The brokers.
    pub(crate) fn puller(&self) -> &dyn Puller {
        &*self.puller
    }

    /// The held queues.
    pub(crate) fn queues(&self) -> &QueueTable {
        &self.queues
    }

    /// The offset store.
    pub(crate) fn offsets(&self) -> &OffsetStore {
        &self.offsets
    }

    /// When the consumer was created (epoch ms).
    pub(crate) fn start_millis(&self) -> i64 {
        self.start_millis
    }

    /// Whether the group consumes in clustering mode.
    pub(crate) fn clustering(&self) -> bool {
        self.config.message_model == MessageModel::Clustering
    }

    /// Whether the consumer is started and not shut down.
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Whether consumption is suspended.
    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Suspends (true) or resumes (false) pulling and rebalancing; resuming rebalances now.
    pub(crate) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        if !paused {
            self.rebalance_now();
        }
    }

    /// Completes when a rebalance is asked for.
    pub(super) fn rebalance_requested(&self) -> tokio::sync::futures::Notified<'_> {
        self.rebalance_signal.notified()
    }

    /// Asks the rebalance loop for a round now.
    pub(crate) fn rebalance_now(&self) {
        self.rebalance_signal.notify_one();
    }

    /// Cancelled when the consumer stops.
    pub(crate) fn stop_token(&self) -> &CancellationToken {
        &self.stop
    }

    /// Runs `fut` on the consumer's task tracker until it ends or the consumer stops.
    pub(crate) fn spawn<F>(&self, fut: F)
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

    // ---- subscriptions ---------------------------------------------------------------------

    /// Subscribes to `topic` with `expression` of type `ty`.
    pub(crate) fn subscribe(
        &self,
        topic: &str,
        expression: &str,
        ty: ExpressionType,
    ) -> Result<()> {
        validate_topic(topic).map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        self.subscriptions.write().insert(
            topic.to_string(),
            SubscriptionData::build(topic, expression, ty),
        );
        Ok(())
    }

    /// Adds a subscription as is (the group's retry topic).
    pub(crate) fn add_subscription(&self, sub: SubscriptionData) {
        self.subscriptions.write().insert(sub.topic.clone(), sub);
    }

    /// Stops consuming `topic` (at the next rebalance).
    pub(crate) fn unsubscribe(&self, topic: &str) {
        self.subscriptions.write().remove(topic);
        self.rebalance_now();
    }

    /// The subscription of `topic`.
    pub(crate) fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions.read().get(topic).cloned()
    }

    /// Every subscription.
    pub(crate) fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.subscriptions.read().values().cloned().collect()
    }

    /// The subscribed topics.
    pub(crate) fn topics(&self) -> Vec<String> {
        self.subscriptions.read().keys().cloned().collect()
    }

    /// Marks `topic`'s subscription as changed now (sent with heartbeats and pulls).
    pub(super) fn bump_sub_version(&self, topic: &str) {
        if let Some(sub) = self.subscriptions.write().get_mut(topic) {
            sub.sub_version = now_millis();
        }
    }

    // ---- start and stop --------------------------------------------------------------------

    /// Checks the settings every consumer needs before starting.
    pub(crate) fn check_config(&self) -> Result<()> {
        validate_group(&self.config.group)
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        if self.config.client.namesrv_addrs.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        Ok(())
    }

    /// Marks the consumer running; false when it already was. A consumer whose instance was
    /// shut down cannot start again (its connections and tasks are gone).
    pub(crate) fn mark_running(&self) -> Result<bool> {
        if self.instance.is_shut_down() {
            return Err(ClientError::NotRunning);
        }
        Ok(!self.running.swap(true, Ordering::SeqCst))
    }

    /// Marks the consumer stopped; false when it was not running.
    pub(crate) fn mark_stopped(&self) -> bool {
        self.running.swap(false, Ordering::SeqCst)
    }

    /// Unregisters the group from the brokers and shuts the instance down.
    pub(crate) async fn leave(&self) {
        self.instance.unregister_consumer(&self.config.group).await;
        self.instance.shutdown().await;
    }

    /// Tells every task of the consumer to stop.
    pub(crate) fn cancel_tasks(&self) {
        self.stop.cancel();
    }

    /// Waits until `deadline` for the tasks told to stop, then marks every held queue dropped.
    pub(crate) async fn wait_tasks(&self, deadline: Instant) {
        self.tasks.close();
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, self.tasks.wait()).await;
        self.queues.drop_all();
    }

    /// Commits the offsets of the held queues now and forgets the others.
    pub(crate) async fn persist_offsets(&self) {
        self.offsets.persist_all(&self.queues.queues()).await;
    }

    /// Where `mq` starts: the stored offset, else consume-from-where.
    pub(crate) async fn start_offset(&self, mq: &MessageQueue) -> Result<i64> {
        crate::consumer::start_offset::compute(
            &*self.puller,
            &self.offsets,
            self.config.consume_from_where,
            self.config.consume_timestamp,
            mq,
        )
        .await
    }

    /// Whether Java treats this consumer as push (`CONSUME_PASSIVELY`).
    pub(super) fn passive(&self) -> bool {
        self.config.consume_type == ConsumeType::ConsumePassively
    }

    /// The held queues.
    pub(crate) fn assigned(&self) -> BTreeSet<MessageQueue> {
        self.queues.queues()
    }
}
