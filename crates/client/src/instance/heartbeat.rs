//! Heartbeats (HEART_BEAT every 30 s: producer groups to masters, consumer groups to every
//! broker) and UNREGISTER_CLIENT at shutdown.

use ferromq_model::names::{CLIENT_INNER_PRODUCER_GROUP, MASTER_ID};
use ferromq_model::{HeartbeatData, ProducerData};
use ferromq_protocol::headers::UnregisterClientRequestHeader;
use ferromq_protocol::{request_code, RemotingCommand};

use super::ClientInstance;

impl ClientInstance {
    /// The heartbeat body: every registered group. Like Java, a client with any producer or
    /// consumer also announces `CLIENT_INNER_PRODUCER` (used for send-back fallbacks).
    pub fn heartbeat_data(&self) -> HeartbeatData {
        let m = self.inner.members.lock();
        let mut producer_data_set: Vec<ProducerData> = m
            .producers
            .keys()
            .map(|g| ProducerData {
                group_name: g.clone(),
            })
            .collect();
        let consumer_data_set: Vec<_> = m.consumers.values().map(|c| c.consumer_data()).collect();
        let has_members = !producer_data_set.is_empty() || !consumer_data_set.is_empty();
        if has_members && !m.producers.contains_key(CLIENT_INNER_PRODUCER_GROUP) {
            producer_data_set.push(ProducerData {
                group_name: CLIENT_INNER_PRODUCER_GROUP.to_string(),
            });
        }
        HeartbeatData {
            client_id: self.inner.client_id.clone(),
            consumer_data_set,
            heartbeat_fingerprint: 0,
            producer_data_set,
            without_sub: false,
        }
    }

    /// Sends a heartbeat to every known broker (only masters when no consumer is registered).
    /// Returns how many brokers accepted it.
    pub async fn send_heartbeat_to_all(&self) -> usize {
        let data = self.heartbeat_data();
        if data.producer_data_set.is_empty() && data.consumer_data_set.is_empty() {
            return 0;
        }
        let body = match serde_json::to_vec(&data) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "cannot encode heartbeat");
                return 0;
            }
        };
        let only_masters = data.consumer_data_set.is_empty();
        let timeout = self.inner.config.api_timeout;
        let mut ok = 0;
        for (name, addrs) in self.inner.routes.brokers() {
            for (id, addr) in addrs {
                if only_masters && id != MASTER_ID {
                    continue;
                }
                let req =
                    RemotingCommand::request(request_code::HEART_BEAT).with_body(body.clone());
                match self.invoke_ok(&addr, req, timeout).await {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        tracing::debug!(broker = %name, addr = %addr, error = %e, "heartbeat failed")
                    }
                }
            }
        }
        ok
    }

    /// UNREGISTER_CLIENT for one group on every known broker.
    pub(crate) async fn unregister_client(
        &self,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
    ) {
        let header = UnregisterClientRequestHeader {
            client_id: self.inner.client_id.clone(),
            producer_group: producer_group.map(str::to_string),
            consumer_group: consumer_group.map(str::to_string),
        };
        let timeout = self.inner.config.api_timeout;
        for (_, addrs) in self.inner.routes.brokers() {
            for (_, addr) in addrs {
                let req = RemotingCommand::request_with(request_code::UNREGISTER_CLIENT, &header);
                if let Err(e) = self.invoke_ok(&addr, req, timeout).await {
                    tracing::debug!(addr = %addr, error = %e, "unregister client failed");
                }
            }
        }
    }

    /// Unregisters every remaining group (shutdown).
    pub(crate) async fn unregister_all(&self) {
        let (producers, consumers): (Vec<String>, Vec<String>) = {
            let m = self.inner.members.lock();
            (
                m.producers.keys().cloned().collect(),
                m.consumers.keys().cloned().collect(),
            )
        };
        for g in producers {
            self.unregister_client(Some(&g), None).await;
        }
        for g in consumers {
            self.unregister_client(None, Some(&g)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;
    use crate::instance::members::PlainProducer;
    use std::sync::Arc;

    #[tokio::test]
    async fn heartbeat_lists_groups_and_inner_producer() {
        let inst = ClientInstance::new(ClientConfig::new("127.0.0.1:1"));
        assert!(inst.heartbeat_data().producer_data_set.is_empty());
        inst.register_producer("pg", Arc::new(PlainProducer))
            .unwrap();
        assert!(inst
            .register_producer("pg", Arc::new(PlainProducer))
            .is_err());
        let hb = inst.heartbeat_data();
        let groups: Vec<_> = hb
            .producer_data_set
            .iter()
            .map(|p| p.group_name.as_str())
            .collect();
        assert_eq!(groups, vec!["pg", "CLIENT_INNER_PRODUCER"]);
        assert_eq!(hb.client_id, inst.client_id());
        let json = serde_json::to_string(&hb).unwrap();
        assert!(json.contains("\"clientID\""), "{json}");
        // No broker known yet: nothing to send to.
        assert_eq!(inst.send_heartbeat_to_all().await, 0);
    }
}
