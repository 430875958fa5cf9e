//! Finding messages: by offset msgId (VIEW_MESSAGE_BY_ID, 33), by unique key or business key
//! (QUERY_MESSAGE, 12, on every broker of the topic), by queue offset (a one-message pull).

use std::time::Duration;

use bytes::Bytes;
use ferromq_model::names::TOOLS_CONSUMER_GROUP;
use ferromq_model::{MessageQueue, SubscriptionData};
use ferromq_protocol::headers::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
    UNIQUE_KEY_QUERY,
};
use ferromq_protocol::message::id::{decode_offset_msg_id, looks_like_offset_msg_id};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{request_code, response_code, RemotingCommand};

use super::Admin;
use crate::consumer::pull::{pull, PullArgs, PullResult, SuggestedBrokers};
use crate::error::{ClientError, Result};
use crate::message::ReceivedMessage;

/// Messages found by an index query.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    /// Latest index update time among the brokers (ms).
    pub index_last_update_timestamp: i64,
    /// The matching messages.
    pub messages: Vec<ReceivedMessage>,
}

fn broker_of(route: &ferromq_model::TopicRouteData, addr: &str) -> String {
    route
        .broker_datas
        .iter()
        .find(|b| b.broker_addrs.values().any(|a| a == addr))
        .map(|b| b.broker_name.clone())
        .unwrap_or_default()
}

