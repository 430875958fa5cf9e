//! Requests that name a CommitLog offset (END_TRANSACTION, CONSUMER_SEND_MSG_BACK,
//! VIEW_MESSAGE_BY_ID) trust a record only where its ConsumeQueue says a record starts: a
//! record forged inside a message body is not a message.

use std::net::SocketAddr;

use ferromq_model::names;
use ferromq_protocol::headers::*;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::record::{body_crc, RecordVersion, RecordView};
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_testkit::{pull_request, send_request, TestCluster};

use crate::*;

/// Where a message sent now will land: its CommitLog offset, learned from a first message
/// and the size of its record (nothing else writes in a fresh test broker).
async fn next_phys(c: &TestCluster, topic: &str) -> i64 {
    let r = c.send(send_request(topic, 0, "sizer", None, &[])).await;
    let h: SendMessageResponseHeader = r.decode_header().unwrap();
    let phys = ferromq_protocol::message::id::decode_offset_msg_id(&h.msg_id)
        .unwrap()
        .commit_log_offset;
    let view = RemotingCommand::request_with(
        rc::VIEW_MESSAGE_BY_ID,
        &ViewMessageRequestHeader {
            topic: None,
            offset: phys,
        },
    );
    let rec = c.call(view).await;
    assert_eq!(rec.code, SUCCESS, "{:?}", rec.remark);
    phys + rec.body.len() as i64
}

/// A complete half-message record, as if stored at `at`, committing to `real_topic`.
fn forged_half(at: i64, store_host: SocketAddr, real_topic: &str) -> Vec<u8> {
    let mut p = Properties::new();
    p.insert(keys::PRODUCER_GROUP, "forger_pg");
    p.insert(keys::REAL_TOPIC, real_topic);
    p.insert(keys::REAL_QUEUE_ID, "0");
    p.insert(keys::TRANSACTION_PREPARED, "true");
    let props = p.encode();
    let body = b"forged";
    let v = RecordView {
        version: RecordVersion::V1,
        body_crc: body_crc(body),
        queue_id: 0,
        flag: 0,
        queue_offset: 0,
        physical_offset: at,
        sys_flag: 0,
        born_timestamp: 1,
        born_host: store_host,
        store_timestamp: 1,
        store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body,
        topic: names::TRANS_HALF_TOPIC.as_bytes(),
        properties: props.as_bytes(),
    };
    let mut out = Vec::new();
    v.encode(&mut out).unwrap();
    out
}

/// The offset of the body inside a record of `topic` (the fixed fields before it).
fn body_offset_in_record(store_host: SocketAddr) -> i64 {
    let v = RecordView {
        version: RecordVersion::V1,
        body_crc: 0,
        queue_id: 0,
        flag: 0,
        queue_offset: 0,
        physical_offset: 0,
        sys_flag: 0,
        born_timestamp: 0,
        born_host: store_host,
        store_timestamp: 0,
        store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: b"",
        topic: b"",
        properties: b"",
    };
    // Empty topic, body and properties: the record is the fixed part, the body length, the
    // topic length (1 byte) and the properties length (2 bytes).
    v.encoded_len() as i64 - 1 - 2
}

#[tokio::test]
async fn forged_records_are_not_messages() {
    let c = TestCluster::start().await;
    let host = c.brokers[0].addr();
    let carrier = unique("Carrier");
    let target = unique("Target");
    c.create_topic(&carrier, 1).await;
    c.create_topic(&target, 1).await;

    let at = next_phys(&c, &carrier).await + body_offset_in_record(host);
    let forged = forged_half(at, host, &target);
    let r = c
        .send(send_request(&carrier, 0, forged.clone(), None, &[]))
        .await;
    assert_eq!(r.code, SUCCESS);
    // Aimed right: a complete record sits at `at`, with its own offset in it.
    let store = &c.brokers[0].context().store();
    let raw = store
        .read_raw(at, forged.len())
        .expect("bytes at the forged offset");
    assert_eq!(&raw[..forged.len()], &forged[..]);

    // The forged bytes are where we aimed: VIEW_MESSAGE_BY_ID refuses them as a record.
    let view = RemotingCommand::request_with(
        rc::VIEW_MESSAGE_BY_ID,
        &ViewMessageRequestHeader {
            topic: None,
            offset: at,
        },
    );
    assert_refused(&c.call(view).await, SYSTEM_ERROR);

    // Commit it as a transaction.
    let end = RemotingCommand::request_with(
        rc::END_TRANSACTION,
        &EndTransactionRequestHeader {
            topic: Some(names::TRANS_HALF_TOPIC.into()),
            producer_group: "forger_pg".into(),
            tran_state_table_offset: 0,
            commit_log_offset: at,
            commit_or_rollback: transaction_resolution::COMMIT,
            from_transaction_check: Some(false),
            msg_id: "forged".into(),
            transaction_id: None,
        },
    );
    assert_refused(&c.call(end).await, SYSTEM_ERROR);

    // Send it back as if consumed.
    assert_refused(&c.call(send_back("forger_cg", at, 0)).await, SYSTEM_ERROR);

    c.settle();
    assert_eq!(
        store.max_offset_in_queue(&target, 0),
        0,
        "nothing committed"
    );
    assert_eq!(
        store.max_offset_in_queue("%RETRY%forger_cg", 0).max(0),
        0,
        "nothing sent back"
    );
    // The carrier message itself is intact.
    let r = c.call(pull_request("cg", &carrier, 0, 1, 1, "*", 0)).await;
    assert_eq!(r.code, SUCCESS);
    assert_eq!(records(&r)[0].body.len(), forged_len(host, &target));
    c.shutdown().await;
}

fn forged_len(host: SocketAddr, target: &str) -> usize {
    forged_half(0, host, target).len()
}
