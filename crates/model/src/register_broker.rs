//! `RegisterBrokerBody`: what a broker sends the NameServer in `REGISTER_BROKER` (103), as JSON
//! or, when the header says `compressed=true`, as Java's zlib-compressed binary layout:
//!
//! ```text
//! zlib( i32 len, DataVersion JSON
//!       i32 topicCount, topicCount × (i32 len, TopicConfig text "name r w perm FILTER {attrs}")
//!       i32 len, filterServerList JSON
//!       [5.x] i32 count, count × (i32 len, TopicQueueMappingInfo JSON) )
//! ```
//! All integers are big-endian. Brokers before 5.0 stop after the filter-server list.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::fastjson::{from_fastjson, from_fastjson_slice};
use crate::lenient;
use crate::static_topic::TopicQueueMappingInfo;
use crate::topic_config::TopicConfig;
use crate::topic_config_wrapper::TopicConfigAndMappingSerializeWrapper;

/// Default bound on the inflated size of a compressed body: a zlib bomb stops here. A broker
/// with 300 000 topics inflates to about 15 MiB (≈ 50 bytes per topic).
pub const MAX_INFLATED_BODY: u64 = 32 * 1024 * 1024;

/// Bounds for decoding a body that came from the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Most bytes a compressed body may inflate to.
    pub max_inflated: u64,
    /// Most topics (and most static-topic mappings) the body may carry; the compressed form
    /// is refused as soon as its count says more, before anything is decoded.
    pub max_topics: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_inflated: MAX_INFLATED_BODY,
            max_topics: usize::MAX,
        }
    }
}

/// `{"filterServerList":[],"topicConfigSerializeWrapper":{…}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegisterBrokerBody {
    /// Filter servers of the broker (a removed feature; always empty today).
    #[serde(deserialize_with = "lenient::null_default")]
    pub filter_server_list: Vec<String>,
    /// The broker's topics and static-topic mappings.
    #[serde(deserialize_with = "lenient::null_default")]
    pub topic_config_serialize_wrapper: TopicConfigAndMappingSerializeWrapper,
}

impl RegisterBrokerBody {
    /// Encodes as JSON, or as the compressed layout when `compress` is set.
    pub fn encode(&self, compress: bool) -> Result<Vec<u8>, ModelError> {
        if compress {
            self.encode_compressed()
        } else {
            Ok(serde_json::to_vec(self)?)
        }
    }

    /// Decodes a body; `compressed` is the request header's flag.
    pub fn decode(body: &[u8], compressed: bool) -> Result<Self, ModelError> {
        Self::decode_with_limits(body, compressed, DecodeLimits::default())
    }

    /// [`decode`](Self::decode) within `limits`.
    pub fn decode_with_limits(
        body: &[u8],
        compressed: bool,
        limits: DecodeLimits,
    ) -> Result<Self, ModelError> {
        if compressed {
            return Self::decode_compressed_with_limits(body, limits);
        }
        let decoded: Self = from_fastjson_slice(body)?;
        let wrapper = &decoded.topic_config_serialize_wrapper;
        check_count("topic count", wrapper.topic_config_table.len(), limits)?;
        check_count(
            "topic queue mapping count",
            wrapper.topic_queue_mapping_info_map.len(),
            limits,
        )?;
        Ok(decoded)
    }

