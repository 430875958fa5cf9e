//! [`LitePullConsumer`] (Java's `DefaultLitePullConsumer`): background tasks pull the assigned
//! queues into a buffer and the application takes messages with [`LitePullConsumer::poll`].
//! Queues come from a subscription (rebalanced within the group) or from an explicit
//! [`LitePullConsumer::assign`]. Offsets are committed automatically every 5 s or with
//! [`LitePullConsumer::commit_sync`].

mod state;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::{ExpressionType, MessageModel, MessageQueue};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::consumer::config::LitePullConsumerConfig;
use crate::consumer::core::{self, ConsumerCore, CoreConfig, Layer, SHUTDOWN_WAIT};
use crate::consumer::offset_store::StoredOffset;
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use crate::message::ReceivedMessage;
use state::{LiteInner, Mode};

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

impl LitePullConsumer {
    /// A consumer with `config`; subscribe or assign, then [`LitePullConsumer::start`].
    pub fn new(config: LitePullConsumerConfig) -> Self {
        let broadcasting = config.message_model == MessageModel::Broadcasting;
        let instance = ClientInstance::with_identity(config.client.clone(), broadcasting);
        let core = ConsumerCore::new(
            CoreConfig::from(&config),
            instance,
            &config.offset_store_dir,
        );
        LitePullConsumer {
            inner: Arc::new(LiteInner {
                mode: Mutex::new(Mode::Unset),
                assign_expressions: RwLock::new(HashMap::new()),
                buffer: Mutex::new(VecDeque::new()),
                buffer_signal: Notify::new(),
                next_auto_commit: Mutex::new(Instant::now() + config.auto_commit_interval),
                core,
                config,
            }),
        }
    }

    fn layer(&self) -> Arc<dyn Layer> {
        self.inner.clone()
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
        ferromq_model::validate::validate_topic(topic)
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        self.set_mode(Mode::Subscribe)?;
        self.inner.core.subscribe(topic, expression, ty)?;
        self.inner.core.rebalance_now();
        Ok(())
    }

    /// Stops consuming `topic`.
    pub fn unsubscribe(&self, topic: &str) {
        self.inner.core.unsubscribe(topic);
    }

