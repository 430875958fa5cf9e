//! TLS on a remoting port, as Java's `TlsModeHandler` serves it: each new connection's first
//! byte decides. `0x16` (a TLS handshake record; no plain frame can start with it, its length
//! would exceed the 16 MiB frame limit) is served with TLS unless the mode is `disabled`; any
//! other byte is served in plain text unless the mode is `enforcing`. A refused connection is
//! closed without a word, as Java closes it.
//!
//! The handshakes run beside the accept loop (a slow or silent peer holds only its own task,
//! at most [`MAX_PENDING`] at once); [`TlsListener`] hands [`crate::serve`] the connections
//! that are ready.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::server::{Accepted, Listener};

/// Connections being classified or shaking hands at once; more wait to be accepted.
pub(crate) const MAX_PENDING: usize = 1024;

/// How long a new connection may take to send its first byte (Java waits as long as its idle
/// timeout) and to finish a TLS handshake.
const FIRST_BYTE: Duration = Duration::from_secs(120);
const HANDSHAKE: Duration = Duration::from_secs(10);

/// `tls.server.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text only: a TLS handshake is closed.
    Disabled,
    /// Both, decided per connection (Java's default).
    Permissive,
    /// TLS only: a plain connection is closed.
    Enforcing,
}

impl TlsMode {
    /// Java's parsing: the exact lower-case names; anything else is `permissive`.
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "disabled" => TlsMode::Disabled,
            "enforcing" => TlsMode::Enforcing,
            _ => TlsMode::Permissive,
        }
    }
}

/// `tls.server.need.client.auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Optional,
    Require,
}

impl ClientAuth {
    /// Java's parsing: case-insensitive, anything else is `none`.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "optional" => ClientAuth::Optional,
            "require" => ClientAuth::Require,
            _ => ClientAuth::None,
        }
    }
}

/// A server's TLS settings (Java's `tls.server.*` properties).
#[derive(Debug, Clone)]
pub struct TlsServerSettings {
    pub mode: TlsMode,
    /// PEM certificate chain, leaf first.
    pub cert_path: PathBuf,
    /// PEM private key (PKCS#8, as Java requires; PKCS#1 and SEC1 are read too).
    pub key_path: PathBuf,
    /// Password of an encrypted PKCS#8 key (`tls.server.keyPassword`; PBES2, as Java's JDK
    /// reads them).
    pub key_password: Option<String>,
    pub need_client_auth: ClientAuth,
    /// Verify client certificates against `trust_cert_path`; false accepts any (Java's
    /// `tls.server.authClient=false`).
    pub auth_client: bool,
    pub trust_cert_path: Option<PathBuf>,
}

/// Why TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: no {what} in it")]
    Missing { path: PathBuf, what: &'static str },
    #[error("TLS configuration refused: {0}")]
    Config(String),
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::Missing {
            path: path.to_path_buf(),
            what: "certificate",
        });
    }
    Ok(certs)
}

fn key(path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path)?;
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        return encrypted_key(path, &pem, password);
    }
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .ok_or(TlsError::Missing {
            path: path.to_path_buf(),
            what: "unencrypted private key (an encrypted one needs its password)",
        })
}

/// An `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2: PBKDF2 or scrypt, AES-CBC), as
/// `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it and Java's `keyPassword` reads it.
fn encrypted_key(
    path: &Path,
    pem: &[u8],
    password: &str,
) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bad = |why: String| TlsError::Config(format!("{}: {why}", path.display()));
    let text = std::str::from_utf8(pem).map_err(|e| bad(e.to_string()))?;
    let (label, doc) = pkcs8::Document::from_pem(text).map_err(|e| bad(e.to_string()))?;
    if label != "ENCRYPTED PRIVATE KEY" {
        return Err(bad(format!(
            "tls.server.keyPassword is set but the key is a {label}"
        )));
    }
    let info =
        pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let plain = info
        .decrypt(password)
        .map_err(|e| bad(format!("cannot decrypt the key (wrong password?): {e}")))?;
    Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()))
}

