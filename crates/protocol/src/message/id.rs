//! Message ids: the broker's "offset msgId" and the client's `UNIQ_KEY`.
//!
//! An offset msgId is the upper-case hex of `storeHost ip (4 or 16 bytes) | port i32 |
//! commitLog physical offset i64`: 32 hex characters for IPv4, 56 for IPv6. Clients decode it
//! to find the broker and the physical offset for VIEW_MESSAGE_BY_ID.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a message id could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageIdError {
    #[error("message id `{0}` has length {1}: expected 32 (IPv4) or 56 (IPv6) hex digits")]
    Length(String, usize),
    #[error("message id `{0}` is not hexadecimal")]
    NotHex(String),
}

/// A decoded offset msgId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetMessageId {
    /// The broker that stored the message (its client-facing listen address).
    pub store_host: SocketAddr,
    /// The record's physical offset in that broker's CommitLog.
    pub commit_log_offset: i64,
}

/// Encodes an offset msgId.
pub fn encode_offset_msg_id(store_host: SocketAddr, commit_log_offset: i64) -> String {
    let mut s = String::with_capacity(56);
    match store_host.ip() {
        IpAddr::V4(ip) => push_hex(&mut s, &ip.octets()),
        IpAddr::V6(ip) => push_hex(&mut s, &ip.octets()),
    }
    push_hex(&mut s, &(store_host.port() as i32).to_be_bytes());
    push_hex(&mut s, &commit_log_offset.to_be_bytes());
    s
}

/// Decodes an offset msgId.
pub fn decode_offset_msg_id(id: &str) -> Result<OffsetMessageId, MessageIdError> {
    let bytes = hex_to_bytes(id)?;
    let (ip, rest): (IpAddr, &[u8]) = match bytes.len() {
        16 => {
            let o: [u8; 4] = bytes[0..4].try_into().unwrap_or_default();
            (IpAddr::V4(Ipv4Addr::from(o)), &bytes[4..])
        }
        28 => {
            let o: [u8; 16] = bytes[0..16].try_into().unwrap_or_default();
            (IpAddr::V6(Ipv6Addr::from(o)), &bytes[16..])
        }
        n => return Err(MessageIdError::Length(id.to_string(), n * 2)),
    };
    let port = i32::from_be_bytes(rest[0..4].try_into().unwrap_or_default());
    let offset = i64::from_be_bytes(rest[4..12].try_into().unwrap_or_default());
    Ok(OffsetMessageId {
        store_host: SocketAddr::new(ip, port as u16),
        commit_log_offset: offset,
    })
}

/// Upper-case hex of `bytes` appended to `s` (on the send path for every message: a table,
/// not `fmt`).
pub fn push_hex(s: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    s.reserve(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xF) as usize] as char);
    }
}

/// Bytes of a hex string (either case).
pub fn hex_to_bytes(id: &str) -> Result<Vec<u8>, MessageIdError> {
    let id_trim = id.trim();
    if id_trim.len() % 2 != 0 {
        return Err(MessageIdError::Length(id.to_string(), id_trim.len()));
    }
    let raw = id_trim.as_bytes();
    let mut out = Vec::with_capacity(raw.len() / 2);
    for pair in raw.chunks(2) {
        let hi = hex_val(pair[0]).ok_or_else(|| MessageIdError::NotHex(id.to_string()))?;
        let lo = hex_val(pair[1]).ok_or_else(|| MessageIdError::NotHex(id.to_string()))?;
        out.push(hi << 4 | lo);
    }
    Ok(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Whether `id` looks like an offset msgId (32 or 56 hex digits). Unique keys have the same
/// shape, so callers that may hold either try the offset form first and fall back to a
/// unique-key query, as mqadmin does.
pub fn looks_like_offset_msg_id(id: &str) -> bool {
    (id.len() == 32 || id.len() == 56) && id.bytes().all(|c| hex_val(c).is_some())
}

/// Builds a Java-compatible `UNIQ_KEY`:
/// `ip (4/16) | pid low 2 bytes | class-loader hash i32 | ms since month start i32 | counter i16`.
///
/// The caller supplies the parts that need the OS (ip, pid) and a per-process random word in
/// place of Java's class-loader hash.
pub fn build_uniq_key(
    ip: IpAddr,
    pid: u32,
    random: i32,
    millis_since_month_start: i32,
    counter: i16,
) -> String {
    let mut s = String::with_capacity(56);
    match ip {
        IpAddr::V4(ip) => push_hex(&mut s, &ip.octets()),
        IpAddr::V6(ip) => push_hex(&mut s, &ip.octets()),
    }
    push_hex(&mut s, &(pid as u16).to_be_bytes());
    push_hex(&mut s, &random.to_be_bytes());
    push_hex(&mut s, &millis_since_month_start.to_be_bytes());
    push_hex(&mut s, &counter.to_be_bytes());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_ipv4_id() {
        let addr: SocketAddr = "192.168.0.1:10911".parse().unwrap();
        let id = encode_offset_msg_id(addr, 0x1234);
        assert_eq!(id, "C0A8000100002A9F0000000000001234");
        let back = decode_offset_msg_id(&id).unwrap();
        assert_eq!(back.store_host, addr);
        assert_eq!(back.commit_log_offset, 0x1234);
        assert!(looks_like_offset_msg_id(&id));
    }

    #[test]
    fn bad_ids() {
        assert!(decode_offset_msg_id("XYZ").is_err());
        assert!(decode_offset_msg_id("C0A8000100002A9F000000000000123G").is_err());
        assert!(decode_offset_msg_id("00").is_err());
    }

    #[test]
    fn uniq_key_shape() {
        let k = build_uniq_key("10.0.0.1".parse().unwrap(), 0x12345, -1, 1000, 7);
        assert_eq!(k.len(), 32);
        assert!(k.starts_with("0A0000012345FFFFFFFF000003E80007"));
    }

    proptest! {
        #[test]
        fn round_trip(v6 in any::<bool>(), a in any::<[u8; 16]>(), port in any::<u16>(), off in any::<i64>()) {
            let ip = if v6 { IpAddr::V6(Ipv6Addr::from(a)) } else { IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])) };
            let addr = SocketAddr::new(ip, port);
            let id = encode_offset_msg_id(addr, off);
            prop_assert_eq!(id.len(), if v6 { 56 } else { 32 });
            let back = decode_offset_msg_id(&id).unwrap();
            prop_assert_eq!(back.store_host, addr);
            prop_assert_eq!(back.commit_log_offset, off);
        }
    }
}
