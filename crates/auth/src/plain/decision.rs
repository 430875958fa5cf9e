//! The ACL 1.0 decision for one request (Java's `PlainPermissionManager.validate` and
//! `PlainPermissionChecker.check`), in Java's exact order, and the refusal it produces.
//! Order matters beyond allow/deny: it decides which message the client sees, and an
//! account's `whiteRemoteAddress` deliberately skips the signature check.

use ferromq_protocol::signature::{self, ACCESS_KEY};
use ferromq_protocol::RemotingCommand;

use super::account::{PlainAccount, RETRY_PREFIX};
use super::perm::{needs_admin, Perm};
use super::resources::needed;
use super::PlainAcl;

/// The message-trace topic; sending to it skips permission checks (trace producers).
const TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";

/// Where Java throws a refusal; it names the first stack frame of the response remark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenialSite {
    /// Reading the request failed (a HEART_BEAT body).
    Parse,
    /// No `AccessKey`.
    NoAccessKey,
    /// Unknown access key.
    UnknownAccessKey,
    /// Access key known but its account is gone (its file lost it since).
    NoAccount,
    /// Bad or missing signature.
    Signature,
    /// Admin-only request from a non-admin account.
    NeedAdmin,
    /// A resource without an explicit entry, refused by the default permission.
    NoDefaultPermission,
    /// A resource refused by its explicit entry.
    NoPermission,
}

impl DenialSite {
    /// The stack frame Java 5.3.2 prints first for this refusal.
    pub fn frame(self) -> &'static str {
        match self {
            DenialSite::Parse => {
                "org.apache.rocketmq.acl.plain.PlainAccessResource.parse(PlainAccessResource.java:178)"
            }
            DenialSite::NoAccessKey => {
                "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:604)"
            }
            DenialSite::UnknownAccessKey => {
                "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:608)"
            }
            DenialSite::NoAccount => {
                "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:615)"
            }
            DenialSite::Signature => {
                "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:625)"
            }
            DenialSite::NeedAdmin => {
                "org.apache.rocketmq.acl.plain.PlainPermissionChecker.check(PlainPermissionChecker.java:36)"
            }
            DenialSite::NoDefaultPermission => {
                "org.apache.rocketmq.acl.plain.PlainPermissionChecker.check(PlainPermissionChecker.java:57)"
            }
            DenialSite::NoPermission => {
                "org.apache.rocketmq.acl.plain.PlainPermissionChecker.check(PlainPermissionChecker.java:62)"
            }
        }
    }
}

/// A refused request. Java answers it with SYSTEM_ERROR (1) and [`AclDenied::remark`],
/// and keeps the connection open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AclDenied {
    /// Java's `AclException` message, e.g. `Check signature failed for accessKey=rocketmq2`.
    pub message: String,
    /// Where Java throws it.
    pub site: DenialSite,
}

impl AclDenied {
    fn new(site: DenialSite, message: String) -> Self {
        AclDenied { message, site }
    }

    /// Java's response remark (`UtilAll.exceptionSimpleDesc`): the exception, then its first
    /// stack frame.
    pub fn remark(&self) -> String {
        format!(
            "org.apache.rocketmq.acl.common.AclException: {}, {}",
            self.message,
            self.site.frame()
        )
    }
}

impl PlainAcl {
    /// §2.5 decision for one request from client address `remote_ip` (v4 or v6 text, no
    /// port): `Ok(())` lets it through.
    pub fn check(&self, request: &RemotingCommand, remote_ip: &str) -> Result<(), AclDenied> {
        // Java works out the resources before anything else, so a bad heartbeat body is
        // refused even from a whitelisted address.
        let needed = needed(request).map_err(|m| AclDenied::new(DenialSite::Parse, m))?;
        if self.global_white_listed(remote_ip) {
            return Ok(());
        }
        let Some(ak) = request.ext_fields.get(ACCESS_KEY) else {
            return Err(AclDenied::new(
                DenialSite::NoAccessKey,
                "No accessKey is configured".into(),
            ));
        };
        let account = self.account_for(ak)?;
        if account.white_listed(remote_ip) {
            return Ok(());
        }
        if !signature::verify(request, &account.secret_key) {
            return Err(AclDenied::new(
                DenialSite::Signature,
                format!("Check signature failed for accessKey={ak}"),
            ));
        }
        if needed
            .iter()
            .any(|(r, p)| r == TRACE_TOPIC && *p == Perm::PUB)
        {
            return Ok(());
        }
        check_permissions(account, request.code, &needed)
    }

    fn account_for(&self, ak: &str) -> Result<&PlainAccount, AclDenied> {
        let Some(path) = self.key_table.get(ak) else {
            return Err(AclDenied::new(
                DenialSite::UnknownAccessKey,
                format!("No acl config for {ak}"),
            ));
        };
        self.files
            .get(path)
            .and_then(|f| f.accounts.get(ak))
            .ok_or_else(|| {
                AclDenied::new(
                    DenialSite::NoAccount,
                    format!("No PlainAccessResource for accessKey={ak}"),
                )
            })
    }
}

/// Admin accounts pass; admin-only codes need one; then each resource against its explicit
/// entry, or the account's default for its kind.
fn check_permissions(
    account: &PlainAccount,
    code: i32,
    needed: &[(String, Perm)],
) -> Result<(), AclDenied> {
    if account.admin {
        return Ok(());
    }
    if needs_admin(code) {
        return Err(AclDenied::new(
            DenialSite::NeedAdmin,
            format!(
                "Need admin permission for request code={code}, but accessKey={} is not",
                account.access_key
            ),
        ));
    }
    for (resource, perm) in needed {
        let is_group = resource.starts_with(RETRY_PREFIX);
        let (site, granted) = match account.explicit(resource) {
            Some(owned) => (DenialSite::NoPermission, owned.grants(*perm)),
            None => {
                let owned = if is_group {
                    account.default_group_perm
                } else {
                    account.default_topic_perm
                };
                (DenialSite::NoDefaultPermission, owned.grants(*perm))
            }
        };
        if !granted {
            let what = if site == DenialSite::NoPermission {
                "No permission for"
            } else {
                "No default permission for"
            };
            return Err(AclDenied::new(
                site,
                format!("{what} {}", describe(resource, is_group)),
            ));
        }
    }
    Ok(())
}

/// `topic:<t>` or `group:<g>` (Java's `KeyBuilder.parseGroup`: a `%RETRY%g+topic` POP
/// retry topic names group `g`).
fn describe(resource: &str, is_group: bool) -> String {
    if !is_group {
        return format!("topic:{resource}");
    }
    let mut parts: Vec<&str> = resource.split('+').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let retry = if resource.contains('+') && parts.len() == 2 {
        parts[0]
    } else {
        resource
    };
    format!("group:{}", &retry[RETRY_PREFIX.len()..])
}

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
