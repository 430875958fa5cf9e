//! Credentials through the proxy. A 5.x client signs each call (`authorization:
//! MQv2-HMAC-SHA1 Credential=<user>, SignedHeaders=x-mq-date-time, Signature=<hex
//! HMAC-SHA1(password, x-mq-date-time)>`, Java's `DefaultAuthenticationContextBuilder`). The
//! proxy checks that signature against the user's password, then signs every remoting request
//! made for that call as that user, so the brokers' own ACL decides what the client may do,
//! exactly as for a remoting client. Calls without credentials go unsigned (an ACL broker
//! refuses them); the proxy's own work (metadata, expiry) is signed with its inner
//! credentials.
//!
//! Whose credentials apply is a task-local set around each RPC ([`scoped`]); work spawned for
//! a call carries it with [`current`] + [`scoped`].

use std::future::Future;
use std::sync::Arc;

use ferromq_protocol::RemotingCommand;
use hmac::{Hmac, Mac};
use parking_lot::RwLock;
use sha1::Sha1;

use crate::context::RequestContext;

/// Whose credentials a remoting request carries.
#[derive(Clone)]
pub enum Caller {
    /// A client that sent none: requests go unsigned.
    Anonymous,
    /// An authenticated user: requests are signed as that user.
    User { name: String, secret: String },
    /// The proxy itself: its inner credentials, if any.
    Internal,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Anonymous => f.write_str("Anonymous"),
            Caller::User { name, .. } => write!(f, "User({name})"),
            Caller::Internal => f.write_str("Internal"),
        }
    }
}

tokio::task_local! {
    static CALLER: Caller;
}

/// Runs `f` with `caller`'s credentials on its remoting requests.
pub fn scoped<F: Future>(caller: Caller, f: F) -> impl Future<Output = F::Output> {
    CALLER.scope(caller, f)
}

/// Runs the synchronous `f` (making or polling a stream) as `caller`.
pub fn sync_scoped<R>(caller: Caller, f: impl FnOnce() -> R) -> R {
    CALLER.sync_scope(caller, f)
}

/// Runs `f` as the proxy itself.
pub fn internal<F: Future>(f: F) -> impl Future<Output = F::Output> {
    CALLER.scope(Caller::Internal, f)
}

/// The caller of the running RPC (to carry into spawned work); `None` outside any RPC.
pub fn current() -> Option<Caller> {
    CALLER.try_with(Caller::clone).ok()
}

/// A user's password by name (`None`: no such user, or a disabled one).
pub type SecretLookup =
    Arc<dyn Fn(String) -> futures::future::BoxFuture<'static, Option<String>> + Send + Sync>;

/// Why a call's credentials are refused (gRPC UNAUTHENTICATED).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unauthenticated(pub String);

/// The proxy's credentials: how users are looked up, and its own.
#[derive(Default)]
pub struct Auth {
    users: RwLock<Option<SecretLookup>>,
    inner: RwLock<Option<(String, String)>>,
}

impl Auth {
    /// Checks signed calls against `users` (without it, signatures are not checked and
    /// requests go unsigned: a broker without ACL needs none).
    pub fn set_users(&self, users: SecretLookup) {
        *self.users.write() = Some(users);
    }

    /// The proxy's own access key and secret, for its internal requests.
    pub fn set_inner(&self, access_key: &str, secret_key: &str) {
        *self.inner.write() = Some((access_key.to_owned(), secret_key.to_owned()));
    }

    /// Who the call of `ctx` is.
    pub async fn authenticate(&self, ctx: &RequestContext) -> Result<Caller, Unauthenticated> {
        let Some(users) = self.users.read().clone() else {
            return Ok(Caller::Anonymous);
        };
        let Some(header) = ctx.authorization() else {
            return Ok(Caller::Anonymous);
        };
        let (name, signature) = parse(header)?;
        if ctx.date_time().is_empty() {
            return Err(Unauthenticated("datetime is null.".into()));
        }
        let Some(secret) = users(name.clone()).await else {
            return Err(Unauthenticated(format!("User:{name} is not found.")));
        };
        if hmac_sha1(&secret, ctx.date_time().as_bytes()) != signature {
            return Err(Unauthenticated("check signature failed.".into()));
        }
        Ok(Caller::User { name, secret })
    }

