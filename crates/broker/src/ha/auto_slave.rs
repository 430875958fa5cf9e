//! The slave side of an AutoSwitch HA connection (controller mode; Java's
//! `AutoSwitchHAClient`): introduce itself with its controller id, compare its epochs with
//! the master's and cut what the master does not have (a returning old master's
//! unreplicated tail), then append what the master streams, recording each new epoch, and
//! report its end.

use std::time::Duration;

use ferromq_protocol::ha::auto_switch::{
    MasterHeader, SlaveFrame, MASTER_HANDSHAKE_HEADER_LEN, TRANSFER_HEADER_LEN,
};
use ferromq_store::{consistent_point, EpochCache, EpochEntry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::Shared;
use ferromq_config::BrokerRole;

/// The largest transfer body accepted (Java reads into a 4 MiB buffer).
const MAX_TRANSFER: usize = 4 << 20;
/// The largest handshake body: 1000 epochs of 12 bytes (Java's buffer), with room.
const MAX_HANDSHAKE_BODY: usize = 64 * 1024;
const RECONNECT: Duration = Duration::from_secs(1);
/// After logs that share no epoch (Java waits 2 s and tries again).
const NO_AGREEMENT_RETRY: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Follows the master while this broker is a slave, until `stop`.
pub(crate) async fn follow(ctx: Shared, stop: CancellationToken) {
    let repl = ctx.replication();
    let mut master = repl.watch_master();
    let mut role = repl.watch_role();
    loop {
        let addr = master.borrow_and_update().ha_addr.clone();
        let slave = *role.borrow_and_update() == BrokerRole::Slave && !repl.is_fenced();
        let Some(addr) = addr.filter(|_| slave) else {
            tokio::select! {
                _ = stop.cancelled() => return,
                r = master.changed() => if r.is_err() { return },
                r = role.changed() => if r.is_err() { return },
                // The fence lifts without a role change when the broker starts as slave.
                _ = tokio::time::sleep(RECONNECT) => {}
            }
            continue;
        };
        let connected = tokio::select! {
            _ = stop.cancelled() => return,
            r = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr)) => r,
        };
        let mut pause = RECONNECT;
        match connected {
            Ok(Ok(stream)) => {
                tracing::info!(master = %addr, "connected to the master's HA port (AutoSwitch)");
                let _ = stream.set_nodelay(true);
                repl.link_changed(&addr, true);
                let why = tokio::select! {
                    _ = stop.cancelled() => "stopping",
                    r = master.changed() => if r.is_ok() { "master changed" } else { "stopping" },
                    r = role.changed() => if r.is_ok() { "role changed" } else { "stopping" },
                    why = session(&ctx, stream) => why,
                };
                repl.link_changed(&addr, false);
                if why == "no common epoch" {
                    pause = NO_AGREEMENT_RETRY;
                }
                tracing::info!(master = %addr, reason = why, "AutoSwitch HA link closed");
            }
            Ok(Err(e)) => tracing::debug!(master = %addr, error = %e, "HA connect failed"),
            Err(_) => tracing::debug!(master = %addr, "HA connect timed out"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// One connection: handshake, truncation, then the report and transfer loops.
async fn session(ctx: &Shared, stream: TcpStream) -> &'static str {
    let (mut rd, mut wr) = stream.into_split();
    let (sync_from_last_file, async_learner) = {
        let c = ctx.settings().get();
        (c.store.sync_from_last_file, c.store.async_learner)
    };
    let Some(c) = ctx.replication().controlled() else {
        return "not in controller mode";
    };
    let hello = SlaveFrame::Handshake {
        sync_from_last_file,
        async_learner,
        broker_id: c.my_id(),
    };
    if wr.write_all(&hello.encode()).await.is_err() {
        return "handshake failed";
    }
    let (master_max, master_epochs) = match read_hello(ctx, &mut rd).await {
        Ok(x) => x,
        Err(why) => return why,
    };
    let start = {
        // Cutting the log is a change like an append: not once becoming master began.
        let _applying = ctx.replication().applying().await;
        if !ctx.replication().is_following() {
            return "no longer following";
        }
        match agree(ctx, master_max, &master_epochs).await {
            Ok(at) => at,
            Err(why) => return why,
        }
    };
    let (offset_tx, offset_rx) = watch::channel(start);
    tokio::select! {
        why = report(ctx.clone(), wr, offset_rx) => why,
        why = receive(ctx.clone(), rd, offset_tx) => why,
    }
}

async fn read_hello(
    ctx: &Shared,
    rd: &mut OwnedReadHalf,
) -> Result<(u64, EpochCache), &'static str> {
    let mut head = [0u8; MASTER_HANDSHAKE_HEADER_LEN];
    let timeout = housekeeping(ctx);
    match tokio::time::timeout(timeout, rd.read_exact(&mut head)).await {
        Ok(Ok(_)) => {}
        _ => return Err("no handshake from the master"),
    }
    let (max_offset, body_size) = match MasterHeader::decode(&head, MAX_HANDSHAKE_BODY) {
        Ok(Some((
            MasterHeader::Handshake {
                max_offset,
                body_size,
                ..
            },
            _,
        ))) => (max_offset, body_size),
        _ => return Err("bad handshake from the master"),
    };
    let mut body = vec![0u8; body_size];
    match tokio::time::timeout(timeout, rd.read_exact(&mut body)).await {
        Ok(Ok(_)) => {}
        _ => return Err("handshake body unread"),
    }
    let entries = MasterHeader::decode_epochs(&body)
        .into_iter()
        .filter_map(|(epoch, start)| {
            Some(EpochEntry {
                epoch,
                start_offset: u64::try_from(start).ok()?,
            })
        })
        .collect();
    Ok((
        u64::try_from(max_offset).unwrap_or(0),
        EpochCache::from_entries(entries),
    ))
}

/// Finds where the local log agrees with the master's, cuts the rest (CommitLog, queues,
/// epochs) and returns the offset to report first (Java's `doTruncate`).
async fn agree(ctx: &Shared, master_max: u64, master: &EpochCache) -> Result<i64, &'static str> {
    let Some(c) = ctx.replication().controlled() else {
        return Err("not in controller mode");
    };
    // A torn last record (the previous master died mid-batch) goes first, as Java's client
    // does before every connection: the logs are compared on record boundaries.
    let store = ctx.store().clone();
    match tokio::task::spawn_blocking(move || store.truncate_invalid_tail()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cutting the torn tail failed");
            return Err("truncation failed");
        }
        Err(_) => return Err("truncation panicked"),
    }
    let local = c.epochs();
    let local_max = ctx.store().max_phys_offset().max(0) as u64;
    if local.entries().is_empty() {
        return Ok(local_max as i64);
    }
    let Some(point) = consistent_point(&local, local_max, master, master_max) else {
        tracing::error!(
            ?local,
            ?master,
            "the local log shares no epoch with the master's"
        );
        return Err("no common epoch");
    };
    if point < local_max {
        let store = ctx.store().clone();
        let cut = tokio::task::spawn_blocking(move || store.truncate_to(point)).await;
        match cut {
            Ok(Ok(bytes)) => tracing::warn!(
                at = point,
                bytes,
                local_end = local_max,
                local_epochs = ?local.entries(),
                "truncated the local log where it leaves the master's"
            ),
            Ok(Err(e)) => {
                tracing::error!(at = point, error = %e, "truncating to the master's log failed");
                return Err("truncation failed");
            }
            Err(_) => return Err("truncation panicked"),
        }
    }
    if let Err(e) = c.update_epochs(|e| e.truncate_from(point)) {
        tracing::error!(error = %e, "saving the epoch file failed");
        return Err("epoch file unwritable");
    }
    Ok(point as i64)
}

