//! What every gRPC request says about its client, read from the metadata the official 5.x
//! clients send (`x-mq-client-id`, `x-mq-language`, ...).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tonic::{Request, Status};

/// The metadata keys of the 5.x clients.
pub mod keys {
    pub const CLIENT_ID: &str = "x-mq-client-id";
    pub const LANGUAGE: &str = "x-mq-language";
    pub const CLIENT_VERSION: &str = "x-mq-client-version";
    pub const PROTOCOL_VERSION: &str = "x-mq-protocol";
    pub const REQUEST_ID: &str = "x-mq-request-id";
    pub const NAMESPACE: &str = "x-mq-namespace";
    pub const DATE_TIME: &str = "x-mq-date-time";
    pub const AUTHORIZATION: &str = "authorization";
    pub const SESSION_TOKEN: &str = "x-mq-session-token";
}

/// One request's client identity.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    client_id: String,
    language: String,
    client_version: String,
    protocol_version: String,
    request_id: String,
    namespace: String,
    date_time: String,
    authorization: Option<String>,
    session_token: Option<String>,
    remote: Option<SocketAddr>,
    local: Option<SocketAddr>,
    deadline: Option<Instant>,
}

impl RequestContext {
    /// Reads the metadata of `request`. A missing client id is refused, as Java's proxy
    /// refuses it (every official client sends one).
    pub fn from_request<T>(request: &Request<T>) -> Result<Self, Status> {
        let md = request.metadata();
        let get = |k: &str| {
            md.get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default()
        };
        let client_id = get(keys::CLIENT_ID);
        if client_id.is_empty() {
            return Err(Status::invalid_argument("x-mq-client-id is required"));
        }
        Ok(RequestContext {
            client_id,
            language: get(keys::LANGUAGE),
            client_version: get(keys::CLIENT_VERSION),
            protocol_version: get(keys::PROTOCOL_VERSION),
            request_id: get(keys::REQUEST_ID),
            namespace: get(keys::NAMESPACE),
            date_time: get(keys::DATE_TIME),
            authorization: Some(get(keys::AUTHORIZATION)).filter(|s| !s.is_empty()),
            session_token: Some(get(keys::SESSION_TOKEN)).filter(|s| !s.is_empty()),
            remote: request.remote_addr(),
            local: request.local_addr(),
            deadline: md
                .get("grpc-timeout")
                .and_then(|v| v.to_str().ok())
                .and_then(grpc_timeout)
                .map(|d| Instant::now() + d),
        })
    }

    /// A context for tests and internal calls.
    pub fn for_client(client_id: &str) -> Self {
        RequestContext {
            client_id: client_id.to_owned(),
            language: "JAVA".into(),
            ..Default::default()
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The client's language as it names itself (`JAVA`, `GOLANG`, `CPP`, ...).
    pub fn language(&self) -> &str {
        &self.language
    }
    pub fn client_version(&self) -> &str {
        &self.client_version
    }
    pub fn protocol_version(&self) -> &str {
        &self.protocol_version
    }
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
    /// The namespace the client works in (empty: none).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    pub fn date_time(&self) -> &str {
        &self.date_time
    }
    /// The `authorization` header (`MQv2-HMAC-SHA1 Credential=..., SignedHeaders=..., Signature=...`).
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
    /// The client's socket address, when the transport knows it.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote
    }
    /// The proxy's socket address the client reached.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }
    /// When the client stops waiting (its `grpc-timeout`), if it said.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
    /// What is left before the client's deadline (zero once passed), if it set one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

/// The gRPC `grpc-timeout` header: up to 8 digits and a unit (H, M, S, m, u, n).
pub fn grpc_timeout(v: &str) -> Option<Duration> {
    let v = v.trim();
    let unit = v.chars().last()?;
    let digits = &v[..v.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        'H' => Duration::from_secs(n * 3600),
        'M' => Duration::from_secs(n * 60),
        'S' => Duration::from_secs(n),
        'm' => Duration::from_millis(n),
        'u' => Duration::from_micros(n),
        'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts() {
        assert_eq!(grpc_timeout("20S"), Some(Duration::from_secs(20)));
        assert_eq!(grpc_timeout("1500m"), Some(Duration::from_millis(1500)));
        assert_eq!(grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(grpc_timeout("999999999S"), None, "at most 8 digits");
        assert_eq!(grpc_timeout("S"), None);
        assert_eq!(grpc_timeout("10x"), None);
        assert_eq!(grpc_timeout("1é"), None);
    }

    #[test]
    fn deadline_from_metadata() {
        let mut r = tonic::Request::new(());
        r.metadata_mut()
            .insert("x-mq-client-id", "c".parse().unwrap());
        r.set_timeout(Duration::from_secs(30));
        let ctx = RequestContext::from_request(&r).unwrap();
        let left = ctx.remaining().unwrap();
        assert!(left > Duration::from_secs(29) && left <= Duration::from_secs(30));
        assert!(RequestContext::for_client("c").deadline().is_none());
    }
}