    /// Signs `request` as the current caller (see [`Caller`]).
    pub fn sign(&self, request: &mut RemotingCommand) {
        match current() {
            Some(Caller::User { name, secret }) => {
                ferromq_protocol::signature::sign(request, &name, &secret, None)
            }
            Some(Caller::Internal) => {
                if let Some((ak, sk)) = self.inner.read().as_ref() {
                    ferromq_protocol::signature::sign(request, ak, sk, None);
                }
            }
            Some(Caller::Anonymous) | None => {}
        }
    }
}

fn hmac_sha1(key: &str, content: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(content);
    mac.finalize().into_bytes().to_vec()
}

/// The user and the signature bytes of an `authorization` header.
pub fn parse(header: &str) -> Result<(String, Vec<u8>), Unauthenticated> {
    let bad = |m: &str| Unauthenticated(m.to_owned());
    let (_, rest) = header
        .split_once(' ')
        .ok_or_else(|| bad("authentication header is incorrect."))?;
    let (mut user, mut sig) = (None, None);
    for kv in rest.split(',') {
        let (k, v) = kv
            .trim()
            .split_once('=')
            .ok_or_else(|| bad("authentication keyValues length is incorrect."))?;
        match k {
            "Credential" => user = v.split('/').next().map(str::to_owned),
            "Signature" => {
                sig = Some(hex(v).ok_or_else(|| bad("create authentication context error."))?)
            }
            _ => {}
        }
    }
    match (user.filter(|u| !u.is_empty()), sig) {
        (Some(u), Some(s)) => Ok((u, s)),
        _ => Err(bad("authentication header is incorrect.")),
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.len() > 256 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The `authorization` header a 5.x client sends for `user` at `date_time` (tests, tools).
pub fn authorization(user: &str, secret: &str, date_time: &str) -> String {
    let sig: String = hmac_sha1(secret, date_time.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    format!("MQv2-HMAC-SHA1 Credential={user}, SignedHeaders=x-mq-date-time, Signature={sig}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_and_verify() {
        let h = authorization("rocketmq", "12345678", "20261208T001500Z");
        let (u, sig) = parse(&h).unwrap();
        assert_eq!(u, "rocketmq");
        assert_eq!(sig, hmac_sha1("12345678", b"20261208T001500Z"));
        assert!(parse("MQv2-HMAC-SHA1").is_err());
        assert!(parse("MQv2-HMAC-SHA1 Credential=, Signature=00").is_err());
        assert!(parse("MQv2-HMAC-SHA1 Credential=a, Signature=zz").is_err());
    }

    #[tokio::test]
    async fn requests_are_signed_as_the_caller() {
        let auth = Auth::default();
        auth.set_inner("proxy", "inner-secret");
        let mut r = RemotingCommand::request(10);
        auth.sign(&mut r);
        assert!(
            r.ext_fields.get("AccessKey").is_none(),
            "outside any call: unsigned"
        );
        let user = Caller::User {
            name: "u".into(),
            secret: "s".into(),
        };
        let signed = scoped(user, async {
            let mut r = RemotingCommand::request(10);
            auth.sign(&mut r);
            r
        })
        .await;
        assert_eq!(signed.ext_fields.get("AccessKey"), Some("u"));
        assert!(ferromq_protocol::signature::verify(&signed, "s"));
        let own = internal(async {
            let mut r = RemotingCommand::request(10);
            auth.sign(&mut r);
            r
        })
        .await;
        assert_eq!(own.ext_fields.get("AccessKey"), Some("proxy"));
        let anon = scoped(Caller::Anonymous, async {
            let mut r = RemotingCommand::request(10);
            auth.sign(&mut r);
            r
        })
        .await;
        assert!(anon.ext_fields.get("AccessKey").is_none());
    }
}
