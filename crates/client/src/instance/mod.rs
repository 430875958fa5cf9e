//! The client instance (Java's `MQClientInstance`): one identity (client id), one connection
//! pool, the NameServer list, the route cache, the registered producer and consumer groups,
//! and the periodic route refresh (30 s) and heartbeat (30 s) tasks.

mod consumer_ids;
mod heartbeat;
pub(crate) mod members;
mod queue_offsets;
mod server_requests;
#[cfg(test)]
mod wire_tests;

use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use ferromq_model::{from_fastjson_slice, TopicRouteData};
use ferromq_protocol::headers::GetRouteInfoRequestHeader;
use ferromq_protocol::{request_code, response_code, signature, LanguageCode, RemotingCommand};
use ferromq_remoting::{ClientConfig as RemotingConfig, RemotingClient};
use parking_lot::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client_id::{client_id_for, client_ip};
use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::message::UniqueIdGenerator;
use crate::namesrv::NameServerList;
use crate::route::{RouteTable, TopicRoute};
use members::{ConsumerHooks, Members, ProducerHooks};

/// A client's shared plumbing. Cheap to clone; producers, consumers and the admin client
/// each own one.
#[derive(Clone)]
pub struct ClientInstance {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ClientInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInstance")
            .field("client_id", &self.inner.client_id)
            .finish()
    }
}

struct Inner {
    config: ClientConfig,
    client_id: String,
    ip: IpAddr,
    remoting: RemotingClient,
    namesrv: NameServerList,
    routes: RouteTable,
    ids: UniqueIdGenerator,
    members: Mutex<Members>,
    shutdown: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    started: AtomicBool,
    /// Where broker check-backs go when no producer group of this instance claims them.
    transaction_checks: Mutex<Option<TransactionCheckHook>>,
    /// Signs requests in place of `config.credentials` (a gateway signing for its callers).
    signer: Mutex<Option<RequestSigner>>,
    /// Answers broker requests about consumers this instance does not run.
    foreign: Mutex<Option<ForeignRequestHook>>,
}

/// Answers a broker's GET_CONSUMER_RUNNING_INFO or CONSUME_MESSAGE_DIRECTLY about a consumer
/// group this instance does not run: a gateway relays it to its own client. `None`: no
/// answer.
pub type ForeignRequestHook = Arc<
    dyn Fn(
            RemotingCommand,
        ) -> std::pin::Pin<Box<dyn Future<Output = Option<RemotingCommand>> + Send>>
        + Send
        + Sync,
>;

/// Signs an outgoing request, the last change before it is sent.
pub type RequestSigner = Arc<dyn Fn(&mut RemotingCommand) + Send + Sync>;

/// A broker's CHECK_TRANSACTION_STATE (39) for a producer group this instance does not run
/// itself: a gateway (the gRPC proxy) relays it to one of its own clients.
#[derive(Debug, Clone)]
pub struct TransactionCheck {
    /// The broker that asks (`host:port` of the connection it came on).
    pub broker_addr: String,
    /// The request's header (offsets, transaction id, broker name).
    pub header: ferromq_protocol::headers::CheckTransactionStateRequestHeader,
    /// The half message.
    pub message: ferromq_protocol::message::record::MessageExt,
}

/// Receives [`TransactionCheck`]s; it must not block (the connection's reader runs it).
pub type TransactionCheckHook = Arc<dyn Fn(TransactionCheck) + Send + Sync>;

/// The transport settings of `config`: TLS on every connection with `use_tls` (trusting any
/// server certificate and checking no host name, as Java's client does by default).
fn remoting_config(config: &ClientConfig) -> RemotingConfig {
    let tls = config.use_tls.then(|| {
        ferromq_remoting::client_tls_config(&ferromq_remoting::TlsClientSettings::default())
    });
    RemotingConfig {
        tls: match tls {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                tracing::error!(error = %e, "TLS unavailable: connecting in plain text");
                None
            }
            None => None,
        },
        ..RemotingConfig::default()
    }
}

impl ClientInstance {
    /// A new instance for `config`; nothing runs until [`ClientInstance::start`].
    pub fn new(config: ClientConfig) -> Self {
        Self::with_identity(config, false)
    }

