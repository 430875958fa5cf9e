//! Starting and stopping a broker: open the store, load the tables, serve the ports, run the
//! periodic work (NameServer registration, offset flushing, long-poll checks, idle client
//! eviction, statistics), and shut down in order.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ferromq_config::BrokerConfig;
use ferromq_remoting::{
    client_tls, run_transport, ClientConfig, RemotingClient, RequestHandler, ServerConfig,
    Transport,
};
use ferromq_store::{Arrival, MessageStore};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::delayed::{schedule, timer, transaction};
use crate::error::BrokerError;
use crate::ha;
use crate::identity::Identity;
use crate::processor::{client, pull, BrokerHandler};
use crate::store_config;

/// A running broker.
pub struct Broker {
    ctx: Arc<BrokerContext>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    namesrv: RemotingClient,
    addr: SocketAddr,
}

impl Broker {
    /// Starts a broker serving `listener` (and `fast_listener`, the "VIP" port, if given).
    /// The advertised address is `brokerIP1` with the listener's port.
    pub async fn start(
        config: BrokerConfig,
        listener: TcpListener,
        fast_listener: Option<TcpListener>,
    ) -> Result<Broker, BrokerError> {
        let port = listener.local_addr()?.port();
        let ip: IpAddr = config.broker_ip1().parse().map_err(|_| {
            BrokerError::Config(format!(
                "brokerIP1 `{}` is not an IP address",
                config.broker_ip1()
            ))
        })?;
        let store_host = SocketAddr::new(ip, port);

        let sc = store_config::store_config(&config);
        let store = tokio::task::spawn_blocking(move || MessageStore::open(sc))
            .await
            .map_err(|e| BrokerError::Config(format!("store open panicked: {e}")))??;
        let report = store.recovery_report();
        tracing::info!(?report, "message store opened");

        let identity = Identity::new(
            &config.broker.broker_cluster_name,
            &config.broker.broker_name,
            config.broker.broker_id,
            store_host,
        );
        let ctx = Arc::new(BrokerContext::new(config, identity, store.clone())?);
        // Persist the system topics a fresh broker creates.
        persist_tables(&ctx).await;

        wake_pulls_on_arrival(&ctx);

        let stop = CancellationToken::new();
        let handler: Arc<dyn RequestHandler> = Arc::new(BrokerHandler::new(ctx.clone()));
        let mut tasks = Vec::new();
        tasks.extend(start_replication(&ctx, &stop).await?);
        // TLS as `tls.server.*` say (both ports, as Java's pipeline); HA stays plain, as Java's.
        let tls = resolved_tls(&ctx)?;
        let transport = Transport::of(&tls).map_err(|e| BrokerError::Config(e.to_string()))?;
        for l in std::iter::once(listener).chain(fast_listener) {
            let h = handler.clone();
            let s = stop.clone();
            if let Ok(a) = l.local_addr() {
                tracing::info!(addr = %a, tls = %tls.tls_server_mode, "broker listening");
            }
            let t = transport.clone();
            tasks.push(tokio::spawn(async move {
                run_transport(l, t, h, ServerConfig::default(), s.cancelled_owned()).await;
            }));
        }

        // NameServers send brokers no requests; the client must not hold the handler (and
        // through it the context), or the context would keep itself (and the store) alive.
        let namesrv = RemotingClient::new(
            outgoing_client_config(&ctx)?,
            Arc::new(ferromq_remoting::Dispatcher::new()),
        );
        ctx.registration().connect(namesrv.clone());
        tasks.push(tokio::spawn(ctx.registration().clone().run(stop.clone())));
        tasks.push(tokio::spawn(periodic(ctx.clone(), stop.clone())));
        tasks.push(tokio::spawn(persist_on_change(ctx.clone(), stop.clone())));
        if ctx.access().plain().is_some() {
            tasks.push(tokio::spawn(reload_plain_acl(ctx.clone(), stop.clone())));
        }
        if ctx.replication().controlled().is_some() {
            // The controller decides the role; the master-only services follow it.
            tasks.push(tokio::spawn(crate::replicas::run(
                ctx.clone(),
                stop.clone(),
            )));
        } else if !ctx.replication().is_slave() {
            // Only a master re-puts delayed messages and checks transactions back (Java);
            // a slave holds the same system queues, replicated.
            tasks.push(tokio::spawn(schedule::run(ctx.clone(), stop.clone())));
            tasks.push(tokio::spawn(timer::run(ctx.clone(), stop.clone())));
            tasks.push(tokio::spawn(transaction::run(ctx.clone(), stop.clone())));
            tasks.push(tokio::spawn(crate::pop::revive::run(
                ctx.clone(),
                stop.clone(),
            )));
        }

        let id = ctx.identity();
        tracing::info!(broker = %id.name(), cluster = %id.cluster(), addr = %store_host, "broker started");
        Ok(Broker {
            ctx,
            stop,
            tasks,
            namesrv,
            addr: store_host,
        })
    }

