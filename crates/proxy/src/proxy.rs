//! A proxy: its settings, its way to the brokers, and the state of the gRPC clients it serves.

use std::sync::{Arc, Weak};
use std::time::Duration;

use ferromq_remoting::RequestHandler;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::Auth;
use crate::backend::Backend;
use crate::config::ProxyConfig;
use crate::pb::messaging_service_server::MessagingServiceServer;
use crate::producer::transaction::Transactions;
use crate::service::Service;
use crate::{consumer, session};

/// Everything the RPCs share.
pub struct Proxy {
    config: ProxyConfig,
    backend: Backend,
    sessions: session::Sessions,
    consumers: consumer::Consumers,
    transactions: Transactions,
    auth: Auth,
    relays: session::relay::Relays,
    stop: CancellationToken,
}

impl Proxy {
    /// A proxy for `config`; nothing listens until [`serve`]. Must be called inside a tokio
    /// runtime: the proxy's housekeeping (idle sessions, transaction data) starts here and
    /// runs until [`Proxy::shutdown`].
    pub fn new(config: ProxyConfig) -> Arc<Self> {
        let backend = Backend::new(&config);
        let proxy = Arc::new(Proxy {
            sessions: session::Sessions::new(config.max_clients),
            consumers: consumer::Consumers::default(),
            transactions: Transactions::new(config.transaction_data_expire),
            auth: Auth::default(),
            relays: Default::default(),
            backend,
            config,
            stop: CancellationToken::new(),
        });
        crate::producer::transaction::relay_checks(&proxy);
        session::relay::install(&proxy);
        let weak = Arc::downgrade(&proxy);
        proxy
            .backend
            .instance()
            .set_request_signer(Arc::new(move |r| {
                if let Some(p) = weak.upgrade() {
                    p.auth.sign(r);
                }
            }));
        tokio::spawn(housekeeping(Arc::downgrade(&proxy), proxy.stop.clone()));
        proxy
    }

    /// LOCAL mode: the broker at `addr` runs in this process; requests to it go to
    /// `handler` in memory instead of over a socket.
    pub fn add_local_broker(&self, addr: &str, handler: Arc<dyn RequestHandler>) {
        self.backend.add_local_broker(addr, handler);
    }

    pub fn config(&self) -> &ProxyConfig {
        &self.config
    }
    /// The port clients are told to reach brokers on (this proxy's gRPC port).
    pub fn grpc_port(&self) -> u16 {
        self.config.grpc_listen.port()
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
    /// CLUSTER mode with ACL: callers are checked against the cluster's users (read with
    /// the inner credentials, which must be set).
    pub fn use_cluster_users(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        self.auth.set_users(Arc::new(move |name: String| {
            let weak = weak.clone();
            Box::pin(async move {
                let proxy = weak.upgrade()?;
                proxy.backend.user_secret(&name).await
            })
        }));
    }

    /// Whose credentials the remoting requests carry (see `auth`).
    pub fn auth(&self) -> &Auth {
        &self.auth
    }
    /// Broker requests relayed to clients, awaiting their answer.
    pub fn relays(&self) -> &session::relay::Relays {
        &self.relays
    }
    /// Half messages awaiting their EndTransaction.
    pub fn transactions(&self) -> &Transactions {
        &self.transactions
    }

    /// Stops the housekeeping and closes the connections to the brokers.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        self.backend.instance().shutdown().await;
    }
}

/// Every 5 s: sessions idle past `grpcClientIdleTimeMills` leave the brokers and the
/// registry; expired transaction data is forgotten.
async fn housekeeping(proxy: Weak<Proxy>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let Some(proxy) = proxy.upgrade() else { return };
        proxy.transactions.purge();
        for (client, settings) in proxy.sessions.expire(proxy.config.client_idle_time) {
            tracing::info!(client = %client.client_id, "gRPC client idle: session dropped");
            if let Some(s) = settings {
                crate::auth::internal(session::unregister(&proxy, &client.client_id, &s)).await;
            }
        }
    }
}

/// Serves `proxy` on `listener` until `shutdown` is cancelled: TLS and plain text on the one
/// port, as Java's proxy.
pub async fn serve(
    proxy: Arc<Proxy>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let max_in = proxy.config().max_inbound_message_size;
    let svc = MessagingServiceServer::new(Service::new(proxy))
        .max_decoding_message_size(max_in)
        .max_encoding_message_size(max_in);
    tonic::transport::Server::builder()
        .add_service(svc)
        .serve_with_incoming_shutdown(crate::tls::incoming(listener), shutdown.cancelled_owned())
        .await
}
