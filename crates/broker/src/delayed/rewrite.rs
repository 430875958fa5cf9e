//! What the broker does to a message before storing it: a unique id if the producer sent
//! none, the `CLUSTER` property, and the rewrites that park a message elsewhere until it is
//! due — transactional half messages (`RMQ_SYS_TRANS_HALF_TOPIC`) and delayed messages
//! (`SCHEDULE_TOPIC_XXXX`, queue = level − 1). The real topic and queue travel in
//! `REAL_TOPIC` / `REAL_QID`.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;

use ferromq_config::BrokerConfig;
use ferromq_model::names;
use ferromq_protocol::message::id::build_uniq_key;
use ferromq_protocol::message::properties::{find_property, keys, Properties};
use ferromq_protocol::message::sysflag::message as sf;
use ferromq_protocol::time::now_ms;
use ferromq_remoting::RequestError;
use ferromq_store::MessageToStore;

use crate::delayed::timer::request::{park, requested_delivery};

/// Applies the broker-side rewrites to `msg` and its encoded properties `props`, under the
/// configuration `cfg`; `host` is the broker's address (unique ids encode its IP).
pub(crate) fn prepare(
    cfg: &BrokerConfig,
    host: IpAddr,
    msg: &mut MessageToStore,
    props: &mut String,
) -> Result<(), RequestError> {
    let cluster = cfg.broker.broker_cluster_name.as_str();
    let delay_level_count = cfg.delay_levels().len() as i32;
    let tx_type = sf::transaction_value(msg.sys_flag);
    let is_half = tx_type == sf::TRANSACTION_PREPARED_TYPE
        && find_property(props, keys::TRANSACTION_PREPARED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let delay = if tx_type == sf::TRANSACTION_NOT_TYPE || tx_type == sf::TRANSACTION_COMMIT_TYPE {
        find_property(props, keys::DELAY_TIME_LEVEL)
            .and_then(|v| v.trim().parse::<i32>().ok())
            .filter(|l| *l > 0)
    } else {
        None
    };
    let has_uniq = find_property(props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).is_some();
    let now = now_ms();
    let timer = if !is_half && delay.is_none() && tx_type == sf::TRANSACTION_NOT_TYPE {
        requested_delivery(props, now).filter(|_| msg.topic != names::TIMER_TOPIC)
    } else {
        None
    };

    if !is_half && delay.is_none() && timer.is_none() && has_uniq {
        // Fast path. As Java's broker: the region and trace switch (replacing the
        // producer's), then the cluster name.
        let (region, trace) = region_and_trace(cfg);
        if find_property(props, keys::MSG_REGION).is_some()
            || find_property(props, keys::TRACE_SWITCH).is_some()
        {
            let mut p = Properties::parse(props);
            p.insert(keys::MSG_REGION, region);
            p.insert(keys::TRACE_SWITCH, trace);
            p.insert(keys::CLUSTER, cluster);
            *props = p.encode();
        } else {
            append(props, keys::MSG_REGION, &region);
            append(props, keys::TRACE_SWITCH, trace);
            append(props, keys::CLUSTER, cluster);
        }
        return Ok(());
    }

    let mut p = Properties::parse(props);
    if !has_uniq {
        p.insert(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, next_uniq_key(host));
    }
    let (region, trace) = region_and_trace(cfg);
    p.insert(keys::MSG_REGION, region);
    p.insert(keys::TRACE_SWITCH, trace);
    p.insert(keys::CLUSTER, cluster);
    if is_half {
        if cfg.broker.reject_transaction_message {
            return Err(RequestError::no_permission(format!(
                "the broker[{host}] sending transaction message is forbidden"
            )));
        }
        if !p.contains(keys::TRANSACTION_ID) {
            if let Some(u) = p.uniq_key().map(str::to_string) {
                p.insert(keys::TRANSACTION_ID, u);
            }
        }
        p.insert(keys::REAL_TOPIC, msg.topic.clone());
        p.insert(keys::REAL_QUEUE_ID, msg.queue_id.to_string());
        msg.sys_flag = sf::reset_transaction_value(msg.sys_flag, sf::TRANSACTION_NOT_TYPE);
        msg.topic = names::TRANS_HALF_TOPIC.to_string();
        msg.queue_id = 0;
    } else if let Some(level) = delay {
        park_delayed(msg, &mut p, level, delay_level_count);
    } else if let Some(deliver_ms) = timer {
        park(cfg, msg, &mut p, deliver_ms, now)?;
    }
    *props = p.encode();
    Ok(())
}

fn park_delayed(msg: &mut MessageToStore, p: &mut Properties, level: i32, delay_level_count: i32) {
    if msg.topic == names::SCHEDULE_TOPIC {
        return;
    }
    let level = level.min(delay_level_count.max(1));
    p.insert(keys::DELAY_TIME_LEVEL, level.to_string());
    p.insert(keys::REAL_TOPIC, msg.topic.clone());
    p.insert(keys::REAL_QUEUE_ID, msg.queue_id.to_string());
    msg.topic = names::SCHEDULE_TOPIC.to_string();
    msg.queue_id = level - 1;
}

/// For committed transactional messages: a `DELAY` level or timer properties park the real
/// message until due, as they would have without the transaction.
pub(crate) fn park_if_delayed(cfg: &BrokerConfig, msg: &mut MessageToStore, props: &mut String) {
    let level = find_property(props, keys::DELAY_TIME_LEVEL)
        .and_then(|v| v.trim().parse::<i32>().ok())
        .filter(|l| *l > 0);
    let now = now_ms();
    if let Some(level) = level {
        let count = cfg.delay_levels().len() as i32;
        let mut p = Properties::parse(props);
        park_delayed(msg, &mut p, level, count);
        *props = p.encode();
    } else if let Some(deliver_ms) = requested_delivery(props, now) {
        let mut p = Properties::parse(props);
        if park(cfg, msg, &mut p, deliver_ms, now).is_ok() {
            *props = p.encode();
        }
    }
}

/// `regionId` and `traceOn`, which Java's broker writes into every message it stores.
fn region_and_trace(cfg: &BrokerConfig) -> (String, &'static str) {
    (
        cfg.broker.region_id.clone(),
        if cfg.broker.trace_on { "true" } else { "false" },
    )
}

fn append(props: &mut String, key: &str, value: &str) {
    if !props.is_empty() && !props.ends_with('\u{2}') {
        props.push('\u{2}');
    }
    props.push_str(key);
    props.push('\u{1}');
    props.push_str(value);
    props.push('\u{2}');
}

/// A unique id in Java's `MessageClientIDSetter` layout, generated by the broker for
/// producers that sent none.
pub(crate) fn next_uniq_key(ip: IpAddr) -> String {
    static RANDOM: OnceLock<i32> = OnceLock::new();
    static COUNTER: AtomicU16 = AtomicU16::new(0);
    let random = *RANDOM.get_or_init(rand::random::<i32>);
    let now = chrono_free_month_millis();
    build_uniq_key(
        ip,
        std::process::id(),
        random,
        now,
        COUNTER.fetch_add(1, Ordering::Relaxed) as i16,
    )
}

/// Milliseconds since the start of the current month (UTC), as Java's id generator uses;
/// like Java's `(int)` cast it wraps after 24.8 days.
fn chrono_free_month_millis() -> i32 {
    let ms = now_ms();
    let days = ms.div_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm) to find the day of the month.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day_of_month = doy - (153 * mp + 2) / 5; // 0-based
    let month_start = (days - day_of_month) * 86_400_000;
    (ms - month_start) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_keeps_separators() {
        let mut s = String::from("A\u{1}1");
        append(&mut s, "CLUSTER", "c");
        assert_eq!(s, "A\u{1}1\u{2}CLUSTER\u{1}c\u{2}");
        let mut e = String::new();
        append(&mut e, "K", "v");
        assert_eq!(e, "K\u{1}v\u{2}");
    }

    #[test]
    fn month_millis_is_within_a_month() {
        let m = chrono_free_month_millis();
        assert!((m as u32 as i64) < 31 * 86_400_000);
        let a = next_uniq_key("127.0.0.1".parse().unwrap());
        let b = next_uniq_key("127.0.0.1".parse().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
