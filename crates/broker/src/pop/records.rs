//! The JSON bodies of the revive log and of BATCH_ACK_MESSAGE, with Java's field names:
//! [`PopCheckPoint`] (tag `ck`), [`AckMsg`] (`ack`), [`BatchAckMsg`] (`bAck`), and the
//! request body [`BatchAckBody`] whose `b` is a `java.util.BitSet` written by fastjson as
//! the base64 of `BitSet.toByteArray()`.

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A pop's checkpoint: which messages of a queue were handed out, when, and for how long;
/// `bm` marks the acked ones (bit `i` is message `so + d[i]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct PopCheckPoint {
    #[serde(rename = "so")]
    pub start_offset: i64,
    #[serde(rename = "pt")]
    pub pop_time: i64,
    #[serde(rename = "it")]
    pub invisible_time: i64,
    #[serde(rename = "bm")]
    pub bit_map: i32,
    #[serde(rename = "n")]
    pub num: i8,
    #[serde(rename = "q")]
    pub queue_id: i32,
    #[serde(rename = "t")]
    pub topic: String,
    #[serde(rename = "c")]
    pub cid: String,
    #[serde(rename = "ro")]
    pub revive_offset: i64,
    #[serde(rename = "d", skip_serializing_if = "Vec::is_empty")]
    pub queue_offset_diff: Vec<i32>,
    #[serde(rename = "bn", skip_serializing_if = "Option::is_none")]
    pub broker_name: Option<String>,
    #[serde(rename = "rp", skip_serializing_if = "Option::is_none")]
    pub re_put_times: Option<String>,
    /// fastjson writes Java's `getReviveTime()` too; kept for a Java reader, ignored here.
    #[serde(rename = "reviveTime", skip_deserializing)]
    pub revive_time: i64,
}

impl PopCheckPoint {
    /// When the un-acked messages become visible again.
    pub(crate) fn revive_time(&self) -> i64 {
        self.pop_time.saturating_add(self.invisible_time)
    }

    /// Messages covered (at most 32: the bitmap's width; Java pops at most 32).
    pub(crate) fn len(&self) -> usize {
        let n = if self.queue_offset_diff.is_empty() {
            self.num.max(0) as usize
        } else {
            self.queue_offset_diff.len()
        };
        n.min(32)
    }

    /// The index of `offset` among the checkpoint's messages (Java's `indexOfAck`).
    pub(crate) fn index_of(&self, offset: i64) -> Option<usize> {
        let delta = offset.checked_sub(self.start_offset).filter(|d| *d >= 0)?;
        if self.queue_offset_diff.is_empty() {
            return (delta < self.len() as i64).then_some(delta as usize);
        }
        let delta = i32::try_from(delta).ok()?;
        self.queue_offset_diff
            .iter()
            .take(32)
            .position(|d| *d == delta)
    }

    /// The queue offset of message `index`.
    pub(crate) fn offset_at(&self, index: usize) -> i64 {
        match self.queue_offset_diff.get(index) {
            Some(d) => self.start_offset + *d as i64,
            None => self.start_offset + index as i64,
        }
    }

    /// Sets its revive time before writing (fastjson's extra field).
    pub(crate) fn with_revive_time(mut self) -> Self {
        self.revive_time = self.revive_time();
        self
    }
}

/// One ack in the revive log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct AckMsg {
    #[serde(rename = "ao", alias = "ackOffset")]
    pub ack_offset: i64,
    #[serde(rename = "so", alias = "startOffset")]
    pub start_offset: i64,
    #[serde(rename = "c", alias = "consumerGroup")]
    pub consumer_group: String,
    #[serde(rename = "t", alias = "topic")]
    pub topic: String,
    #[serde(rename = "q", alias = "queueId")]
    pub queue_id: i32,
    #[serde(rename = "pt", alias = "popTime")]
    pub pop_time: i64,
    #[serde(
        rename = "bn",
        alias = "brokerName",
        skip_serializing_if = "Option::is_none"
    )]
    pub broker_name: Option<String>,
}

/// Several acks of one checkpoint in the revive log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct BatchAckMsg {
    #[serde(flatten)]
    pub ack: AckMsg,
    #[serde(rename = "aol", alias = "ackOffsetList")]
    pub ack_offset_list: Vec<i64>,
}

/// One entry of a BATCH_ACK_MESSAGE body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct BatchAck {
    #[serde(rename = "c", alias = "consumerGroup")]
    pub consumer_group: String,
    #[serde(rename = "t", alias = "topic")]
    pub topic: String,
    /// The retry mark (`0`, `1`, `2`).
    #[serde(rename = "r", alias = "retry")]
    pub retry: String,
    #[serde(rename = "so", alias = "startOffset")]
    pub start_offset: i64,
    #[serde(rename = "q", alias = "queueId")]
    pub queue_id: i32,
    #[serde(rename = "rq", alias = "reviveQueueId")]
    pub revive_queue_id: i32,
    #[serde(rename = "pt", alias = "popTime")]
    pub pop_time: i64,
    #[serde(rename = "it", alias = "invisibleTime")]
    pub invisible_time: i64,
    /// Acked indexes relative to `so`.
    #[serde(
        rename = "b",
        alias = "bitSet",
        serialize_with = "bitset_out",
        deserialize_with = "bitset_in"
    )]
    pub bit_set: Vec<u8>,
}

