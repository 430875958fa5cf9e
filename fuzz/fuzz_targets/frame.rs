//! Fuzzes the remoting frame and header decoders (JSON and ROCKETMQ): arbitrary bytes never
//! panic; a decoded command re-encodes to a frame that decodes to the same command; typed
//! headers read from arbitrary ext fields never panic; stored records and batch bodies parse
//! without panicking.

#![no_main]

use bytes::BytesMut;
use ferromq_protocol::headers::*;
use ferromq_protocol::message::batch::decode_batch;
use ferromq_protocol::message::record::RecordView;
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

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    // Decode as many frames as the bytes hold.
    for _ in 0..16 {
        match frame::decode(&mut buf, 1 << 20) {
            Ok(Some(cmd)) => {
                headers(&cmd);
                let wire = frame::encode(&cmd);
                let again = frame::decode(&mut BytesMut::from(&wire[..]), 1 << 24)
                    .expect("re-encoded frame decodes")
                    .expect("re-encoded frame is complete");
                assert_eq!(again.code, cmd.code);
                assert_eq!(again.opaque, cmd.opaque);
                assert_eq!(again.ext_fields, cmd.ext_fields);
                assert_eq!(again.body, cmd.body);
            }
            Ok(None) | Err(_) => break,
        }
    }
    let _ = RecordView::parse(data);
    let _ = decode_batch(data);
});