    /// The zlib-compressed binary layout (always with the 5.x mapping section; older
    /// NameServers stop reading before it).
    pub fn encode_compressed(&self) -> Result<Vec<u8>, ModelError> {
        let wrapper = &self.topic_config_serialize_wrapper;
        let mut raw = Vec::new();
        put_block(&mut raw, &serde_json::to_vec(&wrapper.data_version)?)?;
        put_len(&mut raw, wrapper.topic_config_table.len())?;
        for topic in wrapper.topic_config_table.values() {
            put_block(&mut raw, topic.encode().as_bytes())?;
        }
        put_block(&mut raw, &serde_json::to_vec(&self.filter_server_list)?)?;
        put_len(&mut raw, wrapper.topic_queue_mapping_info_map.len())?;
        for info in wrapper.topic_queue_mapping_info_map.values() {
            put_block(&mut raw, &serde_json::to_vec(info)?)?;
        }
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&raw).map_err(ModelError::Zlib)?;
        encoder.finish().map_err(ModelError::Zlib)
    }

    /// Decodes the compressed layout, with or without the 5.x mapping section.
    pub fn decode_compressed(body: &[u8]) -> Result<Self, ModelError> {
        Self::decode_compressed_with_limits(body, DecodeLimits::default())
    }

    fn decode_compressed_with_limits(
        body: &[u8],
        limits: DecodeLimits,
    ) -> Result<Self, ModelError> {
        let mut input = ZlibDecoder::new(body).take(limits.max_inflated);
        let mut result = Self::default();
        let wrapper = &mut result.topic_config_serialize_wrapper;

        let data_version = read_block(&mut input, "data version")?;
        wrapper.data_version = from_fastjson_slice(&data_version)?;

        let topic_count = read_len(&mut input, "topic count")?;
        check_count("topic count", topic_count, limits)?;
        for _ in 0..topic_count {
            let block = read_block(&mut input, "topic config")?;
            let text = std::str::from_utf8(&block).map_err(ModelError::Utf8)?;
            let topic = TopicConfig::decode(text)?;
            wrapper
                .topic_config_table
                .insert(topic.topic_name.clone(), topic);
        }

        let filter_servers = read_block(&mut input, "filter server list")?;
        let filter_servers = std::str::from_utf8(&filter_servers).map_err(ModelError::Utf8)?;
        // Java logs and carries on with an empty list when this JSON is bad.
        result.filter_server_list = from_fastjson(filter_servers).unwrap_or_else(|e| {
            tracing::warn!(error = %e, json = filter_servers, "bad filter server list in register body");
            Vec::new()
        });

        let wrapper = &mut result.topic_config_serialize_wrapper;
        if let Some(mapping_count) = read_optional_len(&mut input, "topic queue mapping count")? {
            check_count("topic queue mapping count", mapping_count, limits)?;
            for _ in 0..mapping_count {
                let block = read_block(&mut input, "topic queue mapping")?;
                let info: TopicQueueMappingInfo = from_fastjson_slice(&block)?;
                wrapper
                    .topic_queue_mapping_info_map
                    .insert(info.topic.clone(), info);
            }
        }
        Ok(result)
    }
}

fn check_count(what: &'static str, count: usize, limits: DecodeLimits) -> Result<(), ModelError> {
    if count > limits.max_topics {
        return Err(ModelError::InvalidLength {
            what,
            len: i64::try_from(count).unwrap_or(i64::MAX),
        });
    }
    Ok(())
}

fn put_len(out: &mut Vec<u8>, len: usize) -> Result<(), ModelError> {
    let len = i32::try_from(len).map_err(|_| ModelError::InvalidLength {
        what: "encoded block",
        len: i64::try_from(len).unwrap_or(i64::MAX),
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

fn put_block(out: &mut Vec<u8>, block: &[u8]) -> Result<(), ModelError> {
    put_len(out, block.len())?;
    out.extend_from_slice(block);
    Ok(())
}

/// Fills `buf` completely; `Ok(false)` if the stream ended before the first byte.
fn read_full(
    input: &mut impl Read,
    buf: &mut [u8],
    what: &'static str,
) -> Result<bool, ModelError> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(ModelError::Truncated { what }),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ModelError::Zlib(e)),
        }
    }
    Ok(true)
}

fn read_optional_len(
    input: &mut impl Read,
    what: &'static str,
) -> Result<Option<usize>, ModelError> {
    let mut buf = [0u8; 4];
    if !read_full(input, &mut buf, what)? {
        return Ok(None);
    }
    let len = i32::from_be_bytes(buf);
    usize::try_from(len)
        .map(Some)
        .map_err(|_| ModelError::InvalidLength {
            what,
            len: i64::from(len),
        })
}

fn read_len(input: &mut impl Read, what: &'static str) -> Result<usize, ModelError> {
    read_optional_len(input, what)?.ok_or(ModelError::Truncated { what })
}