/// ring: it builds with the Rust toolchain alone (aws-lc-rs needs cmake and a C toolchain);
/// rustls marks it deprecated only for its lack of post-quantum key exchange.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration of `s`.
pub fn server_config(s: &TlsServerSettings) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match (s.need_client_auth, s.auth_client, &s.trust_cert_path) {
        (ClientAuth::None, _, _) => builder.with_no_client_auth(),
        (need, true, Some(trust)) => {
            let mut roots = RootCertStore::empty();
            for c in certs(trust)? {
                roots
                    .add(c)
                    .map_err(|e| TlsError::Config(format!("{}: {e}", trust.display())))?;
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let v = if need == ClientAuth::Optional {
                v.allow_unauthenticated()
            } else {
                v
            };
            builder
                .with_client_cert_verifier(v.build().map_err(|e| TlsError::Config(e.to_string()))?)
        }
        (need, _, _) => builder.with_client_cert_verifier(Arc::new(AnyClientCert {
            mandatory: need == ClientAuth::Require,
        })),
    };
    let config = builder
        .with_single_cert(
            certs(&s.cert_path)?,
            key(&s.key_path, s.key_password.as_deref())?,
        )
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

/// Java's test mode (`tls.test.mode.enable`, on by default): a certificate for `localhost`
/// made at start and never stored, client certificates asked for but not required.
pub fn test_mode_server_config() -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let failed = |e: rcgen::Error| TlsError::Config(format!("test-mode certificate: {e}"));
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(failed)?
        .self_signed(&key)
        .map_err(failed)?;
    let der_key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(Arc::new(AnyClientCert { mandatory: false }))
        .with_single_cert(vec![cert.der().clone()], der_key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

/// The peer's signature over the handshake, checked whoever the peer is (both verifiers
/// below trust identities as Java does, never signatures).
fn handshake_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    tls13: bool,
) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
    let algs = &provider().signature_verification_algorithms;
    if tls13 {
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    } else {
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }
}

/// Java's `authClient=false` with client auth asked: any certificate is accepted (its
/// signature over the handshake is still checked).
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        handshake_signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        handshake_signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A connection's read half, plain or TLS.
pub type BoxRead = Box<dyn AsyncRead + Unpin + Send>;
/// A connection's write half, plain or TLS.
pub type BoxWrite = Box<dyn AsyncWrite + Unpin + Send>;

type Ready = io::Result<Accepted<BoxRead, BoxWrite>>;

/// A [`Listener`] that serves TLS and plain connections as `mode` says.
pub struct TlsListener {
    ready: mpsc::Receiver<Ready>,
    local: Option<SocketAddr>,
    acceptor: JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl TlsListener {
    /// Accepts on `tcp`; `config` serves TLS (`None`: TLS handshakes are closed, as Java
    /// closes them when it has no certificate).
    pub fn new(tcp: TcpListener, mode: TlsMode, config: Option<Arc<rustls::ServerConfig>>) -> Self {
        let local = tcp.local_addr().ok();
        let (tx, ready) = mpsc::channel(64);
        let acceptor = tokio::spawn(accept_loop(tcp, mode, config.map(TlsAcceptor::from), tx));
        TlsListener {
            ready,
            local,
            acceptor,
        }
    }
}

impl Listener for TlsListener {
    type Read = BoxRead;
    type Write = BoxWrite;