impl Admin {
    /// VIEW_MESSAGE_BY_ID (33): the message stored at the broker and CommitLog offset encoded
    /// in an offset msgId.
    pub async fn view_message(
        &self,
        topic: Option<&str>,
        offset_msg_id: &str,
    ) -> Result<ReceivedMessage> {
        let id = decode_offset_msg_id(offset_msg_id)?;
        let addr = id.store_host.to_string();
        let header = ViewMessageRequestHeader {
            topic: topic.map(str::to_string),
            offset: id.commit_log_offset,
        };
        let resp = self
            .call(
                &addr,
                RemotingCommand::request_with(request_code::VIEW_MESSAGE_BY_ID, &header),
            )
            .await?;
        let record = MessageExt::decode(&resp.body.to_bytes())?;
        let broker = match topic {
            Some(t) => self
                .topic_route(t)
                .await
                .map(|r| broker_of(&r, &addr))
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok(ReceivedMessage::from_record(record, &broker, true))
    }

    /// QUERY_MESSAGE (12) on every broker of `topic`: messages whose key (or, with `unique`,
    /// whose `UNIQ_KEY`) is `key`, stored between `begin` and `end` (ms).
    pub async fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
        unique: bool,
    ) -> Result<QueryResult> {
        let route = self.topic_route(topic).await?;
        let header = QueryMessageRequestHeader {
            topic: topic.into(),
            key: key.into(),
            max_num,
            begin_timestamp: begin,
            end_timestamp: end,
        };
        let mut result = QueryResult::default();
        let mut answered = false;
        let mut last_err = None;
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let mut req = RemotingCommand::request_with(request_code::QUERY_MESSAGE, &header);
            if unique {
                req = req.with_ext(UNIQUE_KEY_QUERY, "true");
            }
            let resp = match self.instance.invoke(addr, req, self.timeout * 3).await {
                Ok(r) => r,
                Err(e) => {
                    last_err = Some(e);
                    continue;
                }
            };
            match resp.code {
                response_code::SUCCESS => {
                    answered = true;
                    let h: QueryMessageResponseHeader = resp.decode_header()?;
                    result.index_last_update_timestamp = result
                        .index_last_update_timestamp
                        .max(h.index_last_update_timestamp);
                    let body: Bytes = resp.body.to_bytes();
                    for record in MessageExt::decode_all(&body)? {
                        let m = ReceivedMessage::from_record(record, &bd.broker_name, true);
                        let matches = if unique {
                            m.msg_id() == key
                        } else {
                            m.keys().contains(&key)
                        };
                        if matches && m.topic == topic {
                            result.messages.push(m);
                        }
                    }
                }
                response_code::QUERY_NOT_FOUND => answered = true,
                _ => last_err = Some(ClientError::from_response(addr, &resp)),
            }
        }
        if !answered {
            return Err(last_err.unwrap_or_else(|| ClientError::NoRoute(topic.to_string())));
        }
        result.messages.sort_by_key(|m| m.store_timestamp);
        Ok(result)
    }

    /// mqadmin `queryMsgByKey`: messages with business key `key`.
    pub async fn query_message_by_key(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
    ) -> Result<QueryResult> {
        self.query_message(topic, key, max_num, 0, i64::MAX, false)
            .await
    }

    /// mqadmin `queryMsgByUniqueKey`: the message with `UNIQ_KEY` `key` (earliest copy).
    pub async fn query_message_by_unique_key(
        &self,
        topic: &str,
        key: &str,
    ) -> Result<ReceivedMessage> {
        let r = self
            .query_message(topic, key, 32, 0, i64::MAX, true)
            .await?;
        r.messages
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::Broker {
                code: response_code::QUERY_NOT_FOUND,
                remark: format!("no message with unique key {key}"),
                addr: String::new(),
            })
    }

    /// mqadmin `queryMsgById`: an offset msgId is viewed directly; anything else (or an offset
    /// id that does not resolve) is looked up as a unique key.
    pub async fn query_message_by_id(&self, topic: &str, msg_id: &str) -> Result<ReceivedMessage> {
        if looks_like_offset_msg_id(msg_id) {
            match self.view_message(Some(topic), msg_id).await {
                Ok(m) if m.topic == topic || m.property("RETRY_TOPIC") == Some(topic) => {
                    return Ok(m)
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "not an offset msgId; trying it as a unique key")
                }
            }
        }
        self.query_message_by_unique_key(topic, msg_id).await
    }

    /// Pulls up to `max_nums` messages of `mq` from `offset` without holding the request
    /// (mqadmin `queryMsgByOffset`, `printMsg`), as `TOOLS_CONSUMER`.
    pub async fn pull_messages(
        &self,
        mq: &MessageQueue,
        expression: &str,
        offset: i64,
        max_nums: i32,
    ) -> Result<PullResult> {
        self.pull_messages_as(TOOLS_CONSUMER_GROUP, mq, expression, offset, max_nums)
            .await
    }

    /// [`Admin::pull_messages`] as consumer group `group` (mqadmin `consumeMessage -g`), still
    /// committing nothing (Java's `DefaultMQPullConsumer.pull`).
    pub async fn pull_messages_as(
        &self,
        group: &str,
        mq: &MessageQueue,
        expression: &str,
        offset: i64,
        max_nums: i32,
    ) -> Result<PullResult> {
        let sub = SubscriptionData::from_expression(mq.topic.clone(), expression);
        let args = PullArgs {
            group,
            mq,
            subscription: &sub,
            post_subscription: true,
            offset,
            max_nums,
            max_bytes: None,
            commit_offset: None,
            suspend: false,
            broker_suspend: Duration::ZERO,
            lite: false,
        };
        self.instance.route(&mq.topic).await?;
        pull(
            &self.instance,
            &SuggestedBrokers::default(),
            &args,
            self.timeout,
        )
        .await
    }

    /// mqadmin `queryMsgByOffset`: the message at `offset` of `mq`.
    pub async fn query_message_by_offset(
        &self,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<Option<ReceivedMessage>> {
        let r = self.pull_messages(mq, "*", offset, 1).await?;
        Ok(r.messages.into_iter().find(|m| m.queue_offset == offset))
    }

    /// Queue min offset (31).
    pub async fn min_offset(&self, mq: &MessageQueue) -> Result<i64> {
        self.instance.route(&mq.topic).await?;
        self.instance.min_offset(mq).await
    }

    /// Queue max offset (30).
    pub async fn max_offset(&self, mq: &MessageQueue) -> Result<i64> {
        self.instance.route(&mq.topic).await?;
        self.instance.max_offset(mq).await
    }

    /// First offset stored at or after `timestamp` (29).
    pub async fn search_offset(&self, mq: &MessageQueue, timestamp: i64) -> Result<i64> {
        self.instance.route(&mq.topic).await?;
        self.instance.search_offset(mq, timestamp).await
    }
}
