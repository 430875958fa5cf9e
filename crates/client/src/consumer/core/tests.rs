//! The core's behaviour against a mock [`Puller`]: no sockets, no broker, virtual time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromq_model::{ConsumeType, MessageModel, MessageQueue};
use ferromq_protocol::message::record::MessageExt;
use futures::future::BoxFuture;
use parking_lot::Mutex;

use super::config::PullSettings;
use super::rebalance_run::rebalance;
use super::*;
use crate::config::ClientConfig;
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::offset_store::OffsetStore;
use crate::consumer::process_queue::FlowLimits;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::pull::{PullArgs, PullResult, PullStatus};
use crate::consumer::puller::Puller;
use crate::instance::ClientInstance;
use crate::message::received::tests::record_bytes;
use crate::message::ReceivedMessage;
use ferromq_model::ExpressionType;

const SUSPEND: Duration = Duration::from_secs(15);

/// What the mock brokers hold and what they were asked.
#[derive(Default)]
struct Brokers {
    queues: BTreeMap<String, BTreeSet<MessageQueue>>,
    client_ids: Vec<String>,
    /// Committed offsets (QUERY answers them; UPDATE changes them).
    stored: HashMap<MessageQueue, i64>,
    /// Messages each pull of a queue answers, in turn; afterwards long polls find nothing.
    batches: HashMap<MessageQueue, Vec<usize>>,
    /// Queues whose next pull answers OFFSET_ILLEGAL with this next offset.
    illegal: HashMap<MessageQueue, i64>,
    pulls: Vec<(MessageQueue, i64)>,
    updates: Vec<(MessageQueue, i64, bool)>,
    heartbeats: usize,
}

#[derive(Default)]
struct MockPuller {
    brokers: Mutex<Brokers>,
}

impl MockPuller {
    fn pulls_of(&self, mq: &MessageQueue) -> Vec<i64> {
        let b = self.brokers.lock();
        b.pulls
            .iter()
            .filter(|(q, _)| q == mq)
            .map(|(_, o)| *o)
            .collect()
    }

    fn pulled_queues(&self) -> BTreeSet<MessageQueue> {
        self.brokers
            .lock()
            .pulls
            .iter()
            .map(|(q, _)| q.clone())
            .collect()
    }

    fn updates(&self) -> Vec<(MessageQueue, i64, bool)> {
        self.brokers.lock().updates.clone()
    }
}

fn message(topic: &str, offset: i64) -> ReceivedMessage {
    let raw = record_bytes(topic, offset, b"body", "", 0);
    ReceivedMessage::from_record(MessageExt::decode(&raw).unwrap(), "b", false)
}

impl Puller for MockPuller {
    fn pull<'a>(
        &'a self,
        args: &'a PullArgs<'a>,
        _timeout: Duration,
    ) -> BoxFuture<'a, crate::Result<PullResult>> {
        Box::pin(async move {
            let (batch, illegal) = {
                let mut b = self.brokers.lock();
                b.pulls.push((args.mq.clone(), args.offset));
                let illegal = b.illegal.remove(args.mq);
                let batch = b
                    .batches
                    .get_mut(args.mq)
                    .and_then(|v| (!v.is_empty()).then(|| v.remove(0)));
                (batch, illegal)
            };
            let answer = |status, next, messages| PullResult {
                status,
                next_begin_offset: next,
                min_offset: 0,
                max_offset: next,
                suggest_which_broker_id: 0,
                messages,
            };
            if let Some(next) = illegal {
                return Ok(answer(PullStatus::OffsetIllegal, next, Vec::new()));
            }
            match batch {
                Some(n) => {
                    let msgs = (0..n as i64)
                        .map(|i| message(&args.mq.topic, args.offset + i))
                        .collect();
                    Ok(answer(PullStatus::Found, args.offset + n as i64, msgs))
                }
                None => {
                    // A long poll that finds nothing.
                    tokio::time::sleep(args.broker_suspend).await;
                    Ok(answer(PullStatus::NoNewMsg, args.offset, Vec::new()))
                }
            }
        })
    }

    fn topic_queues<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, Option<BTreeSet<MessageQueue>>> {
        Box::pin(async move { self.brokers.lock().queues.get(topic).cloned() })
    }

    fn consumer_ids<'a>(
        &'a self,
        _topic: &'a str,
        _group: &'a str,
    ) -> BoxFuture<'a, crate::Result<Vec<String>>> {
        Box::pin(async move { Ok(self.brokers.lock().client_ids.clone()) })
    }

    fn query_offset<'a>(
        &'a self,
        _group: &'a str,
        mq: &'a MessageQueue,
    ) -> BoxFuture<'a, crate::Result<Option<i64>>> {
        Box::pin(async move { Ok(self.brokers.lock().stored.get(mq).copied()) })
    }

    fn update_offset<'a>(
        &'a self,
        _group: &'a str,
        mq: &'a MessageQueue,
        offset: i64,
        oneway: bool,
    ) -> BoxFuture<'a, crate::Result<()>> {
        Box::pin(async move {
            let mut b = self.brokers.lock();
            b.updates.push((mq.clone(), offset, oneway));
            b.stored.insert(mq.clone(), offset);
            Ok(())
        })
    }

    fn max_offset<'a>(&'a self, _mq: &'a MessageQueue) -> BoxFuture<'a, crate::Result<i64>> {
        Box::pin(async { Ok(100) })
    }

    fn search_offset<'a>(
        &'a self,
        _mq: &'a MessageQueue,
        _timestamp: i64,
    ) -> BoxFuture<'a, crate::Result<i64>> {
        Box::pin(async { Ok(0) })
    }

    fn lock<'a>(
        &'a self,
        _group: &'a str,
        _broker: &'a str,
        mqs: BTreeSet<MessageQueue>,
    ) -> BoxFuture<'a, crate::Result<BTreeSet<MessageQueue>>> {
        Box::pin(async move { Ok(mqs) })
    }

    fn unlock<'a>(
        &'a self,
        _group: &'a str,
        _broker: &'a str,
        _mqs: BTreeSet<MessageQueue>,
        _oneway: bool,
    ) -> BoxFuture<'a, crate::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn heartbeat(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.brokers.lock().heartbeats += 1 })
    }
}

