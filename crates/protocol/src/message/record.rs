//! CommitLog records in Java's byte layout (`MessageExtEncoder` / `MessageDecoder`).
//!
//! The same bytes are the CommitLog on disk, the body of PULL/QUERY/VIEW responses and the
//! body of CHECK_TRANSACTION_STATE, so one codec serves the store, the broker and the client.
//!
//! ```text
//! totalSize i32 | magic i32 | bodyCRC i32 | queueId i32 | flag i32 | queueOffset i64 |
//! physicalOffset i64 | sysFlag i32 | bornTimestamp i64 | bornHost (4|16 + port i32) |
//! storeTimestamp i64 | storeHost (4|16 + port i32) | reconsumeTimes i32 |
//! preparedTransactionOffset i64 | bodyLen i32 | body | topicLen (i8 V1 | i16 V2) | topic |
//! propertiesLen i16 | properties
//! ```
//! Big-endian throughout. [`RecordView`] is both the encoder input and the borrowed decode
//! result; [`MessageExt`] is the owned decode result whose body and properties are [`Bytes`]
//! slices of the input (no copy).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{BufMut, Bytes};

use super::sysflag::message::{BORNHOST_V6, STOREHOST_V6};

/// Magic of a V1 record (1-byte topic length): `0xDAA320A7`.
pub const MESSAGE_MAGIC_CODE_V1: i32 = 0xDAA3_20A7_u32 as i32;
/// Magic of a V2 record (2-byte topic length): `0xDAA320AB`.
pub const MESSAGE_MAGIC_CODE_V2: i32 = 0xDAA3_20AB_u32 as i32;
/// Magic of the end-of-file blank that pads a CommitLog file: `0xCBD43194`.
pub const BLANK_MAGIC_CODE: i32 = 0xCBD4_3194_u32 as i32;
/// Bytes Java writes for the end-of-file blank (total size + magic); the rest is undefined.
pub const END_FILE_MIN_BLANK_LENGTH: usize = 8;

/// Position of the user flag.
pub const FLAG_POSITION: usize = 16;
/// Position of the queue offset.
pub const QUEUE_OFFSET_POSITION: usize = 20;
/// Position of the physical (CommitLog) offset.
pub const PHYSICAL_OFFSET_POSITION: usize = 28;
/// Position of the sysflag.
pub const SYSFLAG_POSITION: usize = 36;
/// Position of the born timestamp.
pub const BORN_TIMESTAMP_POSITION: usize = 40;
/// Position of the born host.
pub const BORN_HOST_POSITION: usize = 48;

/// Errors decoding or encoding a record. Decoding never panics on bad input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("record truncated: need {needed} bytes, have {available}")]
    Truncated { needed: usize, available: usize },
    #[error("illegal record magic 0x{0:08X}")]
    BadMagic(i32),
    #[error("end-of-file blank of {0} bytes")]
    Blank(i32),
    #[error("record total size {total} does not match its fields ({computed})")]
    SizeMismatch { total: i32, computed: usize },
    #[error("negative length field {0}")]
    NegativeLength(i64),
    #[error("body CRC mismatch: stored {stored}, computed {computed}")]
    BodyCrc { stored: i32, computed: i32 },
    #[error("topic of {0} bytes does not fit the record version")]
    TopicTooLong(usize),
    #[error("properties of {0} bytes exceed 32767")]
    PropertiesTooLong(usize),
    #[error("output buffer of {available} bytes, record needs {needed}")]
    BufferTooSmall { needed: usize, available: usize },
}

/// Record format version, selected by the magic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordVersion {
    /// 1-byte topic length.
    #[default]
    V1,
    /// 2-byte topic length (Java uses it for topics longer than 127 bytes).
    V2,
}

impl RecordVersion {
    /// The version Java picks (`autoMessageVersionOnTopicLen`): V2 when the topic exceeds 127
    /// bytes.
    pub fn for_topic_len(len: usize) -> Self {
        if len > i8::MAX as usize {
            RecordVersion::V2
        } else {
            RecordVersion::V1
        }
    }