fn housekeeping(ctx: &Shared) -> Duration {
    let ms = ctx.settings().get().store.ha_housekeeping_interval;
    Duration::from_millis(ms.max(1000) as u64)
}

/// Reports the local end at once, after every append, and every `haSendHeartbeatInterval`.
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
        let frame = SlaveFrame::Report { max_offset: at }.encode();
        match tokio::time::timeout(every, wr.write_all(&frame)).await {
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

/// Reads transfers, records new epochs, appends, and follows the master's confirm offset.
async fn receive(ctx: Shared, mut rd: OwnedReadHalf, offset: watch::Sender<i64>) -> &'static str {
    let timeout = housekeeping(&ctx);
    let mut head = [0u8; TRANSFER_HEADER_LEN];
    let mut last_epoch = None;
    loop {
        let frame = async {
            rd.read_exact(&mut head).await?;
            let h = MasterHeader::decode(&head, MAX_TRANSFER);
            let Ok(Some((
                MasterHeader::Transfer {
                    body_size,
                    offset,
                    epoch,
                    epoch_start_offset,
                    confirm_offset,
                },
                _,
            ))) = h
            else {
                return Ok(None);
            };
            let mut body = vec![0u8; body_size];
            rd.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(Some((
                offset,
                epoch,
                epoch_start_offset,
                confirm_offset,
                body,
            )))
        };
        let (at, epoch, epoch_start, confirm, body) =
            match tokio::time::timeout(timeout, frame).await {
                Err(_) => return "master silent",
                Ok(Err(_)) => return "read failed",
                Ok(Ok(None)) => return "bad transfer frame",
                Ok(Ok(Some(x))) => x,
            };
        let repl = ctx.replication();
        repl.link_read(TRANSFER_HEADER_LEN + body.len());
        let store = ctx.store().clone();
        // Applied whole or not at all once this broker begins to become master.
        let applying = repl.applying().await;
        if !repl.is_following() {
            return "no longer following";
        }
        // Java checks the position and records a new epoch on every frame, heartbeats too.
        let local = store.max_phys_offset();
        if local != 0 && local != at {
            tracing::error!(
                master_offset = at,
                local,
                "master pushed offset not equal the max phy offset in slave"
            );
            return "offset mismatch";
        }
        if last_epoch != Some(epoch) {
            if let Some(c) = repl.controlled() {
                let start = u64::try_from(epoch_start).unwrap_or(0);
                if let Err(e) = c.update_epochs(|e| {
                    e.append(epoch, start);
                }) {
                    tracing::error!(error = %e, "saving the epoch file failed");
                    return "epoch file unwritable";
                }
            }
            last_epoch = Some(epoch);
        }
        if !body.is_empty() {
            let s = store.clone();
            let appended = tokio::task::spawn_blocking(move || {
                // Held until the bytes are in, even if this task is dropped meanwhile.
                let _applying = applying;
                s.append_raw(at as u64, &body)
            })
            .await;
            match appended {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(offset = at, error = %e, "appending replicated bytes failed");
                    return "append failed";
                }
                Err(_) => return "append panicked",
            }
        }
        let end = store.max_phys_offset();
        // A slave dispatches only what the master confirmed (every in-sync replica has it).
        repl.follow_confirm_offset(&store, confirm.clamp(0, end) as u64);
        offset.send_if_modified(|o| std::mem::replace(o, end) != end);
    }
}
