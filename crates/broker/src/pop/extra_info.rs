//! The pop receipt (`extraInfo`, the `POP_CK` property) and the response header's offset
//! infos, in Java's `ExtraInfoUtil` formats:
//!
//! - receipt: `ckQueueOffset popTime invisibleTime reviveQid mark brokerName queueId [queueOffset]`
//! - `startOffsetInfo`: `mark queueId startOffset` joined by `;`
//! - `msgOffsetInfo`: `mark queueId o1,o2,…` joined by `;`
//! - `orderCountInfo`: `mark queueId count` and `mark qo{queueId}%{offset} count` joined by `;`
//!
//! `mark` is `0` for the topic, `1`/`2` for its v1/v2 pop retry topic ([`keys::retry_mark`]).
//! A receipt comes back from clients: parsing never panics and says what is wrong.

use std::fmt::Write;

use super::keys;

/// Why a receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ExtraInfoError {
    /// Fewer fields than the receipt needs.
    #[error("extraInfo has {0} fields, expected at least 7")]
    TooShort(usize),
    /// A number field is not a number.
    #[error("extraInfo field {0} is not a number")]
    NotANumber(&'static str),
    /// The retry mark is not 0, 1 or 2.
    #[error("extraInfo retry mark {0:?} is unknown")]
    BadMark(String),
    /// Longer than any receipt the broker hands out.
    #[error("extraInfo is longer than {0} bytes")]
    TooLong(usize),
}

/// Longest receipt accepted (names are bounded by the validators well below this).
const MAX_LEN: usize = 1024;

/// A parsed receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtraInfo {
    /// The first queue offset the checkpoint covers.
    pub ck_queue_offset: i64,
    pub pop_time: i64,
    pub invisible_time: i64,
    pub revive_qid: i32,
    /// `0`, `1` or `2`.
    pub mark: String,
    pub broker_name: String,
    pub queue_id: i32,
    /// The message's own queue offset (receipts of 5.x carry it).
    pub queue_offset: Option<i64>,
}

fn num<T: std::str::FromStr>(s: &str, name: &'static str) -> Result<T, ExtraInfoError> {
    s.parse().map_err(|_| ExtraInfoError::NotANumber(name))
}

impl ExtraInfo {
    /// Parses a receipt.
    pub(crate) fn parse(s: &str) -> Result<Self, ExtraInfoError> {
        if s.len() > MAX_LEN {
            return Err(ExtraInfoError::TooLong(MAX_LEN));
        }
        let f: Vec<&str> = s.split(' ').collect();
        if f.len() < 7 {
            return Err(ExtraInfoError::TooShort(f.len()));
        }
        if !matches!(f[4], "0" | "1" | "2") {
            return Err(ExtraInfoError::BadMark(f[4].to_string()));
        }
        Ok(ExtraInfo {
            ck_queue_offset: num(f[0], "ckQueueOffset")?,
            pop_time: num(f[1], "popTime")?,
            invisible_time: num(f[2], "invisibleTime")?,
            revive_qid: num(f[3], "reviveQid")?,
            mark: f[4].to_string(),
            broker_name: f[5].to_string(),
            queue_id: num(f[6], "queueId")?,
            queue_offset: f.get(7).map(|o| num(o, "queueOffset")).transpose()?,
        })
    }

    /// The receipt's text (with the message offset when known).
    pub(crate) fn build(&self) -> String {
        let mut s = format!(
            "{} {} {} {} {} {} {}",
            self.ck_queue_offset,
            self.pop_time,
            self.invisible_time,
            self.revive_qid,
            self.mark,
            self.broker_name,
            self.queue_id
        );
        if let Some(o) = self.queue_offset {
            let _ = write!(s, " {o}");
        }
        s
    }

    /// Whether the receipt is of an orderly pop (no checkpoint behind it).
    pub(crate) fn is_order(&self) -> bool {
        self.revive_qid == keys::ORDER_REVIVE_QUEUE
    }

