//! The proxy's way to the brokers: remoting, as Java's proxy in CLUSTER mode. In LOCAL mode
//! the same calls reach the broker of this process without a socket.

use ferromq_client::{ClientConfig, ClientInstance};
use ferromq_protocol::RemotingCommand;

use crate::config::ProxyConfig;

/// Routes from the NameServers, requests to brokers.
pub struct Backend {
    instance: ClientInstance,
}

impl Backend {
    /// A backend asking `config`'s NameServers.
    pub fn new(config: &ProxyConfig) -> Self {
        let mut cc = ClientConfig::new(&config.namesrv_addrs.join(";"));
        cc.instance_name = "PROXY".into();
        cc.api_timeout = config.broker_timeout;
        let instance = ClientInstance::new(cc);
        Backend { instance }
    }

    /// The client instance behind the backend (route cache, connections).
    pub fn instance(&self) -> &ClientInstance {
        &self.instance
    }

    /// Sends `request` to the broker at `addr` and waits for its response.
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
    ) -> ferromq_client::Result<RemotingCommand> {
        self.instance
            .invoke(addr, request, self.instance.config().api_timeout)
            .await
    }
}