    async fn accept(&mut self) -> Ready {
        match self.ready.recv().await {
            Some(r) => r,
            None => Err(io::Error::other("TLS acceptor stopped")),
        }
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }
}

async fn accept_loop(
    tcp: TcpListener,
    mode: TlsMode,
    tls: Option<TlsAcceptor>,
    tx: mpsc::Sender<Ready>,
) {
    let pending = Arc::new(Semaphore::new(MAX_PENDING));
    loop {
        let Ok(permit) = pending.clone().acquire_owned().await else {
            return;
        };
        let (stream, remote) = match tcp.accept().await {
            Ok(x) => x,
            Err(e) => {
                if tx.send(Err(e)).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let (tls, tx) = (tls.clone(), tx.clone());
        tokio::spawn(async move {
            let ready = classify(stream, remote, mode, tls).await;
            drop(permit);
            if let Some(conn) = ready {
                let _ = tx.send(Ok(conn)).await;
            }
        });
    }
}

/// What the connection's first byte asks for, if this server serves it.
async fn classify(
    stream: TcpStream,
    remote: SocketAddr,
    mode: TlsMode,
    tls: Option<TlsAcceptor>,
) -> Option<Accepted<BoxRead, BoxWrite>> {
    let local = stream.local_addr().ok()?;
    let _ = stream.set_nodelay(true);
    let mut first = [0u8; 1];
    let n = tokio::time::timeout(FIRST_BYTE, stream.peek(&mut first))
        .await
        .ok()?
        .ok()?;
    if n == 0 {
        return None;
    }
    if first[0] == 0x16 {
        let Some(tls) = tls.filter(|_| mode != TlsMode::Disabled) else {
            tracing::debug!(%remote, "TLS handshake refused (TLS disabled or no certificate)");
            return None;
        };
        let s = match tokio::time::timeout(HANDSHAKE, tls.accept(stream)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::info!(%remote, error = %e, "TLS handshake failed");
                return None;
            }
            Err(_) => {
                tracing::info!(%remote, "TLS handshake timed out");
                return None;
            }
        };
        let (read, write) = tokio::io::split(s);
        return Some(Accepted {
            read: Box::new(read),
            write: Box::new(write),
            remote,
            local,
        });
    }
    if mode == TlsMode::Enforcing {
        tracing::debug!(%remote, "plain connection refused (tls.server.mode=enforcing)");
        return None;
    }
    let (read, write) = stream.into_split();
    Some(Accepted {
        read: Box::new(read),
        write: Box::new(write),
        remote,
        local,
    })
}

/// How a port serves: plain text only, or as a TLS mode says.
#[derive(Clone)]
pub enum Transport {
    Plain,
    Tls {
        mode: TlsMode,
        /// `None`: no certificate, TLS handshakes are refused.
        config: Option<Arc<rustls::ServerConfig>>,
    },
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Plain => f.write_str("Plain"),
            Transport::Tls { mode, config } => f
                .debug_struct("Tls")
                .field("mode", mode)
                .field("certificate", &config.is_some())
                .finish(),
        }
    }
}

impl Transport {
    /// The transport of a server's `tls.*` keys (after `tls.config.file`): plain when no
    /// certificate is configured and TLS is not enforced (Java without a usable certificate
    /// closes TLS handshakes and serves plain text), else TLS as `tls.server.mode` says.
    pub fn of(netty: &ferromq_config::TlsConfig) -> Result<Transport, TlsError> {
        let mode = TlsMode::parse(&netty.tls_server_mode);
        let (cert, key) = match (&netty.tls_server_cert_path, &netty.tls_server_key_path) {
            (Some(c), Some(k)) => (c, k),
            (None, None) => {
                return Ok(match mode {
                    TlsMode::Disabled => Transport::Plain,
                    // Java's default: a throw-away self-signed certificate, so a client that
                    // turns TLS on (and trusts any server, as Java's does by default) works
                    // against a server nobody configured.
                    _ if netty.tls_test_mode_enable => Transport::Tls {
                        mode,
                        config: Some(test_mode_server_config()?),
                    },
                    TlsMode::Enforcing => Transport::Tls { mode, config: None },
                    TlsMode::Permissive => Transport::Plain,
                });
            }
            _ => {
                return Err(TlsError::Config(
                    "tls.server.certPath and tls.server.keyPath go together".into(),
                ))
            }
        };
        if mode == TlsMode::Disabled {
            return Ok(Transport::Plain);
        }
        let settings = TlsServerSettings {
            mode,
            cert_path: cert.into(),
            key_path: key.into(),
            key_password: netty.tls_server_key_password.clone(),
            need_client_auth: ClientAuth::parse(&netty.tls_server_need_client_auth),
            auth_client: netty.tls_server_auth_client,
            trust_cert_path: netty.tls_server_trust_cert_path.as_ref().map(PathBuf::from),
        };
        Ok(Transport::Tls {
            mode,
            config: Some(server_config(&settings)?),
        })
    }
}