    /// A new instance; `keep_default_instance` keeps the instance name `DEFAULT` in the client
    /// id instead of `pid#nanos` (Java's broadcasting consumers).
    pub fn with_identity(config: ClientConfig, keep_default_instance: bool) -> Self {
        let ip = client_ip(&config);
        let client_id = client_id_for(&config, ip, keep_default_instance);
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let handler = Arc::new(server_requests::ServerRequests::new(weak.clone()));
            Inner {
                remoting: RemotingClient::new(remoting_config(&config), handler),
                namesrv: NameServerList::new(config.namesrv_addrs.clone()),
                routes: RouteTable::new(),
                ids: UniqueIdGenerator::new(ip, std::process::id()),
                members: Mutex::new(Members::default()),
                shutdown: CancellationToken::new(),
                tasks: Mutex::new(Vec::new()),
                started: AtomicBool::new(false),
                transaction_checks: Mutex::new(None),
                signer: Mutex::new(None),
                foreign: Mutex::new(None),
                client_id,
                ip,
                config,
            }
        });
        ClientInstance { inner }
    }

    /// This client's id, `ip@instance`.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The IP the client reports.
    pub fn ip(&self) -> IpAddr {
        self.inner.ip
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The route cache.
    pub fn routes(&self) -> &RouteTable {
        &self.inner.routes
    }

    /// The NameServer list.
    pub fn namesrv(&self) -> &NameServerList {
        &self.inner.namesrv
    }

    /// The unique id generator.
    pub fn ids(&self) -> &UniqueIdGenerator {
        &self.inner.ids
    }

    /// Relays check-backs for producer groups this instance does not run to `hook` (a
    /// gateway's own clients answer them).
    pub fn set_transaction_check_hook(&self, hook: TransactionCheckHook) {
        *self.inner.transaction_checks.lock() = Some(hook);
    }

    pub(crate) fn transaction_check_hook(&self) -> Option<TransactionCheckHook> {
        self.inner.transaction_checks.lock().clone()
    }

    /// Signs every request with `signer` instead of the configured credentials: a gateway
    /// decides per request whose credentials apply (its caller's, its own, none).
    pub fn set_request_signer(&self, signer: RequestSigner) {
        *self.inner.signer.lock() = Some(signer);
    }

    /// Answers broker requests about consumer groups this instance does not run with `hook`.
    pub fn set_foreign_request_hook(&self, hook: ForeignRequestHook) {
        *self.inner.foreign.lock() = Some(hook);
    }

    pub(crate) fn foreign_request_hook(&self) -> Option<ForeignRequestHook> {
        self.inner.foreign.lock().clone()
    }

    /// Serves connections to `addr` in this process with `server` (no socket): a gateway
    /// inside its broker reaches that broker in memory with the same requests.
    pub fn add_local_endpoint(
        &self,
        addr: &str,
        server: Arc<dyn ferromq_remoting::RequestHandler>,
    ) {
        self.inner.remoting.add_local_endpoint(addr, server);
    }

    /// A token cancelled at shutdown.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.inner.shutdown.clone()
    }

    /// Starts the route refresh and heartbeat loops (once).
    pub fn start(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        let every = self.inner.config.poll_namesrv_interval;
        self.spawn_periodic(Duration::from_millis(10), every, move || {
            let this = this.clone();
            async move { this.refresh_routes().await }
        });
        let this = self.clone();
        let every = self.inner.config.heartbeat_interval;
        self.spawn_periodic(Duration::from_secs(1), every, move || {
            let this = this.clone();
            async move {
                this.send_heartbeat_to_all().await;
            }
        });
    }

    /// Runs `f` after `initial` and then every `period` until shutdown.
    pub(crate) fn spawn_periodic<F, Fut>(&self, initial: Duration, period: Duration, f: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let stop = self.inner.shutdown.clone();
        let handle = tokio::spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(initial) => {}
            }
            let mut tick = tokio::time::interval(period.max(Duration::from_millis(10)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => f().await,
                }
            }
        });
        self.inner.tasks.lock().push(handle);
    }

    /// Whether [`ClientInstance::shutdown`] ran.
    pub fn is_shut_down(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Stops the loops, unregisters every group from every broker and closes connections.
    pub async fn shutdown(&self) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        self.inner.shutdown.cancel();
        let tasks: Vec<_> = self.inner.tasks.lock().drain(..).collect();
        for t in tasks {
            let _ = t.await;
        }
        self.unregister_all().await;
        self.inner.remoting.shutdown();
    }

    // ---- members ---------------------------------------------------------------------------

    /// Registers a producer group; fails if the group is already registered here.
    pub(crate) fn register_producer(
        &self,
        group: &str,
        hooks: Arc<dyn ProducerHooks>,
    ) -> Result<()> {
        let mut m = self.inner.members.lock();
        if m.producers.contains_key(group) {
            return Err(ClientError::InvalidArgument(format!(
                "the producer group `{group}` has been created before"
            )));
        }
        m.producers.insert(group.to_string(), hooks);
        Ok(())
    }

    /// Registers a consumer group; fails if the group is already registered here.
    pub(crate) fn register_consumer(
        &self,
        group: &str,
        hooks: Arc<dyn ConsumerHooks>,
    ) -> Result<()> {
        let mut m = self.inner.members.lock();
        if m.consumers.contains_key(group) {
            return Err(ClientError::InvalidArgument(format!(
                "the consumer group `{group}` has been created before"
            )));
        }
        m.consumers.insert(group.to_string(), hooks);
        Ok(())
    }

    pub(crate) fn producer(&self, group: &str) -> Option<Arc<dyn ProducerHooks>> {
        self.inner.members.lock().producers.get(group).cloned()
    }

    pub(crate) fn consumer(&self, group: &str) -> Option<Arc<dyn ConsumerHooks>> {
        self.inner.members.lock().consumers.get(group).cloned()
    }

    /// Removes a producer group and tells the brokers.
    pub(crate) async fn unregister_producer(&self, group: &str) {
        self.inner.members.lock().producers.remove(group);
        self.unregister_client(Some(group), None).await;
    }

    /// Removes a consumer group and tells the brokers.
    pub(crate) async fn unregister_consumer(&self, group: &str) {
        self.inner.members.lock().consumers.remove(group);
        self.unregister_client(None, Some(group)).await;
    }

    // ---- remote calls ----------------------------------------------------------------------

    /// Stamps the client's language and configured header encoding on a request, then signs
    /// it when credentials are configured. Every request of this client — to NameServers and
    /// brokers, sync and one-way, from producers, consumers and the admin API — leaves through
    /// here, so none can skip the signature; signing comes last because the signature covers
    /// every extField and the body as they go on the wire (Java's `AclClientRPCHook` is the
    /// last hook that changes fields, too).
    fn prepare(&self, request: RemotingCommand) -> RemotingCommand {
        let mut request = request
            .with_language(LanguageCode::RUST)
            .with_serialize_type(self.inner.config.serialize_type);
        let signer = self.inner.signer.lock().clone();
        if let Some(sign) = signer {
            sign(&mut request);
        } else if let Some(c) = &self.inner.config.credentials {
            signature::sign(
                &mut request,
                &c.access_key,
                &c.secret_key,
                c.security_token.as_deref(),
            );
        }
        request
    }

    /// Sends `request` to `addr` and returns whatever it answers.
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let resp = self
            .inner
            .remoting
            .invoke_sync(addr, self.prepare(request), timeout)
            .await?;
        Ok(resp)
    }

    /// Sends `request` to `addr` saying it comes from a client written in `language` (a
    /// gateway speaking for its clients, as Java's proxy stamps theirs); otherwise as
    /// [`ClientInstance::invoke`].
    pub async fn invoke_as(
        &self,
        addr: &str,
        request: RemotingCommand,
        language: LanguageCode,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let request = self.prepare(request).with_language(language);
        Ok(self
            .inner
            .remoting
            .invoke_sync(addr, request, timeout)
            .await?)
    }

    /// Sends `request` to `addr`; a non-SUCCESS answer becomes [`ClientError::Broker`].
    pub async fn invoke_ok(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let resp = self.invoke(addr, request, timeout).await?;
        if resp.code != response_code::SUCCESS {
            return Err(ClientError::from_response(addr, &resp));
        }
        Ok(resp)
    }

    /// Sends a one-way request.
    pub async fn invoke_oneway(&self, addr: &str, request: RemotingCommand) -> Result<()> {
        self.inner
            .remoting
            .invoke_oneway(addr, self.prepare(request))
            .await?;
        Ok(())
    }

    /// Sends `request` to the current NameServer, failing over to the others on transport
    /// errors. Returns the first answer, whatever its code.
    pub async fn invoke_namesrv(
        &self,
        request: RemotingCommand,
    ) -> Result<(String, RemotingCommand)> {
        let order = self.inner.namesrv.attempt_order();
        if order.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        let mut last = None;
        for addr in order {
            match self
                .invoke(&addr, request.clone(), self.inner.config.api_timeout)
                .await
            {
                Ok(resp) => {
                    self.inner.namesrv.mark_ok(&addr);
                    return Ok((addr, resp));
                }
                Err(e) => {
                    tracing::debug!(namesrv = %addr, error = %e, "NameServer call failed; trying the next");
                    self.inner.namesrv.mark_failed(&addr);
                    self.inner.remoting.close_channel(&addr);
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or(ClientError::NoNameServer))
    }

    /// Like [`ClientInstance::invoke_namesrv`], requiring SUCCESS.
    pub async fn invoke_namesrv_ok(&self, request: RemotingCommand) -> Result<RemotingCommand> {
        let (addr, resp) = self.invoke_namesrv(request).await?;
        if resp.code != response_code::SUCCESS {
            return Err(ClientError::from_response(&addr, &resp));
        }
        Ok(resp)
    }

    // ---- routes ----------------------------------------------------------------------------

    /// Asks the NameServer for `topic`'s route (TOPIC_NOT_EXIST ⇒ [`ClientError::Broker`]
    /// with code 17).
    pub async fn fetch_route(&self, topic: &str) -> Result<TopicRouteData> {
        let header = GetRouteInfoRequestHeader {
            topic: topic.to_string(),
            accept_standard_json_only: None,
        };
        let req = RemotingCommand::request_with(request_code::GET_ROUTEINFO_BY_TOPIC, &header);
        let resp = self.invoke_namesrv_ok(req).await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }

    /// Fetches and caches `topic`'s route.
    pub async fn update_route(&self, topic: &str) -> Result<Arc<TopicRoute>> {
        let data = self.fetch_route(topic).await?;
        Ok(self.inner.routes.update(topic, data).0)
    }

    /// Caches for `topic` the route of `default_topic` (TBW102) with at most `queue_nums`
    /// queues per broker, so a send asks the broker to create `topic` (Java's
    /// `updateTopicRouteInfoFromNameServer(topic, true, producer)`).
    pub async fn update_route_from_default(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums: i32,
    ) -> Result<Arc<TopicRoute>> {
        let mut data = self.fetch_route(default_topic).await?;
        for qd in &mut data.queue_datas {
            let n = queue_nums.min(qd.read_queue_nums);
            qd.read_queue_nums = n;
            qd.write_queue_nums = n;
        }
        Ok(self.inner.routes.update(topic, data).0)
    }

    /// The cached route of `topic`, fetching it if absent.
    pub async fn route(&self, topic: &str) -> Result<Arc<TopicRoute>> {
        match self.inner.routes.get(topic) {
            Some(r) => Ok(r),
            None => self.update_route(topic).await,
        }
    }

    /// The master address of `broker_name`, refreshing `topic`'s route once if unknown.
    pub async fn master_addr(&self, broker_name: &str, topic: &str) -> Result<String> {
        if let Some(a) = self.inner.routes.master_addr(broker_name) {
            return Ok(a);
        }
        let _ = self.update_route(topic).await;
        self.inner
            .routes
            .master_addr(broker_name)
            .ok_or_else(|| ClientError::BrokerNotFound(broker_name.to_string()))
    }

    /// Refreshes every cached route and every consumer's subscribed topics.
    async fn refresh_routes(&self) {
        let mut topics = self.inner.routes.topics();
        let consumers: Vec<_> = self
            .inner
            .members
            .lock()
            .consumers
            .values()
            .cloned()
            .collect();
        for c in consumers {
            topics.extend(c.topics());
        }
        topics.sort();
        topics.dedup();
        for topic in topics {
            if let Err(e) = self.update_route(&topic).await {
                tracing::debug!(topic = %topic, error = %e, "route refresh failed");
            }
        }
    }
}
