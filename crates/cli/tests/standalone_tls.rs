//! `ferromq standalone -c file` with `tls.server.mode=enforcing`: the NameServer and the
//! broker of the one process both take the file's TLS keys, so `ferromq admin` reaches the
//! cluster over TLS (`ROCKETMQ_TLS_ENABLE=true`) and not in plain text.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn admin(ns: &str, tls: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ferromq"));
    c.args(["admin", "clusterList", "-n", ns]);
    c.env_remove("ROCKETMQ_TLS_ENABLE");
    if tls {
        c.env("ROCKETMQ_TLS_ENABLE", "true");
    }
    c.output().unwrap()
}

#[test]
fn an_enforcing_standalone_serves_admin_over_tls_only() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.path().join("s.pem"), dir.path().join("s.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let conf = dir.path().join("broker.conf");
    std::fs::write(
        &conf,
        format!(
            "tls.server.mode=enforcing\ntls.server.certPath={}\ntls.server.keyPath={}\ntls.config.file={}/none\ndiskSpaceWarningLevelRatio=99\ndiskMaxUsedSpaceRatio=95\ndiskSpaceCleanForciblyRatio=97\n",
            cert_path.display(),
            key_path.display(),
            dir.path().display()
        ),
    )
    .unwrap();
    let (ns_port, broker_port) = (free_port(), free_port());
    let _server = Kill(
        Command::new(env!("CARGO_BIN_EXE_ferromq"))
            .args(["standalone", "--bind", "127.0.0.1", "--fast-port", "0"])
            .args(["--namesrv-port", &ns_port.to_string()])
            .args(["--broker-port", &broker_port.to_string()])
            .arg("--data")
            .arg(dir.path().join("data"))
            .arg("-c")
            .arg(&conf)
            .env("FERROMQ_LOG_DIR", dir.path().join("logs"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ns = format!("127.0.0.1:{ns_port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = admin(&ns, true);
        let text = String::from_utf8_lossy(&out.stdout);
        if out.status.success() && text.contains("DefaultCluster") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no TLS answer: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let plain = admin(&ns, false);
    assert!(!plain.status.success(), "a plain admin must be refused");
}