    /// The broker's shared state.
    pub fn context(&self) -> &Arc<BrokerContext> {
        &self.ctx
    }

    /// The advertised address (`brokerIP1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Registers with the NameServers now (tests use this instead of waiting).
    pub async fn register_now(&self) -> usize {
        self.ctx.registration().now().await
    }

    /// Stops serving, unregisters, persists everything and closes the store.
    pub async fn shutdown(self) {
        tracing::info!(broker = %self.ctx.identity().name(), "broker shutting down");
        self.ctx.registration().unregister_all().await;
        self.stop.cancel();
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        self.namesrv.shutdown();
        self.ctx.store().set_arrival_listener(None);
        drop(self.ctx.pull_hold().drain());
        drop(self.ctx.pop().hold().drain());
        if let Err(e) = self.ctx.pop().modes().persist() {
            tracing::error!(error = %e, "persisting messageRequestMode.json failed");
        }
        persist_tables(&self.ctx).await;
        let store = self.ctx.store().clone();
        match tokio::task::spawn_blocking(move || store.shutdown()).await {
            Ok(Ok(())) => tracing::info!("message store closed cleanly"),
            Ok(Err(e)) => tracing::error!(error = %e, "message store shutdown failed"),
            Err(e) => tracing::error!(error = %e, "message store shutdown panicked"),
        }
    }
}

/// The `tls.*` keys with `tls.config.file` applied.
fn resolved_tls(ctx: &BrokerContext) -> Result<ferromq_config::TlsConfig, BrokerError> {
    let tls = &ctx.settings().get().tls;
    tls.resolved()
        .map_err(|e| BrokerError::Config(e.to_string()))
}

/// How the broker's own requests leave, to NameServers and to its master: over TLS when
/// `tls.enable` is set or the server side is enforcing (Java's broker client), signed with
/// `innerClientAuthenticationCredentials` when set.
pub(crate) fn outgoing_client_config(ctx: &BrokerContext) -> Result<ClientConfig, BrokerError> {
    let tls = resolved_tls(ctx)?;
    Ok(ClientConfig {
        tls: client_tls(&tls).map_err(|e| BrokerError::Config(e.to_string()))?,
        rpc_hook: ctx.access().outgoing_hook(),
        ..ClientConfig::default()
    })
}

