//! Topic admin calls: routes (105), lists (206/224), create/update (17), delete (215/216),
//! stats (202), config (351), consumer groups of a topic (300).

use ferromq_model::names::AUTO_CREATE_TOPIC_KEY_TOPIC;
use ferromq_model::{
    from_fastjson_slice, GroupList, TopicConfig, TopicList, TopicRouteData, TopicStatsTable,
};
use ferromq_protocol::headers::{
    CreateTopicRequestHeader, DeleteTopicFromNamesrvRequestHeader, GetTopicsByClusterRequestHeader,
    TopicRequestHeader,
};
use ferromq_protocol::{request_code, RemotingCommand};

use super::Admin;
use crate::error::{ClientError, Result};

/// Java `AttributeParser.parseToString`: `+key=value,-key`.
pub(super) fn attributes_to_string(config: &TopicConfig) -> String {
    config
        .attributes
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Admin {
    /// GET_ROUTEINFO_BY_TOPIC (105).
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData> {
        self.instance.fetch_route(topic).await
    }

    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
    pub async fn topic_list(&self) -> Result<TopicList> {
        let resp = self
            .instance
            .invoke_namesrv_ok(RemotingCommand::request(
                request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
            ))
            .await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }

    /// GET_TOPICS_BY_CLUSTER (224).
    pub async fn topics_by_cluster(&self, cluster: &str) -> Result<TopicList> {
        let header = GetTopicsByClusterRequestHeader {
            cluster: cluster.to_string(),
        };
        let resp = self
            .instance
            .invoke_namesrv_ok(RemotingCommand::request_with(
                request_code::GET_TOPICS_BY_CLUSTER,
                &header,
            ))
            .await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }

    /// UPDATE_AND_CREATE_TOPIC (17) on one broker; the broker registers it with the
    /// NameServers.
    pub async fn create_or_update_topic(
        &self,
        broker_addr: &str,
        config: &TopicConfig,
    ) -> Result<()> {
        ferromq_model::validate::validate_topic(&config.topic_name)
            .map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        let attributes = attributes_to_string(config);
        let header = CreateTopicRequestHeader {
            topic: config.topic_name.clone(),
            default_topic: AUTO_CREATE_TOPIC_KEY_TOPIC.to_string(),
            read_queue_nums: config.read_queue_nums,
            write_queue_nums: config.write_queue_nums,
            perm: config.perm,
            topic_filter_type: config.topic_filter_type.name().to_string(),
            topic_sys_flag: Some(config.topic_sys_flag),
            order: config.order,
            attributes: (!attributes.is_empty()).then_some(attributes),
            force: None,
        };
        self.call(
            broker_addr,
            RemotingCommand::request_with(request_code::UPDATE_AND_CREATE_TOPIC, &header),
        )
        .await
        .map(|_| ())
    }

    /// Creates/updates `config` on every master of `cluster`; returns the masters used.
    pub async fn create_or_update_topic_in_cluster(
        &self,
        cluster: &str,
        config: &TopicConfig,
    ) -> Result<Vec<String>> {
        let masters = self.master_addrs(cluster).await?;
        for addr in &masters {
            self.create_or_update_topic(addr, config).await?;
        }
        Ok(masters)
    }

    /// DELETE_TOPIC_IN_BROKER (215) on one broker.
    pub async fn delete_topic_in_broker(&self, broker_addr: &str, topic: &str) -> Result<()> {
        let header = TopicRequestHeader {
            topic: topic.into(),
        };
        self.call(
            broker_addr,
            RemotingCommand::request_with(request_code::DELETE_TOPIC_IN_BROKER, &header),
        )
        .await
        .map(|_| ())
    }

    /// DELETE_TOPIC_IN_NAMESRV (216) on one NameServer.
    pub async fn delete_topic_in_namesrv(
        &self,
        namesrv_addr: &str,
        topic: &str,
        cluster: Option<&str>,
    ) -> Result<()> {
        let header = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.into(),
            cluster_name: cluster.map(str::to_string),
        };
        self.call(
            namesrv_addr,
            RemotingCommand::request_with(request_code::DELETE_TOPIC_IN_NAMESRV, &header),
        )
        .await
        .map(|_| ())
    }

    /// mqadmin `deleteTopic -c`: from every master of `cluster`, then from every NameServer.
    pub async fn delete_topic(&self, topic: &str, cluster: &str) -> Result<()> {
        for addr in self.master_addrs(cluster).await? {
            self.delete_topic_in_broker(&addr, topic).await?;
        }
        for ns in self.instance.namesrv().addrs().to_vec() {
            self.delete_topic_in_namesrv(&ns, topic, Some(cluster))
                .await?;
        }
        self.instance.routes().remove(topic);
        Ok(())
    }

    /// GET_TOPIC_STATS_INFO (202) from every broker of the topic, merged.
    pub async fn topic_stats(&self, topic: &str) -> Result<TopicStatsTable> {
        let route = self.topic_route(topic).await?;
        let mut all = TopicStatsTable::default();
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let t = self.topic_stats_in_broker(addr, topic).await?;
            all.offset_table.extend(t.offset_table);
            all.topic_put_tps += t.topic_put_tps;
        }
        if all.offset_table.is_empty() {
            return Err(ClientError::NoRoute(topic.to_string()));
        }
        Ok(all)
    }

    /// GET_TOPIC_STATS_INFO (202) from one broker.
    pub async fn topic_stats_in_broker(
        &self,
        broker_addr: &str,
        topic: &str,
    ) -> Result<TopicStatsTable> {
        let header = TopicRequestHeader {
            topic: topic.into(),
        };
        let resp = self
            .call(
                broker_addr,
                RemotingCommand::request_with(request_code::GET_TOPIC_STATS_INFO, &header),
            )
            .await?;
        Ok(TopicStatsTable::from_fastjson(&String::from_utf8_lossy(
            &resp.body.to_bytes(),
        ))?)
    }

    /// GET_TOPIC_CONFIG (351): the topic's config on one broker.
    pub async fn topic_config(&self, broker_addr: &str, topic: &str) -> Result<TopicConfig> {
        let header = TopicRequestHeader {
            topic: topic.into(),
        };
        let resp = self
            .call(
                broker_addr,
                RemotingCommand::request_with(request_code::GET_TOPIC_CONFIG, &header),
            )
            .await?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Wrapper {
            topic_config: Option<TopicConfig>,
        }
        let body = resp.body.to_bytes();
        // 5.x wraps it as TopicConfigAndQueueMapping (a TopicConfig with extra fields).
        match from_fastjson_slice::<TopicConfig>(&body) {
            Ok(c) if !c.topic_name.is_empty() => Ok(c),
            _ => Ok(from_fastjson_slice::<Wrapper>(&body)?
                .topic_config
                .unwrap_or_else(|| TopicConfig::new(topic))),
        }
    }

    /// QUERY_TOPIC_CONSUME_BY_WHO (300): groups consuming `topic` on one broker.
    pub async fn topic_consumer_groups(&self, broker_addr: &str, topic: &str) -> Result<GroupList> {
        let header = TopicRequestHeader {
            topic: topic.into(),
        };
        let resp = self
            .call(
                broker_addr,
                RemotingCommand::request_with(request_code::QUERY_TOPIC_CONSUME_BY_WHO, &header),
            )
            .await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_like_java() {
        let mut c = TopicConfig::new("T");
        assert_eq!(attributes_to_string(&c), "");
        c.attributes.insert("+message.type".into(), "FIFO".into());
        c.attributes.insert("-queue.type".into(), String::new());
        assert_eq!(attributes_to_string(&c), "+message.type=FIFO,-queue.type");
    }
}