    /// The topic the message was popped from, given the topic the client names.
    #[cfg(test)]
    pub(crate) fn real_topic(&self, topic: &str, group: &str) -> String {
        keys::real_topic(topic, group, &self.mark).unwrap_or_else(|| topic.to_string())
    }
}

/// The three offset infos of a pop response, built queue by queue.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct OffsetInfos {
    pub start: String,
    pub msg: String,
    pub order_count: String,
}

fn sep(s: &mut String) {
    if !s.is_empty() {
        s.push(';');
    }
}

impl OffsetInfos {
    /// One queue's messages: where the pop started and each message's offset.
    pub(crate) fn add_queue(&mut self, topic: &str, queue_id: i32, start: i64, offsets: &[i64]) {
        let mark = keys::retry_mark(topic);
        sep(&mut self.start);
        let _ = write!(self.start, "{mark} {queue_id} {start}");
        sep(&mut self.msg);
        let _ = write!(self.msg, "{mark} {queue_id} ");
        for (i, o) in offsets.iter().enumerate() {
            if i > 0 {
                self.msg.push(',');
            }
            let _ = write!(self.msg, "{o}");
        }
    }

    /// An orderly queue's attempt count.
    pub(crate) fn add_queue_count(&mut self, topic: &str, queue_id: i32, count: i32) {
        sep(&mut self.order_count);
        let mark = keys::retry_mark(topic);
        let _ = write!(self.order_count, "{mark} {queue_id} {count}");
    }

    /// An orderly message's attempt count.
    pub(crate) fn add_offset_count(&mut self, topic: &str, queue_id: i32, offset: i64, count: i32) {
        sep(&mut self.order_count);
        let mark = keys::retry_mark(topic);
        let _ = write!(self.order_count, "{mark} qo{queue_id}%{offset} {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_round_trip_in_javas_format() {
        let e = ExtraInfo {
            ck_queue_offset: 10,
            pop_time: 1_700_000_000_000,
            invisible_time: 60_000,
            revive_qid: 3,
            mark: "2".into(),
            broker_name: "broker-a".into(),
            queue_id: 1,
            queue_offset: Some(12),
        };
        let s = e.build();
        assert_eq!(s, "10 1700000000000 60000 3 2 broker-a 1 12");
        assert_eq!(ExtraInfo::parse(&s).unwrap(), e);
        let old = ExtraInfo::parse("10 1 2 3 0 b 1").unwrap();
        assert_eq!(old.queue_offset, None);
        assert_eq!(e.real_topic("T", "g"), "%RETRY%g+T");
        assert!(!e.is_order());
    }

    #[test]
    fn malformed_receipts_are_errors() {
        assert_eq!(ExtraInfo::parse(""), Err(ExtraInfoError::TooShort(1)));
        assert_eq!(
            ExtraInfo::parse("a 1 2 3 0 b 1"),
            Err(ExtraInfoError::NotANumber("ckQueueOffset"))
        );
        assert_eq!(
            ExtraInfo::parse("1 1 2 3 9 b 1"),
            Err(ExtraInfoError::BadMark("9".into()))
        );
        assert_eq!(
            ExtraInfo::parse("1 1 2 99999999999 0 b 1"),
            Err(ExtraInfoError::NotANumber("reviveQid"))
        );
        assert_eq!(
            ExtraInfo::parse("1 1 2 3 0 b 1 x"),
            Err(ExtraInfoError::NotANumber("queueOffset"))
        );
        assert!(matches!(
            ExtraInfo::parse(&"1 ".repeat(600)),
            Err(ExtraInfoError::TooLong(_))
        ));
    }

    #[test]
    fn offset_infos_in_javas_format() {
        let mut i = OffsetInfos::default();
        i.add_queue("%RETRY%g+T", 0, 5, &[5, 6]);
        i.add_queue("T", 3, 7, &[7, 9, 10]);
        assert_eq!(i.start, "2 0 5;0 3 7");
        assert_eq!(i.msg, "2 0 5,6;0 3 7,9,10");
        i.add_queue_count("T", 3, 1);
        i.add_offset_count("T", 3, 9, 2);
        assert_eq!(i.order_count, "0 3 1;0 qo3%9 2");
    }
}
