//! Fuzzes the remoting frame and header decoders (JSON and ROCKETMQ): arbitrary bytes never
//! panic; a decoded command re-encodes to a frame that decodes to the same command; typed
//! headers read from arbitrary ext fields never panic; the ext-field map answers every lookup
//! with what iteration shows (in its vector and its hashed form); message property strings
//! parse consistently with `find_property` and survive an encode/parse round trip; stored
//! records and batch bodies parse without panicking.
//!
//! The first byte picks what the rest is: 0 a JSON header, 1 a ROCKETMQ header (each wrapped
//! in a frame, so the fuzzer reaches the header decoders directly), 2 a property string,
//! anything else raw frame bytes.

#![no_main]

use bytes::{BufMut, Bytes, BytesMut};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::batch::decode_batch;
use ferromq_protocol::message::properties::{find_property, keys};
use ferromq_protocol::message::record::RecordView;
use ferromq_protocol::message::Properties;
use ferromq_protocol::{frame, RemotingCommand};
use libfuzzer_sys::fuzz_target;

fn headers(cmd: &RemotingCommand) {
    let _ = cmd.decode_header::<SendMessageRequestHeaderV2>();
    let _ = cmd.decode_header::<SendMessageRequestHeader>();
    let _ = cmd.decode_header::<PullMessageRequestHeader>();
    let _ = cmd.decode_header::<RegisterBrokerRequestHeader>();
    let _ = cmd.decode_header::<ConsumerSendMsgBackRequestHeader>();
    let _ = cmd.decode_header::<EndTransactionRequestHeader>();
    let _ = cmd.decode_header::<QueryMessageRequestHeader>();
}

fn check_command(cmd: &RemotingCommand) {
    headers(cmd);
    for (k, v) in cmd.ext_fields.iter() {
        assert_eq!(
            cmd.ext_fields.get(k),
            Some(v),
            "lookup agrees with iteration"
        );
    }
    assert_eq!(cmd.ext_fields.iter().count(), cmd.ext_fields.len());
    let wire = frame::encode(cmd);
    let again = frame::decode(&mut BytesMut::from(&wire[..]), 1 << 25)
        .expect("re-encoded frame decodes")
        .expect("re-encoded frame is complete");
    assert_eq!(again.code, cmd.code);
    assert_eq!(again.opaque, cmd.opaque);
    assert_eq!(again.ext_fields, cmd.ext_fields);
    assert_eq!(again.body, cmd.body);
}

/// `serType | header` wrapped into a frame without a length prefix.
fn header_frame(ser: u8, header: &[u8]) -> Bytes {
    let mut f = BytesMut::with_capacity(4 + header.len());
    f.put_u32(((ser as u32) << 24) | (header.len() as u32 & 0x00FF_FFFF));
    f.put_slice(header);
    f.freeze()
}

fn properties(s: &str) {
    let p = Properties::parse(s);
    for (k, v) in p.iter() {
        assert_eq!(p.get(k), Some(v));
        assert_eq!(
            find_property(s, k),
            Some(v),
            "find_property agrees with parse"
        );
    }
    let again = Properties::parse(&p.encode());
    let kept = p
        .iter()
        .filter(|(k, _)| !k.starts_with(keys::TRANSIENT_PREFIX))
        .count();
    assert_eq!(again.len(), kept);
    for (k, v) in again.iter() {
        assert_eq!(p.get(k), Some(v), "encode/parse round trip");
    }
    assert_eq!(Properties::try_parse(s).is_ok(), s.len() <= 32767);
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0, header)) | Some((1, header)) => {
            if let Ok(cmd) = frame::decode_frame_body(header_frame(data[0], header)) {
                check_command(&cmd);
            }
        }
        Some((2, text)) => properties(&String::from_utf8_lossy(text)),
        _ => {
            let mut buf = BytesMut::from(data);
            // Decode as many frames as the bytes hold.
            for _ in 0..16 {
                match frame::decode(&mut buf, 1 << 20) {
                    Ok(Some(cmd)) => check_command(&cmd),
                    Ok(None) | Err(_) => break,
                }
            }
            let _ = RecordView::parse(data);
            let _ = decode_batch(data);
        }
    }
});
