//! The broker's live configuration. Readers take a snapshot without locking (sends and pulls
//! read it on every request); UPDATE_BROKER_CONFIG builds the next snapshot aside and swaps
//! it in, one update at a time.

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};
use ferromq_config::{BrokerConfig, ConfigError};
use ferromq_model::perm::{PERM_READ, PERM_WRITE};
use parking_lot::Mutex;

/// The live configuration.
pub struct Settings {
    current: ArcSwap<BrokerConfig>,
    updating: Mutex<()>,
}

impl Settings {
    /// Settings starting from `config`.
    pub fn new(config: BrokerConfig) -> Self {
        Settings {
            current: ArcSwap::from_pointee(config),
            updating: Mutex::new(()),
        }
    }

    /// The configuration now (a cheap snapshot; hold it only briefly).
    pub fn get(&self) -> Guard<Arc<BrokerConfig>> {
        self.current.load()
    }

    /// `brokerPermission`.
    pub fn broker_permission(&self) -> i32 {
        self.get().broker.broker_permission
    }

    /// Whether the broker accepts writes (`brokerPermission` has W).
    pub fn writable(&self) -> bool {
        self.broker_permission() & PERM_WRITE != 0
    }

    /// Whether the broker serves reads (`brokerPermission` has R).
    pub fn readable(&self) -> bool {
        self.broker_permission() & PERM_READ != 0
    }

    /// The number of delay levels (`messageDelayLevel`).
    pub fn delay_level_count(&self) -> i32 {
        self.get().delay_levels().len() as i32
    }

    /// Applies properties text (UPDATE_BROKER_CONFIG) all or nothing; returns the keys that
    /// changed. Parsing happens on a copy: readers never wait for it.
    pub fn update(&self, text: &str) -> Result<Vec<String>, ConfigError> {
        let _one_at_a_time = self.updating.lock();
        let mut next = BrokerConfig::clone(&self.current.load());
        let changed = next.update_from_properties(text)?;
        self.current.store(Arc::new(next));
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_swap_whole_snapshots() {
        let s = Settings::new(BrokerConfig::default());
        let before = s.get();
        assert!(s.writable() && s.readable());
        let changed = s.update("brokerPermission=4\nnoSuchKey=1\n").unwrap();
        assert_eq!(changed, vec!["brokerPermission".to_string()]);
        assert!(!s.writable() && s.readable());
        assert_eq!(
            before.broker.broker_permission, 6,
            "old snapshots are unchanged"
        );
        assert!(s.update("brokerPermission=x").is_err());
        assert_eq!(s.broker_permission(), 4, "a failed update changes nothing");
        assert!(s.delay_level_count() > 0);
    }
}
