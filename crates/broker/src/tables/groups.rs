//! Subscription groups (`config/subscriptionGroup.json`): per consumer group, whether it may
//! consume, broadcast, how many retries before the DLQ. Auto-created on first use when
//! `autoCreateSubscriptionGroup` is on (the default).

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferromq_config::BrokerConfig;
use ferromq_model::validate::validate_group;
use ferromq_model::{names, DataVersion, SubscriptionGroupConfig, SubscriptionGroupWrapper};
use parking_lot::RwLock;

use super::json_file;
use crate::error::BrokerError;

/// The subscription-group table.
pub struct GroupTable {
    state: RwLock<State>,
    path: PathBuf,
    auto_create: bool,
}

struct State {
    groups: BTreeMap<String, SubscriptionGroupConfig>,
    forbidden: BTreeMap<String, BTreeMap<String, i32>>,
    version: DataVersion,
}

impl GroupTable {
    /// Loads the table and adds RocketMQ's predefined system groups.
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = PathBuf::from(&config.store.store_path_root_dir)
            .join("config")
            .join("subscriptionGroup.json");
        let loaded: Option<SubscriptionGroupWrapper> = json_file::load(&path)?;
        let mut state = match loaded {
            Some(w) => State {
                groups: w.subscription_group_table,
                forbidden: w.forbidden_table,
                version: w.data_version,
            },
            None => State {
                groups: BTreeMap::new(),
                forbidden: BTreeMap::new(),
                version: DataVersion::new(),
            },
        };
        for g in [
            names::TOOLS_CONSUMER_GROUP,
            names::FILTERSRV_CONSUMER_GROUP,
            names::SELF_TEST_CONSUMER_GROUP,
            names::ONS_HTTP_PROXY_GROUP,
            names::CID_ONSAPI_PULL_GROUP,
            names::CID_ONSAPI_PERMISSION_GROUP,
            names::CID_ONSAPI_OWNER_GROUP,
            names::CID_SYS_RMQ_TRANS,
        ] {
            state.groups.entry(g.to_string()).or_insert_with(|| {
                let mut c = SubscriptionGroupConfig::new(g);
                c.consume_broadcast_enable = true;
                c
            });
        }
        Ok(GroupTable {
            state: RwLock::new(state),
            path,
            auto_create: config.broker.auto_create_subscription_group,
        })
    }

    /// The config of `group`, if it exists.
    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.state.read().groups.get(group).cloned()
    }

    /// The config of `group`, auto-creating it with defaults when allowed. The flag says
    /// whether it was created now (and so should be persisted). A name that is not a valid
    /// group name is never created (Java's `findSubscriptionGroupConfig`): it would become
    /// part of the retry and DLQ topic names.
    pub fn find_or_create(&self, group: &str) -> Option<(SubscriptionGroupConfig, bool)> {
        if let Some(g) = self.get(group) {
            return Some((g, false));
        }
        if !self.auto_create && !names::is_sys_consumer_group(group) {
            return None;
        }
        if let Err(e) = validate_group(group) {
            tracing::warn!(group, error = %e, "not auto-creating an invalid subscription group");
            return None;
        }
        let mut s = self.state.write();
        if let Some(g) = s.groups.get(group) {
            return Some((g.clone(), false));
        }
        let cfg = SubscriptionGroupConfig::new(group);
        s.groups.insert(group.to_string(), cfg.clone());
        s.version.next_version();
        tracing::info!(group, "subscription group auto-created");
        Some((cfg, true))
    }

    /// Creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
    pub fn put(&self, cfg: SubscriptionGroupConfig) {
        let mut s = self.state.write();
        tracing::info!(group = %cfg.group_name, "subscription group updated");
        s.groups.insert(cfg.group_name.clone(), cfg);
        s.version.next_version();
    }

    /// Deletes a group; returns whether it existed.
    pub fn delete(&self, group: &str) -> bool {
        let mut s = self.state.write();
        let removed = s.groups.remove(group).is_some();
        if removed {
            s.forbidden.remove(group);
            s.version.next_version();
            tracing::info!(group, "subscription group deleted");
        }
        removed
    }

    /// A slave takes its master's groups (Java's `syncSubscriptionGroupConfig`) when the
    /// versions differ; invalid names are skipped. Returns whether anything changed.
    pub fn replace_from_master(&self, master: SubscriptionGroupWrapper) -> bool {
        let mut s = self.state.write();
        if s.version == master.data_version {
            return false;
        }
        let valid = |g: &str| validate_group(g).is_ok() || names::is_sys_consumer_group(g);
        s.groups = master
            .subscription_group_table
            .into_iter()
            .filter(|(name, cfg)| *name == cfg.group_name && valid(name))
            .collect();
        s.forbidden = master
            .forbidden_table
            .into_iter()
            .filter(|(name, _)| valid(name))
            .collect();
        s.version = master.data_version;
        true
    }

    /// The whole table, as GET_ALL_SUBSCRIPTIONGROUP_CONFIG answers.
    pub fn wrapper(&self) -> SubscriptionGroupWrapper {
        let s = self.state.read();
        SubscriptionGroupWrapper {
            data_version: s.version,
            forbidden_table: s.forbidden.clone(),
            subscription_group_table: s.groups.clone(),
        }
    }

    /// Persists `subscriptionGroup.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        json_file::store(&self.path, || self.wrapper())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_create_persist_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = BrokerConfig::default();
        c.store.store_path_root_dir = dir.path().to_string_lossy().into_owned();
        let t = GroupTable::load(&c).unwrap();
        assert!(t.get("TOOLS_CONSUMER").is_some());
        let (g, created) = t.find_or_create("cg").unwrap();
        assert!(created);
        assert_eq!(g.retry_max_times, 16);
        let mut g2 = g.clone();
        g2.retry_max_times = 3;
        t.put(g2);
        t.persist().unwrap();
        let again = GroupTable::load(&c).unwrap();
        assert_eq!(again.get("cg").unwrap().retry_max_times, 3);
        c.broker.auto_create_subscription_group = false;
        let strict = GroupTable::load(&c).unwrap();
        assert!(strict.find_or_create("other").is_none());
        assert!(strict.find_or_create("cg").is_some());
        assert!(t.find_or_create("/../..").is_none());
        assert!(t.find_or_create(&"g".repeat(121)).is_none());
        assert!(t.get("/../..").is_none());
    }
}
