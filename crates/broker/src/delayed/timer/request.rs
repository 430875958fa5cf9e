//! What a send does with a timer message: the delivery time it asks for (`TIMER_DELIVER_MS`,
//! `TIMER_DELAY_SEC` or `TIMER_DELAY_MS`) and the rewrite that parks it in the timer queue.

use ferromq_config::BrokerConfig;
use ferromq_model::names;
use ferromq_protocol::message::properties::{find_property, keys, Properties};
use ferromq_protocol::response_code;
use ferromq_remoting::RequestError;
use ferromq_store::MessageToStore;

/// The delivery time a message asks for, if it is a timer message.
pub(crate) fn requested_delivery(props: &str, now_ms: i64) -> Option<i64> {
    if let Some(v) = find_property(props, keys::TIMER_DELIVER_MS) {
        return v.trim().parse().ok();
    }
    if let Some(v) = find_property(props, keys::TIMER_DELAY_SEC) {
        return v
            .trim()
            .parse::<i64>()
            .ok()
            .map(|s| now_ms.saturating_add(s.saturating_mul(1000)));
    }
    if let Some(v) = find_property(props, keys::TIMER_DELAY_MS) {
        return v
            .trim()
            .parse::<i64>()
            .ok()
            .map(|ms| now_ms.saturating_add(ms));
    }
    None
}

/// The send-side rewrite: parks a timer message in the timer topic, or returns an error
/// response (timer disabled, delay too long). Messages already due are left alone.
pub(crate) fn park(
    cfg: &BrokerConfig,
    msg: &mut MessageToStore,
    p: &mut Properties,
    deliver_ms: i64,
    now_ms: i64,
) -> Result<(), RequestError> {
    if !cfg.store.timer_wheel_enable {
        return Err(RequestError::system(
            "accurate timer message is not enabled, timerWheelEnable is false",
        ));
    }
    let max_ms = (cfg.store.timer_max_delay_sec as i64).saturating_mul(1000);
    if deliver_ms.saturating_sub(now_ms) > max_ms {
        return Err(RequestError::new(
            response_code::MESSAGE_ILLEGAL,
            format!(
                "timer message illegal: the delay is longer than timerMaxDelaySec {}",
                cfg.store.timer_max_delay_sec
            ),
        ));
    }
    if deliver_ms <= now_ms {
        return Ok(());
    }
    p.insert(keys::TIMER_OUT_MS, deliver_ms.to_string());
    p.insert(keys::REAL_TOPIC, msg.topic.clone());
    p.insert(keys::REAL_QUEUE_ID, msg.queue_id.to_string());
    msg.topic = names::TIMER_TOPIC.to_string();
    msg.queue_id = 0;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_delivery_from_each_property() {
        assert_eq!(
            requested_delivery("TIMER_DELIVER_MS\u{1}5000\u{2}", 1000),
            Some(5000)
        );
        assert_eq!(
            requested_delivery("TIMER_DELAY_SEC\u{1}3\u{2}", 1000),
            Some(4000)
        );
        assert_eq!(
            requested_delivery("TIMER_DELAY_MS\u{1}250\u{2}", 1000),
            Some(1250)
        );
        assert_eq!(requested_delivery("TAGS\u{1}a\u{2}", 1000), None);
        // Values from the wire saturate instead of overflowing.
        assert_eq!(
            requested_delivery("TIMER_DELAY_SEC\u{1}9223372036854775807\u{2}", 1000),
            Some(i64::MAX)
        );
        assert_eq!(
            requested_delivery("TIMER_DELAY_MS\u{1}-9223372036854775808\u{2}", 1000),
            Some(i64::MIN + 1000)
        );
    }

    #[test]
    fn parking_moves_the_message_to_the_timer_queue() {
        let cfg = BrokerConfig::default();
        let host: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut m = MessageToStore {
            topic: "T".into(),
            queue_id: 3,
            flag: 0,
            body: bytes::Bytes::new(),
            properties: String::new(),
            sys_flag: 0,
            born_timestamp: 0,
            born_host: host,
            store_host: host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        };
        let mut p = Properties::new();
        park(&cfg, &mut m, &mut p, 10_000, 1_000).unwrap();
        assert_eq!((m.topic.as_str(), m.queue_id), (names::TIMER_TOPIC, 0));
        assert_eq!(p.get(keys::REAL_TOPIC), Some("T"));
        assert_eq!(p.get(keys::REAL_QUEUE_ID), Some("3"));
        assert_eq!(p.get(keys::TIMER_OUT_MS), Some("10000"));
        let too_far = 1_000 + (cfg.store.timer_max_delay_sec as i64 + 1) * 1000;
        let e = park(&cfg, &mut m, &mut p, too_far, 1_000).unwrap_err();
        assert_eq!(e.code(), response_code::MESSAGE_ILLEGAL);
    }
}
