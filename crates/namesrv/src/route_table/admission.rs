//! Admission of a registration: its names are checked, its topics filtered, and the table
//! checked for room, all before anything changes.

use std::collections::BTreeMap;

use ferromq_model::{QueueData, TopicQueueMappingInfo};

use super::{Registration, RouteRefused, RouteTable, Skipped};
use crate::checks::{check_addr, check_broker_name, check_topic, is_own_topic};

/// Longest static-topic mapping scope or broker name kept (both are short Java strings).
const MAX_MAPPING_NAME_LEN: usize = 255;

/// The topics of a registration that passed the checks.
pub(super) struct Admitted {
    pub queues: BTreeMap<String, QueueData>,
    pub mappings: Vec<(String, TopicQueueMappingInfo)>,
    pub skipped: Skipped,
}

impl RouteTable {
    pub(super) fn check_room_for_instance(
        &self,
        channel_id: Option<u64>,
    ) -> Result<(), RouteRefused> {
        let l = &self.limits;
        if self.live.len() >= l.max_brokers {
            return Err(RouteRefused::TooManyBrokers { max: l.max_brokers });
        }
        if let Some(channel) = channel_id {
            let on_channel = self
                .live
                .values()
                .filter(|b| b.channel_id == Some(channel))
                .count();
            if on_channel >= l.max_brokers_per_channel {
                return Err(RouteRefused::TooManyBrokersOnChannel {
                    max: l.max_brokers_per_channel,
                });
            }
        }
        Ok(())
    }

    /// Keeps the topics and mappings of `reg` that may enter the table.
    pub(super) fn admit_topics(&self, reg: &Registration) -> Admitted {
        let mut skipped = Skipped::default();
        let mut queues = BTreeMap::new();
        for cfg in reg.topics.topic_config_table.values() {
            let name = &cfg.topic_name;
            if !is_own_topic(name, &reg.cluster, &reg.broker_name) {
                if let Err(e) = check_topic(name) {
                    skipped.topics += 1;
                    skipped.first_reason.get_or_insert_with(|| e.to_string());
                    continue;
                }
            }
            let queue = QueueData {
                broker_name: reg.broker_name.clone(),
                perm: cfg.perm,
                read_queue_nums: cfg.read_queue_nums,
                topic_sys_flag: cfg.topic_sys_flag,
                write_queue_nums: cfg.write_queue_nums,
            };
            queues.insert(name.clone(), queue);
        }
        let mut mappings = Vec::new();
        for (topic, info) in &reg.topics.topic_queue_mapping_info_map {
            let fits = queues.contains_key(topic)
                && info.curr_id_map.len() <= self.limits.max_mapping_queues
                && info.bname.len() <= MAX_MAPPING_NAME_LEN
                && info.scope.len() <= MAX_MAPPING_NAME_LEN;
            if fits {
                mappings.push((topic.clone(), info.clone()));
            } else {
                skipped.mappings += 1;
            }
        }
        Admitted {
            queues,
            mappings,
            skipped,
        }
    }

    pub(super) fn check_room_for_topics(
        &self,
        broker: &str,
        admitted: &Admitted,
    ) -> Result<(), RouteRefused> {
        let l = &self.limits;
        let new_routes = admitted
            .queues
            .keys()
            .filter(|t| !self.topics.contains(t, broker))
            .count();
        let topics = self.topics.count_of(broker) + new_routes;
        if topics > l.max_topics_per_broker {
            return Err(RouteRefused::TooManyTopics {
                broker: broker.to_string(),
                topics,
                max: l.max_topics_per_broker,
            });
        }
        let routes = self.topics.routes() + new_routes;
        if routes > l.max_topic_routes {
            return Err(RouteRefused::TooManyRoutes {
                routes,
                max: l.max_topic_routes,
            });
        }
        let mappings = self.topics.mappings() + admitted.mappings.len();
        if mappings > l.max_static_topic_mappings {
            return Err(RouteRefused::TooManyMappings {
                mappings,
                max: l.max_static_topic_mappings,
            });
        }
        Ok(())
    }
}

/// The names a registration brings: refused unless all pass.
pub(super) fn check_registration(reg: &Registration) -> Result<(), RouteRefused> {
    check_broker_name("cluster name", &reg.cluster)?;
    check_broker_name("broker name", &reg.broker_name)?;
    check_addr("broker address", &reg.broker_addr)?;
    if !reg.ha_server_addr.is_empty() {
        check_addr("HA server address", &reg.ha_server_addr)?;
    }
    if let Some(zone) = reg.zone_name.as_deref().filter(|z| !z.is_empty()) {
        check_broker_name("zone name", zone)?;
    }
    Ok(())
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} topics with invalid names", self.topics)?;
        if let Some(reason) = &self.first_reason {
            write!(f, " (first: {reason})")?;
        }
        write!(f, ", {} static topic mappings", self.mappings)
    }
}
