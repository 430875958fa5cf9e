//! The client side: a pool of channels by address, and sync / async / one-way calls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::RemotingCommand;
use parking_lot::Mutex;
use tokio::net::TcpStream;

use crate::channel::{Channel, ChannelConfig};
use crate::error::RemotingError;
use crate::handler::{not_supported, RequestHandler, ResponseFuture};

/// The buffer of an in-memory connection in each direction (a socket's order of magnitude).
const LOCAL_PIPE_BYTES: usize = 256 * 1024;

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Per-channel settings.
    pub channel: ChannelConfig,
    /// Connect timeout (Java: 3 s).
    pub connect_timeout: Duration,
    /// Speak TLS on every connection (Java's `useTLS`), with this configuration
    /// ([`crate::client_tls_config`]).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Runs on every request just before it is sent (Java's `RPCHook.doBeforeRequest`):
    /// where a signer puts `AccessKey`/`Signature`.
    pub rpc_hook: Option<RpcHook>,
}

/// A last change to each outgoing request, such as signing it.
#[derive(Clone)]
pub struct RpcHook(Arc<dyn Fn(&mut RemotingCommand) + Send + Sync>);

impl RpcHook {
    /// A hook running `f`.
    pub fn new(f: impl Fn(&mut RemotingCommand) + Send + Sync + 'static) -> Self {
        RpcHook(Arc::new(f))
    }

    /// Signs every request as Java's `AclClientRPCHook` does.
    pub fn sign_with(access_key: &str, secret_key: &str) -> Self {
        let (ak, sk) = (access_key.to_string(), secret_key.to_string());
        RpcHook::new(move |r| ferromq_protocol::signature::sign(r, &ak, &sk, None))
    }

    /// Applies the hook.
    pub fn apply(&self, request: &mut RemotingCommand) {
        (self.0)(request)
    }
}

impl std::fmt::Debug for RpcHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RpcHook")
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            channel: ChannelConfig {
                idle_timeout: None,
                ..ChannelConfig::default()
            },
            connect_timeout: Duration::from_secs(3),
            tls: None,
            rpc_hook: None,
        }
    }
}

/// Answers every server-initiated request with REQUEST_CODE_NOT_SUPPORTED.
struct RejectAll;

impl RequestHandler for RejectAll {
    fn handle(&self, _channel: Channel, request: RemotingCommand) -> ResponseFuture {
        let code = request.code;
        Box::pin(async move { Some(not_supported(code)) })
    }
}

/// A pool of channels keyed by `host:port`, reconnecting on demand.
#[derive(Clone)]
pub struct RemotingClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    handler: Arc<dyn RequestHandler>,
    channels: Mutex<HashMap<String, Channel>>,
    connecting: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Addresses served in this process: a connection to one is an in-memory pair whose
    /// other end runs the handler, with no socket (a proxy inside its broker).
    local: Mutex<HashMap<String, Arc<dyn RequestHandler>>>,
}

