//! Consumer/producer group admin calls: subscription groups (200/207/352), consume stats (208),
//! connections (203/204), offset reset (222), running info (307), consume directly (309).

use std::collections::{BTreeSet, HashMap};

use ferromq_model::names::retry_topic;
use ferromq_model::{
    from_fastjson_slice, ConsumeStats, ConsumerConnection, MessageQueue, ProducerConnection,
    ResetOffsetBody, SubscriptionGroupConfig, TopicRouteData,
};
use ferromq_protocol::headers::{
    ConsumeMessageDirectlyResultRequestHeader, ConsumerGroupRequestHeader,
    DeleteSubscriptionGroupRequestHeader, GetConsumeStatsRequestHeader,
    GetConsumerRunningInfoRequestHeader, GroupRequestHeader, ProducerGroupRequestHeader,
    ResetOffsetRequestHeader,
};
use ferromq_protocol::{request_code, RemotingCommand};

use super::Admin;
use crate::error::{ClientError, Result};

impl Admin {
    /// The route used to reach a consumer group's brokers: `%RETRY%{group}`, else `topic`.
    async fn group_route(&self, group: &str, topic: Option<&str>) -> Result<TopicRouteData> {
        match self.topic_route(&retry_topic(group)).await {
            Ok(r) => Ok(r),
            Err(e) => match topic {
                Some(t) => self.topic_route(t).await,
                None => Err(e),
            },
        }
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) on one broker.
    pub async fn create_or_update_subscription_group(
        &self,
        broker_addr: &str,
        config: &SubscriptionGroupConfig,
    ) -> Result<()> {
        let req = RemotingCommand::request(request_code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
            .with_body(serde_json::to_vec(config).map_err(ferromq_model::ModelError::from)?);
        self.call(broker_addr, req).await.map(|_| ())
    }

    /// Creates/updates the group on every master of `cluster`.
    pub async fn create_or_update_subscription_group_in_cluster(
        &self,
        cluster: &str,
        config: &SubscriptionGroupConfig,
    ) -> Result<Vec<String>> {
        let masters = self.master_addrs(cluster).await?;
        for addr in &masters {
            self.create_or_update_subscription_group(addr, config)
                .await?;
        }
        Ok(masters)
    }

    /// GET_SUBSCRIPTIONGROUP_CONFIG (352).
    pub async fn subscription_group(
        &self,
        broker_addr: &str,
        group: &str,
    ) -> Result<SubscriptionGroupConfig> {
        let header = GroupRequestHeader {
            group: group.into(),
        };
        let resp = self
            .call(
                broker_addr,
                RemotingCommand::request_with(request_code::GET_SUBSCRIPTIONGROUP_CONFIG, &header),
            )
            .await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }

    /// DELETE_SUBSCRIPTIONGROUP (207); `clean_offset` also drops the group's offsets.
    pub async fn delete_subscription_group(
        &self,
        broker_addr: &str,
        group: &str,
        clean_offset: bool,
    ) -> Result<()> {
        let header = DeleteSubscriptionGroupRequestHeader {
            group_name: group.into(),
            clean_offset: Some(clean_offset),
        };
        self.call(
            broker_addr,
            RemotingCommand::request_with(request_code::DELETE_SUBSCRIPTIONGROUP, &header),
        )
        .await
        .map(|_| ())
    }

    /// GET_CONSUME_STATS (208) from every broker of the group, merged (mqadmin
    /// `consumerProgress`). `topic` limits it to one topic.
    pub async fn consume_stats(&self, group: &str, topic: Option<&str>) -> Result<ConsumeStats> {
        let route = self.group_route(group, topic).await?;
        let mut all = ConsumeStats::default();
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let s = self.consume_stats_in_broker(addr, group, topic).await?;
            all.offset_table.extend(s.offset_table);
            all.consume_tps += s.consume_tps;
        }
        Ok(all)
    }

    /// GET_CONSUME_STATS (208) from one broker.
    pub async fn consume_stats_in_broker(
        &self,
        broker_addr: &str,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumeStats> {
        let header = GetConsumeStatsRequestHeader {
            consumer_group: group.into(),
            topic: Some(topic.unwrap_or("").to_string()),
            topic_list: None,
        };
        let req = RemotingCommand::request_with(request_code::GET_CONSUME_STATS, &header);
        let resp = self
            .instance
            .invoke_ok(broker_addr, req, self.timeout * 3)
            .await?;
        Ok(ConsumeStats::from_fastjson(&String::from_utf8_lossy(
            &resp.body.to_bytes(),
        ))?)
    }

    /// GET_CONSUMER_CONNECTION_LIST (203) from every broker of the group, merged.
    pub async fn consumer_connection(&self, group: &str) -> Result<ConsumerConnection> {
        let route = self.group_route(group, None).await?;
        let mut merged: Option<ConsumerConnection> = None;
        let mut last_err = None;
        let header = ConsumerGroupRequestHeader {
            consumer_group: group.into(),
        };
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let req =
                RemotingCommand::request_with(request_code::GET_CONSUMER_CONNECTION_LIST, &header);
            match self.call(addr, req).await {
                Ok(resp) => {
                    let c: ConsumerConnection = from_fastjson_slice(&resp.body.to_bytes())?;
                    match &mut merged {
                        None => merged = Some(c),
                        Some(m) => {
                            for conn in c.connection_set {
                                if !m
                                    .connection_set
                                    .iter()
                                    .any(|x| x.client_id == conn.client_id)
                                {
                                    m.connection_set.push(conn);
                                }
                            }
                            m.subscription_table.extend(c.subscription_table);
                        }
                    }
                }
                Err(e) => last_err = Some(e),
            }
        }
        merged.ok_or_else(|| last_err.unwrap_or_else(|| ClientError::NoRoute(retry_topic(group))))
    }

