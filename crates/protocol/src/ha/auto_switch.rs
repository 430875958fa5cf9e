//! The AutoSwitch HA frames of controller mode (Java's `AutoSwitchHAConnection` and
//! `AutoSwitchHAClient`): like the classic protocol, but every frame starts with the sender's
//! connection state, the master's handshake carries its epochs so a returning slave can
//! find where their logs agree, and every transfer names the epoch its bytes belong to and
//! the master's confirm offset. All integers big-endian.
//!
//! | direction | frame | bytes |
//! |---|---|---|
//! | slave → master | handshake | `state=1 i32`, `syncFromLastFile i16`, `asyncLearner i16`, `brokerId i64` (16) |
//! | slave → master | report | `state=2 i32`, `maxPhyOffset i64` (12) |
//! | master → slave | handshake | `state=1 i32`, `bodySize i32`, `maxPhyOffset i64`, `lastEpoch i32` (20) + n × (`epoch i32`, `startOffset i64`) |
//! | master → slave | transfer | `state=2 i32`, `bodySize i32`, `offset i64`, `epoch i32`, `epochStartOffset i64`, `confirmOffset i64` (36) + CommitLog bytes |

/// Connection states (Java's `HAConnectionState` ordinals); the first field of every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaState {
    Ready = 0,
    Handshake = 1,
    Transfer = 2,
    Suspend = 3,
    Shutdown = 4,
}

impl HaState {
    /// The state of an ordinal.
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            0 => HaState::Ready,
            1 => HaState::Handshake,
            2 => HaState::Transfer,
            3 => HaState::Suspend,
            4 => HaState::Shutdown,
            _ => return None,
        })
    }
}

/// Bytes of a slave's handshake.
pub const SLAVE_HANDSHAKE_LEN: usize = 16;
/// Bytes of a slave's offset report.
pub const SLAVE_REPORT_LEN: usize = 12;
/// Bytes of the master's handshake header (its epochs follow).
pub const MASTER_HANDSHAKE_HEADER_LEN: usize = 20;
/// Bytes of one epoch entry in the master's handshake.
pub const EPOCH_ENTRY_LEN: usize = 12;
/// Bytes of a transfer header.
pub const TRANSFER_HEADER_LEN: usize = 36;

/// A frame a slave sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaveFrame {
    /// Who the slave is and how it wants to start.
    Handshake {
        sync_from_last_file: bool,
        async_learner: bool,
        broker_id: i64,
    },
    /// The slave's CommitLog end.
    Report { max_offset: i64 },
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A state value that is not one of Java's.
    UnknownState(i32),
    /// A state that does not start this kind of frame.
    UnexpectedState(HaState),
    /// A negative or oversized body.
    BadBodySize(i32),
}

fn i16_at(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(x)
}

impl SlaveFrame {
    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SLAVE_HANDSHAKE_LEN);
        match *self {
            SlaveFrame::Handshake {
                sync_from_last_file,
                async_learner,
                broker_id,
            } => {
                out.extend_from_slice(&(HaState::Handshake as i32).to_be_bytes());
                out.extend_from_slice(&i16::from(sync_from_last_file).to_be_bytes());
                out.extend_from_slice(&i16::from(async_learner).to_be_bytes());
                out.extend_from_slice(&broker_id.to_be_bytes());
            }
            SlaveFrame::Report { max_offset } => {
                out.extend_from_slice(&(HaState::Transfer as i32).to_be_bytes());
                out.extend_from_slice(&max_offset.to_be_bytes());
            }
        }
        out
    }

    /// The first frame in `buf` and its length, `Ok(None)` until it is complete.
    pub fn decode(buf: &[u8]) -> Result<Option<(Self, usize)>, FrameError> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let raw = i32_at(buf, 0);
        match HaState::from_i32(raw).ok_or(FrameError::UnknownState(raw))? {
            HaState::Handshake if buf.len() >= SLAVE_HANDSHAKE_LEN => Ok(Some((
                SlaveFrame::Handshake {
                    sync_from_last_file: i16_at(buf, 4) == 1,
                    async_learner: i16_at(buf, 6) == 1,
                    broker_id: i64_at(buf, 8),
                },
                SLAVE_HANDSHAKE_LEN,
            ))),
            HaState::Transfer if buf.len() >= SLAVE_REPORT_LEN => Ok(Some((
                SlaveFrame::Report {
                    max_offset: i64_at(buf, 4),
                },
                SLAVE_REPORT_LEN,
            ))),
            HaState::Handshake | HaState::Transfer => Ok(None),
            other => Err(FrameError::UnexpectedState(other)),
        }
    }
}

/// The header of a frame a master sends (its body follows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterHeader {
    /// The master's end and epochs (`(epoch, start_offset)`, oldest first, in the body).
    Handshake {
        max_offset: i64,
        last_epoch: i32,
        body_size: usize,
    },
    /// `body_size` bytes of CommitLog from `offset`, written under `epoch`.
    Transfer {
        body_size: usize,
        offset: i64,
        epoch: i32,
        epoch_start_offset: i64,
        confirm_offset: i64,
    },
}

