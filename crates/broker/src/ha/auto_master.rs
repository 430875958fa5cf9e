//! The master side of an AutoSwitch HA connection (controller mode; Java's
//! `AutoSwitchHAConnection`): the slave introduces itself (its controller id), the master
//! answers with its end and epochs so the slave can cut a divergent tail, then streams
//! CommitLog in frames that never straddle an epoch boundary and carry the master's confirm
//! offset. A slave that catches up joins the SyncStateSet.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::ha::auto_switch::{MasterHeader, SlaveFrame, SLAVE_HANDSHAKE_LEN};
use ferromq_store::EpochCache;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Shared;

/// Epoch entries a master's handshake carries at most (Java's buffer holds 1000).
const MAX_HANDSHAKE_EPOCHS: usize = 1000;

/// A caught-up writer looks for new data this often when no write wakes it.
const IDLE_POLL: Duration = Duration::from_millis(10);

/// A slave that does not read a transfer for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a slave said in its handshake.
#[derive(Debug, Clone, Copy)]
struct Hello {
    slave_id: i64,
    sync_from_last_file: bool,
    async_learner: bool,
}

/// Serves one slave until it leaves, `stop`, or this broker stops being master.
pub(super) async fn connection(ctx: Shared, stream: TcpStream, stop: CancellationToken) {
    let _ = stream.set_nodelay(true);
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (mut rd, mut wr) = stream.into_split();
    let Some(hello) = handshake(&ctx, &mut rd).await else {
        tracing::warn!(%peer, "no AutoSwitch handshake from the slave: HA connection closed");
        return;
    };
    if !say_hello(&ctx, &mut wr).await {
        return;
    }
    tracing::info!(%peer, slave = hello.slave_id, "AutoSwitch slave connected");
    let repl = ctx.replication();
    let id = repl.next_connection_id();
    repl.acks.add_slave(id, peer, Some(hello.slave_id));
    let (first_tx, first_rx) = watch::channel(None::<i64>);
    let done = CancellationToken::new();
    // The master's end when it last sent this slave everything it had.
    let sent_upto = Arc::new(AtomicI64::new(i64::MAX));
    let reader = reports(ctx.clone(), id, hello, rd, first_tx, sent_upto.clone());
    let writer = transfers(
        ctx.clone(),
        id,
        hello,
        wr,
        first_rx,
        sent_upto,
        done.clone(),
    );
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = reader => {}
        _ = writer => {}
    }
    done.cancel();
    repl.acks.remove(id);
    if stop.is_cancelled() {
        // The broker is stopping: its SyncStateSet stays as the controller has it, so the
        // slave can be elected (Java stops its replicas manager before its HA service).
        return;
    }
    if let Some(c) = repl.controlled() {
        // A slave that left is out of the SyncStateSet at once (Java's connection listener).
        let still = repl.acks.acked_by_slave().contains_key(&hello.slave_id);
        if !still {
            c.forget(hello.slave_id);
            c.update_sync_set(|s| s.shrink(|m| m != hello.slave_id));
        }
    }
}

async fn handshake(ctx: &Shared, rd: &mut OwnedReadHalf) -> Option<Hello> {
    let mut buf = [0u8; SLAVE_HANDSHAKE_LEN];
    let timeout = housekeeping(ctx);
    tokio::time::timeout(timeout, rd.read_exact(&mut buf))
        .await
        .ok()?
        .ok()?;
    match SlaveFrame::decode(&buf) {
        Ok(Some((
            SlaveFrame::Handshake {
                sync_from_last_file,
                async_learner,
                broker_id,
            },
            _,
        ))) => Some(Hello {
            slave_id: broker_id,
            sync_from_last_file,
            async_learner,
        }),
        _ => None,
    }
}

/// The master's handshake: its end and its epochs.
async fn say_hello(ctx: &Shared, wr: &mut OwnedWriteHalf) -> bool {
    let epochs = epochs(ctx);
    let entries: Vec<(i32, i64)> = epochs
        .entries()
        .iter()
        .rev()
        .take(MAX_HANDSHAKE_EPOCHS)
        .rev()
        .map(|e| (e.epoch, e.start_offset as i64))
        .collect();
    let frame = MasterHeader::encode_handshake(ctx.store().max_phys_offset(), &entries);
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, wr.write_all(&frame)).await,
        Ok(Ok(()))
    )
}