/// A layer that records deliveries and consumes them at once unless told to hold them.
struct TestLayer {
    core: ConsumerCore,
    hold: AtomicBool,
    held_msgs: Mutex<Vec<(MessageQueue, ReceivedMessage)>>,
    delivered: Mutex<Vec<(MessageQueue, i64)>>,
}

/// Flow control after two cached messages.
const LIMITS: FlowLimits = FlowLimits {
    max_count: 2,
    max_size_mib: 100,
    max_span: 2000,
};

impl Layer for TestLayer {
    fn core(&self) -> &ConsumerCore {
        &self.core
    }

    fn flow_control(&self, pq: &ProcessQueue) -> bool {
        pq.flow_control(&LIMITS, false).is_some()
    }

    fn deliver(
        self: Arc<Self>,
        mq: &MessageQueue,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<ReceivedMessage>,
    ) {
        pq.track(&msgs);
        let mut delivered = self.delivered.lock();
        delivered.extend(msgs.iter().map(|m| (mq.clone(), m.queue_offset)));
        if self.hold.load(Ordering::SeqCst) {
            let mut held = self.held_msgs.lock();
            held.extend(msgs.into_iter().map(|m| (mq.clone(), m)));
            return;
        }
        let next = pq.remove(&msgs);
        self.core.offsets().table().update(mq, next, true);
    }

    fn release<'a>(&'a self, _mq: &'a MessageQueue, _held: &'a HeldQueue) -> BoxFuture<'a, bool> {
        Box::pin(async { true })
    }

    fn reset_offset(self: Arc<Self>, _topic: String, _offsets: HashMap<MessageQueue, i64>) {}

    fn running_info(&self) -> String {
        String::new()
    }
}

fn mq(i: i32) -> MessageQueue {
    MessageQueue::new("T", "b", i)
}

fn config(consume_type: ConsumeType) -> CoreConfig {
    CoreConfig {
        group: "g".into(),
        client: ClientConfig::new("127.0.0.1:9876"),
        message_model: MessageModel::Clustering,
        consume_from_where: ferromq_model::ConsumeFromWhere::ConsumeFromLastOffset,
        consume_timestamp: 0,
        allocate: AllocateStrategy::Averagely,
        rebalance_interval: Duration::from_secs(20),
        consume_type,
        pull: PullSettings {
            batch_size: 32,
            batch_bytes: None,
            post_subscription: false,
            broker_suspend: SUSPEND,
            timeout: Duration::from_secs(30),
            lite: consume_type == ConsumeType::ConsumeActively,
            interval: Duration::ZERO,
        },
    }
}

