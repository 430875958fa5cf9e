//! Recall handles (RocketMQ 5.3 `RecallMessageHandle.HandleV1`): what a broker hands a
//! producer in the send response of a timer message so it can take the message back before
//! it is delivered (RECALL_MESSAGE, 370).
//!
//! The handle is the URL-safe base64 (padded, as Java's `Base64.getUrlEncoder()`) of
//! `v1 <topic> <brokerName> <timestamp> <uniqKey>`, fields joined by single spaces. The
//! timestamp is the parked message's `TIMER_OUT_MS` + 1, kept as the text it was sent in.
//! Decoding is as lenient as Java's: padding optional, further fields ignored, the timestamp
//! not parsed here (a handle whose timestamp is not a number decodes; the broker refuses it).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

const VERSION_1: &str = "v1";

/// Java's URL-safe encoder pads; its decoder takes the handle with or without padding and
/// does not insist that unused trailing bits are zero.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A handle that does not decode. The text is Java's `DecoderException` message, which the
/// broker returns as the remark of its ILLEGAL_OPERATION answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recall handle is invalid")]
pub struct InvalidRecallHandle;

/// A decoded version-1 recall handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallHandle {
    /// The topic the message was sent to (its real topic, not the timer's).
    pub topic: String,
    /// The broker that parked it; only that broker can recall it.
    pub broker_name: String,
    /// Its delivery time + 1 ms, as text (`TIMER_OUT_MS` is a floor in Java's timer).
    pub timestamp: String,
    /// The message's unique key (`UNIQ_KEY`), the id the producer knows it by.
    pub message_id: String,
}

impl RecallHandle {
    /// The handle for a message parked until `timer_out_ms`.
    pub fn for_parked(topic: &str, broker_name: &str, timer_out_ms: i64, uniq_key: &str) -> Self {
        RecallHandle {
            topic: topic.to_owned(),
            broker_name: broker_name.to_owned(),
            timestamp: timer_out_ms.saturating_add(1).to_string(),
            message_id: uniq_key.to_owned(),
        }
    }

    /// The text a producer carries.
    pub fn encode(&self) -> String {
        let raw = [
            VERSION_1,
            &self.topic,
            &self.broker_name,
            &self.timestamp,
            &self.message_id,
        ]
        .join(" ");
        URL_SAFE_LENIENT.encode(raw.as_bytes())
    }

    /// Reads a handle from a producer.
    pub fn decode(handle: &str) -> Result<Self, InvalidRecallHandle> {
        if handle.is_empty() {
            return Err(InvalidRecallHandle);
        }
        let bytes = URL_SAFE_LENIENT
            .decode(handle.as_bytes())
            .map_err(|_| InvalidRecallHandle)?;
        let raw = String::from_utf8_lossy(&bytes);
        let mut items: Vec<&str> = raw.split(' ').collect();
        // Java's String.split drops trailing empty strings.
        while items.last().is_some_and(|s| s.is_empty()) {
            items.pop();
        }
        if items.first() != Some(&VERSION_1) || items.len() < 5 {
            return Err(InvalidRecallHandle);
        }
        Ok(RecallHandle {
            topic: items[1].to_owned(),
            broker_name: items[2].to_owned(),
            timestamp: items[3].to_owned(),
            message_id: items[4].to_owned(),
        })
    }

    /// The delivery time the handle names, `None` if it is not a number (Java reads -1).
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.timestamp.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE.encode(s)
    }

    #[test]
    fn round_trips_and_reads_java_handles() {
        let h = RecallHandle::for_parked("topic", "broker-0", 1_700_000_000_000, "7F0001AB");
        assert_eq!(h.timestamp, "1700000000001");
        let text = h.encode();
        // Java: Base64.getUrlEncoder().encodeToString("v1 topic broker-0 1700000000001 7F0001AB")
        assert_eq!(text, b64("v1 topic broker-0 1700000000001 7F0001AB"));
        assert_eq!(RecallHandle::decode(&text), Ok(h.clone()));
        assert_eq!(
            RecallHandle::decode(text.trim_end_matches('=')),
            Ok(h.clone())
        );
        assert_eq!(h.timestamp_ms(), Some(1_700_000_000_001));
        // Further fields are ignored; trailing separators are not fields.
        let more = RecallHandle::decode(&b64("v1 t b 5 id extra")).unwrap();
        assert_eq!((more.topic.as_str(), more.message_id.as_str()), ("t", "id"));
        assert!(RecallHandle::decode(&b64("v1 t b 5 id ")).is_ok());
        let bad_ts = RecallHandle::decode(&b64("v1 t b soon id")).unwrap();
        assert_eq!(bad_ts.timestamp_ms(), None);
    }

    #[test]
    fn refuses_what_java_refuses() {
        for bad in [
            String::new(),
            b64("v1 a b c"),
            b64("v2 a b c d"),
            b64("v1 a b c  "),
            "v1 a b c d".to_owned(),
            "@@@@".to_owned(),
            "dj E".to_owned(),
        ] {
            assert_eq!(
                RecallHandle::decode(&bad),
                Err(InvalidRecallHandle),
                "{bad}"
            );
        }
        assert_eq!(InvalidRecallHandle.to_string(), "recall handle is invalid");
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = RecallHandle::decode(&s);
        }

        #[test]
        fn fields_without_spaces_round_trip(
            topic in "[A-Za-z0-9%_-]{1,30}",
            broker in "[A-Za-z0-9_-]{1,20}",
            ts in any::<i64>(),
            id in "[0-9A-F]{32}",
        ) {
            let h = RecallHandle::for_parked(&topic, &broker, ts, &id);
            prop_assert_eq!(RecallHandle::decode(&h.encode()), Ok(h));
        }
    }
}
