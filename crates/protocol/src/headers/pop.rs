//! 5.x POP consumption headers (codes 200050–200056). Such codes only travel with JSON
//! headers; the field names are Java's.

use crate::command_header;

command_header! {
    /// POP_MESSAGE (200050). `queue_id` -1 pops from any readable queue; `init_mode` 0 starts
    /// a group without an offset at the queue's minimum, 1 at its maximum.
    pub struct PopMessageRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        max_msg_nums: i32 = "maxMsgNums",
        invisible_time: i64 = "invisibleTime",
        poll_time: i64 = "pollTime",
        born_time: i64 = "bornTime",
        init_mode: i32 = "initMode",
        exp_type: Option<String> = "expType",
        exp: Option<String> = "exp",
        order: Option<bool> = "order",
        attempt_id: Option<String> = "attemptId",
    }

    /// The response to POP_MESSAGE; the body holds the popped CommitLog records.
    pub struct PopMessageResponseHeader {
        pop_time: i64 = "popTime",
        invisible_time: i64 = "invisibleTime",
        revive_qid: i32 = "reviveQid",
        rest_num: i64 = "restNum",
        start_offset_info: Option<String> = "startOffsetInfo",
        msg_offset_info: Option<String> = "msgOffsetInfo",
        order_count_info: Option<String> = "orderCountInfo",
    }

    /// ACK_MESSAGE (200051). `extra_info` is the receipt the pop handed out.
    pub struct AckMessageRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        extra_info: String = "extraInfo",
        offset: i64 = "offset",
    }

    /// CHANGE_MESSAGE_INVISIBLETIME (200053).
    pub struct ChangeInvisibleTimeRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        extra_info: String = "extraInfo",
        offset: i64 = "offset",
        invisible_time: i64 = "invisibleTime",
    }

    /// The response to CHANGE_MESSAGE_INVISIBLETIME: the new receipt's parts.
    pub struct ChangeInvisibleTimeResponseHeader {
        pop_time: i64 = "popTime",
        invisible_time: i64 = "invisibleTime",
        revive_qid: i32 = "reviveQid",
    }

    /// NOTIFICATION (200054): a long poll that answers whether a pop would find messages.
    pub struct NotificationRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        poll_time: i64 = "pollTime",
        born_time: i64 = "bornTime",
        order: Option<bool> = "order",
        attempt_id: Option<String> = "attemptId",
    }

    /// The response to NOTIFICATION.
    pub struct NotificationResponseHeader {
        has_msg: bool = "hasMsg",
        polling_full: bool = "pollingFull",
    }

    /// POLLING_INFO (200055): how many pops are held for a group on a queue.
    pub struct PollingInfoRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
    }

    /// The response to POLLING_INFO.
    pub struct PollingInfoResponseHeader {
        polling_num: i32 = "pollingNum",
    }

    /// PEEK_MESSAGE (200052): read without taking.
    pub struct PeekMessageRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        max_msg_nums: i32 = "maxMsgNums",
    }
}