impl MasterHeader {
    /// The master's handshake with its epochs.
    pub fn encode_handshake(max_offset: i64, epochs: &[(i32, i64)]) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(MASTER_HANDSHAKE_HEADER_LEN + EPOCH_ENTRY_LEN * epochs.len());
        out.extend_from_slice(&(HaState::Handshake as i32).to_be_bytes());
        out.extend_from_slice(&((EPOCH_ENTRY_LEN * epochs.len()) as i32).to_be_bytes());
        out.extend_from_slice(&max_offset.to_be_bytes());
        let last = epochs.last().map_or(-1, |e| e.0);
        out.extend_from_slice(&last.to_be_bytes());
        for (epoch, start) in epochs {
            out.extend_from_slice(&epoch.to_be_bytes());
            out.extend_from_slice(&start.to_be_bytes());
        }
        out
    }

    /// A transfer header.
    pub fn encode_transfer(
        body_size: usize,
        offset: i64,
        epoch: i32,
        epoch_start_offset: i64,
        confirm_offset: i64,
    ) -> [u8; TRANSFER_HEADER_LEN] {
        let mut out = [0u8; TRANSFER_HEADER_LEN];
        out[..4].copy_from_slice(&(HaState::Transfer as i32).to_be_bytes());
        out[4..8].copy_from_slice(&(body_size as i32).to_be_bytes());
        out[8..16].copy_from_slice(&offset.to_be_bytes());
        out[16..20].copy_from_slice(&epoch.to_be_bytes());
        out[20..28].copy_from_slice(&epoch_start_offset.to_be_bytes());
        out[28..36].copy_from_slice(&confirm_offset.to_be_bytes());
        out
    }

    /// The header at the start of `buf` and its length, `Ok(None)` until complete; bodies
    /// over `max_body` are refused.
    pub fn decode(buf: &[u8], max_body: usize) -> Result<Option<(Self, usize)>, FrameError> {
        if buf.len() < MASTER_HANDSHAKE_HEADER_LEN {
            return Ok(None);
        }
        let raw = i32_at(buf, 0);
        let state = HaState::from_i32(raw).ok_or(FrameError::UnknownState(raw))?;
        let size = i32_at(buf, 4);
        let body_size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= max_body)
            .ok_or(FrameError::BadBodySize(size))?;
        match state {
            HaState::Handshake => {
                if body_size % EPOCH_ENTRY_LEN != 0 {
                    return Err(FrameError::BadBodySize(size));
                }
                Ok(Some((
                    MasterHeader::Handshake {
                        max_offset: i64_at(buf, 8),
                        last_epoch: i32_at(buf, 16),
                        body_size,
                    },
                    MASTER_HANDSHAKE_HEADER_LEN,
                )))
            }
            HaState::Transfer if buf.len() >= TRANSFER_HEADER_LEN => Ok(Some((
                MasterHeader::Transfer {
                    body_size,
                    offset: i64_at(buf, 8),
                    epoch: i32_at(buf, 16),
                    epoch_start_offset: i64_at(buf, 20),
                    confirm_offset: i64_at(buf, 28),
                },
                TRANSFER_HEADER_LEN,
            ))),
            HaState::Transfer => Ok(None),
            other => Err(FrameError::UnexpectedState(other)),
        }
    }

    /// The epochs of a master's handshake body.
    pub fn decode_epochs(body: &[u8]) -> Vec<(i32, i64)> {
        body.chunks_exact(EPOCH_ENTRY_LEN)
            .map(|c| (i32_at(c, 0), i64_at(c, 4)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slave_frames_have_javas_layout() {
        let hs = SlaveFrame::Handshake {
            sync_from_last_file: true,
            async_learner: false,
            broker_id: 3,
        };
        let b = hs.encode();
        assert_eq!(b, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(SlaveFrame::decode(&b[..15]), Ok(None), "incomplete");
        assert_eq!(SlaveFrame::decode(&b), Ok(Some((hs, 16))));
        let r = SlaveFrame::Report {
            max_offset: 1 << 33,
        };
        let b = r.encode();
        assert_eq!(b.len(), SLAVE_REPORT_LEN);
        assert_eq!(SlaveFrame::decode(&b), Ok(Some((r, 12))));
        assert_eq!(
            SlaveFrame::decode(&[0, 0, 0, 9]),
            Err(FrameError::UnknownState(9))
        );
        assert_eq!(
            SlaveFrame::decode(&[0, 0, 0, 4]),
            Err(FrameError::UnexpectedState(HaState::Shutdown))
        );
    }

    #[test]
    fn master_frames_round_trip_and_bound_their_bodies() {
        let epochs = [(1, 0i64), (3, 1_048_576)];
        let hs = MasterHeader::encode_handshake(2_000_000, &epochs);
        assert_eq!(hs.len(), 20 + 24);
        let (h, n) = MasterHeader::decode(&hs, 1 << 20).unwrap().unwrap();
        assert_eq!(
            h,
            MasterHeader::Handshake {
                max_offset: 2_000_000,
                last_epoch: 3,
                body_size: 24
            }
        );
        assert_eq!(MasterHeader::decode_epochs(&hs[n..]), epochs);
        let t = MasterHeader::encode_transfer(32_768, 4096, 3, 1_048_576, 4000);
        assert_eq!(&t[..8], &[0, 0, 0, 2, 0, 0, 0x80, 0]);
        assert_eq!(MasterHeader::decode(&t[..35], 1 << 20), Ok(None));
        let (h, n) = MasterHeader::decode(&t, 1 << 20).unwrap().unwrap();
        assert_eq!(n, 36);
        assert_eq!(
            h,
            MasterHeader::Transfer {
                body_size: 32_768,
                offset: 4096,
                epoch: 3,
                epoch_start_offset: 1_048_576,
                confirm_offset: 4000
            }
        );
        assert_eq!(
            MasterHeader::decode(&t, 1024),
            Err(FrameError::BadBodySize(32_768))
        );
        let mut neg = t;
        neg[4..8].copy_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(
            MasterHeader::decode(&neg, 1 << 20),
            Err(FrameError::BadBodySize(-1))
        );
    }
}
