//! [`LitePullConsumer`] (Java's `DefaultLitePullConsumer`): background tasks pull the assigned
//! queues into a buffer and the application takes messages with [`LitePullConsumer::poll`].
//! Queues come from a subscription (rebalanced within the group) or from an explicit
//! [`LitePullConsumer::assign`]. Offsets are committed automatically every 5 s or with
//! [`LitePullConsumer::commit_sync`].

mod assigned;
mod worker;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::validate::{validate_group, validate_topic};
use ferromq_model::{
    ConsumeType, ConsumerData, ExpressionType, MessageModel, MessageQueue, SubscriptionData,
};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::consumer::config::LitePullConsumerConfig;
use crate::consumer::offset_store::{local_offset_path, OffsetStore};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::pull::SuggestedBrokers;
use crate::error::{ClientError, Result};
use crate::instance::members::ConsumerHooks;
use crate::instance::ClientInstance;
use crate::message::ReceivedMessage;
use assigned::AssignedQueues;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unset,
    Subscribe,
    Assign,
}

/// A batch pulled from one queue, waiting for `poll`.
pub(crate) struct Pulled {
    pub mq: MessageQueue,
    pub pq: Arc<ProcessQueue>,
    pub msgs: Vec<ReceivedMessage>,
}

pub(crate) struct LiteInner {
    pub config: LitePullConsumerConfig,
    pub instance: ClientInstance,
    mode: Mutex<Mode>,
    pub subscriptions: RwLock<BTreeMap<String, SubscriptionData>>,
    pub assign_expressions: RwLock<HashMap<String, String>>,
    pub assigned: AssignedQueues,
    pub offsets: OffsetStore,
    pub suggested: SuggestedBrokers,
    pub buffer: Mutex<VecDeque<Pulled>>,
    pub buffer_signal: Notify,
    pub rebalance_signal: Notify,
    pub running: AtomicBool,
    pub stop: CancellationToken,
    pub tasks: TaskTracker,
    next_auto_commit: Mutex<Instant>,
    pub consume_timestamp: i64,
}

impl LiteInner {
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

    /// The subscription used to pull `topic`.
    pub fn subscription_for(&self, topic: &str) -> SubscriptionData {
        if let Some(s) = self.subscriptions.read().get(topic) {
            return s.clone();
        }
        let expr = self
            .assign_expressions
            .read()
            .get(topic)
            .cloned()
            .unwrap_or_else(|| "*".to_string());
        SubscriptionData::from_expression(topic, &expr)
    }

    /// Removes buffered batches of `mq`.
    pub fn clear_buffered(&self, mq: &MessageQueue) {
        self.buffer.lock().retain(|p| &p.mq != mq);
    }
}

/// A pull consumer driven by `poll`.
#[derive(Clone)]
pub struct LitePullConsumer {
    inner: Arc<LiteInner>,
}

impl std::fmt::Debug for LitePullConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitePullConsumer")
            .field("group", &self.inner.config.group)
            .finish()
    }
}

struct LiteHooks {
    inner: std::sync::Weak<LiteInner>,
}

impl ConsumerHooks for LiteHooks {
    fn consumer_data(&self) -> ConsumerData {
        let Some(inner) = self.inner.upgrade() else {
            return ConsumerData::default();
        };
        let subscription_data_set = inner.subscriptions.read().values().cloned().collect();
        ConsumerData {
            consume_from_where: inner.config.consume_from_where,
            consume_type: ConsumeType::ConsumeActively,
            group_name: inner.config.group.clone(),
            message_model: inner.config.message_model,
            subscription_data_set,
            unit_mode: false,
        }
    }

    fn topics(&self) -> Vec<String> {
        self.inner
            .upgrade()
            .map(|i| i.subscriptions.read().keys().cloned().collect())
            .unwrap_or_default()
    }

    fn rebalance_now(&self) {
        if let Some(i) = self.inner.upgrade() {
            i.rebalance_signal.notify_one();
        }
    }

    fn reset_offset(&self, _topic: String, offsets: HashMap<MessageQueue, i64>) {
        if let Some(i) = self.inner.upgrade() {
            for (mq, off) in offsets {
                i.assigned.with(&mq, |a| a.seek_offset = off);
            }
        }
    }

    fn running_info(&self) -> String {
        String::from("{\"properties\":{\"PROP_CONSUME_TYPE\":\"CONSUME_ACTIVELY\"}}")
    }

    fn consume_directly(&self, _message: ReceivedMessage) -> Option<String> {
        None
    }
}