    /// The magic code written for this version.
    pub fn magic(self) -> i32 {
        match self {
            RecordVersion::V1 => MESSAGE_MAGIC_CODE_V1,
            RecordVersion::V2 => MESSAGE_MAGIC_CODE_V2,
        }
    }

    /// The version of a message magic code, `None` for anything else (including blank).
    pub fn from_magic(magic: i32) -> Option<Self> {
        match magic {
            MESSAGE_MAGIC_CODE_V1 => Some(RecordVersion::V1),
            MESSAGE_MAGIC_CODE_V2 => Some(RecordVersion::V2),
            _ => None,
        }
    }

    fn topic_len_size(self) -> usize {
        match self {
            RecordVersion::V1 => 1,
            RecordVersion::V2 => 2,
        }
    }
}

/// Java's stored body CRC: `crc32(body) & 0x7FFFFFFF`.
pub fn body_crc(body: &[u8]) -> i32 {
    (crc32fast::hash(body) & 0x7FFF_FFFF) as i32
}

/// Bytes a host occupies in a record (`ip + port`), by the sysflag bit for that host.
pub fn host_len(v6: bool) -> usize {
    if v6 {
        20
    } else {
        8
    }
}

/// Position of the store timestamp, which depends on the born host's width.
pub fn store_timestamp_position(sys_flag: i32) -> usize {
    BORN_HOST_POSITION + host_len(sys_flag & BORNHOST_V6 != 0)
}

/// Total record size for the given field lengths (Java `calMsgLength`).
pub fn record_len(
    version: RecordVersion,
    sys_flag: i32,
    body_len: usize,
    topic_len: usize,
    properties_len: usize,
) -> usize {
    4 + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + host_len(sys_flag & BORNHOST_V6 != 0)
        + 8
        + host_len(sys_flag & STOREHOST_V6 != 0)
        + 4
        + 8
        + 4
        + body_len
        + version.topic_len_size()
        + topic_len
        + 2
        + properties_len
}

/// Sets the born/store IPv6 sysflag bits from the address families, as Java does on put.
pub fn sys_flag_for_hosts(sys_flag: i32, born_host: &SocketAddr, store_host: &SocketAddr) -> i32 {
    let mut f = sys_flag & !(BORNHOST_V6 | STOREHOST_V6);
    if born_host.is_ipv6() {
        f |= BORNHOST_V6;
    }
    if store_host.is_ipv6() {
        f |= STOREHOST_V6;
    }
    f
}

/// The first two words of a record: `(totalSize, magic)`, if at least 8 bytes are present.
pub fn peek_header(buf: &[u8]) -> Option<(i32, i32)> {
    if buf.len() < 8 {
        return None;
    }
    Some((read_i32(buf, 0), read_i32(buf, 4)))
}

