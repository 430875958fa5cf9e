//! Java's renderings that mqadmin prints: `toString()` of `TopicConfig`,
//! `SubscriptionGroupConfig`, `MessageExt` and maps, `Double.toString`, `UtilAll`'s date
//! formats, and the timestamp forms the commands accept.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Local, LocalResult, NaiveDateTime, TimeZone};
use ferromq_client::ReceivedMessage;
use ferromq_model::perm::perm_to_string;
use ferromq_model::{GroupRetryPolicy, SubscriptionGroupConfig, TopicConfig};

/// `UtilAll.frontStringAtLeast`: at most `size` characters of `s`.
pub fn front(s: &str, size: usize) -> String {
    s.chars().take(size).collect()
}

/// `UtilAll.timeMillisToHumanString2`: `yyyy-MM-dd HH:mm:ss,SSS` in local time.
pub fn human_millis(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
        }
        LocalResult::None => ms.to_string(),
    }
}

/// `UtilAll.formatDate(…, "yyyy-MM-dd HH:mm:ss")` in local time.
pub fn human_seconds(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d %H:%M:%S").to_string()
        }
        LocalResult::None => ms.to_string(),
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Local::now().timestamp_millis()
}

/// A timestamp option: milliseconds, or `yyyy-MM-dd#HH:mm:ss:SSS` in local time (mqadmin's
/// `UtilAll.YYYY_MM_DD_HH_MM_SS_SSS`); `now` when `allow_now`.
pub fn parse_timestamp(value: &str, allow_now: bool) -> Result<i64, String> {
    let v = value.trim();
    if allow_now && v == "now" {
        return Ok(now_ms());
    }
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(ms);
    }
    let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%d#%H:%M:%S:%3f").map_err(|_| {
        format!(
            "specified timestamp invalid: {v} (expected milliseconds or yyyy-MM-dd#HH:mm:ss:SSS)"
        )
    })?;
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.timestamp_millis()),
        LocalResult::None => Err(format!("specified timestamp invalid: {v}")),
    }
}

/// Java's `Double.toString` for the values mqadmin prints (`0.0`, `12.5`).
pub fn java_double(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// Java's `AbstractMap.toString`: `{k=v, k2=v2}`.
pub fn java_map<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let items: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// `AttributeParser.parseToMap`: `+a=b,+c=d,-e` into `{"+a": "b", "+c": "d", "-e": ""}`.
pub fn parse_attributes(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (item, ""),
        };
        let valid = match key.chars().next() {
            Some('+') => !value.is_empty() && key.len() > 1,
            Some('-') => value.is_empty() && key.len() > 1,
            _ => false,
        };
        if !valid || out.contains_key(key) {
            return Err(format!("attribute format is wrong: {item}"));
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// `TopicConfig.toString()`.
pub fn topic_config(c: &TopicConfig) -> String {
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}, attributes={}]",
        c.topic_name,
        c.read_queue_nums,
        c.write_queue_nums,
        perm_to_string(c.perm),
        c.topic_filter_type.name(),
        c.topic_sys_flag,
        c.order,
        java_map(c.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    )
}

fn retry_policy(p: &GroupRetryPolicy) -> String {
    let exp = p
        .exponential_retry_policy
        .as_ref()
        .map(|e| {
            format!(
                "ExponentialRetryPolicy{{initial={}, max={}, multiplier={}}}",
                e.initial, e.max, e.multiplier
            )
        })
        .unwrap_or_else(|| "null".into());
    let custom = p
        .customized_retry_policy
        .as_ref()
        .map(|c| {
            let next: Vec<String> = c.next.iter().map(i64::to_string).collect();
            format!("CustomizedRetryPolicy{{next=[{}]}}", next.join(", "))
        })
        .unwrap_or_else(|| "null".into());
    format!(
        "GroupRetryPolicy{{type={}, exponentialRetryPolicy={exp}, customizedRetryPolicy={custom}}}",
        p.policy_type.name()
    )
}

