//! TLS and plain text on the gRPC port, decided per connection by its first byte (Java's
//! proxy does the same; the official Java client speaks TLS by default and trusts any
//! certificate). The certificate is made at start, as Java's test mode does, unless the
//! caller gives a server configuration. gRPC needs ALPN `h2`, set here.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ferromq_remoting::{BoxRead, BoxWrite, Listener, TlsListener, TlsMode};
use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, Join, ReadBuf};
use tokio::net::TcpListener;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// One accepted connection, TLS or plain, with its addresses for the request context.
pub struct Conn {
    io: Join<BoxRead, BoxWrite>,
    remote: SocketAddr,
    local: SocketAddr,
}

impl Connected for Conn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        TcpConnectInfo {
            local_addr: Some(self.local),
            remote_addr: Some(self.remote),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// `config` with ALPN `h2` (what gRPC clients negotiate).
fn with_h2(config: &rustls_config::ServerConfig) -> Arc<rustls_config::ServerConfig> {
    let mut c = config.clone();
    c.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(c)
}

/// The rustls types, through the remoting crate's dependency.
mod rustls_config {
    pub use tokio_rustls::rustls::ServerConfig;
}

/// The connections of `tcp`, TLS ones (a self-signed certificate for `localhost`) and plain
/// ones alike. Without a certificate (generation failed) only plain text is served.
pub fn incoming(tcp: TcpListener) -> impl Stream<Item = io::Result<Conn>> + Send + 'static {
    let config = match ferromq_remoting::test_mode_server_config() {
        Ok(c) => Some(with_h2(&c)),
        Err(e) => {
            tracing::warn!(error = %e, "no TLS certificate: the gRPC port serves plain text only");
            None
        }
    };
    let listener = TlsListener::new(tcp, TlsMode::Permissive, config);
    futures::stream::unfold(listener, |mut l| async move {
        loop {
            match l.accept().await {
                Ok(a) => {
                    let conn = Conn {
                        io: tokio::io::join(a.read, a.write),
                        remote: a.remote,
                        local: a.local,
                    };
                    return Some((Ok(conn), l));
                }
                Err(e) if e.kind() == io::ErrorKind::Other => return None,
                Err(e) => tracing::debug!(error = %e, "gRPC accept failed"),
            }
        }
    })
}
