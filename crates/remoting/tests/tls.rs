//! TLS on a remoting port (`TlsListener`): the first byte of each connection decides, as in
//! Java's `TlsModeHandler` — permissive serves both, enforcing closes plain connections,
//! disabled closes TLS handshakes; client certificates are required when configured.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{
    provider, serve, Channel, ChannelConfig, ClientAuth, Dispatcher, RequestHandler, ServerConfig,
    TlsListener, TlsMode, TlsServerSettings,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

const ECHO: i32 = 9001;

struct Pki {
    dir: tempfile::TempDir,
    ca: CertificateDer<'static>,
    client: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

/// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, as PEM files.
fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = |names: Vec<String>, eku| {
        let mut p = CertificateParams::new(names).unwrap();
        p.extended_key_usages = vec![eku];
        let k = KeyPair::generate().unwrap();
        let c = p.signed_by(&k, &ca, &ca_key).unwrap();
        (c, k)
    };
    let (server, server_key) = leaf(
        vec!["localhost".into(), "127.0.0.1".into()],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client, client_key) = leaf(vec!["client".into()], ExtendedKeyUsagePurpose::ClientAuth);
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.path().join("server.pem"), server.pem()).unwrap();
    std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).unwrap();
    Pki {
        ca: ca.der().clone(),
        client: (
            client.der().clone(),
            PrivateKeyDer::Pkcs8(client_key.serialize_der().into()),
        ),
        dir,
    }
}

fn settings(dir: &Path, mode: TlsMode, need: ClientAuth) -> TlsServerSettings {
    TlsServerSettings {
        key_password: None,
        mode,
        cert_path: dir.join("server.pem"),
        key_path: dir.join("server.key"),
        need_client_auth: need,
        auth_client: true,
        trust_cert_path: Some(dir.join("ca.pem")),
    }
}

async fn server(s: &TlsServerSettings) -> SocketAddr {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let config = ferromq_remoting::server_config(s).unwrap();
    let listener = TlsListener::new(tcp, s.mode, Some(config));
    let handler: Arc<dyn RequestHandler> = Arc::new(Dispatcher::new().route(
        &[ECHO],
        Arc::new(|_ch: Channel, req: RemotingCommand| async move {
            Some(RemotingCommand::success().with_body(req.body.to_bytes()))
        }),
    ));
    tokio::spawn(serve(
        listener,
        handler,
        ServerConfig::default(),
        std::future::pending::<()>(),
    ));
    addr
}

/// One ECHO over a channel on `stream`; `None` when the server closed it.
async fn echo<S>(stream: S, addr: SocketAddr) -> Option<Vec<u8>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (ch, _run) = Channel::spawn_io(
        stream,
        addr,
        addr,
        Arc::new(Dispatcher::new()),
        ChannelConfig::default(),
    );
    let r = ch
        .request(
            RemotingCommand::request(ECHO).with_body("hello"),
            Duration::from_secs(3),
        )
        .await
        .ok()?;
    assert_eq!(r.code, response_code::SUCCESS);
    Some(r.body.to_bytes().to_vec())
}

async fn plain(addr: SocketAddr) -> Option<Vec<u8>> {
    echo(TcpStream::connect(addr).await.unwrap(), addr).await
}

async fn tls(addr: SocketAddr, pki: &Pki, with_cert: bool) -> Option<Vec<u8>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let b = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = if with_cert {
        b.with_client_auth_cert(vec![pki.client.0.clone()], pki.client.1.clone_key())
            .unwrap()
    } else {
        b.with_no_client_auth()
    };
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let stream = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .ok()?;
    echo(stream, addr).await
}

#[tokio::test]
async fn permissive_serves_tls_and_plain_on_one_port() {
    let pki = pki();
    let addr = server(&settings(
        pki.dir.path(),
        TlsMode::Permissive,
        ClientAuth::None,
    ))
    .await;
    assert_eq!(plain(addr).await.as_deref(), Some(&b"hello"[..]));
    assert_eq!(tls(addr, &pki, false).await.as_deref(), Some(&b"hello"[..]));
}

#[tokio::test]
async fn enforcing_closes_plain_connections() {
    let pki = pki();
    let addr = server(&settings(
        pki.dir.path(),
        TlsMode::Enforcing,
        ClientAuth::None,
    ))
    .await;
    assert_eq!(plain(addr).await, None);
    assert_eq!(tls(addr, &pki, false).await.as_deref(), Some(&b"hello"[..]));
}

#[tokio::test]
async fn disabled_closes_tls_handshakes() {
    let pki = pki();
    let addr = server(&settings(
        pki.dir.path(),
        TlsMode::Disabled,
        ClientAuth::None,
    ))
    .await;
    assert_eq!(tls(addr, &pki, false).await, None);
    assert_eq!(plain(addr).await.as_deref(), Some(&b"hello"[..]));
}

#[tokio::test]
async fn a_required_client_certificate_is_checked_against_the_ca() {
    let pki = pki();
    let addr = server(&settings(
        pki.dir.path(),
        TlsMode::Enforcing,
        ClientAuth::Require,
    ))
    .await;
    assert_eq!(tls(addr, &pki, false).await, None, "no certificate");
    assert_eq!(tls(addr, &pki, true).await.as_deref(), Some(&b"hello"[..]));
}

#[test]
fn modes_parse_as_java_parses_them() {
    assert_eq!(TlsMode::parse("enforcing"), TlsMode::Enforcing);
    assert_eq!(TlsMode::parse("disabled"), TlsMode::Disabled);
    assert_eq!(
        TlsMode::parse("Enforcing"),
        TlsMode::Permissive,
        "exact lower case"
    );
    assert_eq!(ClientAuth::parse("REQUIRE"), ClientAuth::Require);
    assert_eq!(ClientAuth::parse("whatever"), ClientAuth::None);
}

/// `tls.server.keyPassword`: an encrypted PKCS#8 key (PBES2: PBKDF2-SHA256 + AES-256-CBC, as
/// `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256` writes it) is read with its
/// password; a wrong or missing password is a clear configuration error.
#[test]
fn an_encrypted_key_is_read_with_its_password() {
    use pkcs8::der::pem::LineEnding;
    use pkcs8::der::Decode;

    let pki = pki();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, b"saltsalt", &[7; 16])
            .unwrap();
    let der = key.serialize_der();
    let encrypted = pkcs8::PrivateKeyInfo::from_der(&der)
        .unwrap()
        .encrypt_with_params(params, "123456")
        .unwrap();
    let pem = encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let dir = pki.dir.path();
    std::fs::write(dir.join("enc.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("enc.key"), pem.as_bytes()).unwrap();
    let mut s = settings(dir, TlsMode::Enforcing, ClientAuth::None);
    s.cert_path = dir.join("enc.pem");
    s.key_path = dir.join("enc.key");
    s.key_password = Some("123456".into());
    assert!(ferromq_remoting::server_config(&s).is_ok());
    s.key_password = Some("654321".into());
    let e = ferromq_remoting::server_config(&s).unwrap_err().to_string();
    assert!(e.contains("wrong password"), "{e}");
    s.key_password = None;
    let e = ferromq_remoting::server_config(&s).unwrap_err().to_string();
    assert!(e.contains("needs its password"), "{e}");
}
