//! The consumer core shared by [`PushConsumer`](crate::PushConsumer) and
//! [`LitePullConsumer`](crate::LitePullConsumer) (Java's `RebalanceImpl`, offset store set-up,
//! pull-task skeleton and periodic services, once): settings common to both, subscriptions,
//! held queues, offsets, the per-queue pull loop, rebalancing, the periodic loops (rebalance,
//! offset commit), registration on the client instance and shutdown.
//!
//! The core reaches brokers only through a [`Puller`], and a [`Layer`] — push or lite pull —
//! decides what the loops cannot: where pulled messages go, flow control, orderly locks, and
//! the answers to broker requests. Where Java itself distinguishes push (`CONSUME_PASSIVELY`)
//! from lite pull (`CONSUME_ACTIVELY`), the core follows [`CoreConfig::consume_type`].

mod config;
mod hooks;
mod pull_loop;
mod queues;
mod rebalance_run;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::validate::{validate_group, validate_topic};
use ferromq_model::{ConsumeType, ExpressionType, MessageModel, MessageQueue, SubscriptionData};
use futures::future::BoxFuture;
use parking_lot::RwLock;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::now_millis;
use crate::consumer::offset_store::{local_offset_path, OffsetStore};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::puller::{Puller, RemotePuller};
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use crate::message::ReceivedMessage;

pub(crate) use config::CoreConfig;
pub(crate) use pull_loop::start_pulling;
pub(crate) use queues::{HeldQueue, QueueTable};
pub(crate) use rebalance_run::{detach_queues, remove_queue, spawn_loops};

/// How long a shutdown waits for tasks in flight.
pub(crate) const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// What push and lite pull each add to the core. Methods with a default are what a consumer
/// without orderly locks does.
pub(crate) trait Layer: Send + Sync + 'static {
    /// The core this layer is built on.
    fn core(&self) -> &ConsumerCore;

    /// Whether subscriptions are rebalanced now (lite pull's assign mode is not).
    fn rebalances(&self) -> bool {
        true
    }

    /// The subscription used to pull `topic`; `None` postpones the pull.
    fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.core().subscription(topic)
    }

    /// Whether the pull of `pq` waits because too much is cached.
    fn flow_control(&self, pq: &ProcessQueue) -> bool;

    /// Whether pulls wait for the broker lock of the queue (orderly clustering).
    fn needs_lock(&self) -> bool {
        false
    }

    /// Hands messages found by a pull of `mq` to the consuming side.
    fn deliver(
        self: Arc<Self>,
        mq: &MessageQueue,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<ReceivedMessage>,
    );

    /// Before a newly assigned queue is taken (orderly: lock it on the broker); false skips
    /// it and asks for another rebalance soon.
    fn admit<'a>(&'a self, _mq: &'a MessageQueue) -> BoxFuture<'a, bool> {
        Box::pin(async { true })
    }

    /// A queue being given up, already marked dropped: settle what the layer holds of it.
    /// False keeps the queue until the next round (an orderly listener still busy).
    fn release<'a>(&'a self, mq: &'a MessageQueue, held: &'a HeldQueue) -> BoxFuture<'a, bool>;

    /// RESET_CONSUMER_CLIENT_OFFSET from a broker.
    fn reset_offset(self: Arc<Self>, topic: String, offsets: HashMap<MessageQueue, i64>);

    /// GET_CONSUMER_RUNNING_INFO: a `ConsumerRunningInfo` JSON body.
    fn running_info(&self) -> String;

    /// CONSUME_MESSAGE_DIRECTLY: a `ConsumeMessageDirectlyResult` JSON body, if supported.
    fn consume_directly(&self, _message: ReceivedMessage) -> Option<String> {
        None
    }
}

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
    fn bump_sub_version(&self, topic: &str) {
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

    /// Loads the offsets, registers the group on the instance (answering brokers through
    /// `layer`), starts the instance and fetches the routes of the subscribed topics.
    pub(crate) async fn join(&self, layer: &Arc<dyn Layer>) -> Result<()> {
        self.offsets.load().await?;
        self.instance
            .register_consumer(&self.config.group, Arc::new(hooks::CoreHooks::new(layer)))?;
        self.instance.start();
        for topic in self.topics() {
            if let Err(e) = self.instance.update_route(&topic).await {
                tracing::debug!(topic = %topic, error = %e, "no route yet");
            }
        }
        Ok(())
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
    fn passive(&self) -> bool {
        self.config.consume_type == ConsumeType::ConsumePassively
    }

    /// The held queues.
    pub(crate) fn assigned(&self) -> BTreeSet<MessageQueue> {
        self.queues.queues()
    }
}
