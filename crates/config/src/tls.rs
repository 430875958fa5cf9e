//! Keys of Java's `TlsSystemConfig`: TLS on the remoting ports. Java reads them as JVM system
//! properties or from `tls.config.file`; FerroMQ reads them from the server's config file too.

use crate::table::config_table;

config_table! {
    /// TLS on the remoting ports (Java `TlsSystemConfig`).
    pub struct TlsConfig {
        /// `disabled`, `permissive` (TLS and plain on one port) or `enforcing` (TLS only).
        tls_server_mode: String = "permissive".to_owned() => "tls.server.mode",
        /// A properties file whose `tls.*` keys override these (read when it exists).
        tls_config_file: String = "/etc/rocketmq/tls.properties".to_owned() => "tls.config.file",
        /// PEM certificate chain of the server; without it (and without test mode) TLS
        /// handshakes are refused.
        tls_server_cert_path: Option<String> = None => "tls.server.certPath",
        /// PEM private key of the server (PKCS#8).
        tls_server_key_path: Option<String> = None => "tls.server.keyPath",
        /// Password of an encrypted PKCS#8 key (`ENCRYPTED PRIVATE KEY`, PBES2).
        tls_server_key_password: Option<String> = None => "tls.server.keyPassword",
        /// `none`, `optional` or `require`: ask clients for a certificate.
        tls_server_need_client_auth: String = "none".to_owned() => "tls.server.need.client.auth",
        /// Check client certificates against `tls.server.trustCertPath` (else any is accepted).
        tls_server_auth_client: bool = false => "tls.server.authClient",
        /// PEM CA certificates for client certificates.
        tls_server_trust_cert_path: Option<String> = None => "tls.server.trustCertPath",
        /// Java's test mode: without a configured certificate the server makes a self-signed
        /// one at start (so TLS works out of the box, as in Java). Unlike Java, a configured
        /// certificate is used even in test mode.
        tls_test_mode_enable: bool = true => "tls.test.mode.enable",
        /// Outgoing connections (to NameServers) speak TLS; also on when
        /// `tls.server.mode=enforcing`, as Java's broker does (`useTLS`).
        tls_enable: bool = false => "tls.enable",
        /// Check servers' certificate chains against `tls.client.trustCertPath` (else trust any,
        /// Java's default). Host names are not checked, as in Java.
        tls_client_auth_server: bool = false => "tls.client.authServer",
        /// PEM CA certificates for servers.
        tls_client_trust_cert_path: Option<String> = None => "tls.client.trustCertPath",
        /// PEM certificate chain this server presents as a client.
        tls_client_cert_path: Option<String> = None => "tls.client.certPath",
        /// PEM private key (PKCS#8) this server presents as a client.
        tls_client_key_path: Option<String> = None => "tls.client.keyPath",
    }
}

impl TlsConfig {
    /// These keys with `tls.config.file` (if it exists) applied over them, as Java's
    /// `TlsHelper` reads them.
    pub fn resolved(&self) -> Result<TlsConfig, crate::ConfigError> {
        let mut c = self.clone();
        let path = std::path::Path::new(&self.tls_config_file);
        if let Ok(text) = std::fs::read_to_string(path) {
            let props = crate::properties::Properties::parse(&text)?;
            for (k, v) in props.iter() {
                if k.starts_with("tls.") && k != "tls.config.file" {
                    crate::table::ConfigTable::set(&mut c, k, v)?;
                }
            }
        }
        Ok(c)
    }
}
