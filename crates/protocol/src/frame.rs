//! Frames: `length i32 | serializeType u8 + headerLength u24 | header | body`.
//!
//! `length` counts everything after itself. A decoder is handed the bytes received so far and
//! returns `Ok(None)` until a whole frame is buffered; a length above the configured maximum
//! is rejected before anything is allocated for it.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::body::Body;
use crate::command::{RemotingCommand, SerializeType};
use crate::header::{self, HeaderDecodeError};

/// The largest frame Java accepts by default (`com.rocketmq.remoting.frameMaxLength`).
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 16 * 1024 * 1024;

/// Why bytes could not be decoded into a command. Any of these closes the connection.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The length prefix exceeds the configured maximum.
    #[error("frame length {length} exceeds the maximum of {max} bytes")]
    TooLarge { length: usize, max: usize },
    /// The length prefix is negative or too small to hold the header-length word.
    #[error("invalid frame length {0}")]
    InvalidLength(i32),
    /// The header length points past the end of the frame.
    #[error("header length {header} does not fit in a frame of {frame} bytes")]
    HeaderOverflow { header: usize, frame: usize },
    /// The serialize-type byte is neither JSON (0) nor ROCKETMQ (1).
    #[error("unknown header serialize type {0}")]
    UnknownSerializeType(u8),
    /// The header itself is malformed.
    #[error(transparent)]
    Header(#[from] HeaderDecodeError),
}

/// Decodes one frame from the front of `src`, consuming it. `Ok(None)`: need more bytes.
pub fn decode(src: &mut BytesMut, max_frame: usize) -> Result<Option<RemotingCommand>, FrameError> {
    let Some(length) = peek_length(src, max_frame)? else {
        return Ok(None);
    };
    if src.len() < 4 + length {
        // Reserve only now that the length is known to be acceptable.
        src.reserve(4 + length - src.len());
        return Ok(None);
    }
    src.advance(4);
    let frame = src.split_to(length).freeze();
    decode_frame_body(frame).map(Some)
}

/// Validates the length prefix at the front of `src`, if four bytes are there.
pub fn peek_length(src: &[u8], max_frame: usize) -> Result<Option<usize>, FrameError> {
    if src.len() < 4 {
        return Ok(None);
    }
    let raw = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
    if raw < 4 {
        return Err(FrameError::InvalidLength(raw));
    }
    let length = raw as usize;
    if length > max_frame {
        return Err(FrameError::TooLarge {
            length,
            max: max_frame,
        });
    }
    Ok(Some(length))
}

/// Decodes a frame without its length prefix (`serType+headerLen | header | body`).
pub fn decode_frame_body(frame: Bytes) -> Result<RemotingCommand, FrameError> {
    if frame.len() < 4 {
        return Err(FrameError::InvalidLength(frame.len() as i32));
    }
    let word = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    let ser = (word >> 24) as u8;
    let header_len = (word & 0x00FF_FFFF) as usize;
    if 4 + header_len > frame.len() {
        return Err(FrameError::HeaderOverflow {
            header: header_len,
            frame: frame.len(),
        });
    }
    let header_bytes = &frame[4..4 + header_len];
    let serialize_type =
        SerializeType::from_code(ser).ok_or(FrameError::UnknownSerializeType(ser))?;
    let decoded = match serialize_type {
        SerializeType::Json => header::json::decode(header_bytes)?,
        SerializeType::RocketMq => header::binary::decode(header_bytes)?,
    };
    let body = Body::from(frame.slice(4 + header_len..));
    Ok(decoded.into_command(body, serialize_type))
}

/// Encodes the length prefix, header-length word and header of `cmd` into `dst`; the body's
/// chunks must follow. The length counts the body, so callers write every chunk after this.
///
/// A command asked to use the binary encoding whose code does not fit an `i16` falls back to
/// JSON, as such codes (POP, ≥ 200050) only exist in JSON.
pub fn encode_head(cmd: &RemotingCommand, dst: &mut BytesMut) {
    let mut header = Vec::with_capacity(256);
    let ser = if cmd.serialize_type == SerializeType::RocketMq && header::binary::can_encode(cmd) {
        header::binary::encode(cmd, &mut header);
        SerializeType::RocketMq
    } else {
        header::json::encode(cmd, &mut header);
        SerializeType::Json
    };
    let length = 4 + header.len() + cmd.body.len();
    dst.reserve(4 + 4 + header.len());
    dst.put_i32(length as i32);
    dst.put_u32(((ser.code() as u32) << 24) | (header.len() as u32 & 0x00FF_FFFF));
    dst.put_slice(&header);
}

