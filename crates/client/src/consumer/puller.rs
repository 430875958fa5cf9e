//! [`Puller`]: everything the consumer core asks of the brokers — pull a queue, read and
//! commit group offsets, look up queue offsets, the group's members and a topic's queues,
//! lock and unlock queues for orderly consumption, announce the client. The loops of
//! [`crate::consumer::core`] talk to the network only through it, so their behaviour is
//! tested against a mock without sockets. [`RemotePuller`] is the real one, over a
//! [`ClientInstance`]; each method sends exactly the request the consumers always sent.

use std::collections::BTreeSet;
use std::time::Duration;

use ferromq_model::names::MASTER_ID;
use ferromq_model::{
    from_fastjson_slice, LockBatchRequestBody, LockBatchResponseBody, MessageQueue,
    UnlockBatchRequestBody,
};
use ferromq_protocol::headers::{
    OffsetResponseHeader, QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use ferromq_protocol::{request_code, response_code, RemotingCommand};
use futures::future::BoxFuture;

use crate::consumer::pull::{pull, PullArgs, PullResult, SuggestedBrokers};
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

/// Timeout of offset queries and synchronous offset commits (Java: 5 s).
const OFFSET_CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Timeout of LOCK_BATCH_MQ / UNLOCK_BATCH_MQ (Java: 1 s).
const LOCK_CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// A consumer's view of the brokers. Object-safe (boxed futures) so the core holds an
/// `Arc<dyn Puller>` and tests substitute their own.
pub(crate) trait Puller: Send + Sync + 'static {
    /// PULL_MESSAGE / LITE_PULL_MESSAGE once, from the replica the last answer suggested.
    fn pull<'a>(
        &'a self,
        args: &'a PullArgs<'a>,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<PullResult>>;

    /// The readable queues of `topic` (cached route, else fetched); `None` when unknown.
    fn topic_queues<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, Option<BTreeSet<MessageQueue>>>;

    /// GET_CONSUMER_LIST_BY_GROUP: the client ids of `group` seen by a broker of `topic`.
    fn consumer_ids<'a>(
        &'a self,
        topic: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>>>;

    /// QUERY_CONSUMER_OFFSET: `None` when the broker has no offset (QUERY_NOT_FOUND).
    fn query_offset<'a>(
        &'a self,
        group: &'a str,
        mq: &'a MessageQueue,
    ) -> BoxFuture<'a, Result<Option<i64>>>;

    /// UPDATE_CONSUMER_OFFSET, one-way or waiting for the answer.
    fn update_offset<'a>(
        &'a self,
        group: &'a str,
        mq: &'a MessageQueue,
        offset: i64,
        oneway: bool,
    ) -> BoxFuture<'a, Result<()>>;

    /// GET_MAX_OFFSET: the next offset to be written in `mq`.
    fn max_offset<'a>(&'a self, mq: &'a MessageQueue) -> BoxFuture<'a, Result<i64>>;

    /// SEARCH_OFFSET_BY_TIMESTAMP: the first offset of `mq` stored at or after `timestamp`.
    fn search_offset<'a>(
        &'a self,
        mq: &'a MessageQueue,
        timestamp: i64,
    ) -> BoxFuture<'a, Result<i64>>;

    /// LOCK_BATCH_MQ on the master of `broker`: returns the queues locked.
    fn lock<'a>(
        &'a self,
        group: &'a str,
        broker: &'a str,
        mqs: BTreeSet<MessageQueue>,
    ) -> BoxFuture<'a, Result<BTreeSet<MessageQueue>>>;

    /// UNLOCK_BATCH_MQ on the master of `broker`, one-way or waiting.
    fn unlock<'a>(
        &'a self,
        group: &'a str,
        broker: &'a str,
        mqs: BTreeSet<MessageQueue>,
        oneway: bool,
    ) -> BoxFuture<'a, Result<()>>;

    /// HEART_BEAT to every broker, so the group sees a changed subscription or assignment.
    fn heartbeat(&self) -> BoxFuture<'_, ()>;
}

/// The brokers, reached through a client instance.
pub(crate) struct RemotePuller {
    instance: ClientInstance,
    /// Which replica each queue is pulled from next; one table per consumer.
    suggested: SuggestedBrokers,
}

impl RemotePuller {
    /// Brokers reached through `instance`.
    pub(crate) fn new(instance: ClientInstance) -> Self {
        RemotePuller {
            instance,
            suggested: SuggestedBrokers::default(),
        }
    }

    fn master_of(&self, broker: &str) -> Result<String> {
        self.instance
            .routes()
            .subscribe_addr(broker, MASTER_ID, true)
            .map(|(addr, _)| addr)
            .ok_or_else(|| ClientError::BrokerNotFound(broker.to_string()))
    }
}

