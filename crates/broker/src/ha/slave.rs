//! A slave's link to its master's HA port (Java's `DefaultHAClient`): report where the local
//! CommitLog ends, append what the master streams verbatim, report again; reconnect when the
//! link breaks or the master moves.

use std::time::Duration;

use ferromq_protocol::ha::{encode_report, TransferHeader, TRANSFER_HEADER_LEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::Shared;

/// The largest transfer body a slave accepts (Java's master sends at most
/// `haTransferBatchSize`, 32 KiB by default; its slave reads into a 4 MiB buffer).
const MAX_TRANSFER: usize = 4 << 20;

/// Pause before reconnecting to a master that could not be reached.
const RECONNECT: Duration = Duration::from_secs(1);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Follows the master until `stop`.
pub(crate) async fn follow(ctx: Shared, stop: CancellationToken) {
    let mut master = ctx.replication().watch_master();
    loop {
        let addr = master.borrow_and_update().ha_addr.clone();
        let Some(addr) = addr else {
            tokio::select! {
                _ = stop.cancelled() => return,
                r = master.changed() => if r.is_err() { return },
            }
            continue;
        };
        let connected = tokio::select! {
            _ = stop.cancelled() => return,
            r = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr)) => r,
        };
        match connected {
            Ok(Ok(stream)) => {
                tracing::info!(master = %addr, "connected to the master's HA port");
                let _ = stream.set_nodelay(true);
                ctx.replication().link_changed(&addr, true);
                let why = session(&ctx, stream, &mut master, &stop).await;
                ctx.replication().link_changed(&addr, false);
                tracing::info!(master = %addr, reason = why, "HA link to the master closed");
            }
            Ok(Err(e)) => tracing::debug!(master = %addr, error = %e, "HA connect failed"),
            Err(_) => tracing::debug!(master = %addr, "HA connect timed out"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(RECONNECT) => {}
        }
    }
}

/// One connection: a reporter task and the transfer reader; ends when either fails, the
/// master goes silent, or its address changes.
async fn session(
    ctx: &Shared,
    stream: TcpStream,
    master: &mut watch::Receiver<super::MasterLink>,
    stop: &CancellationToken,
) -> &'static str {
    let (rd, wr) = stream.into_split();
    let start = ctx.store().max_phys_offset();
    let (offset_tx, offset_rx) = watch::channel(start);
    let reporter = report(ctx.clone(), wr, offset_rx);
    let reader = receive(ctx.clone(), rd, offset_tx);
    tokio::select! {
        _ = stop.cancelled() => "stopping",
        r = master.changed() => if r.is_ok() { "master changed" } else { "stopping" },
        why = reporter => why,
        why = reader => why,
    }
}

/// Reports the local end on connect, after every append, and every
/// `haSendHeartbeatInterval`.
async fn report(
    ctx: Shared,
    mut wr: OwnedWriteHalf,
    mut offset: watch::Receiver<i64>,
) -> &'static str {
    let every = {
        let ms = ctx.settings().get().store.ha_send_heartbeat_interval;
        Duration::from_millis(ms.max(100) as u64)
    };
    loop {
        let at = *offset.borrow_and_update();
        match tokio::time::timeout(every, wr.write_all(&encode_report(at as u64))).await {
            Ok(Ok(())) => ctx.replication().link_wrote(),
            Ok(Err(_)) => return "report failed",
            Err(_) => return "report timed out",
        }
        tokio::select! {
            r = offset.changed() => if r.is_err() { return "reader ended" },
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// Reads transfers and appends them; the master must continue exactly where the local log
/// ends (Java closes the link otherwise, and so do we).
async fn receive(ctx: Shared, mut rd: OwnedReadHalf, offset: watch::Sender<i64>) -> &'static str {
    let housekeeping = {
        let ms = ctx.settings().get().store.ha_housekeeping_interval;
        Duration::from_millis(ms.max(1000) as u64)
    };
    let mut head = [0u8; TRANSFER_HEADER_LEN];
    loop {
        let frame = async {
            rd.read_exact(&mut head).await?;
            let h = TransferHeader::decode(&head);
            let len = usize::try_from(h.size).unwrap_or(usize::MAX);
            if len > MAX_TRANSFER {
                return Ok(Err(h));
            }
            let mut body = vec![0u8; len];
            rd.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(Ok((h, body)))
        };
        let (h, body) = match tokio::time::timeout(housekeeping, frame).await {
            Err(_) => return "master silent",
            Ok(Err(_)) => return "read failed",
            Ok(Ok(Err(h))) => {
                tracing::warn!(size = h.size, "HA transfer size out of bounds");
                return "bad transfer size";
            }
            Ok(Ok(Ok(x))) => x,
        };
        ctx.replication()
            .link_read(TRANSFER_HEADER_LEN + body.len());
        if body.is_empty() {
            continue;
        }
        let local = ctx.store().max_phys_offset();
        if local != 0 && local != h.offset {
            tracing::error!(
                master_offset = h.offset,
                local,
                "master pushed offset not equal the max phy offset in slave"
            );
            return "offset mismatch";
        }
        let store = ctx.store().clone();
        let at = h.offset;
        let appended =
            tokio::task::spawn_blocking(move || store.append_raw(at as u64, &body)).await;
        match appended {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(offset = at, error = %e, "appending replicated bytes failed");
                return "append failed";
            }
            Err(_) => return "append panicked",
        }
        offset.send_replace(ctx.store().max_phys_offset());
    }
}
