//! One controller's Raft member: storage under its directory, the peer port served, and the
//! one-time bootstrap of the group.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ferromq_remoting::{ClientConfig, Dispatcher, RemotingClient, ServerConfig};
use openraft::BasicNode;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{LogStore, NodeId, PeerNetwork, Raft, RaftService, StateMachine};

/// Timing of the Raft group.
#[derive(Debug, Clone, Copy)]
pub struct RaftTiming {
    /// Leader heartbeat period.
    pub heartbeat: Duration,
    /// Election timeout range: a follower that hears no leader for this long campaigns.
    pub election_min: Duration,
    pub election_max: Duration,
}

impl Default for RaftTiming {
    /// A leader is replaced 1–2 s after it dies: well inside the 10 s a broker set may go
    /// without a master.
    fn default() -> Self {
        RaftTiming {
            heartbeat: Duration::from_millis(300),
            election_min: Duration::from_millis(1000),
            election_max: Duration::from_millis(2000),
        }
    }
}

/// A running Raft member.
pub struct RaftNode {
    id: NodeId,
    raft: Raft,
    state: StateMachine,
    stop: CancellationToken,
    server: Option<JoinHandle<()>>,
    client: RemotingClient,
}

impl RaftNode {
    /// Starts member `id` with its files under `dir`, serving its peers on `listener` (or,
    /// without one, through a handler that routes [`RaftService::serves`] codes to it).
    pub async fn start(
        id: NodeId,
        dir: &Path,
        listener: Option<TcpListener>,
        timing: RaftTiming,
        client: ClientConfig,
    ) -> std::io::Result<Self> {
        let config = openraft::Config {
            cluster_name: "ferromq-controller".into(),
            heartbeat_interval: timing.heartbeat.as_millis() as u64,
            election_timeout_min: timing.election_min.as_millis() as u64,
            election_timeout_max: timing.election_max.as_millis() as u64,
            ..Default::default()
        }
        .validate()
        .map_err(std::io::Error::other)?;
        let log = LogStore::open(dir)?;
        let state = StateMachine::open(dir)?;
        let client = RemotingClient::new(client, Arc::new(Dispatcher::new()));
        let raft = Raft::new(
            id,
            Arc::new(config),
            PeerNetwork::new(client.clone()),
            log,
            state.clone(),
        )
        .await
        .map_err(std::io::Error::other)?;
        let stop = CancellationToken::new();
        let handler = RaftService::new(raft.clone());
        let s = stop.clone();
        let server = listener.map(|listener| {
            tokio::spawn(async move {
                ferromq_remoting::run(
                    listener,
                    handler,
                    ServerConfig::default(),
                    s.cancelled_owned(),
                )
                .await;
            })
        });
        Ok(RaftNode {
            id,
            raft,
            state,
            stop,
            server,
            client,
        })
    }

    /// Forms the group from `peers` (id → Raft address) unless this member already belongs
    /// to one. Every member may call it: the first initialization wins, the others are
    /// told the group exists.
    pub async fn bootstrap(&self, peers: &BTreeMap<NodeId, String>) {
        match self.raft.is_initialized().await {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e, "raft is not running");
                return;
            }
        }
        let members: BTreeMap<NodeId, BasicNode> = peers
            .iter()
            .map(|(id, addr)| (*id, BasicNode { addr: addr.clone() }))
            .collect();
        if let Err(e) = self.raft.initialize(members).await {
            tracing::debug!(error = %e, "raft group not initialized here");
        }
    }

    /// This member's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The Raft handle.
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// The applied state.
    pub fn state(&self) -> &StateMachine {
        &self.state
    }

    /// Stops serving peers and stops the Raft member.
    pub async fn shutdown(self) {
        self.stop.cancel();
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!(error = %e, "raft shutdown");
        }
        if let Some(server) = self.server {
            let _ = server.await;
        }
        self.client.shutdown();
    }
}