impl Puller for RemotePuller {
    fn pull<'a>(
        &'a self,
        args: &'a PullArgs<'a>,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<PullResult>> {
        Box::pin(pull(&self.instance, &self.suggested, args, timeout))
    }

    fn topic_queues<'a>(&'a self, topic: &'a str) -> BoxFuture<'a, Option<BTreeSet<MessageQueue>>> {
        Box::pin(async move {
            let route = match self.instance.routes().get(topic) {
                Some(r) => Some(r),
                None => self.instance.update_route(topic).await.ok(),
            };
            route.map(|r| r.subscribe.clone())
        })
    }

    fn consumer_ids<'a>(
        &'a self,
        topic: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(self.instance.consumer_id_list(topic, group))
    }

    fn query_offset<'a>(
        &'a self,
        group: &'a str,
        mq: &'a MessageQueue,
    ) -> BoxFuture<'a, Result<Option<i64>>> {
        Box::pin(async move {
            let addr = self.instance.queue_broker_addr(mq).await?;
            let header = QueryConsumerOffsetRequestHeader {
                consumer_group: group.to_string(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                set_zero_if_not_found: None,
            };
            let req = RemotingCommand::request_with(request_code::QUERY_CONSUMER_OFFSET, &header)
                .with_ext("bname", mq.broker_name.clone());
            let resp = self
                .instance
                .invoke(&addr, req, OFFSET_CALL_TIMEOUT)
                .await?;
            match resp.code {
                response_code::SUCCESS => {
                    Ok(Some(resp.decode_header::<OffsetResponseHeader>()?.offset))
                }
                response_code::QUERY_NOT_FOUND => Ok(None),
                _ => Err(ClientError::from_response(&addr, &resp)),
            }
        })
    }

    fn update_offset<'a>(
        &'a self,
        group: &'a str,
        mq: &'a MessageQueue,
        offset: i64,
        oneway: bool,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let addr = self.instance.queue_broker_addr(mq).await?;
            let header = UpdateConsumerOffsetRequestHeader {
                consumer_group: group.to_string(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                commit_offset: offset,
            };
            let req = RemotingCommand::request_with(request_code::UPDATE_CONSUMER_OFFSET, &header)
                .with_ext("bname", mq.broker_name.clone());
            if oneway {
                self.instance.invoke_oneway(&addr, req).await
            } else {
                self.instance
                    .invoke_ok(&addr, req, OFFSET_CALL_TIMEOUT)
                    .await
                    .map(|_| ())
            }
        })
    }

    fn max_offset<'a>(&'a self, mq: &'a MessageQueue) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.instance.max_offset(mq))
    }

    fn search_offset<'a>(
        &'a self,
        mq: &'a MessageQueue,
        timestamp: i64,
    ) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.instance.search_offset(mq, timestamp))
    }

    fn lock<'a>(
        &'a self,
        group: &'a str,
        broker: &'a str,
        mqs: BTreeSet<MessageQueue>,
    ) -> BoxFuture<'a, Result<BTreeSet<MessageQueue>>> {
        Box::pin(async move {
            let addr = self.master_of(broker)?;
            let body = LockBatchRequestBody {
                client_id: self.instance.client_id().to_string(),
                consumer_group: group.to_string(),
                mq_set: mqs,
                only_this_broker: false,
            };
            let req = RemotingCommand::request(request_code::LOCK_BATCH_MQ)
                .with_body(serde_json::to_vec(&body).unwrap_or_default());
            let resp = self
                .instance
                .invoke_ok(&addr, req, LOCK_CALL_TIMEOUT)
                .await?;
            let locked: LockBatchResponseBody = from_fastjson_slice(&resp.body.to_bytes())?;
            Ok(locked.lock_ok_mq_set)
        })
    }

    fn unlock<'a>(
        &'a self,
        group: &'a str,
        broker: &'a str,
        mqs: BTreeSet<MessageQueue>,
        oneway: bool,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let addr = self.master_of(broker)?;
            let body = UnlockBatchRequestBody {
                client_id: self.instance.client_id().to_string(),
                consumer_group: group.to_string(),
                mq_set: mqs,
                only_this_broker: false,
            };
            let req = RemotingCommand::request(request_code::UNLOCK_BATCH_MQ)
                .with_body(serde_json::to_vec(&body).unwrap_or_default());
            if oneway {
                self.instance.invoke_oneway(&addr, req).await
            } else {
                self.instance
                    .invoke_ok(&addr, req, LOCK_CALL_TIMEOUT)
                    .await
                    .map(|_| ())
            }
        })
    }

    fn heartbeat(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.instance.send_heartbeat_to_all().await;
        })
    }
}
