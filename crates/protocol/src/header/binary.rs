//! RocketMQ binary headers (serialize type 1).
//!
//! ```text
//! code i16 | language u8 | version i16 | opaque i32 | flag i32 |
//! remarkLen i32 + remark | extLen i32 + { keyLen i16, key, valLen i32, value }*
//! ```

use bytes::BufMut;

use super::{DecodedHeader, HeaderDecodeError, MAX_EXT_FIELDS};
use crate::command::RemotingCommand;
use crate::ext_fields::ExtFields;
use crate::language::LanguageCode;

/// Whether `cmd` can be encoded in binary (its code and version fit an `i16`).
pub(crate) fn can_encode(cmd: &RemotingCommand) -> bool {
    i16::try_from(cmd.code).is_ok() && i16::try_from(cmd.version).is_ok()
}

/// Appends the binary header of `cmd` to `out`. Callers check [`can_encode`] first; values
/// that do not fit are truncated as Java's `(short)` cast would.
pub(crate) fn encode(cmd: &RemotingCommand, out: &mut Vec<u8>) {
    out.put_i16(cmd.code as i16);
    out.put_u8(cmd.language.0);
    out.put_i16(cmd.version as i16);
    out.put_i32(cmd.opaque);
    out.put_i32(cmd.flag);
    match &cmd.remark {
        Some(r) => {
            out.put_i32(r.len() as i32);
            out.put_slice(r.as_bytes());
        }
        None => out.put_i32(0),
    }
    let ext_len: usize = cmd
        .ext_fields
        .iter()
        .map(|(k, v)| 2 + k.len() + 4 + v.len())
        .sum();
    out.put_i32(ext_len as i32);
    for (k, v) in cmd.ext_fields.iter() {
        out.put_i16(k.len() as i16);
        out.put_slice(k.as_bytes());
        out.put_i32(v.len() as i32);
        out.put_slice(v.as_bytes());
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], HeaderDecodeError> {
        if self.buf.len() < n {
            return Err(HeaderDecodeError::Binary(what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn i16(&mut self, what: &'static str) -> Result<i16, HeaderDecodeError> {
        let b = self.take(2, what)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self, what: &'static str) -> Result<i32, HeaderDecodeError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, HeaderDecodeError> {
        Ok(self.take(1, what)?[0])
    }
    fn string(&mut self, len: usize, what: &'static str) -> Result<String, HeaderDecodeError> {
        let b = self.take(len, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| HeaderDecodeError::Utf8)
    }
}

/// Decodes a binary header.
pub(crate) fn decode(bytes: &[u8]) -> Result<DecodedHeader, HeaderDecodeError> {
    let mut r = Reader { buf: bytes };
    let code = r.i16("code")? as i32;
    let language = LanguageCode(r.u8("language")?);
    let version = r.i16("version")? as i32;
    let opaque = r.i32("opaque")?;
    let flag = r.i32("flag")?;
    let remark_len = r.i32("remark length")?;
    let remark = if remark_len > 0 {
        Some(r.string(remark_len as usize, "remark")?)
    } else if remark_len < 0 {
        return Err(HeaderDecodeError::Binary("negative remark length"));
    } else {
        None
    };
    let ext_len = r.i32("ext length")?;
    if ext_len < 0 {
        return Err(HeaderDecodeError::Binary("negative ext length"));
    }
    let ext_bytes = r.take(ext_len as usize, "ext fields")?;
    let mut ext = Reader { buf: ext_bytes };
    let mut ext_fields = ExtFields::new();
    while !ext.buf.is_empty() {
        if ext_fields.len() >= MAX_EXT_FIELDS {
            return Err(HeaderDecodeError::TooManyFields);
        }
        let klen = ext.i16("ext key length")?;
        if klen < 0 {
            return Err(HeaderDecodeError::Binary("negative ext key length"));
        }
        let key = ext.string(klen as usize, "ext key")?;
        let vlen = ext.i32("ext value length")?;
        if vlen < 0 {
            return Err(HeaderDecodeError::Binary("negative ext value length"));
        }
        let value = ext.string(vlen as usize, "ext value")?;
        // A repeated key takes the last value, as Java's HashMap.put does.
        ext_fields.insert(key, value);
    }
    Ok(DecodedHeader {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let cmd = RemotingCommand::request(11)
            .with_ext("topic", "T")
            .with_ext("queueId", "2")
            .with_remark("hi")
            .with_opaque(-5);
        let mut out = Vec::new();
        encode(&cmd, &mut out);
        let h = decode(&out).unwrap();
        assert_eq!(h.code, 11);
        assert_eq!(h.opaque, -5);
        assert_eq!(h.remark.as_deref(), Some("hi"));
        assert_eq!(h.ext_fields, cmd.ext_fields);
    }

    /// A binary header whose ext map is exactly `fields`, in order.
    fn with_fields(fields: &[(&str, &str)]) -> Vec<u8> {
        let mut ext = Vec::new();
        for (k, v) in fields {
            ext.put_i16(k.len() as i16);
            ext.put_slice(k.as_bytes());
            ext.put_i32(v.len() as i32);
            ext.put_slice(v.as_bytes());
        }
        let mut out = Vec::new();
        encode(&RemotingCommand::request(11), &mut out);
        out.truncate(out.len() - 4); // the empty ext map's length
        out.put_i32(ext.len() as i32);
        out.extend_from_slice(&ext);
        out
    }

    #[test]
    fn repeated_key_takes_the_last_value_in_the_first_position() {
        let h = decode(&with_fields(&[("a", "1"), ("b", "2"), ("a", "3")])).unwrap();
        let fields: Vec<_> = h.ext_fields.iter().collect();
        assert_eq!(fields, [("a", "3"), ("b", "2")]);
    }

    #[test]
    fn field_count_is_bounded() {
        let keys: Vec<String> = (0..=MAX_EXT_FIELDS).map(|i| format!("k{i}")).collect();
        let mut fields: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "")).collect();
        assert!(matches!(
            decode(&with_fields(&fields)),
            Err(HeaderDecodeError::TooManyFields)
        ));
        fields.pop();
        assert_eq!(
            decode(&with_fields(&fields)).unwrap().ext_fields.len(),
            MAX_EXT_FIELDS
        );
    }

    #[test]
    fn truncated_is_an_error() {
        let cmd = RemotingCommand::request(11).with_ext("topic", "T");
        let mut out = Vec::new();
        encode(&cmd, &mut out);
        for cut in 0..out.len() {
            assert!(decode(&out[..cut]).is_err(), "cut at {cut}");
        }
    }
}