/// `SubscriptionGroupConfig.toString()` (Guava's `toStringHelper`).
pub fn subscription_group(c: &SubscriptionGroupConfig) -> String {
    let subs = match &c.subscription_data_set {
        None => "null".to_string(),
        Some(set) => {
            let items: Vec<String> = set
                .iter()
                .map(|s| {
                    format!(
                        "SimpleSubscriptionData{{topic={}, expressionType={}, expression={}, version={}}}",
                        s.topic, s.expression_type, s.expression, s.version
                    )
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
    };
    format!(
        "SubscriptionGroupConfig{{groupName={}, consumeEnable={}, consumeFromMinEnable={}, consumeBroadcastEnable={}, consumeMessageOrderly={}, retryQueueNums={}, retryMaxTimes={}, groupRetryPolicy={}, brokerId={}, whichBrokerWhenConsumeSlowly={}, notifyConsumerIdsChangedEnable={}, groupSysFlag={}, consumeTimeoutMinute={}, subscriptionDataSet={subs}, attributes={}}}",
        c.group_name,
        c.consume_enable,
        c.consume_from_min_enable,
        c.consume_broadcast_enable,
        c.consume_message_orderly,
        c.retry_queue_nums,
        c.retry_max_times,
        retry_policy(&c.group_retry_policy),
        c.broker_id,
        c.which_broker_when_consume_slowly,
        c.notify_consumer_ids_changed_enable,
        c.group_sys_flag,
        c.consume_timeout_minute,
        java_map(c.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    )
}

/// A message's properties as Java's map `toString` prints them.
pub fn properties(m: &ReceivedMessage) -> String {
    java_map(m.properties.iter())
}

/// `MessageExt.toString()` (with `Message.toString()` inside, body as signed bytes).
pub fn message_ext(m: &ReceivedMessage) -> String {
    let mut body = String::from("[");
    for (i, b) in m.body.iter().enumerate() {
        if i > 0 {
            body.push_str(", ");
        }
        let _ = write!(body, "{}", *b as i8);
    }
    body.push(']');
    let broker = if m.broker_name.is_empty() {
        "null"
    } else {
        m.broker_name.as_str()
    };
    let transaction_id = m
        .property(ferromq_protocol::message::keys::TRANSACTION_ID)
        .unwrap_or("null");
    format!(
        "MessageExt [brokerName={broker}, queueId={}, storeSize={}, queueOffset={}, sysFlag={}, bornTimestamp={}, bornHost=/{}, storeTimestamp={}, storeHost=/{}, msgId={}, commitLogOffset={}, bodyCRC={}, reconsumeTimes={}, preparedTransactionOffset={}, toString()=Message{{topic='{}', flag={}, properties={}, body={body}, transactionId='{transaction_id}'}}]",
        m.queue_id,
        m.store_size,
        m.queue_offset,
        m.sys_flag,
        m.born_timestamp,
        m.born_host,
        m.store_timestamp,
        m.store_host,
        m.offset_msg_id(),
        m.commit_log_offset,
        m.body_crc,
        m.reconsume_times,
        m.prepared_transaction_offset,
        m.topic,
        m.flag,
        properties(m),
    )
}

/// A message as JSON for `--json`.
pub fn message_json(m: &ReceivedMessage) -> serde_json::Value {
    let props: serde_json::Map<String, serde_json::Value> = m
        .properties
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    serde_json::json!({
        "msgId": m.msg_id(),
        "offsetMsgId": m.offset_msg_id(),
        "topic": m.topic,
        "brokerName": m.broker_name,
        "queueId": m.queue_id,
        "queueOffset": m.queue_offset,
        "commitLogOffset": m.commit_log_offset,
        "tags": m.tags(),
        "keys": m.property(ferromq_protocol::message::keys::KEYS),
        "reconsumeTimes": m.reconsume_times,
        "bornTimestamp": m.born_timestamp,
        "storeTimestamp": m.store_timestamp,
        "bornHost": m.born_host.to_string(),
        "storeHost": m.store_host.to_string(),
        "sysFlag": m.sys_flag,
        "storeSize": m.store_size,
        "bodyCRC": m.body_crc,
        "properties": props,
        "body": m.body_str(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_renderings() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(12.5), "12.5");
        assert_eq!(front("abcdef", 3), "abc");
        assert_eq!(front("ab", 3), "ab");
        assert_eq!(java_map([("a", "1"), ("b", "")]), "{a=1, b=}");
        let mut c = TopicConfig::with_queues("T", 8, 4, 6);
        c.attributes.insert("+message.type".into(), "FIFO".into());
        assert_eq!(
            topic_config(&c),
            "TopicConfig [topicName=T, readQueueNums=8, writeQueueNums=4, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false, attributes={+message.type=FIFO}]"
        );
        let g = SubscriptionGroupConfig::new("G");
        let s = subscription_group(&g);
        assert!(
            s.starts_with("SubscriptionGroupConfig{groupName=G, consumeEnable=true,"),
            "{s}"
        );
        assert!(s.contains("groupRetryPolicy=GroupRetryPolicy{type=CUSTOMIZED, exponentialRetryPolicy=null, customizedRetryPolicy=null}"), "{s}");
        assert!(
            s.ends_with("subscriptionDataSet=null, attributes={}}"),
            "{s}"
        );
    }

    #[test]
    fn attributes_like_attribute_parser() {
        let m = parse_attributes("+a=b, -c").unwrap();
        assert_eq!(m["+a"], "b");
        assert_eq!(m["-c"], "");
        assert!(parse_attributes("a=b").is_err());
        assert!(parse_attributes("+a").is_err());
        assert!(parse_attributes("-a=b").is_err());
        assert!(parse_attributes("").unwrap().is_empty());
    }

    #[test]
    fn timestamps_in_mqadmin_forms() {
        assert_eq!(
            parse_timestamp("1700000000000", false),
            Ok(1_700_000_000_000)
        );
        assert!(parse_timestamp("now", false).is_err());
        let now = parse_timestamp("now", true).unwrap();
        assert!((now - now_ms()).abs() < 5_000);
        let t = parse_timestamp("2024-03-01#12:34:56:789", false).unwrap();
        assert_eq!(human_millis(t), "2024-03-01 12:34:56,789");
        assert_eq!(human_seconds(t), "2024-03-01 12:34:56");
        assert!(parse_timestamp("yesterday", true).is_err());
    }
}
