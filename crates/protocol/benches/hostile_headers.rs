//! Decode time of hostile inputs that a client without credentials can send: a header whose
//! `extFields` hold many distinct keys (JSON and ROCKETMQ encodings, up to the 16 MiB header
//! limit) and a long message property string. Decoding must grow linearly with the input; the
//! printed ns/field column stays flat when it does. Headers with more than `MAX_EXT_FIELDS`
//! fields are refused (the time to refuse is printed); the `ext-fields` row inserts the same
//! keys into an `ExtFields` directly, to show the map itself stays linear at any size.
//!
//! `cargo bench -p ferromq-protocol --bench hostile_headers` (`HOSTILE_MAX_MB=2` caps the size).

use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use ferromq_protocol::message::Properties;
use ferromq_protocol::{frame, ExtFields, DEFAULT_MAX_FRAME_LENGTH};

/// Distinct keys `k0`, `k1`, … with empty values until `size` bytes of encoded fields.
fn keys(size: usize, per_field: usize) -> impl Iterator<Item = String> {
    (0..).map(|i| format!("k{i}")).scan(0usize, move |used, k| {
        *used += k.len() + per_field;
        (*used <= size).then_some(k)
    })
}

fn frame_with_header(ser: u8, header: &[u8]) -> BytesMut {
    let mut out = BytesMut::with_capacity(8 + header.len());
    out.put_i32(4 + header.len() as i32);
    out.put_u32(((ser as u32) << 24) | header.len() as u32);
    out.put_slice(header);
    out
}

fn json_frame(size: usize) -> (BytesMut, usize) {
    let mut h = String::from(r#"{"code":310,"flag":0,"opaque":1,"extFields":{"#);
    let mut n = 0;
    for k in keys(size, 6) {
        if n > 0 {
            h.push(',');
        }
        h.push('"');
        h.push_str(&k);
        h.push_str("\":\"\"");
        n += 1;
    }
    h.push_str("}}");
    (frame_with_header(0, h.as_bytes()), n)
}

fn binary_frame(size: usize) -> (BytesMut, usize) {
    let mut ext = Vec::new();
    let mut n = 0;
    for k in keys(size, 6) {
        ext.put_i16(k.len() as i16);
        ext.put_slice(k.as_bytes());
        ext.put_i32(0);
        n += 1;
    }
    let mut h = Vec::new();
    h.put_i16(310);
    h.put_u8(0);
    h.put_i16(479);
    h.put_i32(1);
    h.put_i32(0);
    h.put_i32(0);
    h.put_i32(ext.len() as i32);
    h.put_slice(&ext);
    (frame_with_header(1, &h), n)
}

fn properties(size: usize) -> (String, usize) {
    let mut s = String::new();
    let mut n = 0;
    for k in keys(size, 3) {
        s.push_str(&k);
        s.push_str("\u{1}v\u{2}");
        n += 1;
    }
    (s, n)
}

fn report(what: &str, size: usize, fields: usize, took: Duration, note: &str) {
    println!(
        "{what:<10} {:>6} KiB {fields:>9} fields {:>10.1} ms {:>8.1} ns/field {note}",
        size / 1024,
        took.as_secs_f64() * 1e3,
        took.as_nanos() as f64 / fields as f64
    );
}

fn main() {
    let max_mb: usize = std::env::var("HOSTILE_MAX_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let mut size = 64 * 1024;
    while size <= max_mb * 1024 * 1024 {
        // The header-length word has 24 bits: the largest header is 16 MiB - 1.
        let header_size = size.min(0xFF_FFFF - 64);
        for (what, (mut buf, n)) in [
            ("json", json_frame(header_size)),
            ("rocketmq", binary_frame(header_size)),
        ] {
            let t = Instant::now();
            let decoded = frame::decode(&mut buf, DEFAULT_MAX_FRAME_LENGTH + 64);
            let took = t.elapsed();
            match decoded {
                Ok(Some(cmd)) => {
                    assert_eq!(cmd.ext_fields.len(), n);
                    report(what, size, n, took, "decoded");
                }
                Ok(None) => unreachable!("the frame is complete"),
                Err(e) => report(what, size, n, took, &format!("refused: {e}")),
            }
        }
        let n = keys(size, 6).count();
        let t = Instant::now();
        let map: ExtFields = keys(size, 6).map(|k| (k, "")).collect();
        let took = t.elapsed();
        assert_eq!(map.len(), n);
        report("ext-fields", size, n, took, "inserted");
        let (props, n) = properties(size);
        let t = Instant::now();
        let p = Properties::parse(&props);
        let took = t.elapsed();
        assert_eq!(p.len(), n);
        report("properties", size, n, took, "parsed");
        size *= 2;
    }
}
