//! Delay levels (`SCHEDULE_TOPIC_XXXX`): messages sent with `DELAY=n` wait in queue `n − 1`
//! and are re-put to their real topic and queue (`REAL_TOPIC`/`REAL_QID`) once
//! `store time + delay(n)` has passed. Progress per level is `config/delayOffset.json`, so
//! delivery resumes where it stopped after a restart.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferromq_model::{names, DataVersion, DelayOffsetSerializeWrapper};
use ferromq_protocol::message::properties::Properties;
use ferromq_protocol::message::record::MessageExt;
use ferromq_store::{GetMessageStatus, MessageToStore, PutMessageStatus};
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::error::BrokerError;
use crate::json_file;
use crate::repost::{self, PutOutcome, RepostError};

/// How often each level's queue is examined (Java: 100 ms).
const TICK: Duration = Duration::from_millis(100);

/// Delivered offsets per delay level.
pub struct DelayOffsets {
    table: Mutex<BTreeMap<i32, i64>>,
    path: PathBuf,
}

impl DelayOffsets {
    /// Loads `config/delayOffset.json`.
    pub fn load(root: &str) -> Result<Self, BrokerError> {
        let path = PathBuf::from(root).join("config").join("delayOffset.json");
        let w: Option<DelayOffsetSerializeWrapper> = json_file::load(&path)?;
        Ok(DelayOffsets {
            table: Mutex::new(w.map(|w| w.offset_table).unwrap_or_default()),
            path,
        })
    }

    /// The next offset to deliver of `level`.
    pub fn get(&self, level: i32) -> i64 {
        self.table.lock().get(&level).copied().unwrap_or(0)
    }

    fn set(&self, level: i32, offset: i64) {
        self.table.lock().insert(level, offset);
    }

    /// The file form.
    pub fn wrapper(&self) -> DelayOffsetSerializeWrapper {
        DelayOffsetSerializeWrapper {
            data_version: Some(DataVersion::new()),
            offset_table: self.table.lock().clone(),
        }
    }

    /// Persists `delayOffset.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        json_file::store(&self.path, &self.wrapper())
    }
}

/// Builds the message to deliver from a parked one: real topic and queue restored (and
/// checked, see [`crate::repost`]). As in Java, the stored property string is kept as it was
/// (the consumer still sees `DELAY`, `REAL_TOPIC`, `REAL_QID`).
pub fn restore(ctx: &BrokerContext, ext: &MessageExt) -> Result<MessageToStore, RepostError> {
    let props = Properties::parse_bytes(&ext.properties);
    let (topic, queue_id) = repost::real_target(&ctx.topics, &props)?;
    Ok(MessageToStore {
        topic,
        queue_id,
        flag: ext.flag,
        body: ext.body.clone(),
        properties: String::from_utf8_lossy(&ext.properties).into_owned(),
        sys_flag: ext.sys_flag,
        born_timestamp: ext.born_timestamp,
        born_host: ext.born_host,
        store_host: ctx.store_host,
        reconsume_times: ext.reconsume_times,
        prepared_transaction_offset: ext.prepared_transaction_offset,
    })
}

/// Delivers every due message of every level; returns how many were delivered.
pub fn deliver_due(ctx: &BrokerContext, now_ms: i64) -> usize {
    let levels: Vec<u64> = ctx.config.read().delay_levels().to_vec();
    let mut delivered = 0;
    for (i, delay) in levels.iter().enumerate() {
        let level = i as i32 + 1;
        delivered += deliver_level(ctx, level, *delay as i64, now_ms);
    }
    delivered
}

fn deliver_level(ctx: &BrokerContext, level: i32, delay_ms: i64, now_ms: i64) -> usize {
    let queue_id = level - 1;
    let mut delivered = 0;
    loop {
        let offset = ctx.delay_offsets.get(level);
        let r = ctx.store.get_messages(
            names::SCHEDULE_TOPIC,
            queue_id,
            offset,
            32,
            usize::MAX,
            None,
        );
        match r.status {
            GetMessageStatus::Found => {}
            GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly => {
                // Files were deleted under us, or the table is ahead of a truncated queue.
                ctx.delay_offsets.set(level, r.next_begin_offset);
                return delivered;
            }
            _ => return delivered,
        }
        for (bytes, queue_offset) in r.messages.iter().zip(r.queue_offsets.iter()) {
            let ext = match MessageExt::decode(bytes) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(level, queue_offset, error = %e, "undecodable delayed message skipped");
                    ctx.delay_offsets.set(level, queue_offset + 1);
                    continue;
                }
            };
            if now_ms < ext.store_timestamp.saturating_add(delay_ms) {
                return delivered;
            }
            match restore(ctx, &ext) {
                Ok(msg) => {
                    let put = ctx.store.put_message(&msg);
                    match repost::classify(put.status) {
                        PutOutcome::Stored => {
                            if put.status == PutMessageStatus::PutOk {
                                ctx.stats.record_put(&msg.topic, 1, msg.body.len() as u64);
                            }
                            delivered += 1;
                        }
                        PutOutcome::Retry => {
                            // Disk full or shutting down: try again on a later tick.
                            tracing::warn!(
                                level,
                                status = put.status.name(),
                                "delivering a delayed message failed"
                            );
                            return delivered;
                        }
                        PutOutcome::Drop => {
                            ctx.stats.record_dropped_repost();
                            tracing::error!(
                                level,
                                queue_offset,
                                status = put.status.name(),
                                "a delayed message can never be stored; dropped"
                            );
                        }
                    }
                }
                Err(e) => {
                    ctx.stats.record_dropped_repost();
                    tracing::error!(level, queue_offset, error = %e, "delayed message dropped");
                }
            }
            ctx.delay_offsets.set(level, queue_offset + 1);
        }
        if r.next_begin_offset <= offset {
            return delivered;
        }
    }
}

/// Runs delivery every 100 ms and persists progress every 10 s, until `stop`.
pub async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    crate::ticker::Ticker {
        tick: TICK,
        persist_every: 100,
        work: |c| {
            deliver_due(c, crate::processor::now_ms());
        },
        persist: |c| c.delay_offsets.persist(),
        name: "delay levels",
    }
    .run(ctx, stop)
    .await
}
