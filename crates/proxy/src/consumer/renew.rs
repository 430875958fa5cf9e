//! Auto-renewal of received messages for push consumers (`ReceiveMessageRequest.auto_renew`),
//! as Java's `DefaultReceiptHandleManager`: the proxy pops with its default invisible time and
//! keeps extending the invisibility while the client consumes — 1 min, 3, 5, 10, 30, then every
//! hour — until the client acks, changes or forwards the message, or three hours have passed.
//! An ack arriving with the client's (stale) handle uses the latest renewed one instead. When a
//! client's session ends (NotifyClientTermination, or no heartbeat for long), its messages are
//! made visible again a second later, as Java's `clearGroup`.
//!
//! The table is bounded: past [`MAX_HANDLES`] held handles a message is simply not renewed
//! (its invisibility runs out and the broker redelivers it, as if the proxy had restarted).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use crate::consumer::error::now_ms;
use crate::consumer::receipt::ReceiptHandle;
use crate::proxy::Proxy;

/// Java's `RenewStrategyPolicy`: the invisible time set by the n-th renewal.
const RENEW_STEPS_MS: [i64; 6] = [60_000, 180_000, 300_000, 600_000, 1_800_000, 3_600_000];
/// Renew when the message would become visible within this time (`renewAheadTimeMillis`).
const RENEW_AHEAD_MS: i64 = 10_000;
/// Stop renewing after this long (`renewMaxTimeMillis`).
const RENEW_MAX_MS: i64 = 3 * 3600 * 1000;
/// Give up a handle after this many failed renewals in a row (`maxRenewRetryTimes`).
const MAX_RETRIES: u32 = 3;
/// How often the table is scanned (`renewSchedulePeriodMillis`).
const SCAN_PERIOD: Duration = Duration::from_secs(5);
/// Held handles, all clients together.
pub const MAX_HANDLES: usize = 200_000;

/// The invisible time of renewal number `renew_times` (0-based).
pub fn next_invisible_ms(renew_times: u32) -> i64 {
    RENEW_STEPS_MS[(renew_times as usize).min(RENEW_STEPS_MS.len() - 1)]
}

/// One held message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub topic: String,
    /// The current receipt handle (the latest renewal's).
    pub handle: String,
    /// When the proxy handed the message out (ms).
    pub received_at: i64,
    pub renew_times: u32,
    pub retries: u32,
    /// The client had a session (heartbeat/telemetry) when it received the message: when
    /// that session ends, the message is released (Java's `clearGroup`).
    pub had_session: bool,
}

/// client id, group.
type GroupKey = (String, String);
/// message id, the handle the client was given.
type MsgKey = (String, String);

/// What a scan decided for one held message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// Extend the invisibility by this many ms.
    Renew(i64),
    /// Held too long: forget it.
    Drop,
}

/// Whether `h` needs attention at `now` (pure, for the scan).
pub fn due(h: &Held, now: i64) -> Option<Due> {
    let next_visible = ReceiptHandle::decode(&h.handle)
        .map(|r| r.next_visible_time())
        .unwrap_or(0);
    if next_visible - now > RENEW_AHEAD_MS {
        return None;
    }
    if h.retries >= MAX_RETRIES || now - h.received_at >= RENEW_MAX_MS {
        return Some(Due::Drop);
    }
    Some(Due::Renew(next_invisible_ms(h.renew_times)))
}

/// A message handed out with auto-renewal.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub msg_id: &'a str,
    pub topic: &'a str,
    pub handle: &'a str,
    pub had_session: bool,
}

/// The handles held for renewal.
#[derive(Default)]
pub struct Renewals {
    groups: Mutex<HashMap<GroupKey, HashMap<MsgKey, Held>>>,
    count: Mutex<usize>,
    started: AtomicBool,
}

