//! A proxy: its settings, its way to the brokers, and the state of the gRPC clients it serves.

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::backend::Backend;
use crate::config::ProxyConfig;
use crate::pb::messaging_service_server::MessagingServiceServer;
use crate::service::Service;
use crate::{consumer, session};

/// Everything the RPCs share.
pub struct Proxy {
    config: ProxyConfig,
    backend: Backend,
    sessions: session::Sessions,
    consumers: consumer::Consumers,
}

impl Proxy {
    /// A proxy for `config`; nothing listens until [`serve`].
    pub fn new(config: ProxyConfig) -> Arc<Self> {
        let backend = Backend::new(&config);
        Arc::new(Proxy {
            sessions: session::Sessions::default(),
            consumers: consumer::Consumers::default(),
            backend,
            config,
        })
    }

    pub fn config(&self) -> &ProxyConfig {
        &self.config
    }
    pub fn backend(&self) -> &Backend {
        &self.backend
    }
    /// The gRPC clients connected: settings, telemetry streams, groups.
    pub fn sessions(&self) -> &session::Sessions {
        &self.sessions
    }
    /// Consumer-side state (held receives, assignments).
    pub fn consumers(&self) -> &consumer::Consumers {
        &self.consumers
    }
}

/// Serves `proxy` on `listener` until `shutdown` is cancelled.
pub async fn serve(
    proxy: Arc<Proxy>,
    listener: TcpListener,
    shutdown: tokio_util::sync::CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let max_in = proxy.config().max_inbound_message_size;
    let svc = MessagingServiceServer::new(Service::new(proxy))
        .max_decoding_message_size(max_in)
        .max_encoding_message_size(max_in);
    tonic::transport::Server::builder()
        .add_service(svc)
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown.cancelled_owned(),
        )
        .await
}