impl LitePullConsumer {
    /// A consumer with `config`; subscribe or assign, then [`LitePullConsumer::start`].
    pub fn new(config: LitePullConsumerConfig) -> Self {
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
        let consume_timestamp = config
            .consume_timestamp
            .unwrap_or_else(|| crate::consumer::now_millis() - 30 * 60 * 1000);
        LitePullConsumer {
            inner: Arc::new(LiteInner {
                mode: Mutex::new(Mode::Unset),
                subscriptions: RwLock::new(BTreeMap::new()),
                assign_expressions: RwLock::new(HashMap::new()),
                assigned: AssignedQueues::default(),
                suggested: SuggestedBrokers::default(),
                buffer: Mutex::new(VecDeque::new()),
                buffer_signal: Notify::new(),
                rebalance_signal: Notify::new(),
                running: AtomicBool::new(false),
                stop: instance.shutdown_token().child_token(),
                tasks: TaskTracker::new(),
                next_auto_commit: Mutex::new(Instant::now() + config.auto_commit_interval),
                consume_timestamp,
                offsets,
                instance,
                config,
            }),
        }
    }

    fn set_mode(&self, mode: Mode) -> Result<()> {
        let mut m = self.inner.mode.lock();
        if *m != Mode::Unset && *m != mode {
            return Err(ClientError::InvalidArgument(
                "Subscribe and assign are mutually exclusive.".into(),
            ));
        }
        *m = mode;
        Ok(())
    }

    /// Subscribes to `topic` (TAG expression); queues are allocated within the group.
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<()> {
        self.subscribe_with(topic, expression, ExpressionType::Tag)
    }

    /// Subscribes to `topic` with an SQL92 selector.
    pub fn subscribe_sql(&self, topic: &str, sql: &str) -> Result<()> {
        self.subscribe_with(topic, sql, ExpressionType::Sql92)
    }

    fn subscribe_with(&self, topic: &str, expression: &str, ty: ExpressionType) -> Result<()> {
        validate_topic(topic).map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        self.set_mode(Mode::Subscribe)?;
        self.inner.subscriptions.write().insert(
            topic.to_string(),
            SubscriptionData::build(topic, expression, ty),
        );
        self.inner.rebalance_signal.notify_one();
        Ok(())
    }

    /// Stops consuming `topic`.
    pub fn unsubscribe(&self, topic: &str) {
        self.inner.subscriptions.write().remove(topic);
        self.inner.rebalance_signal.notify_one();
    }

    /// Consumes exactly `queues` (no rebalance).
    pub fn assign(&self, queues: impl IntoIterator<Item = MessageQueue>) -> Result<()> {
        self.set_mode(Mode::Assign)?;
        let set: BTreeSet<MessageQueue> = queues.into_iter().collect();
        let (added, removed) = self.inner.assigned.update(None, &set, &self.inner.stop);
        worker::stop_queues(&self.inner, removed);
        if self.inner.running.load(Ordering::SeqCst) {
            for mq in added {
                worker::start_queue(&self.inner, &mq);
            }
        }
        Ok(())
    }

    /// The TAG expression used for `topic` in assign mode (default `*`).
    pub fn set_assign_expression(&self, topic: &str, expression: &str) {
        self.inner
            .assign_expressions
            .write()
            .insert(topic.to_string(), expression.to_string());
    }

    /// Starts pulling.
    pub async fn start(&self) -> Result<()> {
        let inner = &self.inner;
        validate_group(&inner.config.group)
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        if inner.config.client.namesrv_addrs.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        if inner.config.pull_timeout < inner.config.broker_suspend_max {
            return Err(ClientError::InvalidArgument(
                "the pull timeout must be longer than the broker suspend time".into(),
            ));
        }
        if inner.instance.is_shut_down() {
            // Connections and tasks are gone; build a new client instead.
            return Err(ClientError::NotRunning);
        }
        if inner.running.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        inner.offsets.load().await?;
        inner.instance.register_consumer(
            &inner.config.group,
            Arc::new(LiteHooks {
                inner: Arc::downgrade(inner),
            }),
        )?;
        inner.instance.start();
        let topics: Vec<String> = inner.subscriptions.read().keys().cloned().collect();
        for t in &topics {
            let _ = inner.instance.update_route(t).await;
        }
        for mq in inner.assigned.queues() {
            let _ = inner.instance.route(&mq.topic).await;
        }
        inner.instance.send_heartbeat_to_all().await;
        worker::spawn_loops(inner);
        for mq in inner.assigned.queues() {
            worker::start_queue(inner, &mq);
        }
        Ok(())
    }

