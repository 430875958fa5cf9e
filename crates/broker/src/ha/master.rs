//! The master's HA port: for each slave, a reader of its offset reports and a writer that
//! streams raw CommitLog from where the slave stands (Java's `DefaultHAConnection`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::ha::{last_report, TransferHeader};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Shared;

/// Slaves one master serves at once (Java has no bound; a broker set has a handful).
pub(crate) const MAX_SLAVE_CONNECTIONS: usize = 64;

/// A caught-up writer looks for new data this often even when no write waits for it (Java
/// polls every 100 ms; SYNC_MASTER writes wake it at once).
const IDLE_POLL: Duration = Duration::from_millis(10);

/// A slave that does not read a transfer for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves slaves on `listener` until `stop`.
pub(crate) async fn serve(listener: TcpListener, ctx: Shared, stop: CancellationToken) {
    let live = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "HA accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if live.load(Ordering::Acquire) >= MAX_SLAVE_CONNECTIONS {
            tracing::warn!(%peer, "HA connection refused: {MAX_SLAVE_CONNECTIONS} slaves connected");
            continue;
        }
        live.fetch_add(1, Ordering::AcqRel);
        tracing::info!(%peer, "slave connected to the HA port");
        let (ctx, stop, live) = (ctx.clone(), stop.clone(), live.clone());
        tokio::spawn(async move {
            if ctx.replication().controlled().is_some() {
                super::auto_master::connection(ctx, stream, stop).await;
            } else {
                connection(ctx, stream, stop).await;
            }
            live.fetch_sub(1, Ordering::AcqRel);
            tracing::info!(%peer, "slave disconnected from the HA port");
        });
    }
}

async fn connection(ctx: Shared, stream: TcpStream, stop: CancellationToken) {
    let _ = stream.set_nodelay(true);
    let repl = ctx.replication();
    let id = repl.next_connection_id();
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    repl.acks.add(id, peer);
    let (rd, wr) = stream.into_split();
    // The slave's first report says where to start.
    let (first_tx, first_rx) = watch::channel(None::<i64>);
    let done = CancellationToken::new();
    let reader = reports(ctx.clone(), id, rd, first_tx, done.clone());
    let writer = transfers(ctx.clone(), id, wr, first_rx, done.clone());
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = reader => {}
        _ = writer => {}
    }
    done.cancel();
    ctx.replication().acks.remove(id);
}

/// Reads the slave's reports; ends when it goes silent for `haHousekeepingInterval`.
async fn reports(
    ctx: Shared,
    id: u64,
    mut rd: OwnedReadHalf,
    first: watch::Sender<Option<i64>>,
    done: CancellationToken,
) {
    let housekeeping = {
        let ms = ctx.settings().get().store.ha_housekeeping_interval;
        Duration::from_millis(ms.max(1000) as u64)
    };
    let mut buf = [0u8; 1024];
    let mut filled = 0usize;
    loop {
        let n = tokio::select! {
            _ = done.cancelled() => return,
            r = tokio::time::timeout(housekeeping, rd.read(&mut buf[filled..])) => match r {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(n)) => n,
                Err(_) => {
                    tracing::warn!("slave silent for {housekeeping:?}: HA connection closed");
                    return;
                }
            },
        };
        filled += n;
        if let Some((offset, used)) = last_report(&buf[..filled]) {
            buf.copy_within(used..filled, 0);
            filled -= used;
            if offset < 0 {
                tracing::warn!(
                    offset,
                    "slave reported a negative offset: HA connection closed"
                );
                return;
            }
            first.send_if_modified(|f| f.is_none().then(|| *f = Some(offset)).is_some());
            ctx.replication().acks.report(id, offset);
        }
    }
}

/// Streams CommitLog to the slave from where its first report says, in batches of at most
/// `haTransferBatchSize`, and a heartbeat (a header with no body) after
/// `haSendHeartbeatInterval` of silence.
async fn transfers(
    ctx: Shared,
    id: u64,
    mut wr: OwnedWriteHalf,
    mut first: watch::Receiver<Option<i64>>,
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
    let mut next = if requested == 0 {
        // A new slave starts at the master's last file, as in Java.
        let max = store.max_phys_offset();
        max - max % file_size
    } else {
        requested
    };
    tracing::info!(requested, from = next, "HA transfer starts");
    let now = ferromq_protocol::time::now_ms() as u64;
    ctx.replication().acks.transferred(id, next, 0, now);
    let mut last_write = Instant::now();
    let repl = ctx.replication();
    loop {
        let woken = repl.appended.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if let Some(data) = store.read_raw(next, batch) {
            let header = TransferHeader {
                offset: next,
                size: data.len() as i32,
            };
            if !send(&mut wr, &header, &data).await {
                return;
            }
            next += data.len() as i64;
            last_write = Instant::now();
            let now = ferromq_protocol::time::now_ms() as u64;
            repl.acks.transferred(id, next, data.len() as u64, now);
            continue;
        }
        let quiet = last_write.elapsed();
        if quiet >= heartbeat {
            let header = TransferHeader {
                offset: next,
                size: 0,
            };
            if !send(&mut wr, &header, &[]).await {
                return;
            }
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

pub(super) async fn send(wr: &mut OwnedWriteHalf, header: &TransferHeader, body: &[u8]) -> bool {
    let head = header.encode();
    // Header and body in one vectored write: one segment per batch.
    let mut both = bytes::Buf::chain(&head[..], body);
    let write = wr.write_all_buf(&mut both);
    match tokio::time::timeout(WRITE_TIMEOUT, write).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "HA transfer failed: connection closed");
            false
        }
        Err(_) => {
            tracing::warn!("slave stopped reading for {WRITE_TIMEOUT:?}: HA connection closed");
            false
        }
    }
}