impl Renewals {
    /// Holds a received message; false when the table is full.
    pub fn add(&self, client: &str, group: &str, msg: Incoming<'_>) -> bool {
        let Incoming {
            msg_id,
            topic,
            handle,
            had_session,
        } = msg;
        let mut count = self.count.lock();
        if *count >= MAX_HANDLES {
            return false;
        }
        let held = Held {
            topic: topic.to_owned(),
            handle: handle.to_owned(),
            received_at: now_ms(),
            renew_times: 0,
            retries: 0,
            had_session,
        };
        let mut groups = self.groups.lock();
        let g = groups
            .entry((client.to_owned(), group.to_owned()))
            .or_default();
        if g.insert((msg_id.to_owned(), handle.to_owned()), held)
            .is_none()
        {
            *count += 1;
        }
        true
    }

    /// Stops renewing the message the client knows by `msg_id` and `handle`; returns the
    /// current handle to use in its place.
    pub fn take(&self, client: &str, group: &str, msg_id: &str, handle: &str) -> Option<String> {
        let mut count = self.count.lock();
        let mut groups = self.groups.lock();
        let key = (client.to_owned(), group.to_owned());
        let g = groups.get_mut(&key)?;
        let held = g.remove(&(msg_id.to_owned(), handle.to_owned()))?;
        *count = count.saturating_sub(1);
        if g.is_empty() {
            groups.remove(&key);
        }
        Some(held.handle)
    }

    /// Number of held handles.
    pub fn len(&self) -> usize {
        *self.count.lock()
    }

    /// Starts the renewal loop once, for as long as the proxy lives.
    pub fn start(&self, proxy: &Arc<Proxy>) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = Arc::downgrade(proxy);
        // Renewals are the proxy's own work (Java: a context of its own), signed with its inner
        // credentials.
        tokio::spawn(crate::auth::internal(renew_loop(weak)));
    }

    /// Removes the messages of clients whose session ended (`online` says which are still
    /// there) and returns them with their group, to be released.
    fn take_offline(&self, online: impl Fn(&str) -> bool) -> Vec<(String, Held)> {
        let mut count = self.count.lock();
        let mut groups = self.groups.lock();
        let mut out = Vec::new();
        groups.retain(|(client, group), g| {
            if online(client) {
                return true;
            }
            g.retain(|_, h| {
                if h.had_session {
                    out.push((group.clone(), h.clone()));
                    false
                } else {
                    true
                }
            });
            !g.is_empty()
        });
        *count = count.saturating_sub(out.len());
        out
    }

    fn snapshot_due(&self, now: i64) -> Vec<(GroupKey, MsgKey, Held, Due)> {
        let groups = self.groups.lock();
        let mut out = Vec::new();
        for (gk, g) in groups.iter() {
            for (mk, h) in g {
                if let Some(d) = due(h, now) {
                    out.push((gk.clone(), mk.clone(), h.clone(), d));
                }
            }
        }
        out
    }

    /// Records a renewal's outcome: the new handle, or one more failure (`None`); dropped
    /// entries go.
    fn settle(&self, gk: &GroupKey, mk: &MsgKey, outcome: Option<Option<String>>) {
        let mut count = self.count.lock();
        let mut groups = self.groups.lock();
        let Some(g) = groups.get_mut(gk) else { return };
        let remove = match (g.get_mut(mk), outcome) {
            (None, _) => false,
            (Some(h), Some(Some(new_handle))) => {
                h.handle = new_handle;
                h.renew_times += 1;
                h.retries = 0;
                false
            }
            (Some(h), Some(None)) => {
                h.retries += 1;
                false
            }
            (Some(_), None) => true,
        };
        if remove && g.remove(mk).is_some() {
            *count = count.saturating_sub(1);
        }
        if g.is_empty() {
            groups.remove(gk);
        }
    }
}

async fn renew_loop(proxy: Weak<Proxy>) {
    let mut tick = tokio::time::interval(SCAN_PERIOD);
    loop {
        tick.tick().await;
        let Some(proxy) = proxy.upgrade() else { return };
        let renewals = &proxy.consumers().renewals;
        let sessions = proxy.sessions();
        for (group, held) in renewals.take_offline(|c| sessions.client(c).is_some()) {
            release(&proxy, &group, &held).await;
        }
        for (gk, mk, held, d) in renewals.snapshot_due(now_ms()) {
            let outcome = match d {
                Due::Drop => None,
                Due::Renew(ms) => Some(renew_one(&proxy, &gk.1, &held, ms).await),
            };
            renewals.settle(&gk, &mk, outcome);
        }
    }
}