/// A running push-style (`ConsumePassively`) consumer of topic `T` (4 queues) on mock brokers
/// where every queue's committed offset is 10 and `others` share the group.
fn consumer(others: &[&str]) -> (Arc<TestLayer>, Arc<dyn Layer>, Arc<MockPuller>) {
    let instance = ClientInstance::new(ClientConfig::new("127.0.0.1:9876"));
    let puller = Arc::new(MockPuller::default());
    {
        let mut b = puller.brokers.lock();
        b.queues.insert("T".into(), (0..4).map(mq).collect());
        b.client_ids = std::iter::once(instance.client_id().to_string())
            .chain(others.iter().map(|s| s.to_string()))
            .collect();
        b.stored = (0..4).map(|i| (mq(i), 10)).collect();
    }
    let offsets = OffsetStore::broker(puller.clone(), "g");
    let core = ConsumerCore::with_puller(
        config(ConsumeType::ConsumePassively),
        instance,
        puller.clone(),
        offsets,
    );
    core.subscribe("T", "*", ExpressionType::Tag).unwrap();
    assert!(core.mark_running().unwrap());
    let test = Arc::new(TestLayer {
        core,
        hold: AtomicBool::new(false),
        held_msgs: Mutex::new(Vec::new()),
        delivered: Mutex::new(Vec::new()),
    });
    let layer: Arc<dyn Layer> = test.clone();
    (test, layer, puller)
}

fn set_members(puller: &MockPuller, ids: Vec<String>) {
    puller.brokers.lock().client_ids = ids;
}

#[tokio::test(start_paused = true)]
async fn rebalance_applies_each_new_assignment_and_pulls_follow_it() {
    let (test, layer, puller) = consumer(&["zz-other"]);
    let me = test.core.instance().client_id().to_string();

    // Two clients: the first half of the queues is ours.
    rebalance(&layer).await;
    assert_eq!(test.core.assigned(), [mq(0), mq(1)].into());
    assert_eq!(
        puller.brokers.lock().heartbeats,
        1,
        "a changed assignment is announced"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(puller.pulled_queues(), [mq(0), mq(1)].into());
    assert_eq!(
        puller.pulls_of(&mq(0)),
        vec![10],
        "pulls start at the committed offset"
    );

    // The other client leaves: every queue is ours; the held ones keep their pull task.
    set_members(&puller, vec![me.clone()]);
    rebalance(&layer).await;
    assert_eq!(test.core.assigned(), (0..4).map(mq).collect());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(puller.pulled_queues(), (0..4).map(mq).collect());
    assert_eq!(
        puller.pulls_of(&mq(0)),
        vec![10],
        "no second task for a held queue"
    );

    // It comes back: queues 2 and 3 are given up, their offsets committed, their pulls stop.
    set_members(&puller, vec![me, "zz-other".into()]);
    rebalance(&layer).await;
    assert_eq!(test.core.assigned(), [mq(0), mq(1)].into());
    let updates = puller.updates();
    for i in [2, 3] {
        assert!(updates.contains(&(mq(i), 10, true)), "{updates:?}");
    }
    let before: Vec<usize> = (0..4).map(|i| puller.pulls_of(&mq(i)).len()).collect();
    tokio::time::sleep(SUSPEND * 3).await;
    let after: Vec<usize> = (0..4).map(|i| puller.pulls_of(&mq(i)).len()).collect();
    assert!(
        after[0] > before[0] && after[1] > before[1],
        "{before:?} {after:?}"
    );
    assert_eq!(
        after[2..],
        before[2..],
        "removed queues are no longer pulled"
    );
    assert_eq!(puller.brokers.lock().heartbeats, 3);
}

#[tokio::test(start_paused = true)]
async fn offsets_are_committed_periodically_and_at_shutdown() {
    let (test, layer, puller) = consumer(&[]);
    puller.brokers.lock().batches.insert(mq(0), vec![3]);
    spawn_loops(&layer);
    // The rebalance loop runs at once; the first batch (10..13) is consumed.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(test.core.offsets().table().get(&mq(0)), Some(13));
    assert!(
        puller.updates().is_empty(),
        "nothing committed before the first period"
    );

    tokio::time::sleep(Duration::from_secs(5)).await;
    let updates = puller.updates();
    assert!(updates.contains(&(mq(0), 13, true)), "{updates:?}");
    assert!(updates.contains(&(mq(1), 10, true)), "{updates:?}");

    // Consumed further; shutting down commits it without waiting for the period.
    test.core.offsets().table().update(&mq(0), 20, true);
    let committed = puller.updates().len();
    assert!(test.core.mark_stopped());
    test.core.cancel_tasks();
    test.core
        .wait_tasks(std::time::Instant::now() + SHUTDOWN_WAIT)
        .await;
    test.core.persist_offsets().await;
    let updates = puller.updates();
    assert!(
        updates[committed..].contains(&(mq(0), 20, true)),
        "{updates:?}"
    );
    assert!(test
        .core
        .queues()
        .process_queues()
        .iter()
        .all(|(_, pq)| pq.is_dropped()));
    let pulls = puller.brokers.lock().pulls.len();
    tokio::time::sleep(SUSPEND * 2).await;
    assert_eq!(
        puller.brokers.lock().pulls.len(),
        pulls,
        "no pulls after shutdown"
    );
}

#[tokio::test(start_paused = true)]
async fn flow_control_pauses_a_queue_until_its_cache_drains() {
    let (test, layer, puller) = consumer(&[]);
    test.hold.store(true, Ordering::SeqCst);
    puller.brokers.lock().batches.insert(mq(0), vec![3, 3]);
    rebalance(&layer).await;
    tokio::time::sleep(SUSPEND + Duration::from_secs(5)).await;
    // Three messages cached, more than the limit of two: no further pull of queue 0.
    assert_eq!(puller.pulls_of(&mq(0)), vec![10]);
    assert!(puller.pulls_of(&mq(1)).len() > 1, "other queues go on");

    // The listener finishes them: pulls resume from where the batch ended.
    let pq = test.core.queues().get(&mq(0)).unwrap().pq;
    let msgs: Vec<ReceivedMessage> = test.held_msgs.lock().drain(..).map(|(_, m)| m).collect();
    assert_eq!(pq.remove(&msgs), 13);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(puller.pulls_of(&mq(0)), vec![10, 13]);
}

#[tokio::test(start_paused = true)]
async fn a_suspended_consumer_neither_pulls_nor_rebalances() {
    let (test, layer, puller) = consumer(&[]);
    test.core.set_paused(true);
    rebalance(&layer).await;
    assert!(test.core.assigned().is_empty());
    test.core.set_paused(false);
    rebalance(&layer).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pulls = puller.brokers.lock().pulls.len();
    assert_eq!(pulls, 4);
    test.core.set_paused(true);
    tokio::time::sleep(SUSPEND * 2).await;
    // The polls in flight end; no new ones start.
    assert_eq!(puller.brokers.lock().pulls.len(), pulls);
}

#[tokio::test(start_paused = true)]
async fn an_illegal_offset_is_committed_and_the_queue_restarts_there() {
    let (test, layer, puller) = consumer(&[]);
    puller.brokers.lock().illegal.insert(mq(0), 50);
    spawn_loops(&layer);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        puller.updates().contains(&(mq(0), 50, false)),
        "the fixed offset is committed synchronously"
    );
    // Given up and, on the rebalance that follows, taken again from the fixed offset.
    assert_eq!(puller.pulls_of(&mq(0)), vec![10, 50]);
    assert!(test.core.assigned().contains(&mq(0)));
}