fn epochs(ctx: &Shared) -> EpochCache {
    ctx.replication()
        .controlled()
        .map(|c| c.epochs())
        .unwrap_or_default()
}

fn housekeeping(ctx: &Shared) -> Duration {
    let ms = ctx.settings().get().store.ha_housekeeping_interval;
    Duration::from_millis(ms.max(1000) as u64)
}

/// Reads the slave's reports: acknowledgements, catch-up times, SyncStateSet growth.
async fn reports(
    ctx: Shared,
    id: u64,
    hello: Hello,
    mut rd: OwnedReadHalf,
    first: watch::Sender<Option<i64>>,
    sent_upto: Arc<AtomicI64>,
) {
    let timeout = housekeeping(&ctx);
    let mut buf = [0u8; 1024];
    let mut filled = 0usize;
    loop {
        let n = match tokio::time::timeout(timeout, rd.read(&mut buf[filled..])).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => n,
            Err(_) => {
                tracing::warn!("slave silent for {timeout:?}: HA connection closed");
                return;
            }
        };
        filled += n;
        let mut used = 0;
        let mut last = None;
        loop {
            match SlaveFrame::decode(&buf[used..filled]) {
                Ok(Some((SlaveFrame::Report { max_offset }, len))) => {
                    last = Some(max_offset);
                    used += len;
                }
                Ok(Some((SlaveFrame::Handshake { .. }, len))) => used += len,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = ?e, "bad frame from the slave: HA connection closed");
                    return;
                }
            }
        }
        buf.copy_within(used..filled, 0);
        filled -= used;
        let Some(offset) = last else { continue };
        if offset < 0 {
            tracing::warn!(
                offset,
                "slave reported a negative offset: HA connection closed"
            );
            return;
        }
        first.send_if_modified(|f| f.is_none().then(|| *f = Some(offset)).is_some());
        ctx.replication().acks.report(id, offset);
        acknowledged(&ctx, hello, offset, sent_upto.load(Ordering::Acquire));
    }
}

/// A report of `offset` from a slave the master had sent everything up to `sent_upto`:
/// it caught up, and a caught-up slave that holds the current epoch joins the SyncStateSet
/// (Java's `maybeExpandInSyncStateSet`; asynchronous learners never do).
fn acknowledged(ctx: &Shared, hello: Hello, offset: i64, sent_upto: i64) {
    let repl = ctx.replication();
    let Some(c) = repl.controlled() else { return };
    if repl.is_slave() || offset < sent_upto {
        return;
    }
    c.caught_up(hello.slave_id, ferromq_protocol::time::now_ms());
    if hello.async_learner {
        return;
    }
    let current_epoch_start = c
        .epochs()
        .entries()
        .last()
        .map_or(0, |e| e.start_offset as i64);
    if offset >= current_epoch_start {
        c.update_sync_set(|s| s.expand(hello.slave_id));
    }
    let all_ack = ctx.settings().get().store.all_ack_in_sync_state_set;
    repl.refresh_confirm_offset(ctx.store(), all_ack);
}

/// The epoch `offset` belongs to: `(epoch, start, end)`, the last epoch unbounded. Bytes
/// before the first recorded epoch count as the first epoch's.
fn epoch_span(epochs: &EpochCache, offset: u64) -> Option<(i32, u64, u64)> {
    let entries = epochs.entries();
    let i = entries
        .iter()
        .rposition(|e| e.start_offset <= offset)
        .unwrap_or(0);
    let e = entries.get(i)?;
    let end = entries.get(i + 1).map_or(u64::MAX, |n| n.start_offset);
    Some((e.epoch, e.start_offset, end))
}