impl RemotingClient {
    /// A client whose channels answer server-initiated requests with `handler`.
    pub fn new(config: ClientConfig, handler: Arc<dyn RequestHandler>) -> Self {
        RemotingClient {
            inner: Arc::new(Inner {
                config,
                handler,
                channels: Mutex::new(HashMap::new()),
                connecting: Mutex::new(HashMap::new()),
                local: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A client that serves no requests from the other side.
    pub fn with_defaults() -> Self {
        Self::new(ClientConfig::default(), Arc::new(RejectAll))
    }

    /// The open channel to `addr`, connecting if needed.
    pub async fn channel(&self, addr: &str) -> Result<Channel, RemotingError> {
        if let Some(c) = self.open_channel(addr) {
            return Ok(c);
        }
        let lock = self
            .inner
            .connecting
            .lock()
            .entry(addr.to_string())
            .or_default()
            .clone();
        let _guard = lock.lock().await;
        if let Some(c) = self.open_channel(addr) {
            return Ok(c);
        }
        let local = self.inner.local.lock().get(addr).cloned();
        if let Some(server) = local {
            let channel = self.spawn_local(addr, server)?;
            self.inner
                .channels
                .lock()
                .insert(addr.to_string(), channel.clone());
            return Ok(channel);
        }
        let timeout = self.inner.config.connect_timeout;
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(RemotingError::ConnectTimeout {
                    addr: addr.to_string(),
                    timeout,
                })
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidInput => {
                return Err(RemotingError::InvalidAddress(addr.to_string()))
            }
            Ok(Err(source)) => {
                return Err(RemotingError::Connect {
                    addr: addr.to_string(),
                    source,
                })
            }
            Ok(Ok(s)) => s,
        };
        let channel = match &self.inner.config.tls {
            None => {
                Channel::spawn(
                    stream,
                    self.inner.handler.clone(),
                    self.inner.config.channel.clone(),
                )
                .map_err(|source| RemotingError::Connect {
                    addr: addr.to_string(),
                    source,
                })?
                .0
            }
            Some(tls) => self.spawn_tls(addr, stream, tls.clone(), timeout).await?,
        };
        self.inner
            .channels
            .lock()
            .insert(addr.to_string(), channel.clone());
        Ok(channel)
    }

    /// A TLS handshake over `stream`, then a channel over it. The server's name is the
    /// host part of `addr` (Java's client sends none and checks none: see
    /// [`crate::client_tls_config`]).
    async fn spawn_tls(
        &self,
        addr: &str,
        stream: TcpStream,
        tls: Arc<rustls::ClientConfig>,
        timeout: Duration,
    ) -> Result<Channel, RemotingError> {
        let fail = |e: std::io::Error| RemotingError::Connect {
            addr: addr.to_string(),
            source: e,
        };
        let (remote, local) = (
            stream.peer_addr().map_err(fail)?,
            stream.local_addr().map_err(fail)?,
        );
        let _ = stream.set_nodelay(true);
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|_| RemotingError::InvalidAddress(addr.to_string()))?;
        let s = tokio::time::timeout(
            timeout,
            tokio_rustls::TlsConnector::from(tls).connect(name, stream),
        )
        .await
        .map_err(|_| RemotingError::ConnectTimeout {
            addr: addr.to_string(),
            timeout,
        })?
        .map_err(fail)?;
        let (channel, _task) = Channel::spawn_io(
            s,
            remote,
            local,
            self.inner.handler.clone(),
            self.inner.config.channel.clone(),
        );
        Ok(channel)
    }

    /// Serves connections to `addr` in this process: requests to it reach `server` over an
    /// in-memory pair (`tokio::io::duplex`) instead of a socket. The server side sees the
    /// same frames, limits and request handling as over TCP.
    pub fn add_local_endpoint(&self, addr: &str, server: Arc<dyn RequestHandler>) {
        self.inner.local.lock().insert(addr.to_string(), server);
        self.close_channel(addr);
    }

    /// An in-memory connection to the local endpoint `addr`: one channel per end, the server's
    /// answering with `server`, ours with the client's handler.
    fn spawn_local(
        &self,
        addr: &str,
        server: Arc<dyn RequestHandler>,
    ) -> Result<Channel, RemotingError> {
        let server_addr: SocketAddr = addr
            .parse()
            .map_err(|_| RemotingError::InvalidAddress(addr.to_string()))?;
        // The client end has no socket; it reports the loopback address with port 0.
        let client_addr = SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), 0);
        let (ours, theirs) = tokio::io::duplex(LOCAL_PIPE_BYTES);
        let _ = Channel::spawn_io(
            theirs,
            client_addr,
            server_addr,
            server,
            ChannelConfig::default(),
        );
        let (channel, _task) = Channel::spawn_io(
            ours,
            server_addr,
            client_addr,
            self.inner.handler.clone(),
            self.inner.config.channel.clone(),
        );
        Ok(channel)
    }

    fn open_channel(&self, addr: &str) -> Option<Channel> {
        let mut map = self.inner.channels.lock();
        match map.get(addr) {
            Some(c) if !c.is_closed() => Some(c.clone()),
            Some(_) => {
                map.remove(addr);
                None
            }
            None => None,
        }
    }

    /// Sends `request` to `addr` and waits for the response.
    pub async fn invoke_sync(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let channel = self.channel(addr).await?;
        channel.request(self.hooked(request), timeout).await
    }

    /// Sends `request` to `addr` and calls `callback` with the outcome, without waiting.
    pub fn invoke_async<F>(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
        callback: F,
    ) where
        F: FnOnce(Result<RemotingCommand, RemotingError>) + Send + 'static,
    {
        let this = self.clone();
        let addr = addr.to_string();
        tokio::spawn(async move {
            callback(this.invoke_sync(&addr, request, timeout).await);
        });
    }

    /// Sends a one-way `request` to `addr`.
    pub async fn invoke_oneway(
        &self,
        addr: &str,
        request: RemotingCommand,
    ) -> Result<(), RemotingError> {
        let channel = self.channel(addr).await?;
        channel.oneway(self.hooked(request)).await
    }

    /// `request` after the configured hook.
    fn hooked(&self, mut request: RemotingCommand) -> RemotingCommand {
        if let Some(h) = &self.inner.config.rpc_hook {
            h.apply(&mut request);
        }
        request
    }

    /// Closes the channel to `addr`, if any.
    pub fn close_channel(&self, addr: &str) {
        if let Some(c) = self.inner.channels.lock().remove(addr) {
            c.close();
        }
    }

    /// Closes every channel.
    pub fn shutdown(&self) {
        let channels: Vec<Channel> = self.inner.channels.lock().drain().map(|(_, c)| c).collect();
        for c in channels {
            c.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::Dispatcher;

    #[tokio::test]
    async fn local_endpoint_answers_without_a_socket() {
        // Nothing listens on this port: only the in-memory endpoint can answer.
        let addr = "127.0.0.1:1";
        let server = Dispatcher::new().route(
            &[11],
            Arc::new(|ch: Channel, req: RemotingCommand| async move {
                assert_eq!(ch.local_addr().to_string(), "127.0.0.1:1");
                Some(RemotingCommand::response(0).with_remark(format!("echo {}", req.code)))
            }),
        );
        let client = RemotingClient::with_defaults();
        client.add_local_endpoint(addr, Arc::new(server));
        let resp = client
            .invoke_sync(addr, RemotingCommand::request(11), Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(resp.remark.as_deref(), Some("echo 11"));
        // Unknown codes get the usual refusal over the same pair.
        let resp = client
            .invoke_sync(addr, RemotingCommand::request(12), Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(
            resp.code,
            ferromq_protocol::response_code::REQUEST_CODE_NOT_SUPPORTED
        );
    }
}
