//! ACL 1.0 on the broker: [`PlainGate`] holds what `plain_acl.yml` and `conf/acl/**` say,
//! checks each request against it, reloads it when the files change (every 5 s, as Java's
//! `AclFileWatchService`) and applies the 50–53 admin changes.
//!
//! Requests read an `Arc` snapshot. Reloads and changes work on a copy, off the request path,
//! and swap it in; one mutex keeps writers in order (the files are their state too).

use std::path::PathBuf;
use std::sync::Arc;

use ferromq_auth::{PlainAcl, PlainAclError};
use ferromq_config::BrokerConfig;
use ferromq_protocol::RemotingCommand;
use ferromq_remoting::RequestError;
use parking_lot::{Mutex, RwLock};

use crate::error::BrokerError;

/// The broker's ACL 1.0 state.
pub(crate) struct PlainGate {
    current: RwLock<Arc<PlainAcl>>,
    writer: Mutex<()>,
}

impl PlainGate {
    /// Loads the files under `rocketmqHome` (`ROCKETMQ_HOME`); a broker with `aclEnable`
    /// and no home, or with a file that does not parse, does not start (Java's either fails
    /// or refuses every request).
    pub(super) fn load(config: &BrokerConfig) -> Result<PlainGate, BrokerError> {
        let home = config
            .broker
            .rocketmq_home
            .as_deref()
            .filter(|h| !h.trim().is_empty())
            .ok_or_else(|| {
                BrokerError::Config("aclEnable needs rocketmqHome (or ROCKETMQ_HOME)".into())
            })?;
        let acl = PlainAcl::load(&PathBuf::from(home))
            .map_err(|e| BrokerError::Config(format!("ACL 1.0: {e}")))?;
        tracing::info!(file = %acl.default_file().display(), "ACL 1.0 enabled");
        Ok(PlainGate {
            current: RwLock::new(Arc::new(acl)),
            writer: Mutex::new(()),
        })
    }

    /// What requests are checked against now.
    pub(crate) fn snapshot(&self) -> Arc<PlainAcl> {
        self.current.read().clone()
    }

    /// Java's decision for `request` from `ip`; a refusal is SYSTEM_ERROR with the
    /// `AclException` text and its first stack frame, as Java's generic handler answers.
    pub(super) fn check(&self, request: &RemotingCommand, ip: &str) -> Result<(), RequestError> {
        self.snapshot().check(request, ip).map_err(|d| {
            tracing::info!(code = request.code, remote = %ip, refusal = %d.message,
                "request refused by ACL 1.0");
            RequestError::system(d.remark())
        })
    }

    /// Applies `change` to a copy and publishes it (blocking: the files are written).
    pub(crate) fn update<T>(
        &self,
        change: impl FnOnce(&mut PlainAcl) -> Result<T, PlainAclError>,
    ) -> Result<T, PlainAclError> {
        let _one_writer = self.writer.lock();
        let mut next = (*self.snapshot()).clone();
        let out = change(&mut next)?;
        *self.current.write() = Arc::new(next);
        Ok(out)
    }

    /// Rereads changed files (blocking); logs and keeps the old state when one is invalid.
    pub(crate) fn reload(&self) {
        match self.update(|acl| acl.reload_if_changed()) {
            Ok(true) => tracing::info!("ACL 1.0 files reloaded"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "ACL 1.0 reload failed; the previous rules stay"),
        }
    }
}