/// Streams CommitLog from where the slave's first report says.
async fn transfers(
    ctx: Shared,
    id: u64,
    hello: Hello,
    mut wr: OwnedWriteHalf,
    mut first: watch::Receiver<Option<i64>>,
    sent_upto: Arc<AtomicI64>,
    done: CancellationToken,
) {
    let requested = tokio::select! {
        _ = done.cancelled() => return,
        r = first.wait_for(|f| f.is_some()) => match r {
            Ok(v) => v.unwrap_or(0),
            Err(_) => return,
        },
    };
    let (batch, heartbeat, file_size) = {
        let c = ctx.settings().get();
        (
            c.store.ha_transfer_batch_size.clamp(1024, 4 << 20) as usize,
            Duration::from_millis(c.store.ha_send_heartbeat_interval.max(100) as u64),
            c.store.mapped_file_size_commit_log.max(1) as i64,
        )
    };
    let store = ctx.store().clone();
    let repl = ctx.replication();
    let mut next = if requested == 0 {
        if hello.sync_from_last_file {
            let max = store.max_phys_offset();
            max - max % file_size
        } else {
            store.min_phys_offset()
        }
    } else {
        requested
    };
    tracing::info!(
        requested,
        from = next,
        slave = hello.slave_id,
        "AutoSwitch transfer starts"
    );
    repl.acks
        .transferred(id, next, 0, ferromq_protocol::time::now_ms() as u64);
    let mut last_write = Instant::now();
    let mut confirm_sent = -1;
    loop {
        if repl.is_slave() {
            tracing::info!("no longer master: AutoSwitch HA connection closed");
            return;
        }
        let woken = repl.appended.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let epochs = epochs(&ctx);
        let Some((epoch, epoch_start, epoch_end)) = epoch_span(&epochs, next.max(0) as u64) else {
            // No epoch yet (Java retries every 500 ms).
            tokio::select! {
                _ = done.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
            }
        };
        let room = epoch_end.saturating_sub(next as u64).min(batch as u64) as usize;
        let master_max = store.max_phys_offset();
        let confirm = repl.confirm_offset(&store);
        if room > 0 {
            if let Some(data) = store.read_raw(next, room) {
                let head = MasterHeader::encode_transfer(
                    data.len(),
                    next,
                    epoch,
                    epoch_start as i64,
                    confirm,
                );
                if !write_frame(&mut wr, &head, &data).await {
                    return;
                }
                confirm_sent = confirm;
                next += data.len() as i64;
                last_write = Instant::now();
                if next >= master_max {
                    sent_upto.store(master_max, Ordering::Release);
                }
                let now = ferromq_protocol::time::now_ms() as u64;
                repl.acks.transferred(id, next, data.len() as u64, now);
                continue;
            }
        }
        // Everything sent: a report of `next` means the slave has all the master has.
        sent_upto.store(next, Ordering::Release);
        let quiet = last_write.elapsed();
        // A heartbeat when quiet, and at once when the confirm offset moved: the slave
        // dispatches only up to it (Java waits for the next heartbeat, up to 5 s).
        if quiet >= heartbeat || confirm != confirm_sent {
            let head = MasterHeader::encode_transfer(0, next, epoch, epoch_start as i64, confirm);
            if !write_frame(&mut wr, &head, &[]).await {
                return;
            }
            confirm_sent = confirm;
            last_write = Instant::now();
            continue;
        }
        tokio::select! {
            _ = done.cancelled() => return,
            _ = woken => {}
            _ = tokio::time::sleep(IDLE_POLL.min(heartbeat - quiet)) => {}
        }
    }
}

async fn write_frame(wr: &mut OwnedWriteHalf, head: &[u8], body: &[u8]) -> bool {
    let mut both = bytes::Buf::chain(head, body);
    match tokio::time::timeout(WRITE_TIMEOUT, wr.write_all_buf(&mut both)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "AutoSwitch transfer failed: connection closed");
            false
        }
        Err(_) => {
            tracing::warn!("slave stopped reading for {WRITE_TIMEOUT:?}: HA connection closed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_store::EpochEntry;

    #[test]
    fn transfers_stop_at_epoch_boundaries() {
        let e = EpochCache::from_entries(vec![
            EpochEntry {
                epoch: 1,
                start_offset: 0,
            },
            EpochEntry {
                epoch: 3,
                start_offset: 500,
            },
        ]);
        assert_eq!(epoch_span(&e, 10), Some((1, 0, 500)));
        assert_eq!(epoch_span(&e, 500), Some((3, 500, u64::MAX)));
        assert_eq!(epoch_span(&EpochCache::default(), 0), None);
        let late = EpochCache::from_entries(vec![EpochEntry {
            epoch: 2,
            start_offset: 100,
        }]);
        assert_eq!(
            epoch_span(&late, 0),
            Some((2, 100, u64::MAX)),
            "before the first"
        );
    }
}
