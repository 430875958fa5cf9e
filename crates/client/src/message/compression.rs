//! Body compression as the Java producer does it: bodies of at least
//! `compressMsgBodyOverHowmuch` (4 KiB) bytes are zlib-compressed (level 5) and flagged with
//! `COMPRESSED | COMPRESSION_ZLIB` in the sysflag. Consumers inflate flagged bodies; old 4.x
//! producers set only `COMPRESSED`, which also means zlib.

use std::io::{Read, Write};

use bytes::Bytes;
use ferromq_protocol::message::sysflag::message as sysflag;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

/// When and how hard to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressionConfig {
    /// Bodies of at least this many bytes are compressed (`compressMsgBodyOverHowmuch`).
    pub threshold: usize,
    /// zlib level 0–9 (`rocketmq.message.compressLevel`, 5).
    pub level: u32,
}

impl Default for CompressionConfig {
    fn default() -> Self {
        CompressionConfig {
            threshold: 4 * 1024,
            level: 5,
        }
    }
}

/// Compresses `body` if it reaches the threshold; returns the
/// new body and the sysflag bits to add.
pub(crate) fn compress_body(
    body: &[u8],
    config: &CompressionConfig,
) -> std::io::Result<Option<(Bytes, i32)>> {
    if body.len() < config.threshold {
        return Ok(None);
    }
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(body.len() / 2),
        Compression::new(config.level.min(9)),
    );
    enc.write_all(body)?;
    let out = enc.finish()?;
    Ok(Some((
        Bytes::from(out),
        sysflag::COMPRESSED | sysflag::COMPRESSION_ZLIB,
    )))
}

/// Inflates a body stored with `sys_flag`; bodies without the COMPRESSED flag are returned
/// unchanged. LZ4/ZSTD bodies are not supported and yield an error.
pub(crate) fn decompress_body(body: &Bytes, sys_flag: i32) -> std::io::Result<Bytes> {
    if sys_flag & sysflag::COMPRESSED == 0 {
        return Ok(body.clone());
    }
    match sys_flag & sysflag::COMPRESSION_TYPE_MASK {
        0 | sysflag::COMPRESSION_ZLIB => {
            let mut out = Vec::with_capacity(body.len() * 2);
            ZlibDecoder::new(&body[..]).read_to_end(&mut out)?;
            Ok(Bytes::from(out))
        }
        other => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("compression type 0x{other:x} (LZ4/ZSTD) is not supported"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn threshold_is_inclusive() {
        let cfg = CompressionConfig::default();
        assert!(compress_body(&[b'a'; 4095], &cfg).unwrap().is_none());
        let (body, flag) = compress_body(&[b'a'; 4096], &cfg).unwrap().unwrap();
        assert_eq!(flag, 0x301);
        assert!(body.len() < 100);
        // zlib stream header (RFC 1950), as Java's Deflater writes it.
        assert_eq!(body[0], 0x78);
        assert_eq!(
            &decompress_body(&body, flag).unwrap()[..],
            &[b'a'; 4096][..]
        );
        // A 4.x producer flags COMPRESSED only.
        assert_eq!(
            decompress_body(&body, sysflag::COMPRESSED).unwrap().len(),
            4096
        );
        assert!(decompress_body(&body, sysflag::COMPRESSED | sysflag::COMPRESSION_LZ4).is_err());
        assert!(decompress_body(&Bytes::from_static(b"junk"), sysflag::COMPRESSED).is_err());
        assert_eq!(
            &decompress_body(&Bytes::from_static(b"raw"), 0).unwrap()[..],
            b"raw"
        );
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..20_000), level in 0u32..10) {
            let cfg = CompressionConfig { threshold: 0, level };
            let (body, flag) = compress_body(&data, &cfg).unwrap().unwrap();
            prop_assert_eq!(&decompress_body(&body, flag).unwrap()[..], &data[..]);
        }
    }
}