/// One CommitLog record with borrowed variable-length fields.
///
/// Used as encoder input (the encoder derives total size, magic and the IPv6 sysflag bits)
/// and as the result of [`RecordView::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView<'a> {
    pub version: RecordVersion,
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: &'a [u8],
    /// UTF-8 topic bytes.
    pub topic: &'a [u8],
    /// Encoded property string (§3.1).
    pub properties: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// The sysflag as it will be written: IPv6 bits follow the host address families.
    pub fn effective_sys_flag(&self) -> i32 {
        sys_flag_for_hosts(self.sys_flag, &self.born_host, &self.store_host)
    }

    /// Size of the encoded record.
    pub fn encoded_len(&self) -> usize {
        record_len(
            self.version,
            self.effective_sys_flag(),
            self.body.len(),
            self.topic.len(),
            self.properties.len(),
        )
    }

    fn check_encodable(&self) -> Result<(), RecordError> {
        let max_topic = match self.version {
            RecordVersion::V1 => u8::MAX as usize,
            RecordVersion::V2 => i16::MAX as usize,
        };
        if self.topic.len() > max_topic {
            return Err(RecordError::TopicTooLong(self.topic.len()));
        }
        if self.properties.len() > i16::MAX as usize {
            return Err(RecordError::PropertiesTooLong(self.properties.len()));
        }
        Ok(())
    }

    /// Encodes into the start of `out` without allocating; returns the bytes written.
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, RecordError> {
        self.check_encodable()?;
        let len = self.encoded_len();
        if out.len() < len {
            return Err(RecordError::BufferTooSmall {
                needed: len,
                available: out.len(),
            });
        }
        let mut w = &mut out[..len];
        self.write_fields(&mut w, len);
        debug_assert!(w.is_empty());
        Ok(len)
    }

    /// Appends the encoded record to a [`BufMut`].
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<usize, RecordError> {
        self.check_encodable()?;
        let len = self.encoded_len();
        self.write_fields(out, len);
        Ok(len)
    }

    fn write_fields<B: BufMut>(&self, w: &mut B, len: usize) {
        let sys_flag = self.effective_sys_flag();
        w.put_i32(len as i32);
        w.put_i32(self.version.magic());
        w.put_i32(self.body_crc);
        w.put_i32(self.queue_id);
        w.put_i32(self.flag);
        w.put_i64(self.queue_offset);
        w.put_i64(self.physical_offset);
        w.put_i32(sys_flag);
        w.put_i64(self.born_timestamp);
        put_host(w, &self.born_host);
        w.put_i64(self.store_timestamp);
        put_host(w, &self.store_host);
        w.put_i32(self.reconsume_times);
        w.put_i64(self.prepared_transaction_offset);
        w.put_i32(self.body.len() as i32);
        w.put_slice(self.body);
        match self.version {
            RecordVersion::V1 => w.put_u8(self.topic.len() as u8),
            RecordVersion::V2 => w.put_i16(self.topic.len() as i16),
        }
        w.put_slice(self.topic);
        w.put_i16(self.properties.len() as i16);
        w.put_slice(self.properties);
    }

    /// Parses one record at the start of `buf` (which may hold more bytes after it).
    ///
    /// The total size must match the fields exactly. The body CRC is not checked here; call
    /// [`RecordView::verify_body_crc`]. A blank end-of-file marker yields
    /// [`RecordError::Blank`].
    pub fn parse(buf: &'a [u8]) -> Result<Self, RecordError> {
        let (total, magic) = peek_header(buf).ok_or(RecordError::Truncated {
            needed: 8,
            available: buf.len(),
        })?;
        let version = match RecordVersion::from_magic(magic) {
            Some(v) => v,
            None if magic == BLANK_MAGIC_CODE => return Err(RecordError::Blank(total)),
            None => return Err(RecordError::BadMagic(magic)),
        };
        if total < 0 {
            return Err(RecordError::NegativeLength(total as i64));
        }
        let total_len = total as usize;
        if buf.len() < total_len {
            return Err(RecordError::Truncated {
                needed: total_len,
                available: buf.len(),
            });
        }
        let rec = &buf[..total_len];
        let mut r = Reader { buf: rec, pos: 8 };
        let body_crc = r.i32()?;
        let queue_id = r.i32()?;
        let flag = r.i32()?;
        let queue_offset = r.i64()?;
        let physical_offset = r.i64()?;
        let sys_flag = r.i32()?;
        let born_timestamp = r.i64()?;
        let born_host = r.host(sys_flag & BORNHOST_V6 != 0)?;
        let store_timestamp = r.i64()?;
        let store_host = r.host(sys_flag & STOREHOST_V6 != 0)?;
        let reconsume_times = r.i32()?;
        let prepared_transaction_offset = r.i64()?;
        let body_len = r.i32()?;
        if body_len < 0 {
            return Err(RecordError::NegativeLength(body_len as i64));
        }
        let body = r.take(body_len as usize)?;
        let topic_len = match version {
            RecordVersion::V1 => r.take(1)?[0] as usize,
            RecordVersion::V2 => {
                let l = r.i16()?;
                if l < 0 {
                    return Err(RecordError::NegativeLength(l as i64));
                }
                l as usize
            }
        };
        let topic = r.take(topic_len)?;
        let prop_len = r.i16()?;
        if prop_len < 0 {
            return Err(RecordError::NegativeLength(prop_len as i64));
        }
        let properties = r.take(prop_len as usize)?;
        let computed = record_len(version, sys_flag, body.len(), topic.len(), properties.len());
        if computed != total_len {
            return Err(RecordError::SizeMismatch { total, computed });
        }
        Ok(RecordView {
            version,
            body_crc,
            queue_id,
            flag,
            queue_offset,
            physical_offset,
            sys_flag,
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body,
            topic,
            properties,
        })
    }

    /// Total encoded size of this record.
    pub fn total_size(&self) -> usize {
        self.encoded_len()
    }

    /// Checks the stored body CRC against the body (Java `checkCRCOnRecover`).
    pub fn verify_body_crc(&self) -> Result<(), RecordError> {
        let computed = body_crc(self.body);
        if computed != self.body_crc {
            return Err(RecordError::BodyCrc {
                stored: self.body_crc,
                computed,
            });
        }
        Ok(())
    }

    /// The topic as text (lossy for invalid UTF-8, as Java decodes it).
    pub fn topic_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.topic)
    }

    /// The property string as text (lossy for invalid UTF-8).
    pub fn properties_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.properties)
    }
}

