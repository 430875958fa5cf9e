//! NameServer admin calls: KV config (100/101/102/219), NameServer config (318/319) and broker
//! write permission (205/327). Writes go to every NameServer.

use std::collections::BTreeMap;

use ferromq_model::{from_fastjson_slice, KVTable};
use ferromq_protocol::headers::{
    AddWritePermOfBrokerResponseHeader, BrokerNameRequestHeader, GetKvConfigResponseHeader,
    GetKvListByNamespaceRequestHeader, KvConfigKeyRequestHeader, PutKvConfigRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use ferromq_protocol::{request_code, RemotingCommand};

use super::properties::{format_properties, parse_properties};
use super::Admin;
use crate::error::{ClientError, Result};

impl Admin {
    fn namesrvs(&self) -> Result<Vec<String>> {
        let addrs = self.instance.namesrv().addrs().to_vec();
        if addrs.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        Ok(addrs)
    }

    /// PUT_KV_CONFIG (100) on every NameServer.
    pub async fn put_kv_config(&self, namespace: &str, key: &str, value: &str) -> Result<()> {
        let header = PutKvConfigRequestHeader {
            namespace: namespace.into(),
            key: key.into(),
            value: value.into(),
        };
        for addr in self.namesrvs()? {
            self.call(
                &addr,
                RemotingCommand::request_with(request_code::PUT_KV_CONFIG, &header),
            )
            .await?;
        }
        Ok(())
    }

    /// GET_KV_CONFIG (101); `None` when the key is absent.
    pub async fn kv_config(&self, namespace: &str, key: &str) -> Result<Option<String>> {
        let header = KvConfigKeyRequestHeader {
            namespace: namespace.into(),
            key: key.into(),
        };
        let (_, resp) = self
            .instance
            .invoke_namesrv(RemotingCommand::request_with(
                request_code::GET_KV_CONFIG,
                &header,
            ))
            .await?;
        if resp.code == ferromq_protocol::response_code::QUERY_NOT_FOUND {
            return Ok(None);
        }
        if resp.code != ferromq_protocol::response_code::SUCCESS {
            return Err(ClientError::from_response("namesrv", &resp));
        }
        Ok(resp.decode_header::<GetKvConfigResponseHeader>()?.value)
    }

    /// DELETE_KV_CONFIG (102) on every NameServer.
    pub async fn delete_kv_config(&self, namespace: &str, key: &str) -> Result<()> {
        let header = KvConfigKeyRequestHeader {
            namespace: namespace.into(),
            key: key.into(),
        };
        for addr in self.namesrvs()? {
            self.call(
                &addr,
                RemotingCommand::request_with(request_code::DELETE_KV_CONFIG, &header),
            )
            .await?;
        }
        Ok(())
    }

    /// GET_KVLIST_BY_NAMESPACE (219).
    pub async fn kv_list(&self, namespace: &str) -> Result<BTreeMap<String, String>> {
        let header = GetKvListByNamespaceRequestHeader {
            namespace: namespace.into(),
        };
        let resp = self
            .instance
            .invoke_namesrv_ok(RemotingCommand::request_with(
                request_code::GET_KVLIST_BY_NAMESPACE,
                &header,
            ))
            .await?;
        Ok(from_fastjson_slice::<KVTable>(&resp.body.to_bytes())?.table)
    }

    /// GET_NAMESRV_CONFIG (319) of every NameServer (or of `addrs`).
    pub async fn namesrv_config(
        &self,
        addrs: Option<&[String]>,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let addrs = match addrs {
            Some(a) => a.to_vec(),
            None => self.namesrvs()?,
        };
        let mut out = BTreeMap::new();
        for addr in addrs {
            let resp = self
                .call(
                    &addr,
                    RemotingCommand::request(request_code::GET_NAMESRV_CONFIG),
                )
                .await?;
            out.insert(
                addr,
                parse_properties(&String::from_utf8_lossy(&resp.body.to_bytes())),
            );
        }
        Ok(out)
    }

    /// UPDATE_NAMESRV_CONFIG (318) on every NameServer (or on `addrs`).
    pub async fn update_namesrv_config(
        &self,
        changes: &BTreeMap<String, String>,
        addrs: Option<&[String]>,
    ) -> Result<()> {
        let addrs = match addrs {
            Some(a) => a.to_vec(),
            None => self.namesrvs()?,
        };
        for addr in addrs {
            let req = RemotingCommand::request(request_code::UPDATE_NAMESRV_CONFIG)
                .with_body(format_properties(changes));
            self.call(&addr, req).await?;
        }
        Ok(())
    }

    /// WIPE_WRITE_PERM_OF_BROKER (205): makes `broker_name` read-only in every NameServer;
    /// returns the number of topics changed per NameServer.
    pub async fn wipe_write_perm(&self, broker_name: &str) -> Result<Vec<(String, i32)>> {
        let header = BrokerNameRequestHeader {
            broker_name: broker_name.into(),
        };
        let mut out = Vec::new();
        for addr in self.namesrvs()? {
            let resp = self
                .call(
                    &addr,
                    RemotingCommand::request_with(request_code::WIPE_WRITE_PERM_OF_BROKER, &header),
                )
                .await?;
            out.push((
                addr,
                resp.decode_header::<WipeWritePermOfBrokerResponseHeader>()?
                    .wipe_topic_count,
            ));
        }
        Ok(out)
    }

    /// ADD_WRITE_PERM_OF_BROKER (327): gives `broker_name` its write permission back.
    pub async fn add_write_perm(&self, broker_name: &str) -> Result<Vec<(String, i32)>> {
        let header = BrokerNameRequestHeader {
            broker_name: broker_name.into(),
        };
        let mut out = Vec::new();
        for addr in self.namesrvs()? {
            let resp = self
                .call(
                    &addr,
                    RemotingCommand::request_with(request_code::ADD_WRITE_PERM_OF_BROKER, &header),
                )
                .await?;
            out.push((
                addr,
                resp.decode_header::<AddWritePermOfBrokerResponseHeader>()?
                    .add_topic_count,
            ));
        }
        Ok(out)
    }
}
