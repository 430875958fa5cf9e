//! Who this broker is: cluster, name, id and the address clients reach it at. Fixed at start,
//! except the id in controller mode: 0 while master, the controller-assigned id while slave.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use ferromq_model::names::MASTER_ID;

/// The broker's identity.
#[derive(Debug)]
pub struct Identity {
    cluster: String,
    name: String,
    id: AtomicI64,
    store_host: SocketAddr,
    started: Instant,
}

impl Identity {
    /// An identity; `store_host` is `brokerIP1:listenPort`, which message ids encode.
    pub fn new(cluster: &str, name: &str, id: i64, store_host: SocketAddr) -> Self {
        Identity {
            cluster: cluster.to_string(),
            name: name.to_string(),
            id: AtomicI64::new(id),
            store_host,
            started: Instant::now(),
        }
    }

    /// `brokerClusterName`.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// `brokerName`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `brokerId` (0 for a master).
    pub fn id(&self) -> i64 {
        self.id.load(Ordering::Acquire)
    }

    /// A controller changed this broker's role: 0 as master, its controller id as slave.
    pub(crate) fn set_id(&self, id: i64) {
        self.id.store(id, Ordering::Release);
    }

    /// Whether this broker is a master (id 0).
    pub fn is_master(&self) -> bool {
        self.id() == MASTER_ID
    }

    /// `brokerIP1:listenPort`: what clients connect to and message ids encode.
    pub fn store_host(&self) -> SocketAddr {
        self.store_host
    }

    /// [`Identity::store_host`] as text.
    pub fn addr(&self) -> String {
        self.store_host.to_string()
    }

    /// When the broker started.
    pub fn started(&self) -> Instant {
        self.started
    }
}