/// Encodes `cmd` as one contiguous frame (copies the body).
pub fn encode(cmd: &RemotingCommand) -> BytesMut {
    let mut dst = BytesMut::with_capacity(256 + cmd.body.len());
    encode_head(cmd, &mut dst);
    for chunk in cmd.body.chunks() {
        dst.put_slice(chunk);
    }
    dst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::LanguageCode;

    fn sample() -> RemotingCommand {
        RemotingCommand::request(310)
            .with_ext("a", "PG")
            .with_ext("b", "TopicTest")
            .with_opaque(42)
            .with_body(Bytes::from_static(b"hello"))
    }

    #[test]
    fn json_round_trip() {
        let cmd = sample();
        let mut buf = encode(&cmd);
        let back = decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap().unwrap();
        assert_eq!(back, cmd);
        assert!(buf.is_empty());
    }

    #[test]
    fn binary_round_trip() {
        let cmd = sample().with_serialize_type(SerializeType::RocketMq);
        let mut buf = encode(&cmd);
        let back = decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap().unwrap();
        assert_eq!(back, cmd);
    }

    #[test]
    fn large_codes_fall_back_to_json() {
        let cmd = RemotingCommand::request(200050).with_serialize_type(SerializeType::RocketMq);
        let mut buf = encode(&cmd);
        let back = decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap().unwrap();
        assert_eq!(back.code, 200050);
        assert_eq!(back.serialize_type, SerializeType::Json);
    }

    #[test]
    fn incomplete_returns_none() {
        let full = encode(&sample());
        for cut in 0..full.len() {
            let mut part = BytesMut::from(&full[..cut]);
            assert!(decode(&mut part, DEFAULT_MAX_FRAME_LENGTH)
                .unwrap()
                .is_none());
            assert_eq!(part.len(), cut, "nothing consumed");
        }
    }

    #[test]
    fn two_frames_back_to_back() {
        let mut buf = encode(&sample());
        buf.extend_from_slice(&encode(&sample().with_opaque(43)));
        let a = decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap().unwrap();
        let b = decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap().unwrap();
        assert_eq!((a.opaque, b.opaque), (42, 43));
        assert!(decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
            .unwrap()
            .is_none());
    }

    #[test]
    fn rejects_oversize_before_allocating() {
        let mut buf = BytesMut::from(&[0x7f, 0xff, 0xff, 0xff][..]);
        let err = decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { .. }));
        assert!(buf.capacity() < 1024);
    }

    #[test]
    fn rejects_bad_lengths_and_types() {
        let mut neg = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
        assert!(matches!(
            decode(&mut neg, 1 << 20),
            Err(FrameError::InvalidLength(-1))
        ));
        // header length larger than the frame
        let mut over = BytesMut::from(&[0, 0, 0, 5, 0, 0, 0, 9, 0][..]);
        assert!(matches!(
            decode(&mut over, 1 << 20),
            Err(FrameError::HeaderOverflow { .. })
        ));
        // serialize type 7
        let mut ty = BytesMut::from(&[0, 0, 0, 4, 7, 0, 0, 0][..]);
        assert!(matches!(
            decode(&mut ty, 1 << 20),
            Err(FrameError::UnknownSerializeType(7))
        ));
    }

    #[test]
    fn multi_chunk_body_encodes_contiguously() {
        let cmd = RemotingCommand::success().with_body(Body::from_chunks(vec![
            Bytes::from_static(b"ab"),
            Bytes::from_static(b"cde"),
        ]));
        let mut buf = encode(&cmd);
        let back = decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap().unwrap();
        assert_eq!(&back.body.to_bytes()[..], b"abcde");
        assert_eq!(back.language, LanguageCode::JAVA);
    }
}