impl BatchAck {
    /// The set bits, in order, at most `limit` of them.
    pub(crate) fn indexes(&self, limit: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for (byte_i, b) in self.bit_set.iter().enumerate() {
            for bit in 0..8 {
                if b & (1 << bit) != 0 {
                    if out.len() >= limit {
                        return out;
                    }
                    out.push(byte_i * 8 + bit);
                }
            }
        }
        out
    }

    /// The bitset bytes of `indexes` (Java's `BitSet.toByteArray`).
    #[cfg(test)]
    pub(crate) fn bits_of(indexes: &[usize]) -> Vec<u8> {
        let mut v = vec![0u8; indexes.iter().max().map(|m| m / 8 + 1).unwrap_or(0)];
        for i in indexes {
            v[i / 8] |= 1 << (i % 8);
        }
        v
    }
}

/// `{"brokerName":…,"acks":[BatchAck,…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct BatchAckBody {
    pub broker_name: Option<String>,
    pub acks: Vec<BatchAck>,
}

fn bitset_out<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A base64 string (what fastjson writes) or an array of byte values.
fn bitset_in<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Bytes(Vec<i16>),
        Null(()),
    }
    match Repr::deserialize(d)? {
        Repr::Text(t) => base64::engine::general_purpose::STANDARD
            .decode(t.trim())
            .map_err(serde::de::Error::custom),
        Repr::Bytes(v) => Ok(v.into_iter().map(|b| b as u8).collect()),
        Repr::Null(()) => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_use_javas_names_and_diffs() {
        let ck = PopCheckPoint {
            start_offset: 10,
            pop_time: 1000,
            invisible_time: 500,
            num: 3,
            queue_id: 1,
            topic: "T".into(),
            cid: "g".into(),
            queue_offset_diff: vec![0, 2, 5],
            broker_name: Some("b".into()),
            ..Default::default()
        }
        .with_revive_time();
        let j = serde_json::to_string(&ck).unwrap();
        for k in [
            r#""so":10"#,
            r#""pt":1000"#,
            r#""it":500"#,
            r#""bm":0"#,
            r#""n":3"#,
            r#""q":1"#,
            r#""t":"T""#,
            r#""c":"g""#,
            r#""d":[0,2,5]"#,
            r#""bn":"b""#,
            r#""reviveTime":1500"#,
        ] {
            assert!(j.contains(k), "{k} in {j}");
        }
        let back: PopCheckPoint = serde_json::from_str(&j).unwrap();
        assert_eq!(back.revive_time(), 1500);
        assert_eq!(back.index_of(12), Some(1));
        assert_eq!(back.index_of(11), None);
        assert_eq!(back.index_of(9), None);
        assert_eq!(back.offset_at(2), 15);
        // An old checkpoint without diffs: consecutive offsets.
        let old: PopCheckPoint = serde_json::from_str(r#"{"so":4,"n":2}"#).unwrap();
        assert_eq!(
            (old.index_of(5), old.index_of(6), old.offset_at(1)),
            (Some(1), None, 5)
        );
    }

    #[test]
    fn acks_read_short_and_long_names() {
        let a: AckMsg =
            serde_json::from_str(r#"{"ao":5,"so":4,"c":"g","t":"T","q":0,"pt":9,"bn":"b"}"#)
                .unwrap();
        assert_eq!((a.ack_offset, a.consumer_group.as_str()), (5, "g"));
        let b: BatchAckMsg = serde_json::from_str(
            r#"{"aol":[4,5],"startOffset":4,"consumerGroup":"g","t":"T","q":0,"pt":9}"#,
        )
        .unwrap();
        assert_eq!(
            (b.ack_offset_list.clone(), b.ack.start_offset),
            (vec![4, 5], 4)
        );
        let j = serde_json::to_string(&b).unwrap();
        assert!(
            j.contains(r#""aol":[4,5]"#) && j.contains(r#""so":4"#),
            "{j}"
        );
    }

    #[test]
    fn batch_ack_bitsets_are_base64_of_java_bytes() {
        // BitSet {0, 2, 9}: bytes [0b101, 0b10] = "BQI=".
        let body: BatchAckBody = serde_json::from_str(
            r#"{"brokerName":"b","acks":[{"c":"g","t":"T","r":"0","so":7,"q":1,"rq":2,"pt":5,"it":6,"b":"BQI="}]}"#,
        )
        .unwrap();
        let a = &body.acks[0];
        assert_eq!(a.indexes(100), vec![0, 2, 9]);
        assert_eq!(a.indexes(2), vec![0, 2]);
        assert_eq!(BatchAck::bits_of(&[0, 2, 9]), vec![5, 2]);
        let j = serde_json::to_string(a).unwrap();
        assert!(j.contains(r#""b":"BQI=""#), "{j}");
        let arr: BatchAck = serde_json::from_str(r#"{"b":[1]}"#).unwrap();
        assert_eq!(arr.indexes(10), vec![0]);
        assert!(serde_json::from_str::<BatchAck>(r#"{"b":"@@"}"#).is_err());
    }
}
