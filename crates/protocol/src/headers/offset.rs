//! Offset headers: consumer offsets, queue min/max, search by time.

use crate::command_header;

command_header! {
    /// QUERY_CONSUMER_OFFSET (14).
    pub struct QueryConsumerOffsetRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        set_zero_if_not_found: Option<bool> = "setZeroIfNotFound",
    }

    /// An `offset` answer (QUERY_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET, SEARCH_OFFSET…).
    pub struct OffsetResponseHeader {
        offset: i64 = "offset",
    }

    /// UPDATE_CONSUMER_OFFSET (15); `commit_offset` is the next offset to consume.
    pub struct UpdateConsumerOffsetRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        commit_offset: i64 = "commitOffset",
    }

    /// GET_MAX_OFFSET (30).
    pub struct GetMaxOffsetRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
        /// Java default true.
        committed: Option<bool> = "committed",
    }

    /// GET_MIN_OFFSET (31) and GET_EARLIEST_MSG_STORETIME (32).
    pub struct TopicQueueRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP (29). `boundary_type`: "lower" (default) or "upper".
    pub struct SearchOffsetRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
        timestamp: i64 = "timestamp",
        boundary_type: Option<String> = "boundaryType",
    }

    /// The response to GET_EARLIEST_MSG_STORETIME.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        timestamp: i64 = "timestamp",
    }

    /// INVOKE_BROKER_TO_RESET_OFFSET (222) and RESET_CONSUMER_CLIENT_OFFSET (220).
    pub struct ResetOffsetRequestHeader {
        topic: String = "topic",
        group: String = "group",
        queue_id: Option<i32> = "queueId",
        offset: Option<i64> = "offset",
        timestamp: i64 = "timestamp",
        is_force: bool = "isForce",
    }

    /// QUERY_CONSUME_TIME_SPAN (303).
    pub struct QueryConsumeTimeSpanRequestHeader {
        topic: String = "topic",
        group: String = "group",
    }

    /// CLONE_GROUP_OFFSET (314).
    pub struct CloneGroupOffsetRequestHeader {
        src_group: String = "srcGroup",
        dest_group: String = "destGroup",
        topic: Option<String> = "topic",
        offline: Option<bool> = "offline",
    }

    /// QUERY_CONSUME_QUEUE (321).
    pub struct QueryConsumeQueueRequestHeader {
        topic: Option<String> = "topic",
        queue_id: Option<i32> = "queueId",
        index: Option<i64> = "index",
        count: Option<i32> = "count",
        consumer_group: Option<String> = "consumerGroup",
    }
}