/// [`crate::run`] over `transport`.
pub async fn run_transport(
    tcp: TcpListener,
    transport: Transport,
    handler: Arc<dyn crate::RequestHandler>,
    config: crate::ServerConfig,
    shutdown: impl std::future::Future<Output = ()>,
) {
    match transport {
        Transport::Plain => crate::serve(tcp, handler, config, shutdown).await,
        Transport::Tls { mode, config: tls } => {
            crate::serve(TlsListener::new(tcp, mode, tls), handler, config, shutdown).await
        }
    }
}

/// A client's TLS settings (Java's `tls.client.*`).
#[derive(Debug, Clone, Default)]
pub struct TlsClientSettings {
    /// Check the server's chain against `trust_cert_path`; false trusts any server (Java's
    /// default, `tls.client.authServer=false`). Java checks no host name either way; nor
    /// does this client.
    pub auth_server: bool,
    pub trust_cert_path: Option<PathBuf>,
    /// The client's own certificate and key, for servers that ask for one.
    pub cert_path: Option<PathBuf>,
    pub key_path: Option<PathBuf>,
}

/// The rustls client configuration of `s`.
pub fn client_tls_config(s: &TlsClientSettings) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> =
        match (s.auth_server, &s.trust_cert_path) {
            (true, Some(trust)) => {
                let mut roots = RootCertStore::empty();
                for c in certs(trust)? {
                    roots
                        .add(c)
                        .map_err(|e| TlsError::Config(format!("{}: {e}", trust.display())))?;
                }
                let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider(),
                )
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
                Arc::new(ServerChain { inner: Some(inner) })
            }
            (true, None) => {
                return Err(TlsError::Config(
                    "tls.client.authServer needs tls.client.trustCertPath".into(),
                ))
            }
            (false, _) => Arc::new(ServerChain { inner: None }),
        };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&s.cert_path, &s.key_path) {
        (Some(c), Some(k)) => builder
            .with_client_auth_cert(certs(c)?, key(k, None)?)
            .map_err(|e| TlsError::Config(e.to_string()))?,
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Java's client checks: the chain against the CA file when asked (any name), or nothing.
#[derive(Debug)]
struct ServerChain {
    /// `None`: any server is trusted.
    inner: Option<Arc<rustls::client::WebPkiServerVerifier>>,
}

impl rustls::client::danger::ServerCertVerifier for ServerChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let Some(inner) = &self.inner else {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        };
        match inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            // Java verifies the chain only, not the host name.
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        handshake_signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        handshake_signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS of a server's outgoing connections: on with `tls.enable` or when its own port
/// enforces TLS (Java's `NettyClientConfig.useTLS` default).
pub fn client_tls(
    tls: &ferromq_config::TlsConfig,
) -> Result<Option<Arc<rustls::ClientConfig>>, TlsError> {
    if !tls.tls_enable && TlsMode::parse(&tls.tls_server_mode) != TlsMode::Enforcing {
        return Ok(None);
    }
    let s = TlsClientSettings {
        auth_server: tls.tls_client_auth_server,
        trust_cert_path: tls.tls_client_trust_cert_path.as_ref().map(PathBuf::from),
        cert_path: tls.tls_client_cert_path.as_ref().map(PathBuf::from),
        key_path: tls.tls_client_key_path.as_ref().map(PathBuf::from),
    };
    client_tls_config(&s).map(Some)
}
