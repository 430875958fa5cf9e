//! Raft RPCs between controllers: remoting requests with JSON bodies, sent to a peer's
//! address (`controllerDLegerPeers`) and served there by [`RaftService`] — beside the
//! controller's own requests, as Java's DLedger controller serves both on its peer port. The
//! three codes are FerroMQ's own (Java controllers run DLedger or JRaft, which no FerroMQ
//! controller joins).

use std::sync::Arc;

use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{Channel, RemotingClient, RequestHandler, ResponseFuture};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::types::{NodeId, Raft, TypeConfig};

/// AppendEntries (codes unused by RocketMQ, served only to peers).
const APPEND: i32 = 1101;
/// RequestVote.
const VOTE: i32 = 1102;
/// InstallSnapshot.
const SNAPSHOT: i32 = 1103;

/// Creates a client per peer over one shared remoting client.
#[derive(Clone)]
pub struct PeerNetwork {
    client: RemotingClient,
}

impl PeerNetwork {
    /// Peers reached through `client`.
    pub fn new(client: RemotingClient) -> Self {
        PeerNetwork { client }
    }
}

impl RaftNetworkFactory<TypeConfig> for PeerNetwork {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> Peer {
        Peer {
            target,
            addr: node.addr.clone(),
            client: self.client.clone(),
        }
    }
}

/// One peer.
pub struct Peer {
    target: NodeId,
    addr: String,
    client: RemotingClient,
}

impl Peer {
    async fn call<Req, Resp, E>(
        &self,
        code: i32,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<NodeId, BasicNode, E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let body = serde_json::to_vec(req).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let cmd = RemotingCommand::request(code).with_body(body);
        let resp = self
            .client
            .invoke_sync(&self.addr, cmd, option.hard_ttl())
            .await
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))?;
        if resp.code != response_code::SUCCESS {
            let e = std::io::Error::other(format!(
                "peer answered {}: {}",
                resp.code,
                resp.remark.unwrap_or_default()
            ));
            return Err(RPCError::Network(NetworkError::new(&e)));
        }
        let result: Result<Resp, E> = serde_json::from_slice(&resp.body.to_bytes())
            .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        self.call(APPEND, &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, BasicNode, RaftError<NodeId, InstallSnapshotError>>,
    > {
        self.call(SNAPSHOT, &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        self.call(VOTE, &rpc, &option).await
    }
}

/// Serves the Raft RPCs of a controller's peers.
pub struct RaftService {
    raft: Raft,
}

impl RaftService {
    /// The handler for `raft`'s peer port.
    pub fn new(raft: Raft) -> Arc<Self> {
        Arc::new(RaftService { raft })
    }

    /// Whether `code` is a Raft RPC (the controller's port carries both).
    pub fn serves(code: i32) -> bool {
        matches!(code, APPEND | VOTE | SNAPSHOT)
    }
}

fn reply<T: Serialize>(result: &T) -> RemotingCommand {
    match serde_json::to_vec(result) {
        Ok(b) => RemotingCommand::success().with_body(b),
        Err(e) => RemotingCommand::error(response_code::SYSTEM_ERROR, e.to_string()),
    }
}

fn decode<T: DeserializeOwned>(req: &RemotingCommand) -> Result<T, RemotingCommand> {
    serde_json::from_slice(&req.body.to_bytes()).map_err(|e| {
        RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            format!("bad raft message: {e}"),
        )
    })
}

impl RequestHandler for RaftService {
    fn handle(&self, _: Channel, req: RemotingCommand) -> ResponseFuture {
        let raft = self.raft.clone();
        Box::pin(async move {
            let resp = match req.code {
                APPEND => match decode(&req) {
                    Ok(r) => reply(&raft.append_entries(r).await),
                    Err(e) => e,
                },
                VOTE => match decode(&req) {
                    Ok(r) => reply(&raft.vote(r).await),
                    Err(e) => e,
                },
                SNAPSHOT => match decode(&req) {
                    Ok(r) => reply(&raft.install_snapshot(r).await),
                    Err(e) => e,
                },
                other => ferromq_remoting::not_supported(other),
            };
            Some(resp)
        })
    }
}