/// Binds the HA port (`haListenPort`, every role binds it, as in Java) and serves slaves
/// there; a slave also follows its master.
async fn start_replication(
    ctx: &Arc<BrokerContext>,
    stop: &CancellationToken,
) -> Result<Vec<JoinHandle<()>>, BrokerError> {
    let cfg = ctx.settings().get();
    let addr = format!("{}:{}", cfg.netty.bind_address, cfg.ha_listen_port());
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| BrokerError::Config(format!("binding the HA port {addr}: {e}")))?;
    let bound = listener.local_addr()?;
    ctx.replication().set_listen_addr(bound);
    tracing::info!(addr = %bound, role = ?ctx.replication().role(), "HA port listening");
    let mut tasks = vec![tokio::spawn(ha::serve(listener, ctx.clone(), stop.clone()))];
    if ctx.replication().controlled().is_some() {
        tasks.push(tokio::spawn(ha::follow_auto(ctx.clone(), stop.clone())));
    } else if ctx.replication().is_slave() {
        tasks.push(tokio::spawn(ha::follow(ctx.clone(), stop.clone())));
    }
    if ctx.replication().is_slave() {
        // Its own client: the master never calls back, so no handler.
        let client = RemotingClient::new(
            outgoing_client_config(ctx)?,
            Arc::new(ferromq_remoting::Dispatcher::new()),
        );
        tasks.push(tokio::spawn(ha::sync_from_master(
            ctx.clone(),
            client,
            stop.clone(),
        )));
    }
    Ok(tasks)
}

/// Long polling: messages dispatched by the store wake the pulls parked for their queue. The
/// listener holds the context weakly: the store must not keep the broker alive.
fn wake_pulls_on_arrival(ctx: &Arc<BrokerContext>) {
    let weak: Weak<BrokerContext> = Arc::downgrade(ctx);
    let rt = tokio::runtime::Handle::current();
    ctx.store()
        .set_arrival_listener(Some(Arc::new(move |a: &Arrival<'_>| {
            let Some(ctx) = weak.upgrade() else { return };
            let woken = ctx
                .pull_hold()
                .on_arrival(a.topic, a.queue_id, a.max_offset, a.tag_code);
            let _guard = rt.enter();
            if !woken.is_empty() {
                pull::wake(&ctx, woken);
            }
            crate::pop::wake::on_arrival(&ctx, a.topic);
        })));
}

/// Writes topics.json, subscriptionGroup.json and consumerOffset.json off the async threads.
async fn persist_tables(ctx: &Arc<BrokerContext>) {
    let c = ctx.clone();
    let result = tokio::task::spawn_blocking(move || c.tables().persist()).await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "persisting broker tables failed"),
        Err(e) => tracing::error!(error = %e, "persisting broker tables panicked"),
    }
}

/// Rereads changed ACL 1.0 files every 5 s (Java's `AclFileWatchService` period).
async fn reload_plain_acl(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
        let c = ctx.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(p) = c.access().plain() {
                p.reload();
            }
        })
        .await;
    }
}

async fn persist_on_change(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ctx.tables().persist_requested() => {}
        }
        persist_tables(&ctx).await;
    }
}

/// Once a second: statistics and long-poll deadlines; every 5 s: consumer offsets; every
/// 10 s: idle client eviction.
async fn periodic(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        n += 1;
        let now = ferromq_protocol::time::now_ms();
        ctx.stats().sample(now);
        ctx.delayed().timer().sample(now);
        let store = ctx.store().clone();
        let due = ctx
            .pull_hold()
            .due(Instant::now(), |t, q| store.max_offset_in_queue(t, q));
        if !due.is_empty() {
            pull::wake(&ctx, due);
        }
        crate::pop::wake::on_tick(&ctx);
        if n % 5 == 0 {
            let c = ctx.clone();
            let _ = tokio::task::spawn_blocking(move || {
                if let Err(e) = c.tables().offsets().persist() {
                    tracing::error!(error = %e, "persisting consumer offsets failed");
                }
            })
            .await;
        }
        if n % 10 == 0 {
            let timeout = Duration::from_millis(
                ctx.settings()
                    .get()
                    .broker
                    .channel_expired_timeout
                    .max(1000) as u64,
            );
            let (closed, left) = ctx.clients().evict_idle(timeout);
            for c in closed {
                c.close();
            }
            client::departed(&ctx, &left);
            ctx.queue_locks().purge_expired(Instant::now());
        }
    }
}