/// A decoded record that owns its data; `body` and `properties` share the input [`Bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExt {
    pub store_size: i32,
    pub version: RecordVersion,
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub commit_log_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub topic: String,
    pub body: Bytes,
    /// Encoded property string; parse with `Properties::parse_bytes`.
    pub properties: Bytes,
}

impl MessageExt {
    /// Decodes the record at the start of `buf` without copying body or properties.
    pub fn decode(buf: &Bytes) -> Result<Self, RecordError> {
        let v = RecordView::parse(buf)?;
        Ok(Self::from_view(buf, &v))
    }

    fn from_view(buf: &Bytes, v: &RecordView<'_>) -> Self {
        MessageExt {
            store_size: v.total_size() as i32,
            version: v.version,
            body_crc: v.body_crc,
            queue_id: v.queue_id,
            flag: v.flag,
            queue_offset: v.queue_offset,
            commit_log_offset: v.physical_offset,
            sys_flag: v.sys_flag,
            born_timestamp: v.born_timestamp,
            born_host: v.born_host,
            store_timestamp: v.store_timestamp,
            store_host: v.store_host,
            reconsume_times: v.reconsume_times,
            prepared_transaction_offset: v.prepared_transaction_offset,
            topic: v.topic_str().into_owned(),
            body: buf.slice_ref(v.body),
            properties: buf.slice_ref(v.properties),
        }
    }

    /// Decodes every record of a PULL/QUERY body (records back to back).
    pub fn decode_all(buf: &Bytes) -> Result<Vec<Self>, RecordError> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let rest = buf.slice(pos..);
            let v = RecordView::parse(&rest)?;
            let len = v.total_size();
            out.push(Self::from_view(&rest, &v));
            pos += len;
        }
        Ok(out)
    }

    /// A borrowed view of this message, e.g. to re-encode it.
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            version: self.version,
            body_crc: self.body_crc,
            queue_id: self.queue_id,
            flag: self.flag,
            queue_offset: self.queue_offset,
            physical_offset: self.commit_log_offset,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body: &self.body,
            topic: self.topic.as_bytes(),
            properties: &self.properties,
        }
    }
}

fn put_host<B: BufMut>(w: &mut B, addr: &SocketAddr) {
    match addr.ip() {
        IpAddr::V4(ip) => w.put_slice(&ip.octets()),
        IpAddr::V6(ip) => w.put_slice(&ip.octets()),
    }
    w.put_i32(addr.port() as i32);
}

fn read_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(RecordError::Truncated {
                needed: self.pos.saturating_add(n),
                available: self.buf.len(),
            }),
        }
    }
    fn i16(&mut self) -> Result<i16, RecordError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, RecordError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, RecordError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
    fn host(&mut self, v6: bool) -> Result<SocketAddr, RecordError> {
        let ip = if v6 {
            let b = self.take(16)?;
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            IpAddr::V6(Ipv6Addr::from(a))
        } else {
            let b = self.take(4)?;
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        };
        // Java stores the port as an i32; only the low 16 bits are meaningful.
        let port = self.i32()? as u16;
        Ok(SocketAddr::new(ip, port))
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
