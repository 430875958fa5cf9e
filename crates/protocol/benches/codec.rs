//! Frame codec costs on the hot path: decoding a Java client's SEND_MESSAGE_V2 request (JSON
//! and ROCKETMQ headers, captured from the 5.3.3 client) and encoding a send response.
//!
//! `cargo bench -p ferromq-protocol --bench codec`

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ferromq_protocol::headers::{SendMessageRequestHeaderV2, SendMessageResponseHeader};
use ferromq_protocol::{frame, RemotingCommand};

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/golden/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("golden frame")
}

fn decode(c: &mut Criterion) {
    for ser in ["json", "rocketmq"] {
        let bytes = golden(&format!("java-5.3.3-send_message_v2-{ser}-request.bin"));
        c.bench_function(
            &format!("decode send_message_v2 ({ser}) + typed header"),
            |b| {
                b.iter(|| {
                    let mut buf = BytesMut::from(&bytes[..]);
                    let cmd = frame::decode(&mut buf, frame::DEFAULT_MAX_FRAME_LENGTH)
                        .unwrap()
                        .unwrap();
                    let h: SendMessageRequestHeaderV2 = cmd.decode_header().unwrap();
                    black_box(h);
                })
            },
        );
    }
}

fn encode(c: &mut Criterion) {
    let header = SendMessageResponseHeader {
        msg_id: "7F000001000049DF0000000000000000".into(),
        queue_id: 3,
        queue_offset: 123456,
        transaction_id: Some("FD0000000000000000000000000000020F0F30946E098023058E0000".into()),
        batch_uniq_id: None,
        recall_handle: None,
    };
    c.bench_function("encode send response (json)", |b| {
        b.iter(|| {
            let resp = RemotingCommand::success()
                .with_header(&header)
                .with_ext("MSG_REGION", "DefaultRegion")
                .with_ext("TRACE_ON", "true")
                .with_opaque(7);
            let mut out = BytesMut::with_capacity(512);
            frame::encode_head(&resp, &mut out);
            black_box(out);
        })
    });
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