#[tokio::test(start_paused = true)]
async fn lite_pull_queues_compute_their_start_in_the_pull_task_and_commit_only_polled_offsets() {
    let instance = ClientInstance::new(ClientConfig::new("127.0.0.1:9876"));
    let puller = Arc::new(MockPuller::default());
    puller.brokers.lock().stored.insert(mq(0), 7);
    let offsets = OffsetStore::broker(puller.clone(), "g");
    let core = ConsumerCore::with_puller(
        config(ConsumeType::ConsumeActively),
        instance,
        puller.clone(),
        offsets,
    );
    core.subscribe("T", "*", ExpressionType::Tag).unwrap();
    assert!(core.mark_running().unwrap());
    let test = Arc::new(TestLayer {
        core,
        hold: AtomicBool::new(true),
        held_msgs: Mutex::new(Vec::new()),
        delivered: Mutex::new(Vec::new()),
    });
    let layer: Arc<dyn Layer> = test.clone();
    let (added, removed) = test
        .core
        .queues()
        .update(None, &[mq(0)].into(), test.core.stop_token());
    assert!(removed.is_empty());
    for q in &added {
        start_pulling(&layer, q);
    }
    tokio::time::sleep(SUSPEND * 2).await;
    assert_eq!(puller.pulls_of(&mq(0)), vec![7, 7]);
    assert_eq!(
        test.core.offsets().table().get(&mq(0)),
        Some(7),
        "read from the store, never moved by empty pulls"
    );

    // Assigning nothing gives the queue up: its task stops and its offset is committed.
    test.core.queues().with(&mq(0), |q| q.consume_offset = 9);
    let (_, removed) = test
        .core
        .queues()
        .update(None, &BTreeSet::new(), test.core.stop_token());
    detach_queues(&layer, removed);
    tokio::time::sleep(SUSPEND * 2).await;
    assert_eq!(puller.pulls_of(&mq(0)).len(), 2);
    assert!(
        puller.updates().contains(&(mq(0), 7, true)),
        "{:?}",
        puller.updates()
    );
}
