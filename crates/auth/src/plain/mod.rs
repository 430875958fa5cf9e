//! ACL 1.0 ("plain ACL", RocketMQ 4.4 – 5.3.2): accounts, whitelists and per-topic /
//! per-group permissions from `conf/plain_acl.yml` and `conf/acl/**/*.yml`, the decision for
//! each request, and the admin requests that rewrite the files. The spec is
//! `docs/reference/acl-tls.md` §2; Java's quirks are kept where they change who gets in or
//! what a client is told, and the few deliberate differences are documented where they live.
//!
//! - `acl`: [`PlainAcl`] — loading, reloading on change, versions, accounts.
//! - `decision`: [`PlainAcl::check`] and the refusal [`AclDenied`] (message and remark).
//! - `admin`: update / delete an account, replace a file's global whitelist (50, 51, 53).
//! - `resources`: what each request code needs; `perm`: permission bits and admin codes.
//! - `account`: one validated account; `address`: IP patterns; `inet`: Java's address text
//!   rules; `file`: the YAML schema; `scan`: which files; `java`: Java string behaviours.

mod account;
mod acl;
mod address;
mod admin;
mod decision;
mod error;
mod file;
mod inet;
mod java;
mod perm;
mod resources;
mod scan;

pub use account::{PlainAccount, RETRY_PREFIX};
pub use acl::PlainAcl;
pub use decision::{AclDenied, DenialSite};
pub use error::PlainAclError;
pub use java::split_comma_list;
pub use perm::{needs_admin, Perm, ADMIN_CODES};
