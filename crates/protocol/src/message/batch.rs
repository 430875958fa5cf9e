//! The SEND_BATCH_MESSAGE body: messages back to back, each
//! `totalSize i32 | magic i32 | bodyCRC i32 | flag i32 | bodyLen i32 | body | propLen i16 | props`
//! (Java `MessageDecoder.encodeMessages`).
//!
//! Java clients write magic and CRC as 0 and the broker ignores them (the store computes each
//! body CRC), and the decoders walk by the body/properties lengths rather than `totalSize`;
//! this decoder does the same.

use bytes::{BufMut, Bytes};

/// Errors decoding a batch body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("batch entry at byte {at} truncated")]
    Truncated { at: usize },
    #[error("batch entry at byte {at} has negative length {len}")]
    NegativeLength { at: usize, len: i64 },
    #[error("properties of {0} bytes exceed 32767")]
    PropertiesTooLong(usize),
}

/// One message of a batch body, borrowing from the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry<'a> {
    /// User flag.
    pub flag: i32,
    /// Message body as sent (possibly compressed).
    pub body: &'a [u8],
    /// Encoded property string of this message.
    pub properties: &'a [u8],
}

impl BatchEntry<'_> {
    /// Size of this entry once encoded.
    pub fn encoded_len(&self) -> usize {
        4 + 4 + 4 + 4 + 4 + self.body.len() + 2 + self.properties.len()
    }

    /// Appends the entry as Java encodes it (magic and CRC written as 0).
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<(), BatchError> {
        if self.properties.len() > i16::MAX as usize {
            return Err(BatchError::PropertiesTooLong(self.properties.len()));
        }
        out.put_i32(self.encoded_len() as i32);
        out.put_i32(0);
        out.put_i32(0);
        out.put_i32(self.flag);
        out.put_i32(self.body.len() as i32);
        out.put_slice(self.body);
        out.put_i16(self.properties.len() as i16);
        out.put_slice(self.properties);
        Ok(())
    }
}

/// Encodes a whole batch body.
pub fn encode_batch<'a, B: BufMut>(
    entries: impl IntoIterator<Item = &'a BatchEntry<'a>>,
    out: &mut B,
) -> Result<(), BatchError> {
    for e in entries {
        e.encode(out)?;
    }
    Ok(())
}

/// Iterates over the entries of a batch body; yields an error once and then stops.
#[derive(Debug, Clone)]
pub struct BatchIter<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

/// Iterates over the entries of a SEND_BATCH_MESSAGE body without copying.
pub fn iter_batch(buf: &[u8]) -> BatchIter<'_> {
    BatchIter {
        buf,
        pos: 0,
        failed: false,
    }
}

/// Decodes all entries, failing on the first malformed one.
pub fn decode_batch(buf: &[u8]) -> Result<Vec<BatchEntry<'_>>, BatchError> {
    iter_batch(buf).collect()
}

/// Splits a batch held in [`Bytes`] into `(flag, body, properties)` slices sharing it.
pub fn decode_batch_bytes(buf: &Bytes) -> Result<Vec<(i32, Bytes, Bytes)>, BatchError> {
    iter_batch(buf)
        .map(|e| e.map(|e| (e.flag, buf.slice_ref(e.body), buf.slice_ref(e.properties))))
        .collect()
}

impl<'a> BatchIter<'a> {
    fn next_entry(&mut self) -> Result<BatchEntry<'a>, BatchError> {
        let at = self.pos;
        let b = &self.buf[at..];
        let trunc = BatchError::Truncated { at };
        if b.len() < 20 {
            return Err(trunc);
        }
        let flag = i32::from_be_bytes([b[12], b[13], b[14], b[15]]);
        let body_len = i32::from_be_bytes([b[16], b[17], b[18], b[19]]);
        if body_len < 0 {
            return Err(BatchError::NegativeLength {
                at,
                len: body_len as i64,
            });
        }
        let body_end = 20usize
            .checked_add(body_len as usize)
            .ok_or(trunc.clone())?;
        if b.len() < body_end + 2 {
            return Err(trunc);
        }
        let prop_len = i16::from_be_bytes([b[body_end], b[body_end + 1]]);
        if prop_len < 0 {
            return Err(BatchError::NegativeLength {
                at,
                len: prop_len as i64,
            });
        }
        let end = body_end + 2 + prop_len as usize;
        if b.len() < end {
            return Err(trunc);
        }
        self.pos += end;
        Ok(BatchEntry {
            flag,
            body: &b[20..body_end],
            properties: &b[body_end + 2..end],
        })
    }
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<BatchEntry<'a>, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let r = self.next_entry();
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn java_layout() {
        let e = BatchEntry {
            flag: 5,
            body: b"abc",
            properties: b"K\x01V\x02",
        };
        let mut out = Vec::new();
        e.encode(&mut out).unwrap();
        assert_eq!(out.len(), 20 + 3 + 2 + 4);
        assert_eq!(&out[0..4], &(29i32).to_be_bytes());
        assert_eq!(&out[12..16], &5i32.to_be_bytes());
        assert_eq!(&out[20..23], b"abc");
        assert_eq!(&out[23..25], &4i16.to_be_bytes());
    }

    #[test]
    fn truncated_and_negative() {
        let e = BatchEntry {
            flag: 0,
            body: b"abcdef",
            properties: b"",
        };
        let mut out = Vec::new();
        e.encode(&mut out).unwrap();
        for cut in 1..out.len() {
            assert!(decode_batch(&out[..cut]).is_err(), "cut {cut}");
        }
        let mut bad = out.clone();
        bad[16..20].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(matches!(
            decode_batch(&bad),
            Err(BatchError::NegativeLength { .. })
        ));
        assert_eq!(decode_batch(&[]).unwrap(), vec![]);
    }

    proptest! {
        #[test]
        fn round_trip(msgs in proptest::collection::vec((any::<i32>(), proptest::collection::vec(any::<u8>(), 0..300), proptest::collection::vec(any::<u8>(), 0..100)), 0..10)) {
            let entries: Vec<BatchEntry> = msgs.iter().map(|(f, b, p)| BatchEntry { flag: *f, body: b, properties: p }).collect();
            let mut out = Vec::new();
            encode_batch(&entries, &mut out).unwrap();
            let back = decode_batch(&out).unwrap();
            prop_assert_eq!(&back, &entries);
            let bytes = Bytes::from(out);
            let owned = decode_batch_bytes(&bytes).unwrap();
            prop_assert_eq!(owned.len(), entries.len());
        }

        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_batch(&data);
        }
    }
}
