//! Inputs and results of puts: [`MessageToStore`], [`BatchToStore`], [`PutResult`].

use std::net::SocketAddr;

use bytes::Bytes;

use crate::error::PutMessageStatus;
use crate::flush::DurableHandle;

/// A message as the broker hands it to the store (Java `MessageExtBrokerInner`).
#[derive(Debug, Clone)]
pub struct MessageToStore {
    pub topic: String,
    pub queue_id: i32,
    /// User flag from the producer.
    pub flag: i32,
    pub body: Bytes,
    /// Encoded property string (`k\u1v\u2…`).
    pub properties: String,
    /// `MessageSysFlag` bits; the IPv6 host bits are set by the store from the addresses.
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    /// Broker address clients use (listen port).
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
}

impl MessageToStore {
    /// A copy of a stored message to store again (re-put by delay, timer and transaction
    /// services, sent back for retry): every field kept, the store host set to this broker's.
    /// Callers then change what differs — topic, queue, properties.
    pub fn from_stored(
        ext: &ferromq_protocol::message::record::MessageExt,
        store_host: SocketAddr,
    ) -> Self {
        MessageToStore {
            topic: ext.topic.clone(),
            queue_id: ext.queue_id,
            flag: ext.flag,
            body: ext.body.clone(),
            properties: String::from_utf8_lossy(&ext.properties).into_owned(),
            sys_flag: ext.sys_flag,
            born_timestamp: ext.born_timestamp,
            born_host: ext.born_host,
            store_host,
            reconsume_times: ext.reconsume_times,
            prepared_transaction_offset: ext.prepared_transaction_offset,
        }
    }
}

/// One message of a batch.
#[derive(Debug, Clone)]
pub struct BatchMessage {
    pub flag: i32,
    pub body: Bytes,
    pub properties: Bytes,
}

/// A SEND_BATCH_MESSAGE for one queue: one append, one record per message.
#[derive(Debug, Clone)]
pub struct BatchToStore {
    pub topic: String,
    pub queue_id: i32,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub messages: Vec<BatchMessage>,
}

impl BatchToStore {
    /// Splits a SEND_BATCH_MESSAGE body (zero copy) into messages.
    pub fn messages_from_body(
        body: &Bytes,
    ) -> Result<Vec<BatchMessage>, ferromq_protocol::message::batch::BatchError> {
        Ok(ferromq_protocol::message::batch::decode_batch_bytes(body)?
            .into_iter()
            .map(|(flag, body, properties)| BatchMessage {
                flag,
                body,
                properties,
            })
            .collect())
    }
}

/// Where an appended message (or batch) went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendInfo {
    /// Physical offset of the first record.
    pub phys_offset: i64,
    /// Bytes written (all records).
    pub wrote_bytes: u32,
    /// Queue offset of the first message (0 for PREPARED/ROLLBACK transaction records).
    pub queue_offset: i64,
    /// Number of messages.
    pub msg_count: u32,
    /// Store timestamp assigned under the append lock.
    pub store_timestamp: i64,
    /// Physical offset of each record (one entry for a single message).
    pub phys_offsets: Vec<i64>,
}

/// The result of a put: the immediate status, where it went, and a handle that completes
/// when the bytes are durable (immediately under ASYNC_FLUSH).
#[derive(Debug)]
pub struct PutResult {
    /// Status of the append itself; `PutOk` means the record is in the CommitLog.
    pub status: PutMessageStatus,
    /// Placement, when appended.
    pub append: Option<AppendInfo>,
    /// Completes with the final status once flushed (SYNC_FLUSH) or at once.
    pub durable: DurableHandle,
}

impl PutResult {
    pub(crate) fn failed(status: PutMessageStatus) -> Self {
        PutResult {
            status,
            append: None,
            durable: DurableHandle::ready(status),
        }
    }

    /// Blocks until durable; returns the final status (`FlushDiskTimeout` after
    /// `sync_flush_timeout`, `UnknownError` if the flush failed).
    pub fn wait(&self) -> PutMessageStatus {
        if self.status != PutMessageStatus::PutOk {
            return self.status;
        }
        self.durable.wait()
    }
}