    /// GET_PRODUCER_CONNECTION_LIST (204) from every broker of `topic`, merged.
    pub async fn producer_connection(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<ProducerConnection> {
        let route = self.topic_route(topic).await?;
        let header = ProducerGroupRequestHeader {
            producer_group: group.into(),
        };
        let mut merged = ProducerConnection::default();
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let req =
                RemotingCommand::request_with(request_code::GET_PRODUCER_CONNECTION_LIST, &header);
            let resp = self.call(addr, req).await?;
            let c: ProducerConnection = from_fastjson_slice(&resp.body.to_bytes())?;
            for conn in c.connection_set {
                if !merged
                    .connection_set
                    .iter()
                    .any(|x| x.client_id == conn.client_id && x.client_addr == conn.client_addr)
                {
                    merged.connection_set.push(conn);
                }
            }
        }
        Ok(merged)
    }

    /// The client ids of a consumer group (GET_CONSUMER_LIST_BY_GROUP via a broker of `topic`).
    pub async fn consumer_ids(&self, group: &str, topic: &str) -> Result<Vec<String>> {
        self.instance.consumer_id_list(topic, group).await
    }

    /// INVOKE_BROKER_TO_RESET_OFFSET (222) on every broker of `topic`: the brokers tell the
    /// group's online consumers (RESET_CONSUMER_CLIENT_OFFSET) to restart from the first
    /// message stored at or after `timestamp` (`-1` = the max offset). With `force` offsets may
    /// also move forward. Returns the new offsets.
    pub async fn reset_offset_by_time(
        &self,
        topic: &str,
        group: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<HashMap<MessageQueue, i64>> {
        let route = self.topic_route(topic).await?;
        let header = ResetOffsetRequestHeader {
            topic: topic.into(),
            group: group.into(),
            queue_id: None,
            offset: Some(-1),
            timestamp,
            is_force: force,
        };
        let mut all = HashMap::new();
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let req =
                RemotingCommand::request_with(request_code::INVOKE_BROKER_TO_RESET_OFFSET, &header);
            let resp = self.call(addr, req).await?;
            let body = resp.body.to_bytes();
            if !body.is_empty() {
                all.extend(
                    ResetOffsetBody::from_fastjson(&String::from_utf8_lossy(&body))?.offset_table,
                );
            }
        }
        Ok(all)
    }

    /// GET_CONSUMER_RUNNING_INFO (307) relayed by a broker to client `client_id`: the client's
    /// `ConsumerRunningInfo` JSON.
    pub async fn consumer_running_info(
        &self,
        group: &str,
        client_id: &str,
    ) -> Result<serde_json::Value> {
        let route = self.group_route(group, None).await?;
        let header = GetConsumerRunningInfoRequestHeader {
            consumer_group: group.into(),
            client_id: client_id.into(),
            jstack_enable: Some(false),
        };
        let mut last = None;
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let req =
                RemotingCommand::request_with(request_code::GET_CONSUMER_RUNNING_INFO, &header);
            match self.call(addr, req).await {
                Ok(resp) => return parse_json(&resp.body.to_bytes()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| ClientError::NoRoute(retry_topic(group))))
    }

    /// CONSUME_MESSAGE_DIRECTLY (309): asks a broker to hand the message with offset msgId
    /// `msg_id` to client `client_id` of `group`; the client's result JSON.
    pub async fn consume_message_directly(
        &self,
        group: &str,
        client_id: &str,
        topic: &str,
        msg_id: &str,
    ) -> Result<serde_json::Value> {
        let id = ferromq_protocol::message::id::decode_offset_msg_id(msg_id)?;
        let route = self.topic_route(topic).await?;
        let addr = id.store_host.to_string();
        let broker_name = route
            .broker_datas
            .iter()
            .find(|b| b.broker_addrs.values().any(|a| *a == addr))
            .map(|b| b.broker_name.clone());
        let header = ConsumeMessageDirectlyResultRequestHeader {
            consumer_group: group.into(),
            client_id: Some(client_id.into()),
            msg_id: Some(msg_id.into()),
            broker_name,
            topic: Some(topic.into()),
            topic_sys_flag: None,
            group_sys_flag: None,
        };
        let req = RemotingCommand::request_with(request_code::CONSUME_MESSAGE_DIRECTLY, &header);
        let resp = self
            .instance
            .invoke_ok(&addr, req, self.timeout * 3)
            .await?;
        parse_json(&resp.body.to_bytes())
    }

    /// Broker addresses (one per group) serving `topic`.
    pub async fn topic_broker_addrs(&self, topic: &str) -> Result<BTreeSet<String>> {
        Ok(self
            .topic_route(topic)
            .await?
            .broker_datas
            .iter()
            .filter_map(|b| b.select_broker_addr().map(str::to_string))
            .collect())
    }
}

fn parse_json(body: &[u8]) -> Result<serde_json::Value> {
    let text = String::from_utf8_lossy(body);
    let normalized = ferromq_model::normalize(&text);
    serde_json::from_str(&normalized).map_err(|e| ClientError::Body(e.into()))
}
