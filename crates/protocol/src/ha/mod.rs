//! The classic HA wire format (Java's `DefaultHAService`, 4.x and 5.x without a controller),
//! spoken on the master's `haListenPort`:
//! - slave → master: a *report*, 8 bytes: the slave's CommitLog end (big-endian i64). Sent on
//!   connect, after every batch it appended, and at least every `haSendHeartbeatInterval`.
//! - master → slave: *transfers*, a 12-byte header `[masterPhyOffset i64][bodySize i32]` and
//!   `bodySize` bytes of raw CommitLog starting at that offset. A body size of 0 is a heartbeat.
//!
//! The epoch-aware frames of controller mode are in [`auto_switch`].

pub mod auto_switch;

/// Bytes in a slave's offset report.
pub const REPORT_LEN: usize = 8;

/// Bytes in a transfer header.
pub const TRANSFER_HEADER_LEN: usize = 12;

/// The report of a slave whose CommitLog ends at `offset`.
pub fn encode_report(offset: u64) -> [u8; REPORT_LEN] {
    (offset as i64).to_be_bytes()
}

/// The last complete report in `buf` (a slave may send several before the master reads; only
/// the newest counts, as in Java), and how many bytes it consumed.
pub fn last_report(buf: &[u8]) -> Option<(i64, usize)> {
    let whole = buf.len() - buf.len() % REPORT_LEN;
    if whole == 0 {
        return None;
    }
    let word: [u8; REPORT_LEN] = buf[whole - REPORT_LEN..whole].try_into().ok()?;
    Some((i64::from_be_bytes(word), whole))
}

/// A transfer header: `size` bytes of CommitLog follow, starting at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferHeader {
    /// The master's physical offset of the first byte of the body.
    pub offset: i64,
    /// Body length; 0 for a heartbeat.
    pub size: i32,
}

impl TransferHeader {
    /// The 12 header bytes.
    pub fn encode(&self) -> [u8; TRANSFER_HEADER_LEN] {
        let mut out = [0u8; TRANSFER_HEADER_LEN];
        out[..8].copy_from_slice(&self.offset.to_be_bytes());
        out[8..].copy_from_slice(&self.size.to_be_bytes());
        out
    }

    /// Parses 12 header bytes.
    pub fn decode(b: &[u8; TRANSFER_HEADER_LEN]) -> Self {
        let mut off = [0u8; 8];
        off.copy_from_slice(&b[..8]);
        let mut size = [0u8; 4];
        size.copy_from_slice(&b[8..]);
        TransferHeader {
            offset: i64::from_be_bytes(off),
            size: i32::from_be_bytes(size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_big_endian_and_only_the_newest_counts() {
        assert_eq!(encode_report(0x0102), [0, 0, 0, 0, 0, 0, 1, 2]);
        let mut buf = encode_report(5).to_vec();
        buf.extend_from_slice(&encode_report(9));
        buf.extend_from_slice(&[0, 0]);
        assert_eq!(last_report(&buf), Some((9, 16)));
        assert_eq!(last_report(&buf[..7]), None);
    }

    #[test]
    fn transfer_headers_round_trip() {
        let h = TransferHeader {
            offset: 1 << 40,
            size: 32 * 1024,
        };
        let b = h.encode();
        assert_eq!(&b[..8], &(1i64 << 40).to_be_bytes());
        assert_eq!(TransferHeader::decode(&b), h);
    }
}
