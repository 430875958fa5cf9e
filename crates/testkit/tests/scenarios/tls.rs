//! A broker with `tls.server.mode=enforcing` and a certificate: a TLS client is served, a
//! plain one is not (the remoting listener's own modes are tested in the remoting crate).

use std::sync::Arc;
use std::time::Duration;

use ferromq_config::ConfigTable;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::{provider, Channel, ChannelConfig, Dispatcher};
use ferromq_testkit::TestCluster;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enforcing_broker_serves_tls_clients_only() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let (c, k) = (
        cert_path.to_string_lossy().to_string(),
        key_path.to_string_lossy().to_string(),
    );
    let cluster = TestCluster::start_with(1, move |cfg| {
        cfg.set("tls.server.mode", "enforcing").unwrap();
        cfg.set("tls.server.certPath", &c).unwrap();
        cfg.set("tls.server.keyPath", &k).unwrap();
        cfg.set("tls.config.file", "/nonexistent").unwrap();
    })
    .await;
    let addr = cluster.brokers[0].addr();
    let ask = |ch: Channel| async move {
        ch.request(
            RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO),
            Duration::from_secs(3),
        )
        .await
        .ok()
        .map(|r| r.code)
    };
    // Plain: the connection is closed without an answer.
    let (plain, _run) = Channel::spawn(
        TcpStream::connect(addr).await.unwrap(),
        Arc::new(Dispatcher::new()),
        ChannelConfig::default(),
    )
    .unwrap();
    assert_eq!(ask(plain).await, None);
    // TLS, trusting the broker's certificate.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (tls, _run) = Channel::spawn_io(
        stream,
        addr,
        addr,
        Arc::new(Dispatcher::new()),
        ChannelConfig::default(),
    );
    assert_eq!(ask(tls).await, Some(code::SUCCESS));
    cluster.shutdown().await;
}
