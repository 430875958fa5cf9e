//! What every gRPC request says about its client, read from the metadata the official 5.x
//! clients send (`x-mq-client-id`, `x-mq-language`, ...).

use std::net::SocketAddr;

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
}
