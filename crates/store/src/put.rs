//! Appends: single messages and batches, the write gate, and durability handles.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use ferromq_protocol::message::properties::{find_property, keys};
use ferromq_protocol::message::record::{
    body_crc, record_len, sys_flag_for_hosts, RecordVersion, RecordView,
};
use ferromq_protocol::message::sysflag::message as sysflag;

use crate::error::{PutMessageStatus, StoreError};
use crate::flush::DurableHandle;
use crate::message::{AppendInfo, BatchToStore, MessageToStore, PutResult};
use crate::queue_name::check_queue;

use crate::store::MessageStore;
use ferromq_protocol::time::now_ms as now_millis;

impl MessageStore {
    fn write_gate(&self) -> Option<PutMessageStatus> {
        if self.shared.stop.load(Ordering::Acquire) {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self.shared.not_writeable.lock().is_some() {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self.shared.disk_full.load(Ordering::Acquire) {
            return Some(PutMessageStatus::DiskFull);
        }
        None
    }

    /// Why writes are refused, if they are.
    pub fn not_writeable_reason(&self) -> Option<String> {
        if let Some(r) = self.shared.not_writeable.lock().clone() {
            return Some(r);
        }
        if self.shared.disk_full.load(Ordering::Acquire) {
            return Some("disk full".into());
        }
        self.shared
            .stop
            .load(Ordering::Acquire)
            .then(|| "shut down".into())
    }

    fn append_error(&self, e: StoreError) -> PutResult {
        self.shared
            .stats
            .put_failures
            .fetch_add(1, Ordering::Relaxed);
        let status = match &e {
            StoreError::DiskFull { .. } => PutMessageStatus::DiskFull,
            StoreError::InvalidArgument(_) => PutMessageStatus::MessageIllegal,
            _ => PutMessageStatus::CreateMappedFileFailed,
        };
        tracing::error!(error = %e, status = status.name(), "append failed");
        PutResult::failed(status)
    }

    fn durable(&self, end: u64, properties: &str) -> DurableHandle {
        match &self.shared.group_commit {
            Some(gc) => {
                let wait = find_property(properties, keys::WAIT_STORE_MSG_OK)
                    .map(|v| !v.eq_ignore_ascii_case("false"))
                    .unwrap_or(true);
                if wait {
                    gc.register(end)
                } else {
                    DurableHandle::ready(PutMessageStatus::PutOk)
                }
            }
            None => DurableHandle::ready(PutMessageStatus::PutOk),
        }
    }

    pub(crate) fn after_append(&self) {
        if self.shared.dispatcher.take_idle() {
            if let Some(t) = self.dispatcher_thread.get() {
                t.unpark();
            }
        }
    }

    /// Appends one message. The store assigns the queue offset (none for PREPARED/ROLLBACK
    /// transaction halves), physical offset and store time. Await/wait `durable` for the
    /// final status under SYNC_FLUSH.
    pub fn put_message(&self, msg: &MessageToStore) -> PutResult {
        if let Some(s) = self.write_gate() {
            return PutResult::failed(s);
        }
        let cfg = &self.shared.config;
        // A record whose topic cannot name a ConsumeQueue could never be consumed: refuse
        // it rather than acknowledge it (the dispatcher would have to skip it).
        if msg.body.len() > cfg.max_message_size || check_queue(&msg.topic, msg.queue_id).is_err() {
            return PutResult::failed(PutMessageStatus::MessageIllegal);
        }
        if msg.properties.len() > i16::MAX as usize {
            return PutResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let crc = body_crc(&msg.body);
        let version = RecordVersion::for_topic_len(msg.topic.len());
        let sys_flag = sys_flag_for_hosts(msg.sys_flag, &msg.born_host, &msg.store_host);
        let len = record_len(
            version,
            sys_flag,
            msg.body.len(),
            msg.topic.len(),
            msg.properties.len(),
        );
        let tx = sysflag::transaction_value(sys_flag);
        let takes_offset = !matches!(
            tx,
            sysflag::TRANSACTION_PREPARED_TYPE | sysflag::TRANSACTION_ROLLBACK_TYPE
        );

        let log = &self.shared.log;
        let (placement, queue_offset, store_ts) = {
            let mut w = log.lock_writer();
            let store_ts = now_millis();
            let queue_offset = if takes_offset {
                w.queue_offsets.next(&msg.topic, msg.queue_id)
            } else {
                0
            };
            let r = log.append_locked(&mut w, len, store_ts, |w, phys, out| {
                let rec = RecordView {
                    version,
                    body_crc: crc,
                    queue_id: msg.queue_id,
                    flag: msg.flag,
                    queue_offset,
                    physical_offset: phys as i64,
                    sys_flag,
                    born_timestamp: msg.born_timestamp,
                    born_host: msg.born_host,
                    store_timestamp: store_ts,
                    store_host: msg.store_host,
                    reconsume_times: msg.reconsume_times,
                    prepared_transaction_offset: msg.prepared_transaction_offset,
                    body: &msg.body,
                    topic: msg.topic.as_bytes(),
                    properties: msg.properties.as_bytes(),
                };
                rec.encode_into(out)?;
                if takes_offset {
                    w.queue_offsets.advance(&msg.topic, msg.queue_id, 1);
                }
                Ok::<(), ferromq_protocol::message::record::RecordError>(())
            });
            match r {
                Ok(Ok(p)) => (p, queue_offset, store_ts),
                Ok(Err(_)) => return PutResult::failed(PutMessageStatus::MessageIllegal),
                Err(e) => {
                    drop(w);
                    return self.append_error(e);
                }
            }
        };
        self.after_append();
        self.shared.stats.record_put(1, placement.size as u64);
        PutResult {
            status: PutMessageStatus::PutOk,
            append: Some(AppendInfo {
                phys_offset: placement.phys_offset as i64,
                wrote_bytes: placement.size,
                queue_offset,
                msg_count: 1,
                store_timestamp: store_ts,
                phys_offsets: vec![placement.phys_offset as i64],
            }),
            durable: self.durable(
                placement.phys_offset + placement.size as u64,
                &msg.properties,
            ),
        }
    }

    /// Appends a batch in one append: one record per message, consecutive queue offsets.
    /// Transactional or delayed batches are illegal (as in Java). The records carry only each
    /// message's own properties; see [`MessageStore::put_batch_with_properties`] for Java's
    /// exact layout.
    pub fn put_batch(&self, batch: &BatchToStore) -> PutResult {
        self.put_batch_with_properties(batch, "")
    }

    /// [`MessageStore::put_batch`], storing each message as the Java broker does
    /// (`MessageExtEncoder.encode(MessageExtBatch)`): the message's properties, a `\u{2}` if
    /// they are non-empty and do not end with one, then `batch_properties` (the encoded
    /// properties of the SEND_BATCH_MESSAGE request itself: the batch's `UNIQ_KEY`, `WAIT`,
    /// `CLUSTER`, …). Readers, like Java's, take the last occurrence of a repeated key.
    pub fn put_batch_with_properties(
        &self,
        batch: &BatchToStore,
        batch_properties: &str,
    ) -> PutResult {
        if let Some(s) = self.write_gate() {
            return PutResult::failed(s);
        }
        let cfg = &self.shared.config;
        if batch.messages.is_empty()
            || check_queue(&batch.topic, batch.queue_id).is_err()
            || sysflag::transaction_value(batch.sys_flag) != sysflag::TRANSACTION_NOT_TYPE
        {
            return PutResult::failed(PutMessageStatus::MessageIllegal);
        }
        let body_total: usize = batch
            .messages
            .iter()
            .map(|m| m.body.len() + m.properties.len() + 22)
            .sum();
        if body_total > cfg.max_message_size {
            return PutResult::failed(PutMessageStatus::MessageIllegal);
        }
        let props: Vec<Cow<'_, [u8]>> = batch
            .messages
            .iter()
            .map(|m| with_batch_properties(&m.properties, batch_properties.as_bytes()))
            .collect();
        if props.iter().any(|p| p.len() > i16::MAX as usize) {
            return PutResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let version = RecordVersion::for_topic_len(batch.topic.len());
        let sys_flag = sys_flag_for_hosts(batch.sys_flag, &batch.born_host, &batch.store_host);
        let lens: Vec<usize> = batch
            .messages
            .iter()
            .zip(&props)
            .map(|(m, p)| record_len(version, sys_flag, m.body.len(), batch.topic.len(), p.len()))
            .collect();
        let crcs: Vec<i32> = batch.messages.iter().map(|m| body_crc(&m.body)).collect();
        let total: usize = lens.iter().sum();
        let n = batch.messages.len();
        let log = &self.shared.log;
        let mut phys_offsets = Vec::with_capacity(n);
        let (placement, first_qo, store_ts) = {
            let mut w = log.lock_writer();
            let store_ts = now_millis();
            let first_qo = w.queue_offsets.next(&batch.topic, batch.queue_id);
            let r = log.append_locked(&mut w, total, store_ts, |w, phys, out| {
                let mut at = 0usize;
                for (i, m) in batch.messages.iter().enumerate() {
                    let rec = RecordView {
                        version,
                        body_crc: crcs[i],
                        queue_id: batch.queue_id,
                        flag: m.flag,
                        queue_offset: first_qo + i as i64,
                        physical_offset: (phys + at as u64) as i64,
                        sys_flag,
                        born_timestamp: batch.born_timestamp,
                        born_host: batch.born_host,
                        store_timestamp: store_ts,
                        store_host: batch.store_host,
                        reconsume_times: batch.reconsume_times,
                        prepared_transaction_offset: 0,
                        body: &m.body,
                        topic: batch.topic.as_bytes(),
                        properties: &props[i],
                    };
                    phys_offsets.push((phys + at as u64) as i64);
                    at += rec.encode_into(&mut out[at..])?;
                }
                w.queue_offsets
                    .advance(&batch.topic, batch.queue_id, n as i64);
                Ok::<(), ferromq_protocol::message::record::RecordError>(())
            });
            match r {
                Ok(Ok(p)) => (p, first_qo, store_ts),
                Ok(Err(_)) => return PutResult::failed(PutMessageStatus::MessageIllegal),
                Err(e) => {
                    drop(w);
                    return self.append_error(e);
                }
            }
        };
        self.after_append();
        self.shared
            .stats
            .record_put(n as u64, placement.size as u64);
        let wait_props = props
            .first()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        PutResult {
            status: PutMessageStatus::PutOk,
            append: Some(AppendInfo {
                phys_offset: placement.phys_offset as i64,
                wrote_bytes: placement.size,
                queue_offset: first_qo,
                msg_count: n as u32,
                store_timestamp: store_ts,
                phys_offsets,
            }),
            durable: self.durable(placement.phys_offset + placement.size as u64, &wait_props),
        }
    }
}

/// A batch message's stored properties: its own, then the batch's (Java layout), with a
/// `\u{2}` between them when the message's do not already end with one.
fn with_batch_properties<'a>(own: &'a [u8], batch: &[u8]) -> Cow<'a, [u8]> {
    if batch.is_empty() {
        return Cow::Borrowed(own);
    }
    let mut v = Vec::with_capacity(own.len() + 1 + batch.len());
    v.extend_from_slice(own);
    if !own.is_empty() && own.last() != Some(&2) {
        v.push(2);
    }
    v.extend_from_slice(batch);
    Cow::Owned(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_properties_follow_the_message_properties() {
        let batch = b"UNIQ_KEY\x01B\x02WAIT\x01true\x02";
        assert_eq!(
            &*with_batch_properties(b"KEYS\x01k\x02", batch),
            b"KEYS\x01k\x02UNIQ_KEY\x01B\x02WAIT\x01true\x02"
        );
        // Java inserts the separator a message's properties lack.
        assert_eq!(
            &*with_batch_properties(b"KEYS\x01k", batch),
            b"KEYS\x01k\x02UNIQ_KEY\x01B\x02WAIT\x01true\x02"
        );
        assert_eq!(&*with_batch_properties(b"", batch), batch);
        assert!(matches!(
            with_batch_properties(b"KEYS\x01k", b""),
            Cow::Borrowed(_)
        ));
    }
}