fn read_block(input: &mut impl Read, what: &'static str) -> Result<Vec<u8>, ModelError> {
    let len = read_len(input, what)?;
    // Read through `take` so a lying length cannot make us allocate up front.
    let mut block = Vec::new();
    input
        .take(len as u64)
        .read_to_end(&mut block)
        .map_err(ModelError::Zlib)?;
    if block.len() != len {
        return Err(ModelError::Truncated { what });
    }
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_version::DataVersion;
    use crate::topic_config_wrapper::tests::arb_mapping_wrapper;
    use proptest::prelude::*;

    fn sample() -> RegisterBrokerBody {
        let mut body = RegisterBrokerBody::default();
        let w = &mut body.topic_config_serialize_wrapper;
        w.data_version = DataVersion {
            counter: 2,
            state_version: 0,
            timestamp: 1_700_000_000_000,
        };
        for tc in [
            TopicConfig::with_queues("TopicTest", 4, 4, 6),
            TopicConfig::with_queues("TBW102", 8, 8, 7),
        ] {
            w.topic_config_table.insert(tc.topic_name.clone(), tc);
        }
        body
    }

    /// Builds a compressed body by hand, the way Java's `RegisterBrokerBody.encode(true)` does.
    fn java_layout(parts: &[&[u8]], with_mapping_count: bool) -> Vec<u8> {
        let mut raw = Vec::new();
        let block = |raw: &mut Vec<u8>, b: &[u8]| {
            raw.extend_from_slice(&(b.len() as i32).to_be_bytes());
            raw.extend_from_slice(b);
        };
        block(&mut raw, parts[0]);
        raw.extend_from_slice(&((parts.len() - 2) as i32).to_be_bytes());
        for topic in &parts[1..parts.len() - 1] {
            block(&mut raw, topic);
        }
        block(&mut raw, parts[parts.len() - 1]);
        if with_mapping_count {
            raw.extend_from_slice(&0i32.to_be_bytes());
        }
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::new(9));
        enc.write_all(&raw).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn json_form_matches_java_shape() {
        let json = String::from_utf8(sample().encode(false).unwrap()).unwrap();
        assert!(json.starts_with(
            r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"#
        ));
        assert_eq!(
            RegisterBrokerBody::decode(json.as_bytes(), false).unwrap(),
            sample()
        );
    }

    #[test]
    fn decodes_a_hand_built_java_blob() {
        for with_mapping in [false, true] {
            let blob = java_layout(
                &[
                    br#"{"counter":2,"stateVersion":0,"timestamp":1700000000000}"#,
                    b"TBW102 8 8 7 SINGLE_TAG {}",
                    b"TopicTest 4 4 6 SINGLE_TAG {}",
                    b"[]",
                ],
                with_mapping,
            );
            assert_eq!(
                &blob[..2],
                &[0x78, 0xDA],
                "zlib header of Deflater.BEST_COMPRESSION"
            );
            assert_eq!(RegisterBrokerBody::decode(&blob, true).unwrap(), sample());
        }
    }

    #[test]
    fn compressed_output_uses_the_java_layout() {
        let blob = sample().encode(true).unwrap();
        let mut raw = Vec::new();
        ZlibDecoder::new(&blob[..]).read_to_end(&mut raw).unwrap();
        let dv = br#"{"counter":2,"stateVersion":0,"timestamp":1700000000000}"#;
        assert_eq!(&raw[..4], &(dv.len() as i32).to_be_bytes());
        assert_eq!(&raw[4..4 + dv.len()], dv);
        assert_eq!(&raw[4 + dv.len()..8 + dv.len()], &2i32.to_be_bytes());
        assert!(raw.ends_with(&[0, 0, 0, 2, b'[', b']', 0, 0, 0, 0]));
    }

    #[test]
    fn rejects_truncated_and_lying_blobs() {
        let blob = sample().encode(true).unwrap();
        let mut raw = Vec::new();
        ZlibDecoder::new(&blob[..]).read_to_end(&mut raw).unwrap();
        let recompress = |raw: &[u8]| {
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(raw).unwrap();
            enc.finish().unwrap()
        };
        for cut in [0, 3, 10, raw.len() - 12] {
            let err = RegisterBrokerBody::decode_compressed(&recompress(&raw[..cut])).unwrap_err();
            assert!(
                matches!(err, ModelError::Truncated { .. } | ModelError::Json(_)),
                "cut {cut}: {err:?}"
            );
        }
        let mut lying = raw.clone();
        lying[..4].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(
            RegisterBrokerBody::decode_compressed(&recompress(&lying)),
            Err(ModelError::Truncated { .. })
        ));
        lying[..4].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(matches!(
            RegisterBrokerBody::decode_compressed(&recompress(&lying)),
            Err(ModelError::InvalidLength { len: -1, .. })
        ));
        assert!(matches!(
            RegisterBrokerBody::decode_compressed(b"not zlib"),
            Err(ModelError::Zlib(_))
        ));
    }

    #[test]
    fn limits_bound_inflation_and_topic_count() {
        // A zlib bomb: a filter-server list claiming 1 GiB, then 64 MiB of zeros (64 KiB
        // compressed). Inflation stops at the cap instead of reading it all.
        let mut raw = Vec::new();
        put_block(&mut raw, b"{}").unwrap();
        put_len(&mut raw, 0).unwrap();
        put_len(&mut raw, 1 << 30).unwrap();
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&raw).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 128 * 1024);
        let truncated = |r: Result<RegisterBrokerBody, ModelError>| {
            matches!(
                r,
                Err(ModelError::Truncated {
                    what: "filter server list"
                })
            )
        };
        assert!(truncated(RegisterBrokerBody::decode(&bomb, true)));
        let small = DecodeLimits {
            max_inflated: 1 << 20,
            max_topics: 1,
        };
        assert!(truncated(RegisterBrokerBody::decode_with_limits(
            &bomb, true, small
        )));

        let two = sample();
        for compressed in [false, true] {
            let body = two.encode(compressed).unwrap();
            let err = RegisterBrokerBody::decode_with_limits(&body, compressed, small).unwrap_err();
            assert!(
                matches!(
                    err,
                    ModelError::InvalidLength {
                        what: "topic count",
                        len: 2
                    }
                ),
                "{err:?}"
            );
            let fits = DecodeLimits {
                max_topics: 2,
                ..small
            };
            assert_eq!(
                RegisterBrokerBody::decode_with_limits(&body, compressed, fits).unwrap(),
                two
            );
        }
        // A count far beyond the data is refused before any topic is read.
        let mut raw = Vec::new();
        put_block(&mut raw, b"{}").unwrap();
        raw.extend_from_slice(&i32::MAX.to_be_bytes());
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&raw).unwrap();
        let lying = enc.finish().unwrap();
        assert!(matches!(
            RegisterBrokerBody::decode_with_limits(
                &lying,
                true,
                DecodeLimits {
                    max_topics: 100_000,
                    ..small
                }
            ),
            Err(ModelError::InvalidLength {
                what: "topic count",
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn json_round_trip(w in arb_mapping_wrapper(), filters in prop::collection::vec("[0-9.:]{1,12}", 0..2)) {
            let body = RegisterBrokerBody { filter_server_list: filters, topic_config_serialize_wrapper: w };
            prop_assert_eq!(RegisterBrokerBody::decode(&body.encode(false).unwrap(), false).unwrap(), body);
        }

        #[test]
        fn compressed_round_trip(w in arb_mapping_wrapper(), filters in prop::collection::vec("[0-9.:]{1,12}", 0..2)) {
            let body = RegisterBrokerBody { filter_server_list: filters, topic_config_serialize_wrapper: w };
            let back = RegisterBrokerBody::decode(&body.encode(true).unwrap(), true).unwrap();
            // The compressed form carries only what Java's does.
            let mut expected = body.clone();
            let ew = &mut expected.topic_config_serialize_wrapper;
            for tc in ew.topic_config_table.values_mut() {
                tc.order = false;
                tc.topic_sys_flag = 0;
            }
            ew.mapping_data_version = DataVersion::default();
            ew.topic_queue_mapping_detail_map.clear();
            prop_assert_eq!(back, expected);
        }

        #[test]
        fn compressed_decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = RegisterBrokerBody::decode_compressed(&bytes);
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(&bytes).unwrap();
            let _ = RegisterBrokerBody::decode_compressed(&enc.finish().unwrap());
        }
    }
}