    /// Commits, stops the tasks and leaves the group.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        if !inner.running.swap(false, Ordering::SeqCst) {
            return;
        }
        if inner.config.auto_commit {
            let _ = self.commit_sync().await;
        }
        inner.stop.cancel();
        inner.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), inner.tasks.wait()).await;
        inner
            .instance
            .unregister_consumer(&inner.config.group)
            .await;
        inner.instance.shutdown().await;
    }

    /// Polls with the configured timeout.
    pub async fn poll(&self) -> Result<Vec<ReceivedMessage>> {
        self.poll_timeout(self.inner.config.poll_timeout).await
    }

    /// Returns the next pulled batch, or an empty list after `timeout`.
    pub async fn poll_timeout(&self, timeout: Duration) -> Result<Vec<ReceivedMessage>> {
        let inner = &self.inner;
        if !inner.running.load(Ordering::SeqCst) {
            return Err(ClientError::NotRunning);
        }
        if inner.config.auto_commit {
            let due = {
                let mut next = inner.next_auto_commit.lock();
                if Instant::now() >= *next {
                    *next = Instant::now()
                        + inner
                            .config
                            .auto_commit_interval
                            .max(Duration::from_secs(1));
                    true
                } else {
                    false
                }
            };
            if due {
                self.commit_all(false).await?;
            }
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let next = inner.buffer.lock().pop_front();
            match next {
                Some(p) if p.pq.is_dropped() => continue,
                Some(p) => {
                    let offset = p.pq.remove(&p.msgs);
                    inner.assigned.with(&p.mq, |a| a.consume_offset = offset);
                    return Ok(p.msgs);
                }
                None => {
                    let notified = inner.buffer_signal.notified();
                    if !inner.buffer.lock().is_empty() {
                        continue;
                    }
                    if tokio::time::timeout_at(deadline, notified).await.is_err() {
                        return Ok(Vec::new());
                    }
                }
            }
        }
    }

    async fn commit_all(&self, persist: bool) -> Result<()> {
        let inner = &self.inner;
        for (mq, off) in inner.assigned.consumed_offsets() {
            inner.offsets.table().update(&mq, off, false);
        }
        if persist || inner.config.message_model == MessageModel::Broadcasting {
            inner.offsets.persist_all(&inner.assigned.queues()).await;
        }
        Ok(())
    }

    /// Commits the offsets of everything polled so far, now.
    pub async fn commit_sync(&self) -> Result<()> {
        self.commit_all(true).await
    }

    /// The committed offset of `mq` (memory first, else the store).
    pub async fn committed(&self, mq: &MessageQueue) -> Result<i64> {
        if let Some(o) = self.inner.offsets.table().get(mq) {
            return Ok(o);
        }
        match self.inner.offsets.read_from_store(mq).await {
            crate::consumer::offset_store::StoredOffset::Found(o) => Ok(o),
            crate::consumer::offset_store::StoredOffset::NotFound => Ok(-1),
            crate::consumer::offset_store::StoredOffset::Failed => Err(ClientError::Aborted(
                format!("cannot read the committed offset of {mq}"),
            )),
        }
    }

    /// Restarts `mq` at `offset` (must be within the queue's min/max offsets).
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<()> {
        let inner = &self.inner;
        if inner.assigned.get(mq).is_none() {
            return Err(ClientError::InvalidArgument(format!(
                "The message queue is not in assigned list, message queue: {mq}"
            )));
        }
        let (min, max) = (
            inner.instance.min_offset(mq).await?,
            inner.instance.max_offset(mq).await?,
        );
        if offset < min || offset > max {
            return Err(ClientError::InvalidArgument(format!(
                "Seek offset illegal, seek offset = {offset}, min offset = {min}, max offset = {max}"
            )));
        }
        if let Some(a) = inner.assigned.get(mq) {
            a.pq.clear();
        }
        inner.clear_buffered(mq);
        inner.assigned.with(mq, |a| a.seek_offset = offset);
        if inner.running.load(Ordering::SeqCst) {
            inner.assigned.renew_task(mq, &inner.stop);
            worker::start_queue(inner, mq);
        }
        Ok(())
    }

    /// Restarts `mq` at its min offset.
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<()> {
        let o = self.inner.instance.min_offset(mq).await?;
        self.seek(mq, o).await
    }

    /// Restarts `mq` at its max offset.
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<()> {
        let o = self.inner.instance.max_offset(mq).await?;
        self.seek(mq, o).await
    }

    /// Stops pulling these queues.
    pub fn pause(&self, queues: &[MessageQueue]) {
        for mq in queues {
            self.inner.assigned.with(mq, |a| a.paused = true);
        }
    }

    /// Resumes these queues.
    pub fn resume(&self, queues: &[MessageQueue]) {
        for mq in queues {
            self.inner.assigned.with(mq, |a| a.paused = false);
        }
    }

    /// The queues currently assigned.
    pub fn assignment(&self) -> BTreeSet<MessageQueue> {
        self.inner.assigned.queues()
    }

    /// The readable queues of `topic`.
    pub async fn fetch_message_queues(&self, topic: &str) -> Result<BTreeSet<MessageQueue>> {
        Ok(self
            .inner
            .instance
            .update_route(topic)
            .await?
            .subscribe
            .clone())
    }

    /// The offset of the first message of `mq` stored at or after `timestamp`.
    pub async fn offset_for_timestamp(&self, mq: &MessageQueue, timestamp: i64) -> Result<i64> {
        self.inner.instance.search_offset(mq, timestamp).await
    }

    /// This consumer's client id.
    pub fn client_id(&self) -> &str {
        self.inner.instance.client_id()
    }
}
