//! A broker with `tls.server.mode=enforcing` and a certificate: a TLS client is served, a
//! plain one is not (the remoting listener's own modes are tested in the remoting crate).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferromq_config::ConfigTable;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::{provider, Channel, ChannelConfig, Dispatcher};
use ferromq_testkit::TestCluster;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// A self-signed `localhost` certificate written to `dir`: the certificate and both paths.
fn self_signed(dir: &std::path::Path) -> (rcgen::Certificate, PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert, cert_path, key_path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enforcing_broker_serves_tls_clients_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, cert_path, key_path) = self_signed(dir.path());
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

/// The controller port speaks TLS as `tls.server.*` say, and a broker in controller mode
/// with `tls.enable` reaches it over TLS: a plain client gets no answer, the broker is
/// elected master and takes writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enforcing_controller_serves_brokers_over_tls() {
    use std::time::Instant;

    use ferromq_config::TlsConfig;
    use ferromq_remoting::{client_tls, ClientConfig, RemotingClient, Transport};

    use crate::controller_mode::controller_with;

    let dir = tempfile::tempdir().unwrap();
    let (_, cert_path, key_path) = self_signed(dir.path());
    let mut tls = TlsConfig::default();
    for (k, v) in [
        ("tls.server.mode", "enforcing"),
        ("tls.server.certPath", &*cert_path.to_string_lossy()),
        ("tls.server.keyPath", &*key_path.to_string_lossy()),
        ("tls.config.file", "/nonexistent"),
    ] {
        tls.set(k, v).unwrap();
    }
    let client = ClientConfig {
        tls: client_tls(&tls).unwrap(),
        ..ClientConfig::default()
    };
    let net = (Transport::of(&tls).unwrap(), client);
    let (ctl, ctl_addr) = controller_with(&dir.path().join("ctl"), false, net).await;
    let plain = RemotingClient::with_defaults();
    let probe = RemotingCommand::request(rc::CONTROLLER_GET_METADATA_INFO);
    assert!(
        plain
            .invoke_sync(&ctl_addr, probe, Duration::from_secs(2))
            .await
            .is_err(),
        "a plain client is not served"
    );
    let addr = ctl_addr.clone();
    let cluster = TestCluster::start_each(1, move |_, c| {
        for (k, v) in [
            ("brokerName", "broker-tls"),
            ("enableControllerMode", "true"),
            ("controllerAddr", addr.as_str()),
            ("tls.enable", "true"),
            ("tls.config.file", "/nonexistent"),
        ] {
            c.set(k, v).unwrap();
        }
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let topic = "TlsControlled";
    let create = ferromq_testkit::create_topic_request(topic, 1, 6);
    loop {
        let r = cluster.call(create.clone()).await;
        if r.code == code::SUCCESS {
            let r = cluster
                .call(ferromq_testkit::send_request(topic, 0, "x", None, &[]))
                .await;
            if r.code == code::SUCCESS {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the broker never became master over TLS: {:?}",
            r.remark
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cluster.shutdown().await;
    ctl.shutdown().await;
}

/// Java's default: permissive and test mode, so a broker nobody configured for TLS still
/// serves a TLS client (with a throw-away self-signed certificate) beside plain ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfigured_broker_serves_tls_with_a_test_certificate() {
    use ferromq_remoting::{client_tls_config, ClientConfig, RemotingClient, TlsClientSettings};

    let cluster = TestCluster::start().await;
    let addr = cluster.broker_addr();
    let tls = RemotingClient::new(
        ClientConfig {
            tls: Some(client_tls_config(&TlsClientSettings::default()).unwrap()),
            ..ClientConfig::default()
        },
        Arc::new(Dispatcher::new()),
    );
    let req = RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO);
    let r = tls
        .invoke_sync(&addr, req.clone(), Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(r.code, code::SUCCESS);
    assert_eq!(cluster.call(req).await.code, code::SUCCESS, "plain too");
    tls.shutdown();
    cluster.shutdown().await;
}