    /// Consumes exactly `queues` (no rebalance).
    pub fn assign(&self, queues: impl IntoIterator<Item = MessageQueue>) -> Result<()> {
        self.set_mode(Mode::Assign)?;
        let core = &self.inner.core;
        let set: BTreeSet<MessageQueue> = queues.into_iter().collect();
        let (added, removed) = core.queues().update(None, &set, core.stop_token());
        let layer = self.layer();
        core::detach_queues(&layer, removed);
        if core.is_running() {
            for mq in added {
                core::start_pulling(&layer, &mq);
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
        let core = &self.inner.core;
        core.check_config()?;
        if self.inner.config.pull_timeout < self.inner.config.broker_suspend_max {
            return Err(ClientError::InvalidArgument(
                "the pull timeout must be longer than the broker suspend time".into(),
            ));
        }
        if !core.mark_running()? {
            return Ok(());
        }
        let layer = self.layer();
        core::join(&layer).await?;
        for mq in core.assigned() {
            let _ = core.instance().route(&mq.topic).await;
        }
        core.instance().send_heartbeat_to_all().await;
        core::spawn_loops(&layer);
        for mq in core.assigned() {
            core::start_pulling(&layer, &mq);
        }
        Ok(())
    }

    /// Commits, stops the tasks and leaves the group.
    pub async fn shutdown(&self) {
        let core = &self.inner.core;
        if !core.mark_stopped() {
            return;
        }
        if self.inner.config.auto_commit {
            let _ = self.commit_sync().await;
        }
        core.cancel_tasks();
        core.wait_tasks(Instant::now() + SHUTDOWN_WAIT).await;
        core.leave().await;
    }

    /// Polls with the configured timeout.
    pub async fn poll(&self) -> Result<Vec<ReceivedMessage>> {
        self.poll_timeout(self.inner.config.poll_timeout).await
    }

    /// Returns the next pulled batch, or an empty list after `timeout`.
    pub async fn poll_timeout(&self, timeout: Duration) -> Result<Vec<ReceivedMessage>> {
        let inner = &self.inner;
        if !inner.core.is_running() {
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
                    inner
                        .core
                        .queues()
                        .with(&p.mq, |a| a.consume_offset = offset);
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
        let core = &self.inner.core;
        for (mq, off) in core.queues().consumed_offsets() {
            core.offsets().table().update(&mq, off, false);
        }
        if persist || !core.clustering() {
            core.persist_offsets().await;
        }
        Ok(())
    }

    /// Commits the offsets of everything polled so far, now.
    pub async fn commit_sync(&self) -> Result<()> {
        self.commit_all(true).await
    }

    /// The committed offset of `mq` (memory first, else the store).
    pub async fn committed(&self, mq: &MessageQueue) -> Result<i64> {
        let offsets = self.inner.core.offsets();
        if let Some(o) = offsets.table().get(mq) {
            return Ok(o);
        }
        match offsets.read_from_store(mq).await {
            StoredOffset::Found(o) => Ok(o),
            StoredOffset::NotFound => Ok(-1),
            StoredOffset::Failed => Err(ClientError::Aborted(format!(
                "cannot read the committed offset of {mq}"
            ))),
        }
    }

    /// Restarts `mq` at `offset` (must be within the queue's min/max offsets).
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<()> {
        let core = &self.inner.core;
        if core.queues().get(mq).is_none() {
            return Err(ClientError::InvalidArgument(format!(
                "The message queue is not in assigned list, message queue: {mq}"
            )));
        }
        let (min, max) = (
            core.instance().min_offset(mq).await?,
            core.instance().max_offset(mq).await?,
        );
        if offset < min || offset > max {
            return Err(ClientError::InvalidArgument(format!(
                "Seek offset illegal, seek offset = {offset}, min offset = {min}, max offset = {max}"
            )));
        }
        if let Some(a) = core.queues().get(mq) {
            a.pq.clear();
        }
        self.inner.clear_buffered(mq);
        core.queues().with(mq, |a| a.seek_offset = offset);
        if core.is_running() {
            core.queues().renew_task(mq, core.stop_token());
            core::start_pulling(&self.layer(), mq);
        }
        Ok(())
    }

    /// Restarts `mq` at its min offset.
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<()> {
        let o = self.inner.core.instance().min_offset(mq).await?;
        self.seek(mq, o).await
    }

    /// Restarts `mq` at its max offset.
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<()> {
        let o = self.inner.core.instance().max_offset(mq).await?;
        self.seek(mq, o).await
    }

    /// Stops pulling these queues.
    pub fn pause(&self, queues: &[MessageQueue]) {
        for mq in queues {
            self.inner.core.queues().with(mq, |a| a.paused = true);
        }
    }

    /// Resumes these queues.
    pub fn resume(&self, queues: &[MessageQueue]) {
        for mq in queues {
            self.inner.core.queues().with(mq, |a| a.paused = false);
        }
    }

    /// The queues currently assigned.
    pub fn assignment(&self) -> BTreeSet<MessageQueue> {
        self.inner.core.assigned()
    }

    /// The readable queues of `topic`.
    pub async fn fetch_message_queues(&self, topic: &str) -> Result<BTreeSet<MessageQueue>> {
        Ok(self
            .inner
            .core
            .instance()
            .update_route(topic)
            .await?
            .subscribe
            .clone())
    }

    /// The offset of the first message of `mq` stored at or after `timestamp`.
    pub async fn offset_for_timestamp(&self, mq: &MessageQueue, timestamp: i64) -> Result<i64> {
        self.inner
            .core
            .instance()
            .search_offset(mq, timestamp)
            .await
    }

    /// This consumer's client id.
    pub fn client_id(&self) -> &str {
        self.inner.core.instance().client_id()
    }
}