/// Java's `invisibleTimeMillisWhenClear`: a released message is visible again after this.
const RELEASE_INVISIBLE_MS: i64 = 1_000;

/// Makes a message of a departed client visible again soon.
async fn release(proxy: &Proxy, group: &str, held: &Held) {
    let Ok(handle) = ReceiptHandle::decode(&held.handle) else {
        return;
    };
    let r = super::broker_calls::change_invisible(
        proxy,
        &handle,
        group,
        &held.topic,
        RELEASE_INVISIBLE_MS,
    )
    .await;
    if let Err(e) = r {
        tracing::debug!(group, error = %e, "releasing a departed client's message failed");
    }
}

/// One renewal: the new handle, or `None` when it failed (retried on the next scan). A
/// refused change (the message is gone or acked elsewhere) ends the renewal via retries.
async fn renew_one(proxy: &Proxy, group: &str, held: &Held, invisible_ms: i64) -> Option<String> {
    let handle = ReceiptHandle::decode(&held.handle).ok()?;
    match super::broker_calls::change_invisible(proxy, &handle, group, &held.topic, invisible_ms)
        .await
    {
        Ok(new) => new,
        Err(e) => {
            tracing::debug!(group, error = %e, "renewing a receipt handle failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(handle: &str, received_at: i64) -> Held {
        Held {
            topic: "T".into(),
            handle: handle.into(),
            received_at,
            renew_times: 0,
            retries: 0,
            had_session: true,
        }
    }

    #[test]
    fn renews_ahead_of_visibility_with_java_steps() {
        // visible again at 1 000 + 60 000
        let h = held("0 1000 60000 0 0 b 0 0 0", 1000);
        assert_eq!(due(&h, 40_000), None);
        assert_eq!(due(&h, 51_000), Some(Due::Renew(60_000)));
        let mut h2 = h.clone();
        h2.renew_times = 9;
        assert_eq!(due(&h2, 51_000), Some(Due::Renew(3_600_000)));
        h2.retries = 3;
        assert_eq!(due(&h2, 51_000), Some(Due::Drop));
        assert_eq!(due(&h, 1000 + RENEW_MAX_MS), Some(Due::Drop));
    }

    fn inc<'a>(msg_id: &'a str, handle: &'a str, had_session: bool) -> Incoming<'a> {
        Incoming {
            msg_id,
            topic: "T",
            handle,
            had_session,
        }
    }

    #[test]
    fn departed_clients_lose_their_messages() {
        let r = Renewals::default();
        assert!(r.add("gone", "g", inc("m1", "h1", true)));
        assert!(r.add("gone", "g", inc("m2", "h2", false)));
        assert!(r.add("here", "g", inc("m3", "h3", true)));
        let out = r.take_offline(|c| c == "here");
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].0.as_str(), out[0].1.handle.as_str()), ("g", "h1"));
        assert_eq!(r.len(), 2);
        assert!(r.take("gone", "g", "m2", "h2").is_some());
    }

    #[test]
    fn take_returns_the_latest_handle_and_counts() {
        let r = Renewals::default();
        assert!(r.add("c", "g", inc("m1", "h1", true)));
        assert!(r.add("c", "g", inc("m2", "h2", true)));
        assert_eq!(r.len(), 2);
        let gk = ("c".to_owned(), "g".to_owned());
        r.settle(&gk, &("m1".into(), "h1".into()), Some(Some("h1b".into())));
        assert_eq!(r.take("c", "g", "m1", "h1").as_deref(), Some("h1b"));
        assert_eq!(r.take("c", "g", "m1", "h1"), None);
        assert_eq!(r.take("other", "g", "m2", "h2"), None);
        r.settle(&gk, &("m2".into(), "h2".into()), None);
        assert_eq!(r.len(), 0);
    }
}
