//! Producer-path headers: sends, send-back, transactions, recall.

use crate::command_header;

command_header! {
    /// SEND_MESSAGE (10) / SEND_BATCH_MESSAGE with long field names.
    pub struct SendMessageRequestHeader {
        producer_group: String = "producerGroup",
        topic: String = "topic",
        default_topic: String = "defaultTopic",
        default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        queue_id: i32 = "queueId",
        sys_flag: i32 = "sysFlag",
        born_timestamp: i64 = "bornTimestamp",
        flag: i32 = "flag",
        properties: Option<String> = "properties",
        reconsume_times: Option<i32> = "reconsumeTimes",
        unit_mode: Option<bool> = "unitMode",
        batch: Option<bool> = "batch",
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// 5.x `RpcRequestHeader.bname`: the target broker name.
        broker_name: Option<String> = "bname",
    }

    /// SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320): one-letter field names.
    pub struct SendMessageRequestHeaderV2 {
        a: String = "a",
        b: String = "b",
        c: String = "c",
        d: i32 = "d",
        e: i32 = "e",
        f: i32 = "f",
        g: i64 = "g",
        h: i32 = "h",
        i: Option<String> = "i",
        j: Option<i32> = "j",
        k: Option<bool> = "k",
        l: Option<i32> = "l",
        m: Option<bool> = "m",
        n: Option<String> = "n",
    }

    /// The response to a send.
    pub struct SendMessageResponseHeader {
        msg_id: String = "msgId",
        queue_id: i32 = "queueId",
        queue_offset: i64 = "queueOffset",
        transaction_id: Option<String> = "transactionId",
        batch_uniq_id: Option<String> = "batchUniqId",
        recall_handle: Option<String> = "recallHandle",
    }

    /// CONSUMER_SEND_MSG_BACK (36). `offset` is the failed message's PHYSICAL offset.
    pub struct ConsumerSendMsgBackRequestHeader {
        offset: i64 = "offset",
        group: String = "group",
        delay_level: i32 = "delayLevel",
        origin_msg_id: Option<String> = "originMsgId",
        origin_topic: Option<String> = "originTopic",
        unit_mode: Option<bool> = "unitMode",
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
    }

    /// END_TRANSACTION (37). `commit_or_rollback`: 0 unknown, 8 commit, 12 rollback.
    pub struct EndTransactionRequestHeader {
        topic: Option<String> = "topic",
        producer_group: String = "producerGroup",
        tran_state_table_offset: i64 = "tranStateTableOffset",
        commit_log_offset: i64 = "commitLogOffset",
        commit_or_rollback: i32 = "commitOrRollback",
        from_transaction_check: Option<bool> = "fromTransactionCheck",
        msg_id: String = "msgId",
        transaction_id: Option<String> = "transactionId",
    }

    /// CHECK_TRANSACTION_STATE (39), broker → producer.
    pub struct CheckTransactionStateRequestHeader {
        topic: Option<String> = "topic",
        tran_state_table_offset: i64 = "tranStateTableOffset",
        commit_log_offset: i64 = "commitLogOffset",
        msg_id: Option<String> = "msgId",
        transaction_id: Option<String> = "transactionId",
        offset_msg_id: Option<String> = "offsetMsgId",
        /// 5.x `RpcRequestHeader.bname`.
        broker_name: Option<String> = "bname",
    }

    /// RECALL_MESSAGE (370).
    pub struct RecallMessageRequestHeader {
        producer_group: Option<String> = "producerGroup",
        topic: String = "topic",
        recall_handle: String = "recallHandle",
    }

    /// The response to RECALL_MESSAGE.
    pub struct RecallMessageResponseHeader {
        msg_id: String = "msgId",
    }
}

impl SendMessageRequestHeaderV2 {
    /// Converts from the long-name form.
    pub fn from_v1(v1: &SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            a: v1.producer_group.clone(),
            b: v1.topic.clone(),
            c: v1.default_topic.clone(),
            d: v1.default_topic_queue_nums,
            e: v1.queue_id,
            f: v1.sys_flag,
            g: v1.born_timestamp,
            h: v1.flag,
            i: v1.properties.clone(),
            j: v1.reconsume_times,
            k: v1.unit_mode,
            l: v1.max_reconsume_times,
            m: v1.batch,
            n: v1.broker_name.clone(),
        }
    }

    /// Converts to the long-name form, which the broker works with.
    pub fn into_v1(self) -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            producer_group: self.a,
            topic: self.b,
            default_topic: self.c,
            default_topic_queue_nums: self.d,
            queue_id: self.e,
            sys_flag: self.f,
            born_timestamp: self.g,
            flag: self.h,
            properties: self.i,
            reconsume_times: self.j,
            unit_mode: self.k,
            batch: self.m,
            max_reconsume_times: self.l,
            broker_name: self.n,
        }
    }
}

/// END_TRANSACTION `commitOrRollback` values (the transaction sysflag types).
pub mod transaction_resolution {
    pub const UNKNOWN: i32 = 0;
    pub const COMMIT: i32 = 8;
    pub const ROLLBACK: i32 = 12;
}
